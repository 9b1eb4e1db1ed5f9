#include "sim/core/simulation.hpp"

#include <algorithm>
#include <cassert>

namespace slsim {

std::string_view outcome_name(Outcome o) {
  switch (o) {
    case Outcome::in_flight: return "in_flight";
    case Outcome::succeeded: return "succeeded";
    case Outcome::failed: return "failed";
    case Outcome::throttled: return "throttled";
    case Outcome::timed_out: return "timed_out";
    case Outcome::dead_lettered: return "dead_lettered";
    case Outcome::expired: return "expired";
    case Outcome::dropped: return "dropped";
  }
  return "?";
}

std::string_view call_status_name(CallStatus s) {
  switch (s) {
    case CallStatus::ok: return "ok";
    case CallStatus::throttled: return "throttled";
    case CallStatus::error: return "error";
    case CallStatus::timeout: return "timeout";
  }
  return "?";
}

std::uint64_t Accounting::terminal_total() const {
  std::uint64_t total = 0;
  for (std::size_t i = 1; i < outcomes.size(); ++i) total += outcomes[i];
  return total;
}

std::uint64_t Accounting::message_terminal_total() const {
  std::uint64_t total = 0;
  for (std::size_t i = 1; i < message_fates.size(); ++i) total += message_fates[i];
  return total;
}

EventLimitReached::EventLimitReached(std::uint64_t limit, SimTime at)
    : std::runtime_error("the run reached its event limit (max_events)"), limit_(limit), at_(at) {}

Simulation::Simulation(SimulationOptions options) : options_(options) {}
Simulation::~Simulation() = default;

ComponentId Simulation::add(std::unique_ptr<Component> component) {
  const auto id = static_cast<ComponentId>(components_.size());
  component->id_ = id;
  components_.push_back(std::move(component));
  return id;
}

RequestHandle Simulation::new_request(std::uint32_t workload, std::uint64_t key,
                                      std::uint32_t payload_bytes, std::uint16_t route, ComponentId owner) {
  RequestHandle h;
  Request& r = requests_.emplace(h);  // filled in place: one request per arrival
  r.id = next_request_id_++;
  r.arrival = now_;
  r.key = key;
  r.payload_bytes = payload_bytes;
  r.workload = workload;
  r.refs = 1;
  r.route = route;
  r.owner = owner;
  r.measured = now_ >= options_.warmup;
  if (r.measured) ++accounting_.arrived;
  return h;
}

void Simulation::release(RequestHandle h) {
  Request& r = requests_.at(h);
  assert(r.refs > 0);
  if (--r.refs > 0) return;
  if (r.measured && r.outcome == Outcome::in_flight) ++accounting_.released_without_outcome;
  requests_.free(h);
}

void Simulation::set_outcome(RequestHandle h, Outcome outcome) {
  Request& r = requests_.at(h);
  if (r.sync_done || r.outcome != Outcome::in_flight) {
    if (r.measured) ++accounting_.repeated_outcome;
    return;
  }
  r.sync_done = true;
  r.pending = worse_outcome(r.pending, outcome);
  if (r.branches == 0) end_request(r);
}

void Simulation::end_request(Request& r) {
  r.outcome = r.pending;
  if (r.measured) ++accounting_.outcomes[static_cast<std::size_t>(r.outcome)];
  if (r.owner != kNoComponent) components_[r.owner]->request_ended(*this, r);
}

void Simulation::open_branch(RequestHandle h) {
  Request& r = requests_.at(h);
  ++r.branches;
  ++r.refs;
  if (r.measured) ++accounting_.messages;
}

void Simulation::close_branch(RequestHandle h, Outcome fate) {
  Request& r = requests_.at(h);
  --r.branches;
  if (r.measured) ++accounting_.message_fates[static_cast<std::size_t>(fate)];
  r.pending = worse_outcome(r.pending, fate);
  if (r.branches == 0 && r.sync_done && r.outcome == Outcome::in_flight) end_request(r);
  release(h);
}

CallHandle Simulation::call(ComponentId caller, ComponentId callee, std::uint16_t op,
                            RequestHandle request, std::uint64_t token, SimTime delay, std::uint32_t items) {
  retain(request);
  ++requests_.at(request).hops;
  const CallHandle h =
      calls_.alloc(Call{request, caller, callee, op, token, now_ + std::max<SimTime>(delay, 0), items});
  schedule_in(delay, callee, kCallEvent, h.bits);
  return h;
}

CallHandle Simulation::call_detached(ComponentId caller, ComponentId callee, std::uint16_t op, RequestHandle original,
                                     std::uint64_t token, SimTime delay) {
  const Request& o = requests_.at(original);
  Request copy;
  copy.id = next_request_id_++;
  copy.arrival = now_;
  copy.key = o.key;
  copy.payload_bytes = o.payload_bytes;
  copy.workload = o.workload;
  copy.route = o.route;
  copy.hops = o.hops;
  copy.depth = o.depth;
  copy.token = o.token;
  copy.refs = 0;            // held only by the call below (and later by the branches its callee opens)
  copy.measured = false;    // outside the accounting of requests and messages
  copy.sync_done = true;    // nobody waits for a synchronous answer
  copy.outcome = Outcome::dropped;  // already settled: it never reaches an owner or a counter
  return call(caller, callee, op, requests_.alloc(copy), token, delay);
}

void Simulation::reply(CallHandle h, CallStatus status, SimTime delay, std::uint32_t failed_items) {
  const Call c = calls_.at(h);
  calls_.free(h);
  schedule_in(delay, c.caller, kReplyEvent, c.token, pack_reply(status, failed_items));
  release(c.request);
}

void Simulation::run_before(SimTime limit) {
  Event e;
  // The count lives in a register across the dispatch; the limit test is one
  // compare per event against a register, not measurable beside the queue.
  std::uint64_t events = events_;
  const std::uint64_t max_events = options_.max_events;
  while (queue_.pop_before(limit, e)) {
    if (events == max_events) [[unlikely]] {
      events_ = events;
      throw EventLimitReached(max_events, e.time);
    }
    now_ = e.time;
    ++events;
    components_[e.target]->handle(*this, e);
  }
  events_ = events;
}

void Simulation::run_sampled(SimTime limit) {
  while (sample_ && next_sample_ < limit && next_sample_ < end()) {
    run_before(next_sample_);
    sample_(next_sample_);
    next_sample_ += sample_interval_;
  }
  run_before(limit);
}

void Simulation::run() {
  for (auto& c : components_) c->start(*this);
  next_sample_ = sample_ ? options_.warmup + sample_interval_ : 0;
  // Without a progress callback each phase is one loop; with one, the run is
  // cut into 100 slices of simulated time (same events, same order).
  const auto run_phase = [&](SimTime from, SimTime to) {
    if (!progress_ || end() <= 0) {
      run_sampled(to);
      return;
    }
    constexpr int kSlices = 100;
    for (int i = 1; i <= kSlices; ++i) {
      const SimTime slice_end = from + static_cast<SimTime>(static_cast<double>(to - from) * i / kSlices);
      run_sampled(i == kSlices ? to : slice_end);
      progress_(static_cast<double>(std::min(slice_end, end())) / static_cast<double>(end()));
    }
  };
  run_phase(0, options_.warmup);
  now_ = options_.warmup;
  for (auto& c : components_) c->reset_statistics(now_);
  if (sample_) sample_(now_);
  run_phase(options_.warmup, end() + 1);  // events exactly at the end still run
  now_ = end();
  if (sample_ && end() > options_.warmup) sample_(end());  // the last interval includes the end
  for (auto& c : components_) c->finish(*this);
  std::uint64_t in_flight = 0, open_messages = 0;
  requests_.for_each_live([&](const Request& r) {
    if (!r.measured) return;
    if (r.outcome == Outcome::in_flight) ++in_flight;
    open_messages += r.branches;
  });
  accounting_.outcomes[static_cast<std::size_t>(Outcome::in_flight)] = in_flight;
  accounting_.message_fates[static_cast<std::size_t>(Outcome::in_flight)] = open_messages;
}

}  // namespace slsim
