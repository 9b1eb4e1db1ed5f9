// The analytic estimate of a Lambda function (docs/analyze.md): invocations
// from its inflow, the handler's time with its calls, Erlang-B throttling of
// synchronous invocations at the concurrency cap, asynchronous retries, Little's
// law concurrency, and cost. Cold starts are left out: they depend on how
// environments are reused over time.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "models/lambda/lambda.hpp"
#include "models/lambda/schema.hpp"
#include "models/pricing/catalog.hpp"
#include "sim/analysis/analytic.hpp"
#include "sim/analysis/queueing.hpp"
#include "sim/scenario/scenario.hpp"

namespace slsim::models {

namespace {

constexpr double kMB = 1048576.0;
constexpr double kGB = 1024.0 * kMB;
// Asynchronous retries come about 1 min and then about 2 min after a failure
// (docs/model-assumptions.md §1.6): the n-th retry is made only if the event
// is then younger than max_event_age.
constexpr double kRetryAt[] = {60.0, 180.0};

struct Call {
  std::string to, op;
  double probability = 1;
  bool per_record = false;
};

// One invocation of `records` records: its expected time, the calls it makes
// and the chance that one of them fails (which ends the handler).
struct Handler {
  double seconds = 0;           // compute plus the calls' answers
  double per_record = 0;        // what each record adds
  double call_failure = 0;      // P(some call is answered not ok)
  std::vector<double> calls;    // expected calls made, per entry of `calls:`
};

Handler handler(const AnalyticView& view, const std::vector<Call>& calls, double compute_per_record, double records) {
  Handler h;
  h.per_record = compute_per_record;
  h.seconds = compute_per_record * records;
  double reach = 1;  // P(the handler gets to this call)
  for (const Call& c : calls) {
    const AnalyticAnswer a = view.answer(c.to, c.op);
    const double survive_one = 1.0 - c.probability * (1.0 - a.ok);  // made and failed ends the handler
    double made = 0, survive = survive_one;
    if (c.per_record) {
      // One attempt per record, in turn, each made with the call's probability.
      made = survive_one < 1 ? c.probability * (1.0 - std::pow(survive_one, records)) / (1.0 - survive_one)
                             : c.probability * records;
      survive = std::pow(survive_one, records);
      h.per_record += c.probability * a.seconds * reach;
    } else {
      made = c.probability;
    }
    h.calls.push_back(reach * made);
    h.seconds += reach * made * a.seconds;
    reach *= survive;
  }
  h.call_failure = 1.0 - reach;
  return h;
}

}  // namespace

void lambda_analytic(const AnalyticView& view, ServiceEstimate& out) {
  const Record& p = view.service().params;
  const Scenario& sc = view.scenario();
  const double memory_gb = p.size("memory") / kGB;
  const Distribution& duration = p.dist("duration");
  const double scale = duration_scale(p);
  const double compute_s = duration.mean() * scale / 1e9;  // per record
  const double timeout_s = static_cast<double>(p.duration("timeout")) / 1e9;
  const double errors = p.number("errors");
  std::vector<Call> calls;
  for (const Value& v : p.list("calls")) {
    const Record& c = *v.record;
    const ServiceDecl* target = sc.find_service(c.text("to"));
    calls.push_back({c.text("to"), c.has("op") ? c.text("op") : target->type->ops.front(), c.number("probability"),
                     c.text("per") == "record"});
  }

  // What arrives: synchronous invocations (batches from event sources carry
  // records) and asynchronous events.
  const double sync = view.calls("invoke");
  const double records = view.items_per_call("invoke");
  const double events = view.calls("invoke_async");
  const Handler batch = handler(view, calls, compute_s, records);
  const Handler single = handler(view, calls, compute_s, 1.0);
  if (!std::isfinite(compute_s)) {
    out.unavailable("the duration distribution has no finite mean");
    return;
  }

  // Timeouts: the handler's compute alone reaching the timeout.
  double timeout_batch = sum_tail_probability(duration, static_cast<std::uint32_t>(std::lround(records)), timeout_s * 1e9 / scale);
  double timeout_single = tail_probability(duration, timeout_s * 1e9 / scale);
  if (std::isnan(timeout_batch) || std::isnan(timeout_single)) {
    out.note("timeouts are not estimated for this duration distribution (no closed-form tail): taken as none");
    timeout_batch = timeout_single = 0;
  }
  // A timed-out invocation is held for the timeout: the compute is cut there.
  const double cut = records <= 1.0 + 1e-9 ? truncated_mean(duration, timeout_s * 1e9 / scale) * scale / 1e9 : compute_s;
  const double cut_single = truncated_mean(duration, timeout_s * 1e9 / scale) * scale / 1e9;
  const double held_batch = std::min(batch.seconds - records * compute_s + records * cut, timeout_s);
  const double held_single = std::min(single.seconds - compute_s + cut_single, timeout_s);

  // Asynchronous events: retried after function errors and timeouts.
  const double fail_single = 1.0 - (1.0 - timeout_single) * (1.0 - single.call_failure) * (1.0 - errors);
  std::int64_t retries = 2;
  double max_age = 6 * 3600.0;
  std::string on_failure;
  if (p.has("async")) {
    const Record& a = p.record("async");
    retries = a.integer("max_retry_attempts");
    max_age = static_cast<double>(a.duration("max_event_age")) / 1e9;
    if (a.has("on_failure")) on_failure = a.text("on_failure");
  }
  std::int64_t allowed = 0;  // retries that fit in the event's age
  while (allowed < retries && allowed < 2 && kRetryAt[allowed] < max_age) ++allowed;

  // The concurrency cap: reserved concurrency, or the account's unreserved
  // pool shared with every function that has none (Erlang-B over their total load).
  std::int64_t provisioned = initial_provisioned(p);
  // Each event is invoked once, plus a retry after each failure that fits.
  double attempts_per_event = 0;
  for (std::int64_t k = 0; k <= allowed; ++k) attempts_per_event += std::pow(fail_single, static_cast<double>(k));
  // The load offered: erlangs of invocations (a throttled event holds nothing while it waits).
  const double offered = sync * held_batch + events * attempts_per_event * held_single;
  double pool_offered = offered;
  std::int64_t cap = 0;
  if (p.has("reserved_concurrency")) {
    cap = p.integer("reserved_concurrency");
  } else {
    std::int64_t carved = 0, pooled_provisioned = 0;
    for (const ServiceDecl* f : view.services_of_type("lambda")) {
      if (f->params.has("reserved_concurrency")) {
        carved += f->params.integer("reserved_concurrency");
        continue;
      }
      const std::int64_t pc = initial_provisioned(f->params);
      carved += pc;
      pooled_provisioned += pc;
      if (f != &view.service()) pool_offered += view.shared(f->name, "offered_erlangs", 0.0);
    }
    cap = sc.account.integer("lambda_concurrency") - carved + pooled_provisioned;
  }
  const double blocked = erlang_b(std::max<std::int64_t>(0, cap), pool_offered);
  out.share("offered_erlangs", offered);

  const bool starved = blocked >= 1.0 - 1e-12;  // no invocation can ever start
  const double accepted = sync * (1.0 - blocked);
  const double async_invocations = starved ? 0.0 : events * attempts_per_event;
  const double invocations = accepted + async_invocations;
  const double final_failure = std::pow(fail_single, static_cast<double>(allowed) + 1.0);
  const std::string cap_text = p.has("reserved_concurrency")
                                   ? fmt::format("reserved concurrency {}", cap)
                                   : fmt::format("the account's unreserved pool of {}", cap);

  // Where requests go on: the handler's calls, and failed events to on_failure.
  for (std::size_t i = 0; i < calls.size(); ++i) {
    out.flow("invoke", {calls[i].to, calls[i].op, (1.0 - blocked) * batch.calls[i], 1});
    if (!starved) out.flow("invoke_async", {calls[i].to, calls[i].op, attempts_per_event * single.calls[i], 1});
  }
  double gave_up = starved ? 1.0 : final_failure;
  if (!on_failure.empty()) {
    const std::string& type = sc.find_service(on_failure)->type->name;
    const std::string op = type == "sqs" ? "send" : type == "sns" ? "publish" : "invoke_async";
    out.flow("invoke_async", {on_failure, op, gave_up, 1});
  }

  // How callers see it.
  const double batch_ok = (1.0 - timeout_batch) * (1.0 - batch.call_failure);
  AnalyticAnswer invoke;
  invoke.ok = (1.0 - blocked) * batch_ok;
  invoke.throttled = blocked;
  invoke.item_error = errors;
  invoke.seconds = (1.0 - blocked) * (held_batch - (records - 1.0) * batch.per_record);
  invoke.seconds_per_item = (1.0 - blocked) * batch.per_record;
  // The ok answers: invocations that finished before the timeout.
  const double timeout_share = timeout_single < 1 ? timeout_single / (1.0 - timeout_single) : 0.0;
  invoke.ok_seconds = held_single - timeout_share * (timeout_s - held_single);
  out.answer("invoke", invoke);
  out.answer("invoke_async", AnalyticAnswer{});  // accepted at once (202)

  // Figures.
  const std::string cold = "the init time of cold starts is not in the estimate";
  out.rate("invocations", invocations,
           fmt::format("synchronous calls x (1 - B) + asynchronous events x attempts ({:.4g} per event)", attempts_per_event));
  out.rate("throttles", sync * blocked,
           fmt::format("synchronous calls x B, B = Erlang-B(c = {}, A = {:.4g} erlangs)", cap, offered),
           ReasonClass::cold_starts, "cold starts hold environments longer and the scaling rate limits new ones");
  const double error_batch = (1.0 - timeout_batch) * (1.0 - (1.0 - batch.call_failure) * std::pow(1.0 - errors, records));
  const double error_single = (1.0 - timeout_single) * (1.0 - (1.0 - single.call_failure) * (1.0 - errors));
  out.rate("errors", accepted * error_batch + async_invocations * error_single,
           "invocations x P(an item fails or a call is answered not ok)");
  out.rate("timeouts", accepted * timeout_batch + async_invocations * timeout_single,
           "invocations x P(compute >= timeout)");
  const double busy = accepted * held_batch + async_invocations * held_single;
  out.level("concurrency.mean", busy, "Little's law: invocations per second x mean time held",
            ReasonClass::cold_starts, cold);
  out.not_estimated("cold_starts", "cold starts are not modelled analytically (they depend on environment reuse over time)");
  const double mean_held = invocations > 0 ? busy / invocations : held_single;
  out.level("duration_ms.mean", mean_held * 1e3, "compute x records + the answers of the calls",
            ReasonClass::queueing, "the services it calls may queue or throttle it");
  // Billed time is rounded up to 1 ms: half a millisecond more on average.
  const double gb_s = (busy + invocations * 0.0005) * memory_gb;
  out.rate("billed_gb_s", gb_s, "(time held + 0.5 ms rounding) x invocations x memory", ReasonClass::cold_starts,
           "init time is billed too");
  if (events > 0) {
    out.rate("async.queued", events, "asynchronous events");
    out.rate("async.retries", starved ? 0.0 : events * (attempts_per_event - 1.0),
             fmt::format("events x (attempts - 1), {} retr{} allowed", allowed, allowed == 1 ? "y" : "ies"));
    out.rate("async.throttles", starved ? 0.0 : async_invocations * blocked / std::max(1e-12, 1.0 - blocked),
             "attempts x B / (1 - B): a throttled event waits and retries", ReasonClass::queueing,
             "throttled events retry with a backoff");
    const bool expires = starved || allowed < retries;
    out.rate("async.expired", expires ? events * gave_up : 0.0,
             expires ? "events that fail once more than their age allows retries" : "retries fit in max_event_age");
    out.rate("async.to_on_failure", on_failure.empty() ? 0.0 : events * gave_up, "events x P(every attempt fails)");
    out.rate("async.dropped", on_failure.empty() && !expires ? events * gave_up : 0.0,
             "events x P(every attempt fails), without on_failure");
    if (blocked > 0) out.note("throttled asynchronous events wait and retry: they are delayed, not lost");
  }
  out.note("cold starts (init time) are not in the estimate; the scaling rate of new environments is not either");
  if (p.has("provisioned_scaling")) {
    // Target tracking settles where busy / allocated is the target (the low alarm
    // only acts below 90% of it): ceil(concurrency / target), within the bounds
    // (docs/model-assumptions.md §1.8).
    const Record& s = p.record("provisioned_scaling");
    const std::int64_t lo = s.integer("min"), hi = s.integer("max");
    if (s.flag("target_tracking")) {
      const double target = s.number("target_utilization");
      const double wanted = std::min(busy / target, static_cast<double>(hi));
      provisioned = std::clamp(static_cast<std::int64_t>(std::ceil(wanted - 1e-9)), lo, hi);
      out.level("provisioned.allocated_mean", static_cast<double>(provisioned),
                fmt::format("target tracking: ceil(concurrency {:.4g} / target {:.3g}), between min {} and max {}", busy,
                            target, lo, hi),
                ReasonClass::bursts, "the policy follows the load minute by minute, with alarms and cooldowns");
    } else {
      provisioned = std::clamp(provisioned, lo, hi);
    }
    if (!s.list("schedule").empty())
      out.note("scheduled actions change the provisioned concurrency over time: the estimate uses the bounds at the start");
  }

  // Cost: requests and GB-s at the monthly tiers, as if the window repeated all month.
  const PriceCatalog price(sc);
  const double to_month = view.seconds() > 0 ? kMonthSeconds / view.seconds() : 1.0;
  const double window_invocations = invocations * view.seconds();
  if (p.flag("edge")) {
    // Lambda@Edge: flat prices, no tiers (docs/model-assumptions.md §15.3).
    const double window_gb_s = gb_s * view.seconds();
    out.cost("lambda@edge requests", window_invocations, "requests", window_invocations * price("lambda_edge.request"));
    if (window_gb_s > 0) out.cost("lambda@edge duration", window_gb_s, "GB-s", window_gb_s * price("lambda_edge.duration"));
    return;
  }
  out.cost("requests", window_invocations, "requests", window_invocations * price("lambda.request"));
  const bool arm = p.text("architecture") == "arm64";
  double on_demand_gb_s = gb_s * view.seconds();
  if (provisioned > 0) {
    // Busy environments of an M/G/inf system are Poisson(A): the provisioned
    // ones carry E[min(N, pc)] of them.
    double in_provisioned = 0, pn = std::exp(-busy);
    for (std::int64_t n = 0; n < 100000 && n <= provisioned + 10 * static_cast<std::int64_t>(busy + 10); ++n) {
      in_provisioned += pn * static_cast<double>(std::min(n, provisioned));
      pn *= busy / static_cast<double>(n + 1);
    }
    const double share = busy > 0 ? std::min(1.0, in_provisioned / busy) : 1.0;
    const std::string a = arm ? "arm64" : "x86_64";
    const double allocated = static_cast<double>(provisioned) * memory_gb * view.seconds();
    out.cost("provisioned concurrency", allocated, "GB-s", allocated * price("lambda.provisioned." + a), true);
    out.cost("provisioned duration", on_demand_gb_s * share, "GB-s",
             on_demand_gb_s * share * price("lambda.provisioned_duration." + a));
    on_demand_gb_s *= 1.0 - share;
  }
  if (on_demand_gb_s > 0)
    out.cost("duration", on_demand_gb_s, "GB-s",
             shared_tiered_cost(on_demand_gb_s, {{on_demand_gb_s, to_month}}, lambda_duration_tiers(price, arm)));
}

}  // namespace slsim::models
