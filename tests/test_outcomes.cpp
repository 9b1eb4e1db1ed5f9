// What a workload reports, split by outcome: the synchronous answer's latency
// for successes and failures apart, the end-to-end fate of every request once
// its messages ended, and the completion time of asynchronous work.
#include <algorithm>
#include <cmath>
#include <vector>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "support.hpp"

using namespace slsim;
using namespace slsim::testing;

TEST_CASE("outcomes: throttles never make a capped function look fast", "[outcomes][lambda]") {
  // A function capped at 1 concurrent invocation (no queue: 429 when busy),
  // offered Poisson 2 req/s of work uniform on [400, 600] ms.
  const Json r = run_scenario_text(
      "name: capped\nduration: 1000s\nseed: 5\n"
      "workloads: [{name: w, target: fn, arrival: {process: poisson, rate: 2/s}}]\n"
      "services:\n"
      "  fn: {type: lambda, duration: {dist: uniform, min: 400ms, max: 600ms}, cold_start: 0ms,\n"
      "       reserved_concurrency: 1}\n");
  const double arrived = metric(r, "workloads.w.arrived");
  const double throttled = metric(r, "workloads.w.throttled");
  const double succeeded = metric(r, "workloads.w.succeeded");
  // M/G/1/1 loss: P(busy) = A / (1 + A) with A = 2 x 0.5 = 1: half are throttled.
  const double share = throttled / arrived;
  INFO(fmt::format("{} arrived, {} throttled ({:.4f})", arrived, throttled, share));
  REQUIRE(std::fabs(share - 0.5) < 5 * std::sqrt(0.25 / arrived));
  // latency_ms covers the served requests only: their latency is their
  // duration, uniform on [400, 600] ms, so the median is 500 ms (within the
  // histogram's 0.4% precision and the sampling error of the median,
  // 1 / (2 f(m) sqrt(n)) = 100 ms / sqrt(n) for a uniform of width 200 ms).
  REQUIRE(metric(r, "workloads.w.latency_ms.count") == succeeded);
  const double median_se = 100.0 / std::sqrt(succeeded);
  REQUIRE(std::fabs(metric(r, "workloads.w.latency_ms.p50") - 500.0) < 5 * median_se + 0.004 * 500);
  REQUIRE(metric(r, "workloads.w.latency_ms.max") <= 600.0 * 1.004);
  REQUIRE(metric(r, "workloads.w.latency_ms.p50") >= 400.0);
  // The instant 429s are only in latency_failed_ms.
  REQUIRE(metric(r, "workloads.w.latency_failed_ms.count") == throttled);
  REQUIRE(metric(r, "workloads.w.latency_failed_ms.max") == 0);
  // With no messages, completion is the synchronous latency of the successes.
  REQUIRE(metric(r, "workloads.w.completion_ms.count") == succeeded);
  REQUIRE(metric(r, "workloads.w.completion_ms.p50") == metric(r, "workloads.w.latency_ms.p50"));
  REQUIRE(metric(r, "workloads.w.end_to_end.succeeded") == succeeded);
  REQUIRE(metric(r, "workloads.w.end_to_end.throttled") == throttled);
  REQUIRE(balanced(r));
}

TEST_CASE("outcomes: the served median equals the median of the served requests' own latencies", "[outcomes]") {
  // A dependency that rejects beyond 2 concurrent calls (M/M/2/2): an admitted
  // call's latency is its own service time, independent of being admitted, so
  // the served median is the exponential's, 300 ln 2 ms.
  const Json r = run_scenario_text(
      "name: partner\nduration: 2000s\nseed: 9\n"
      "workloads: [{name: w, target: partner, arrival: {process: poisson, rate: 10/s}}]\n"
      "services:\n"
      "  partner: {type: external, latency: {dist: exponential, mean: 300ms}, concurrency: 2}\n");
  const double served = metric(r, "workloads.w.succeeded");
  const double rejected = metric(r, "workloads.w.throttled");
  // Erlang-B: c = 2, A = 3.
  const double blocking = erlang_b(2, 3.0);
  const double arrived = metric(r, "workloads.w.arrived");
  REQUIRE(std::fabs(rejected / arrived - blocking) < 5 * std::sqrt(blocking * (1 - blocking) / arrived));
  const double median = 300.0 * std::log(2.0);
  // Sampling error of an exponential median: 1 / (2 f(m) sqrt(n)) with f(m) = 1 / (2 x 300 ms).
  const double se = 300.0 / std::sqrt(served);
  REQUIRE(std::fabs(metric(r, "workloads.w.latency_ms.p50") - median) < 5 * se + 0.004 * median);
  REQUIRE(metric(r, "workloads.w.latency_failed_ms.count") == rejected);
  REQUIRE(metric(r, "workloads.w.latency_failed_ms.p99") == 0);
}

TEST_CASE("outcomes: completion of SQS -> Lambda work matches its closed form", "[outcomes][sqs]") {
  // Poisson sends at rate L into a queue whose consumer waits W = 2 s to fill a
  // batch (batch_size 100 is never reached here) and runs 100 ms per record.
  // The first message of a batch opens the window and waits W; the K others
  // (Poisson with mean L W) arrive uniformly within it and wait W/2 on average;
  // the batch of n = 1 + K records then runs d n. The mean completion over
  // messages is E[sum per batch] / E[n]:
  //   (W + L W^2 / 2 + d E[n^2]) / E[n],  E[n] = 1 + L W,  E[n^2] = L W + (1 + L W)^2.
  const double rate = 1.0, window = 2.0, d = 0.1;
  const double lw = rate * window;
  const double expected_s = (window + rate * window * window / 2 + d * (lw + (1 + lw) * (1 + lw))) / (1 + lw);
  std::vector<double> means;
  for (std::uint64_t rep = 0; rep < 8; ++rep) {
    const Json r = run_scenario_text(
        "name: batches\nduration: 4000s\nseed: 4\n"
        "workloads: [{name: w, target: jobs, op: send, arrival: {process: poisson, rate: 1/s}}]\n"
        "services:\n"
        "  jobs: {type: sqs, visibility_timeout: 60s,\n"
        "         consumer: {function: worker, batch_size: 100, batch_window: 2s}}\n"
        "  worker: {type: lambda, duration: 100ms, cold_start: 0ms, timeout: 20s}\n",
        rep);
    REQUIRE(balanced(r));
    REQUIRE(metric(r, "services.jobs.deleted") > 0.99 * metric(r, "workloads.w.arrived"));
    // The send is acknowledged at once; the work completes seconds later.
    REQUIRE(metric(r, "workloads.w.latency_ms.p99") < 100);
    means.push_back(metric(r, "workloads.w.completion_ms.mean") / 1000.0);
  }
  const Interval ci = t_interval(means);
  INFO(fmt::format("completion: closed form {:.4f} s, simulated {:.4f} +- {:.4f} s", expected_s, ci.mean,
                   ci.half_width));
  REQUIRE(std::fabs(ci.mean - expected_s) < ci.half_width);
  REQUIRE(ci.half_width < 0.02 * expected_s);  // the test has the power to see a 2% error
}

TEST_CASE("outcomes: a message that reaches a DLQ ends its request as dead-lettered", "[outcomes][sqs]") {
  // A consumer that always fails: every message is received max_receive_count
  // times and then moved to a DLQ that nobody consumes (the usual set-up).
  const Json r = run_scenario_text(
      "name: dlq\nduration: 600s\nseed: 2\n"
      "workloads: [{name: w, target: jobs, op: send, arrival: {process: poisson, "
      "schedule: [{at: 0s, rate: 2/s}, {at: 300s, rate: 0/s}]}}]\n"
      "services:\n"
      "  jobs: {type: sqs, visibility_timeout: 10s, max_receive_count: 3, dlq: jobs_dlq,\n"
      "         consumer: {function: worker, batch_size: 1}}\n"
      "  jobs_dlq: {type: sqs, retention: 14d}\n"
      "  worker: {type: lambda, duration: 50ms, cold_start: 0ms, timeout: 5s, errors: 1}\n");
  const double arrived = metric(r, "workloads.w.arrived");
  const double dlq_received = metric(r, "services.jobs_dlq.sent");
  REQUIRE(arrived > 500);
  // Every request's only message went to the DLQ (3 receives x 10 s each, well
  // within the run): dead-lettered requests = messages the DLQ received.
  REQUIRE(dlq_received == arrived);
  REQUIRE(metric(r, "accounting.dead_lettered") == dlq_received);
  REQUIRE(metric(r, "workloads.w.end_to_end.dead_lettered") == dlq_received);
  REQUIRE(metric(r, "accounting.in_flight") == 0);
  REQUIRE(metric(r, "accounting.messages.in_flight") == 0);
  REQUIRE(metric(r, "accounting.messages.dead_lettered") == dlq_received);
  // The messages wait in the DLQ: its depth, not work in flight.
  REQUIRE(metric(r, "services.jobs_dlq.depth.final") == dlq_received);
  // The synchronous answer (the send's acknowledgement) succeeded for all.
  REQUIRE(metric(r, "workloads.w.succeeded") == arrived);
  REQUIRE(metric(r, "workloads.w.completion_ms.count") == 0);
  REQUIRE(balanced(r));
}

TEST_CASE("outcomes: end_to_end tells asynchronous failures the first hop's reply hides", "[outcomes][s3]") {
  // S3 -> a thumbnail function that always fails: the PUTs succeed, the
  // asynchronous invocations are retried twice (about 1 and 2 min later) and
  // dropped. Arrivals stop at 300 s, the run ends at 900 s: every request ended.
  const Json r = run_scenario_text(
      "name: thumbs\nduration: 900s\nseed: 6\n"
      "workloads: [{name: uploads, target: photos, op: put, arrival: {process: poisson, "
      "schedule: [{at: 0s, rate: 1/s}, {at: 300s, rate: 0/s}]}}]\n"
      "services:\n"
      "  photos: {type: s3, notifications: [{function: thumbnail}]}\n"
      "  thumbnail: {type: lambda, duration: 200ms, cold_start: 0ms, errors: 1}\n");
  const double arrived = metric(r, "workloads.uploads.arrived");
  REQUIRE(metric(r, "workloads.uploads.succeeded") == arrived);  // the PUT acknowledgements
  REQUIRE(metric(r, "workloads.uploads.end_to_end.dropped") == arrived);
  REQUIRE(metric(r, "workloads.uploads.end_to_end.succeeded") == 0);
  REQUIRE(metric(r, "workloads.uploads.end_to_end.in_flight") == 0);
  REQUIRE(metric(r, "workloads.uploads.completion_ms.count") == 0);
  REQUIRE(metric(r, "services.thumbnail.invocations") == 3 * arrived);
  REQUIRE(balanced(r));
}
