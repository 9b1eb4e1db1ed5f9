#include "sim/workload/workload.hpp"

namespace slsim {

Workload::Workload(std::string name, WorkloadConfig config, ArrivalProcess arrivals)
    : Component(std::move(name)),
      config_(config),
      arrivals_(std::move(arrivals)),
      arrival_rng_(Rng(0)),
      key_rng_(Rng(0)),
      token_rng_(Rng(0)) {
  if (config_.key_count > 0 && config_.zipf > 0) zipf_.emplace(config_.key_count, config_.zipf);
  if (config_.token_count > 0 && config_.token_zipf > 0) token_zipf_.emplace(config_.token_count, config_.token_zipf);
}

void Workload::start(Simulation& sim) {
  arrival_rng_ = sim.rng("workload." + name() + ".arrivals");
  key_rng_ = sim.rng("workload." + name() + ".keys");
  token_rng_ = sim.rng("workload." + name() + ".tokens");  // a stream of its own: keys draw as before
  schedule_next(sim);
}

void Workload::schedule_next(Simulation& sim) {
  const SimTime t = arrivals_.next(arrival_rng_);
  if (t <= sim.end()) sim.schedule_at(t, id(), kArrival);
}

std::uint64_t Workload::draw_key() {
  // Without a key model every request is an item of its own: it never meets a
  // cached copy, and spreads evenly over a table's partitions.
  if (config_.key_count == 0) return unkeyed_key(config_.index, next_unkeyed_++);
  if (zipf_) return zipf_->sample(key_rng_);
  return key_rng_.below(config_.key_count);
}

std::uint32_t Workload::draw_token() {
  // Without `tokens:` a request carries no token the others share (0): an
  // authorizer's cache never hits it and a user pool counts it as a user of its own.
  if (config_.token_count == 0) return 0;
  const std::uint64_t rank = token_zipf_ ? token_zipf_->sample(token_rng_) : token_rng_.below(config_.token_count);
  return static_cast<std::uint32_t>(rank + 1);  // count <= 1e9: fits
}

void Workload::handle(Simulation& sim, const Event& e) {
  if (e.kind == kArrival) {
    const RequestHandle h = sim.new_request(config_.index, draw_key(), config_.payload_bytes, config_.route, id());
    Request& r = sim.request(h);
    r.token = draw_token();
    if (r.measured) arrived_.add();
    sim.call(id(), config_.target, config_.op, h, h.bits);
    schedule_next(sim);
    return;
  }
  if (e.kind == kReplyEvent) {
    const RequestHandle h{e.data};
    Request& r = sim.request(h);
    const CallStatus status = reply_status(e);
    Outcome outcome = Outcome::succeeded;
    switch (status) {
      case CallStatus::ok: outcome = Outcome::succeeded; break;
      case CallStatus::throttled: outcome = Outcome::throttled; break;
      case CallStatus::error: outcome = Outcome::failed; break;
      case CallStatus::timeout: outcome = Outcome::timed_out; break;
    }
    if (r.measured) {
      switch (outcome) {
        case Outcome::succeeded: succeeded_.add(); break;
        case Outcome::throttled: throttled_.add(); break;
        case Outcome::timed_out: timed_out_.add(); failed_.add(); break;
        default: failed_.add(); break;
      }
      (outcome == Outcome::succeeded ? latency_ : latency_failed_).record(sim.now() - r.arrival);
    }
    sim.set_outcome(h, outcome);
    sim.release(h);
  }
}

void Workload::request_ended(Simulation& sim, const Request& r) {
  if (!r.measured) return;
  ++ended_[static_cast<std::size_t>(r.outcome)];
  if (r.outcome == Outcome::succeeded) completion_.record(sim.now() - r.arrival);
}

void Workload::sample(TimeSeriesRow& row) const {
  row.count("arrived", static_cast<double>(arrived_.value));
  row.count("succeeded", static_cast<double>(succeeded_.value));
  row.count("failed", static_cast<double>(failed_.value));
  row.count("throttled", static_cast<double>(throttled_.value));
  row.latency("latency_ms", latency_);
}

Json latency_json(const LatencyHistogram& h) {
  Json j = Json::object();
  j["count"] = h.count();
  const auto ms = [](double ns) { return ns / 1e6; };  // division keeps round values exact
  j["mean"] = h.empty() ? 0.0 : ms(h.mean());
  j["p50"] = ms(h.percentile(0.50));
  j["p90"] = ms(h.percentile(0.90));
  j["p95"] = ms(h.percentile(0.95));
  j["p99"] = ms(h.percentile(0.99));
  j["p999"] = ms(h.percentile(0.999));
  j["max"] = h.empty() ? 0.0 : ms(static_cast<double>(h.max()));
  return j;
}

Json Workload::report() const {
  Json j = Json::object();
  j["arrived"] = arrived_.value;
  j["succeeded"] = succeeded_.value;
  j["failed"] = failed_.value;
  j["throttled"] = throttled_.value;
  j["timed_out"] = timed_out_.value;
  j["latency_ms"] = latency_json(latency_);
  j["latency_failed_ms"] = latency_json(latency_failed_);
  j["completion_ms"] = latency_json(completion_);
  // Final fates; `failed` includes timeouts, as in `accounting`.
  const auto ended = [&](Outcome o) { return ended_[static_cast<std::size_t>(o)]; };
  std::uint64_t total = 0;
  for (const auto n : ended_) total += n;
  Json& e2e = j["end_to_end"];
  e2e["succeeded"] = ended(Outcome::succeeded);
  e2e["failed"] = ended(Outcome::failed) + ended(Outcome::timed_out);
  e2e["throttled"] = ended(Outcome::throttled);
  e2e["dead_lettered"] = ended(Outcome::dead_lettered);
  e2e["expired"] = ended(Outcome::expired);
  e2e["dropped"] = ended(Outcome::dropped);
  e2e["in_flight"] = arrived_.value - total;
  return j;
}

}  // namespace slsim
