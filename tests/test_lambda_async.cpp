// Lambda asynchronous invocation: retries after function errors, throttle
// backoff until the maximum event age, on-failure destinations, accounting.
#include <fmt/format.h>

#include <catch2/catch.hpp>

#include "support.hpp"

using namespace slsim;
using namespace slsim::testing;

namespace {

std::string async_scenario(double p, const std::string& extra_fn = "", const std::string& extra_services = "") {
  return fmt::format(
      "name: async\nduration: 20000s\nwarmup: 100s\nseed: 9\n"
      "workloads: [{{name: w, target: fn, invoke: async, arrival: {{process: poisson, rate: 2/s}}}}]\n"
      "services:\n"
      "  fn: {{type: lambda, duration: 100ms, cold_start: 0ms, errors: {}, async: {{max_retry_attempts: 2{}}}}}\n{}",
      p, extra_fn, extra_services);
}

}  // namespace

TEST_CASE("lambda async: retried twice the failed fraction is p^3 and retries per event are p + p^2", "[lambda][async]") {
  for (const double p : {0.3, 0.6}) {
    const Json r = run_scenario_text(async_scenario(p));
    REQUIRE(r.find_path("accounting.balanced")->as_bool());
    // Events accepted long enough before the end to have finished all three attempts
    // (the last starts 3 min after the first) dominate: compare fractions of settled events.
    const double queued = metric(r, "services.fn.async.queued");
    const double dropped = metric(r, "services.fn.async.dropped");
    const double retries = metric(r, "services.fn.async.retries");
    const double in_flight = metric(r, "accounting.messages.in_flight");
    const double settled = queued - in_flight;
    INFO(fmt::format("p={} queued={} dropped={} retries={} in flight={}", p, queued, dropped, retries, in_flight));
    // Each event is dropped with probability p^3 independently: 5 binomial standard errors.
    const double q = p * p * p;
    REQUIRE(std::fabs(dropped / settled - q) < 5 * std::sqrt(q * (1 - q) / settled));
    // Retries per event: 1 with probability p(1-p), 2 with probability p^2: mean p + p^2,
    // variance E[X^2] - mean^2 = p(1-p) + 4p^2 - (p + p^2)^2; in-flight events add at most 2 each.
    const double mean = p + p * p, var = p * (1 - p) + 4 * p * p - mean * mean;
    REQUIRE(std::fabs(retries / queued - mean) < 5 * std::sqrt(var / queued) + 2 * in_flight / queued);
    // Messages end as processed or dropped; none is lost.
    // Messages end as processed or dropped; none is lost (accounting counts the
    // events accepted after warm-up; the service counters count what happened after it).
    REQUIRE(metric(r, "accounting.messages.processed") + metric(r, "accounting.messages.dropped") + in_flight ==
            metric(r, "accounting.messages.sent"));
    REQUIRE(metric(r, "accounting.dropped") == metric(r, "accounting.messages.dropped"));
    REQUIRE(r.find_path("accounting.balanced")->as_bool());
  }
}

TEST_CASE("lambda async: the first retry comes about 1 min after the failure and the second 2 min later", "[lambda][async]") {
  const Json r = run_scenario_text(
      "name: timing\nduration: 600s\nseed: 1\n"
      "workloads: [{name: w, target: fn, invoke: async, arrival: {process: burst, at: 10s, count: 1}}]\n"
      "services:\n  fn: {type: lambda, duration: 1s, cold_start: 0ms, errors: 1}\n");
  // Attempts at 10 s, 71 s, 192 s (each lasts 1 s): 3 invocations, 2 retries, then dropped.
  REQUIRE(metric(r, "services.fn.invocations") == 3);
  REQUIRE(metric(r, "services.fn.async.retries") == 2);
  REQUIRE(metric(r, "services.fn.async.dropped") == 1);
  REQUIRE(metric(r, "accounting.dropped") == 1);
  const Json early = run_scenario_text(
      "name: timing\nduration: 191s\nseed: 1\n"
      "workloads: [{name: w, target: fn, invoke: async, arrival: {process: burst, at: 10s, count: 1}}]\n"
      "services:\n  fn: {type: lambda, duration: 1s, cold_start: 0ms, errors: 1}\n");
  REQUIRE(metric(early, "services.fn.invocations") == 2);  // the third attempt starts at 192 s
  REQUIRE(metric(early, "accounting.in_flight") == 1);
}

TEST_CASE("lambda async: throttled events wait with backoff and succeed later", "[lambda][async]") {
  // 500 events at once on a function limited to 10 at a time: synchronous callers would
  // see 490 429s; asynchronous events are retried (1 s, 2 s, 4 s ... backoff) and all succeed.
  const Json r = run_scenario_text(
      "name: throttled-async\nduration: 3600s\nseed: 2\n"
      "workloads: [{name: w, target: fn, invoke: async, arrival: {process: burst, at: 1s, count: 500}}]\n"
      "services:\n  fn: {type: lambda, duration: 1s, cold_start: 0ms, reserved_concurrency: 10}\n");
  REQUIRE(metric(r, "services.fn.async.throttles") > 0);
  REQUIRE(metric(r, "services.fn.invocations") == 500);
  REQUIRE(metric(r, "accounting.succeeded") == 500);
  REQUIRE(metric(r, "services.fn.concurrency.max") == 10);
  REQUIRE(r.find_path("accounting.balanced")->as_bool());
}

TEST_CASE("lambda async: events older than max_event_age expire", "[lambda][async]") {
  const Json r = run_scenario_text(
      "name: age\nduration: 3600s\nseed: 2\n"
      "workloads: [{name: w, target: fn, invoke: async, arrival: {process: burst, at: 1s, count: 100}}]\n"
      "services:\n  fn: {type: lambda, duration: 1s, cold_start: 0ms, reserved_concurrency: 0, "
      "async: {max_event_age: 60s}}\n");
  REQUIRE(metric(r, "services.fn.invocations") == 0);
  REQUIRE(metric(r, "services.fn.async.expired") == 100);
  REQUIRE(metric(r, "accounting.expired") == 100);
  REQUIRE(metric(r, "accounting.messages.expired") == 100);
}

TEST_CASE("lambda async: what finally fails goes to the on-failure function", "[lambda][async]") {
  const Json r = run_scenario_text(
      "name: on-failure\nduration: 4000s\nseed: 4\n"
      "workloads: [{name: w, target: fn, invoke: async, arrival: {process: constant, rate: 1/s}}]\n"
      "services:\n"
      "  fn: {type: lambda, duration: 10ms, cold_start: 0ms, errors: 1, async: {max_retry_attempts: 0, on_failure: audit}}\n"
      "  audit: {type: lambda, duration: 10ms, cold_start: 0ms}\n");
  const double failed = metric(r, "services.fn.async.to_on_failure");
  REQUIRE(failed >= 3999);
  REQUIRE(metric(r, "services.audit.async.queued") == failed);
  REQUIRE(metric(r, "accounting.dead_lettered") == failed);
  REQUIRE(r.find_path("accounting.balanced")->as_bool());
}

TEST_CASE("lambda async: a function that invokes itself is stopped after 16 invocations", "[lambda][async][recursion]") {
  const std::string loop =
      "name: loop\nduration: 60s\nseed: 1\n"
      "workloads: [{name: w, target: fn, invoke: async, arrival: {process: burst, at: 1s, count: 1}}]\n"
      "services:\n  fn: {type: lambda, duration: 10ms, cold_start: 0ms, calls: [{to: fn, op: invoke_async}]";
  const Json stopped = run_scenario_text(loop + "}\n");
  REQUIRE(metric(stopped, "services.fn.invocations") == 16);
  REQUIRE(metric(stopped, "services.fn.recursive_loops") == 1);
  REQUIRE(metric(stopped, "accounting.dropped") == 1);  // the request's worst fate
  REQUIRE(metric(stopped, "accounting.messages.processed") == 16);
  REQUIRE(stopped.find_path("accounting.balanced")->as_bool());
  // recursive_loop: allow lets it run on: one invocation every ~10 ms for the minute.
  const Json allowed = run_scenario_text(loop + ", recursive_loop: allow}\n");
  REQUIRE(metric(allowed, "services.fn.invocations") > 1000);
  REQUIRE(metric(allowed, "services.fn.recursive_loops") == 0);
}
