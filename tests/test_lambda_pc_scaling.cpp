// Lambda provisioned concurrency auto scaling (provisioned_scaling): alarm
// timing, allocation delay, scheduled actions, cooldowns, exact billing of a
// time-varying allocation, and the load-time checks. Deterministic workloads
// (constant arrivals, constant durations) give exact figures.
#include <cmath>
#include <string>

#include <catch2/catch.hpp>

#include "sim/analysis/analytic.hpp"
#include "checks.hpp"
#include "estimates.hpp"
#include "support.hpp"

using namespace slsim;
using namespace slsim::testing;

namespace {

constexpr double kPcPrice = 0.0000041667;  // x86_64, per GB-s allocated (docs/model-assumptions.md §1.5)

}  // namespace

TEST_CASE("pc scaling: a load step grows the allocation after out_datapoints periods plus the allocation delay",
          "[lambda][pc_scaling]") {
  // 10/s of 60 ms keeps one of the 2 environments busy 60% of the time (0.3 < 0.63:
  // the low alarm, held at min 2). At 600 s the load goes to 40/s (2.4 busy):
  // the datapoints at 660, 720 and 780 s are above 0.7, so the configuration is
  // 3 from 780 s (billed), usable from 780 + 90 = 870 s.
  const Json r = run_scenario_text(
      "name: step\nduration: 1200s\nseed: 1\n"
      "workloads: [{name: w, target: fn, arrival: {process: constant, schedule: [{at: 0s, rate: 10/s}, {at: 600s, rate: 40/s}]}}]\n"
      "services:\n"
      "  fn: {type: lambda, memory: 1024MB, duration: 60ms, cold_start: 0ms, provisioned_concurrency: 2,\n"
      "       provisioned_scaling: {min: 2, max: 3, allocation_delay: 90s}}\n");
  REQUIRE(balanced(r));
  CHECK(metric(r, "services.fn.provisioned.allocated_mean") == Approx((2 * 780.0 + 3 * 420.0) / 1200).epsilon(1e-12));
  CHECK(metric(r, "services.fn.provisioned.ready_mean") == Approx((2 * 870.0 + 3 * 330.0) / 1200).epsilon(1e-12));
  CHECK(metric(r, "services.fn.provisioned.allocated_min") == 2);
  CHECK(metric(r, "services.fn.provisioned.allocated_max") == 3);
  CHECK(metric(r, "services.fn.provisioned.scale_outs") == 1);
  CHECK(metric(r, "services.fn.provisioned.scale_ins") == 0);
  // The whole load beyond the provisioned environments spilled over to on-demand.
  CHECK(metric(r, "services.fn.provisioned.spillover_invocations") ==
        metric(r, "services.fn.invocations") - metric(r, "services.fn.provisioned_invocations"));
  CHECK(metric(r, "services.fn.provisioned.spillover_invocations") > 0);
  // The allocated timeline: minute steps, 2 up to 13 min, then 3.
  const Json* steps = r.find_path("services.fn.provisioned.timeline.allocated");
  REQUIRE(steps != nullptr);
  REQUIRE(steps->elements().size() == 20);
  CHECK(steps->elements()[12].as_double() == 2);
  CHECK(steps->elements()[13].as_double() == 3);
  // Billed from the configuration, 1 GB: 2 x 780 + 3 x 420 GB-s.
  CHECK(cost_field(r, "fn", "provisioned concurrency", "quantity") == Approx(2820.0).epsilon(1e-12));
  CHECK(cost_field(r, "fn", "provisioned concurrency", "usd") == Approx(2820.0 * kPcPrice).epsilon(1e-12));
}

TEST_CASE("pc scaling: scheduled actions set the allocation at their time, whatever the cooldowns",
          "[lambda][pc_scaling][cost]") {
  // 40/s of 60 ms on 1 environment: a scale-out to 2 at 180 s (usable at 210 s);
  // the 1 h scale-out cooldown then holds the policy back although it stays above
  // target. The actions set 5 at 600 s (usable at 630 s) and 2 at 1200 s (at once).
  const Json r = run_scenario_text(
      "name: scheduled\nduration: 1800s\nseed: 1\n"
      "workloads: [{name: w, target: fn, arrival: {process: constant, schedule: [{at: 0s, rate: 40/s}, {at: 300s, rate: 1/s}]}}]\n"
      "services:\n"
      "  fn:\n    type: lambda\n    memory: 2048MB\n    duration: 60ms\n    cold_start: 0ms\n"
      "    provisioned_concurrency: 1\n"
      "    provisioned_scaling:\n      min: 1\n      max: 10\n      scale_out_cooldown: 1h\n      scale_in_cooldown: 1h\n"
      "      allocation_delay: 30s\n"
      "      schedule:\n"
      "        - {expression: \"at(2026-01-05T00:10:00)\", min: 5, max: 5}\n"
      "        - {expression: \"at(2026-01-05T00:20:00)\", min: 2, max: 2}\n");
  REQUIRE(balanced(r));
  const double allocated_s = 1 * 180.0 + 2 * 420.0 + 5 * 600.0 + 2 * 600.0;  // 5220 environment-seconds
  CHECK(metric(r, "services.fn.provisioned.allocated_mean") == Approx(allocated_s / 1800).epsilon(1e-12));
  CHECK(metric(r, "services.fn.provisioned.ready_mean") ==
        Approx((1 * 210.0 + 2 * 420.0 + 5 * 570.0 + 2 * 600.0) / 1800).epsilon(1e-12));
  CHECK(metric(r, "services.fn.provisioned.scheduled_actions") == 2);
  CHECK(metric(r, "services.fn.provisioned.scale_outs") == 1);
  CHECK(metric(r, "services.fn.provisioned.scale_ins") == 0);
  CHECK(metric(r, "services.fn.provisioned.allocated_max") == 5);
  CHECK(metric(r, "services.fn.provisioned.allocated_final") == 2);
  // The cost of the time-varying allocation is its integral: 2 GB x 5220 s.
  CHECK(cost_field(r, "fn", "provisioned concurrency", "quantity") == Approx(2 * allocated_s).epsilon(1e-12));
  CHECK(cost_field(r, "fn", "provisioned concurrency", "usd") == Approx(2 * allocated_s * kPcPrice).epsilon(1e-12));
}

TEST_CASE("pc scaling: a scale-in waits scale_in_cooldown after the last scaling", "[lambda][pc_scaling]") {
  // One minute of 40/s of 60 ms on 1 environment: the datapoint at 60 s scales
  // out to 2 (max). Then no load: a datapoint below target at every minute, but
  // the scale-in waits 10 min after the scale-out (at 660 s); without a cooldown
  // it comes at the next datapoint (120 s).
  const auto run = [](const std::string& cooldown) {
    return run_scenario_text(
        "name: cooldown\nduration: 900s\nseed: 1\n"
        "workloads: [{name: w, target: fn, arrival: {process: constant, schedule: [{at: 0s, rate: 40/s}, {at: 60s, rate: 0/s}]}}]\n"
        "services:\n"
        "  fn: {type: lambda, memory: 1024MB, duration: 60ms, cold_start: 0ms, provisioned_concurrency: 1,\n"
        "       provisioned_scaling: {min: 1, max: 2, out_datapoints: 1, in_datapoints: 1, allocation_delay: 0s,\n"
        "                             scale_in_cooldown: " +
        cooldown + "}}\n");
  };
  const Json held = run("10min");
  CHECK(metric(held, "services.fn.provisioned.allocated_mean") == Approx((60.0 + 2 * 600.0 + 240.0) / 900).epsilon(1e-12));
  CHECK(metric(held, "services.fn.provisioned.scale_outs") == 1);
  CHECK(metric(held, "services.fn.provisioned.scale_ins") == 1);
  const Json free = run("0s");
  CHECK(metric(free, "services.fn.provisioned.allocated_mean") == Approx((60.0 + 2 * 60.0 + 780.0) / 900).epsilon(1e-12));
  CHECK(metric(free, "services.fn.provisioned.scale_ins") == 1);
}

TEST_CASE("pc scaling: a pinned scaling record bills and serves like the fixed provisioned_concurrency",
          "[lambda][pc_scaling][cost]") {
  const std::string base =
      "name: fixed\nduration: 1000s\nseed: 3\n"
      "workloads: [{name: w, target: fn, arrival: {process: poisson, rate: 30/s}}]\n"
      "services:\n"
      "  fn: {type: lambda, memory: 2048MB, duration: {dist: exponential, mean: 200ms}, provisioned_concurrency: 5";
  const Json fixed = run_scenario_text(base + "}\n");
  const Json pinned = run_scenario_text(base + ", provisioned_scaling: {min: 5, max: 5}}\n");
  for (const char* path : {"services.fn.invocations", "services.fn.cold_starts", "services.fn.provisioned_invocations",
                           "services.fn.throttles", "services.fn.billed_gb_s", "cost.total_usd"})
    CHECK(metric(pinned, path) == Approx(metric(fixed, path)).epsilon(1e-12));
  CHECK(fixed.find_path("services.fn.provisioned") == nullptr);
  CHECK(metric(pinned, "services.fn.provisioned.allocated_mean") == 5);
}

TEST_CASE("pc scaling: bad inputs are refused with their place and reason", "[lambda][pc_scaling][loader]") {
  const std::string text =
      "name: t\nduration: 1s\n"
      "workloads: [{name: w, target: a, arrival: {process: constant, rate: 1/s}}]\n"
      "services:\n"
      "  a:\n    type: lambda\n    duration: 1ms\n    reserved_concurrency: 50\n    provisioned_concurrency: 60\n"
      "    provisioned_scaling:\n      min: 10\n      max: 5\n"
      "      schedule:\n"
      "        - {expression: \"cron(0 8 * * * *)\"}\n"
      "        - {expression: \"at(2026-01-05T08:00:00)\", min: 9, max: 4}\n"
      "        - {expression: \"rate(1 hour)\", max: 80}\n"
      "  b:\n    type: lambda\n    duration: 1ms\n    snapstart: {restore: 100ms}\n"
      "    provisioned_scaling: {max: 10, start: 2026-01-05T00:00:00}\n";
  CHECK(load_error(text) ==
        "t.yaml:9:30: error: services.a.provisioned_concurrency: provisioned concurrency 60 exceeds the reserved "
        "concurrency 50\n"
        "t.yaml:11:12: error: services.a.provisioned_scaling.min: provisioned_scaling min (10) is above its max (5)\n"
        "t.yaml:14:11: error: services.a.provisioned_scaling.schedule.0: a scheduled action needs 'min', 'max' or both\n"
        "    hint: e.g. {expression: \"cron(0 8 ? * MON-FRI *)\", min: 10, max: 10}\n"
        "t.yaml:14:38: error: services.a.provisioned_scaling.schedule.0.expression: cron(...): day-of-month '*' and "
        "day-of-week '*' cannot both be given: one of them must be '?'\n"
        "    hint: e.g. cron(0 2 * * ? *) every day, cron(0 9 ? * MON-FRI *) on weekdays, cron(0 8 1 * ? *) on the "
        "first of the month\n"
        "t.yaml:15:56: error: services.a.provisioned_scaling.schedule.1.min: scheduled action min (9) is above its max "
        "(4)\n"
        "t.yaml:16:45: error: services.a.provisioned_scaling.schedule.2.max: scheduled max 80 exceeds the reserved "
        "concurrency 50\n"
        "    hint: provisioned concurrency is carved from the function's reserved concurrency\n"
        "t.yaml:20:16: error: services.b.snapstart: SnapStart cannot be combined with provisioned concurrency\n"
        "t.yaml:21:43: error: services.b.provisioned_scaling.start: expected a UTC date and time from 1970 to 2199 like "
        "2026-01-05T00:00:00Z, found '2026-01-05T00:00:00'\n"
        "    hint: schedules run in UTC: end the time with Z, e.g. 2026-01-05T00:00:00Z\n");
  // The initial allocation must lie within the bounds; AWS spellings get a hint.
  CHECK(load_error("name: t\nduration: 1s\n"
                   "workloads: [{name: w, target: a, arrival: {process: constant, rate: 1/s}}]\n"
                   "services:\n"
                   "  a: {type: lambda, duration: 1ms, provisioned_concurrency: 20, provisioned_scaling: {min: 1, max: 10}}\n"
                   "  b: {type: lambda, duration: 1ms, provisioned_scaling: {MaxCapacity: 10, max: 10}}\n") ==
        "t.yaml:5:61: error: services.a.provisioned_concurrency: provisioned concurrency 20 is outside "
        "provisioned_scaling's min 1 and max 10\n"
        "    hint: provisioned_concurrency is the allocation at the start: leave it out to start at min\n"
        "t.yaml:6:58: error: services.b.provisioned_scaling.MaxCapacity: unknown key 'MaxCapacity'\n"
        "    hint: write 'max', e.g. max: 100\n");
}

TEST_CASE("pc scaling: the analytic estimate is the allocation the target implies", "[lambda][pc_scaling][analyze]") {
  // 50/s x 200 ms = 10 erlangs: ceil(10 / 0.7) = 15 environments, ceil(10 / 0.5) = 20, or the max.
  const auto implied = [](const std::string& scaling) {
    const AnalyticResult a = estimate_scenario(load_scenario_text(
        "name: t\nduration: 1h\n"
        "workloads: [{name: w, target: fn, arrival: {process: poisson, rate: 50/s}}]\n"
        "services:\n  fn: {type: lambda, memory: 1024MB, duration: 200ms, provisioned_scaling: " +
            scaling + "}\n",
        "t.yaml", builtin_services()));
    return estimate(a, "fn", "provisioned.allocated_mean");
  };
  CHECK(implied("{max: 100}") == 15);
  CHECK(implied("{max: 100, target_utilization: 0.5}") == 20);
  CHECK(implied("{max: 12}") == 12);
  CHECK(implied("{min: 30, max: 100}") == 30);
  CHECK(std::isnan(implied("{max: 100, target_tracking: false}")));
}

TEST_CASE("pc scaling: an unreserved function's allocation leaves the account's unreserved minimum",
          "[lambda][pc_scaling]") {
  // Account 150, 100 kept unreserved: a function without a reservation can hold
  // at most 50 provisioned; the scheduled 80 is cut to 50.
  const Json r = run_scenario_text(
      "name: account\nduration: 10min\nseed: 1\naccount: {lambda_concurrency: 150}\n"
      "workloads: [{name: w, target: fn, arrival: {process: constant, rate: 1/s}}]\n"
      "services:\n"
      "  fn: {type: lambda, duration: 10ms, provisioned_concurrency: 1,\n"
      "       provisioned_scaling: {min: 1, max: 100, target_tracking: false, allocation_delay: 0s,\n"
      "                             schedule: [{expression: \"at(2026-01-05T00:05:00)\", min: 80, max: 80}]}}\n");
  CHECK(metric(r, "services.fn.provisioned.allocated_max") == 50);
  CHECK(metric(r, "services.fn.provisioned.allocated_mean") == Approx((1 * 300.0 + 50 * 300.0) / 600).epsilon(1e-12));
}

TEST_CASE("pc scaling: a scale-in removes busy environments only when their invocation ends", "[lambda][pc_scaling]") {
  // 3 provisioned environments in a reservation of 3, all busy for 100 s from 0 s.
  // At 10 s an action sets 1: allocation and billing drop at once, but the two
  // busy environments stay (and keep their share of the reservation) until 100 s,
  // so the 2 requests at 20 s are throttled. At 150 s, one request takes the
  // remaining provisioned environment and the other a new on-demand one.
  const Json r = run_scenario_text(
      "name: scale-in\nduration: 300s\nseed: 1\n"
      "workloads:\n"
      "  - {name: first, target: fn, arrival: {process: burst, at: 0s, count: 3}}\n"
      "  - {name: blocked, target: fn, arrival: {process: burst, at: 20s, count: 2}}\n"
      "  - {name: later, target: fn, arrival: {process: burst, at: 150s, count: 2}}\n"
      "services:\n"
      "  fn: {type: lambda, duration: 100s, timeout: 900s, cold_start: 0ms, idle_timeout: 1h, reserved_concurrency: 3,\n"
      "       provisioned_concurrency: 3,\n"
      "       provisioned_scaling: {max: 3, target_tracking: false,\n"
      "                             schedule: [{expression: \"at(2026-01-05T00:00:10)\", min: 1, max: 1}]}}\n");
  CHECK(metric(r, "services.fn.throttles") == 2);
  CHECK(metric(r, "workloads.blocked.throttled") == 2);
  CHECK(metric(r, "services.fn.cold_starts") == 1);
  CHECK(metric(r, "services.fn.provisioned.allocated_mean") == Approx((3 * 10.0 + 1 * 290.0) / 300).epsilon(1e-12));
  CHECK(metric(r, "services.fn.provisioned.ready_mean") == Approx((3 * 10.0 + 1 * 290.0) / 300).epsilon(1e-12));
  // Environments: 3 until 100 s, 1 until 150 s, then 2 (one provisioned, one on demand).
  CHECK(metric(r, "services.fn.environments.mean") == Approx((3 * 100.0 + 1 * 50.0 + 2 * 150.0) / 300).epsilon(1e-12));
}

TEST_CASE("pc scaling: after the delay, allocation_burst environments at once, then allocation_rate",
          "[lambda][pc_scaling]") {
  // 1 -> 6 at 60 s, delay 10 s, burst 2, 1 a second: usable 3 at 70 s, 4, 5, then 6 at 73 s.
  const Json r = run_scenario_text(
      "name: rate\nduration: 300s\nseed: 1\n"
      "workloads: [{name: w, target: fn, arrival: {process: constant, rate: 1/s}}]\n"
      "services:\n"
      "  fn: {type: lambda, duration: 10ms, provisioned_concurrency: 1,\n"
      "       provisioned_scaling: {max: 10, target_tracking: false, allocation_delay: 10s, allocation_burst: 2,\n"
      "                             allocation_rate: 60/min,\n"
      "                             schedule: [{expression: \"at(2026-01-05T00:01:00)\", min: 6, max: 6}]}}\n");
  CHECK(metric(r, "services.fn.provisioned.allocated_mean") == Approx((1 * 60.0 + 6 * 240.0) / 300).epsilon(1e-12));
  CHECK(metric(r, "services.fn.provisioned.ready_mean") ==
        Approx((1 * 70.0 + 3 + 4 + 5 + 6 * 227.0) / 300).epsilon(1e-12));
}
