#include "models/streams/analytic.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "sim/scenario/scenario.hpp"

namespace slsim::models {

namespace {
// A batch stops growing at the 6 MB synchronous invocation payload (stream_mapping.cpp).
constexpr double kMaxBatchBytes = 6.0 * 1024 * 1024;
}  // namespace

StreamConsumerFlows stream_consumer_analytic(const AnalyticView& view, const Record& c, double records_per_s,
                                             double lanes, double record_bytes, const std::string& prefix,
                                             ServiceEstimate& out) {
  StreamConsumerFlows flows;
  flows.function = c.text("function");
  const AnalyticAnswer fa = view.answer(flows.function, "invoke");
  const double most = std::max(1.0, std::min(static_cast<double>(c.integer("batch_size")),
                                             record_bytes > 0 ? std::floor(kMaxBatchBytes / record_bytes) : 1e18));
  const double window_s = static_cast<double>(c.duration("batch_window")) / 1e9;
  const double per_lane = lanes > 0 ? records_per_s / lanes : records_per_s;
  // One batch in flight per lane. An idle lane that gets a record waits for
  // the window (if any) and takes what came; a lane that finds records waiting
  // when its batch ends takes those and what comes during the window:
  // b = max(1 + rate x window, rate x (window + batch time)), at most `most`.
  const auto batch_time = [&](double size) { return fa.seconds + (size - 1.0) * fa.seconds_per_item; };
  double b = 1;
  for (int round = 0; round < 100; ++round) {
    const double next = std::min(most, std::max(1.0 + per_lane * window_s, per_lane * (window_s + batch_time(b))));
    if (std::fabs(next - b) < 1e-9 * b) break;
    b = round < 50 ? next : 0.5 * (b + next);
  }
  const std::int64_t retries = c.integer("max_retry_attempts");
  // Tries per batch and the share of records given up, for batches of `size`.
  double fail = 0, attempts = 0, lost = 0;
  const auto tries = [&](double size) {
    fail = 1.0 - fa.all_ok(size);
    attempts = 0;
    if (retries < 0) {
      // Retried until the records expire: only a batch that always fails is lost.
      attempts = fail < 1 ? 1.0 / (1.0 - fail) : 1.0;
      lost = fail < 1 ? 0.0 : 1.0;
    } else {
      for (std::int64_t k = 0; k <= retries; ++k) attempts += std::pow(fail, static_cast<double>(k));
      lost = std::pow(fail, static_cast<double>(retries) + 1.0);
    }
  };
  const auto held_for = batch_time;
  tries(b);
  // A lane that cannot keep up runs full batches back to back; the rest wait.
  double throughput = records_per_s;
  const bool behind = records_per_s / b * attempts * held_for(b) >= lanes;
  if (behind) {
    b = most;
    tries(b);
    throughput = std::min(records_per_s, lanes * b / (attempts * held_for(b)));
  }
  const double batches = throughput / b;
  const double held = held_for(b);
  const double share = records_per_s > 0 ? throughput / records_per_s : 1.0;
  flows.invocations = share * attempts / b;
  flows.records_per_batch = b;
  if (c.has("on_failure")) {
    flows.on_failure = c.text("on_failure");
    flows.on_failure_op = view.scenario().find_service(flows.on_failure)->type->ops.front();
    flows.discards = share * lost / b;
  }
  const std::string how_b = "max(1 + rate per lane x window, rate per lane x (window + batch time))";
  const ReasonClass backlog = behind ? ReasonClass::queueing : ReasonClass::none;
  const std::string backlog_detail = behind ? "the backlog grows: batch sizes and tries vary with it" : "";
  out.rate(prefix + "processed", throughput * (1.0 - lost),
           behind ? "lanes x full batches per batch time and tries (the consumer is behind)" : "records x P(a try succeeds)",
           backlog, backlog_detail);
  out.rate(prefix + "batches", batches * attempts,
           fmt::format("records / {:.4g} per batch ({}) x tries", b, behind ? "full: the consumer is behind" : how_b),
           backlog, backlog_detail);
  out.rate(prefix + "retries", batches * (attempts - 1.0), "batches x (tries - 1)", backlog, backlog_detail);
  out.rate(prefix + "to_on_failure", flows.on_failure.empty() ? 0.0 : throughput * lost, "records whose tries all failed");
  out.rate(prefix + "dropped", flows.on_failure.empty() ? throughput * lost : 0.0,
           "records whose tries all failed, without on_failure");
  const double busy = batches * attempts * held;
  if (behind)
    out.note(fmt::format("the consumer cannot keep up with {:.4g} records/s on {} lanes: the backlog grows", records_per_s,
                         lanes));
  out.level(prefix + "lanes_busy.mean", std::min(busy, lanes), "Little's law: batches per second x batch time",
            ReasonClass::queueing, "batch sizes vary with the backlog");
  if (c.flag("bisect_batch_on_error") && fail > 0)
    out.note("bisection of failed batches is not in the estimate: retries are of whole batches");
  return flows;
}

}  // namespace slsim::models
