// Lambda: closed forms and published references through the whole path.
// Statistical cases use independent replications and a 99.9% Student-t
// interval (see support.hpp), and require the interval to be narrow.
#include <fmt/format.h>

#include <catch2/catch.hpp>

#include "support.hpp"

using namespace slsim;
using namespace slsim::testing;

namespace {

std::string function_scenario(double rate, int reserved, const std::string& duration, const std::string& extra = "") {
  return fmt::format(
      "name: lambda-erlang\nduration: 2000s\nwarmup: 100s\nseed: 4\n"
      "workloads: [{{name: w, target: fn, arrival: {{process: poisson, rate: {}/s}}}}]\n"
      "services:\n"
      "  fn:\n    type: lambda\n    duration: {}\n    cold_start: 0ms\n    idle_timeout: 3650d\n"
      "    timeout: 900s\n    reserved_concurrency: {}\n{}",
      rate, duration, reserved, extra);
}

void check_erlang_b(double rate, int servers, const std::string& duration) {
  const double expected = erlang_b(servers, rate);  // mean duration 1 s: A = rate
  std::vector<double> blocked, busy;
  for (std::uint64_t rep = 0; rep < 8; ++rep) {
    const Json r = run_scenario_text(function_scenario(rate, servers, duration), rep);
    REQUIRE(r.find_path("accounting.balanced")->as_bool());
    blocked.push_back(metric(r, "services.fn.throttles") / metric(r, "workloads.w.arrived"));
    busy.push_back(metric(r, "services.fn.concurrency.mean"));
  }
  const Interval b = t_interval(blocked);
  INFO(fmt::format("c={} A={}: B={:.5f}, simulated {:.5f} +- {:.5f}", servers, rate, expected, b.mean, b.half_width));
  REQUIRE(b.half_width < 0.1 * expected + 0.005);
  REQUIRE(std::fabs(b.mean - expected) <= b.half_width);
  // Little's law: mean concurrency = accepted rate x mean invocation time.
  const Interval l = t_interval(busy);
  REQUIRE(std::fabs(l.mean - rate * (1 - expected)) <= l.half_width);
}

}  // namespace

TEST_CASE("lambda: Erlang-B through reserved concurrency c=10 A=8 exponential", "[lambda][erlang]") {
  check_erlang_b(8, 10, "{dist: exponential, mean: 1s}");
}

TEST_CASE("lambda: Erlang-B through reserved concurrency c=30 A=25 exponential", "[lambda][erlang]") {
  check_erlang_b(25, 30, "{dist: exponential, mean: 1s}");
}

TEST_CASE("lambda: Erlang-B is insensitive to the duration distribution (lognormal cv 2)", "[lambda][erlang]") {
  check_erlang_b(8, 10, "{dist: lognormal, mean: 1s, cv: 2}");
  check_erlang_b(25, 30, "{dist: lognormal, mean: 1s, cv: 2}");
}

TEST_CASE("lambda: Little's law with cold starts counted in the invocation time", "[lambda]") {
  // No throttling; every invocation lasts duration + (init if cold). L = lambda x E[T].
  std::vector<double> busy, expected;
  for (std::uint64_t rep = 0; rep < 8; ++rep) {
    const Json r = run_scenario_text(
        "name: little\nduration: 2000s\nwarmup: 100s\nseed: 8\n"
        "workloads: [{name: w, target: fn, arrival: {process: poisson, rate: 5/s}}]\n"
        "services:\n  fn: {type: lambda, duration: {dist: gamma, mean: 400ms, cv: 1.5}, "
        "cold_start: {dist: exponential, mean: 500ms}, idle_timeout: 20s}\n",
        rep);
    REQUIRE(metric(r, "services.fn.throttles") == 0);
    const double invocations = metric(r, "services.fn.invocations");
    const double colds = metric(r, "services.fn.cold_starts");
    busy.push_back(metric(r, "services.fn.concurrency.mean"));
    // Expected from the run's own cold fraction: 5/s x (0.4 s + P(cold) x 0.5 s).
    expected.push_back(5.0 * (0.4 + colds / invocations * 0.5));
  }
  const Interval l = t_interval(busy);
  const Interval e = t_interval(expected);
  REQUIRE(l.half_width < 0.04 * l.mean);
  REQUIRE(std::fabs(l.mean - e.mean) <= l.half_width + e.half_width);
}

TEST_CASE("lambda: keep-alive matches the SimFaaS reference", "[lambda][simfaas]") {
  // SimFaaS (Mahmoudi & Khazaei): 0.9 req/s, warm 1.991 s, cold 2.244 s on average,
  // 600 s expiration, newest-first routing: P(cold) ~ 0.0014, mean instances ~ 7.7.
  std::vector<double> cold_fraction, environments;
  for (std::uint64_t rep = 0; rep < 8; ++rep) {
    const Json r = run_scenario_text(
        "name: simfaas\nduration: 250000s\nwarmup: 2000s\nseed: 1\n"
        "workloads: [{name: w, target: fn, arrival: {process: poisson, rate: 0.9/s}}]\n"
        "services:\n  fn: {type: lambda, duration: {dist: exponential, mean: 1.991s}, "
        "cold_start: {dist: exponential, mean: 253ms}, idle_timeout: 600s, warm_selection: newest, timeout: 900s}\n",
        rep);
    cold_fraction.push_back(metric(r, "services.fn.cold_starts") / metric(r, "services.fn.invocations"));
    environments.push_back(metric(r, "services.fn.environments.mean"));
  }
  const Interval c = t_interval(cold_fraction);
  const Interval n = t_interval(environments);
  INFO(fmt::format("P(cold) {:.5f} +- {:.5f}; environments {:.3f} +- {:.3f}", c.mean, c.half_width, n.mean, n.half_width));
  // The reference figures are themselves estimates quoted to two digits: allow that rounding
  // (+-0.00005, +-0.05) on top of our sampling interval.
  REQUIRE(std::fabs(c.mean - 0.0014) <= c.half_width + 0.00005 + 0.0001);
  REQUIRE(std::fabs(n.mean - 7.7) <= n.half_width + 0.05 + 0.1);
}

TEST_CASE("lambda: per-function scaling adds at most 1000 environments per 10 s", "[lambda][scaling]") {
  // A step from 0 to 5000 req/s of 2 s requests needs 10,000 environments; the
  // bucket (1000, +100/s) allows 1000 + 100 t by time t, so the count follows it.
  for (const int seconds : {5, 10, 30}) {
    const Json r = run_scenario_text(fmt::format(
        "name: ramp\nduration: {}s\nseed: 3\naccount: {{lambda_concurrency: 50000, unreserved_min: 100}}\n"
        "workloads: [{{name: w, target: fn, arrival: {{process: constant, rate: 5000/s}}}}]\n"
        "services:\n  fn: {{type: lambda, duration: 2s, cold_start: 0ms, idle_timeout: 1h}}\n",
        seconds));
    const double allowed = 1000.0 + 100.0 * seconds;
    INFO("t = " << seconds << " s");
    REQUIRE(metric(r, "services.fn.environments.max") <= allowed + 1);
    REQUIRE(metric(r, "services.fn.environments.max") >= allowed - 1);
    REQUIRE(metric(r, "services.fn.throttles") > 0);
  }
}

TEST_CASE("lambda: legacy scaling uses one account burst then 500 per minute", "[lambda][scaling]") {
  const Json r = run_scenario_text(
      "name: legacy\nduration: 120s\nseed: 3\n"
      "account: {lambda_concurrency: 50000, unreserved_min: 100, lambda_scaling: legacy}\n"
      "workloads: [{name: w, target: fn, arrival: {process: constant, rate: 5000/s}}]\n"
      "services:\n  fn: {type: lambda, duration: 2s, cold_start: 0ms, idle_timeout: 1h}\n");
  // us-east-1 burst 3000, then +500/min: 4000 environments after 2 minutes.
  REQUIRE(metric(r, "services.fn.environments.max") >= 3999);
  REQUIRE(metric(r, "services.fn.environments.max") <= 4001);
}

TEST_CASE("lambda: reserved concurrency isolates a critical function from a noisy one", "[lambda]") {
  const std::string base =
      "name: isolation\nduration: 300s\nwarmup: 30s\nseed: 5\n"
      "workloads:\n"
      "  - {name: noisy, target: reports, arrival: {process: poisson, rate: 2000/s}}\n"
      "  - {name: critical, target: checkout, arrival: {process: poisson, rate: 50/s}}\n"
      "services:\n"
      "  reports: {type: lambda, duration: 1s, cold_start: 0ms, idle_timeout: 1h}\n"
      "  checkout: {type: lambda, duration: 1s, cold_start: 0ms, idle_timeout: 1h";
  // Without a reservation the noisy function takes the whole account pool.
  const Json shared = run_scenario_text(base + "}\n");
  REQUIRE(metric(shared, "workloads.critical.throttled") > 0.2 * metric(shared, "workloads.critical.arrived"));
  // With 150 reserved (A = 50 Erlangs, B(150, 50) ~ 0) checkout is never throttled,
  // and the noisy function is capped by the unreserved rest: 1000 - 150.
  const Json reserved = run_scenario_text(base + ", reserved_concurrency: 150}\n");
  REQUIRE(metric(reserved, "workloads.critical.throttled") == 0);
  REQUIRE(metric(reserved, "services.reports.concurrency.max") == 850);
}

TEST_CASE("lambda: provisioned concurrency never cold-starts within it and spills over beyond it", "[lambda]") {
  const auto run = [](const std::string& rate) {
    return run_scenario_text(
        "name: pc\nduration: 600s\nseed: 6\n"
        "workloads: [{name: w, target: fn, arrival: {process: poisson, rate: " + rate + "}}]\n"
        "services:\n  fn: {type: lambda, duration: {dist: exponential, mean: 200ms}, provisioned_concurrency: 20, "
        "idle_timeout: 10s}\n");
  };
  const Json within = run("10/s");  // 2 Erlangs on 20 provisioned environments: P(>20 busy) is negligible
  REQUIRE(metric(within, "services.fn.cold_starts") == 0);
  REQUIRE(metric(within, "services.fn.provisioned_invocations") == metric(within, "services.fn.invocations"));
  const Json beyond = run("150/s");  // 30 Erlangs: spills over to on-demand environments
  REQUIRE(metric(beyond, "services.fn.cold_starts") > 0);
  REQUIRE(metric(beyond, "services.fn.provisioned_invocations") < metric(beyond, "services.fn.invocations"));
  REQUIRE(metric(beyond, "services.fn.environments.max") > 20);
}

namespace {
std::string cost_scenario(const std::string& architecture, bool free_tier) {
  return fmt::format(
      "name: cost\nduration: 1000s\nseed: 1\naccount: {{free_tier: {}}}\n"
      "workloads: [{{name: w, target: fn, arrival: {{process: constant, rate: 10/s}}}}]\n"
      "services:\n  fn: {{type: lambda, memory: 1024MB, architecture: {}, duration: 100ms, cold_start: 0ms}}\n",
      free_tier ? "true" : "false", architecture);
}
}  // namespace

TEST_CASE("lambda: cost is exact arithmetic for a deterministic scenario", "[lambda][cost]") {
  // Arrivals at 0.1 s, 0.2 s, ..., 1000 s: 10,000 invocations (requests are billed when
  // invoked); the one at exactly 1000 s is still running at the end, so 9,999 are billed
  // 100 ms of duration at 1 GB. One environment, reused: no init is billed after the first,
  // and its init is 0.
  const double requests = 10000, gb_s = 9999 * 0.1;
  for (const bool arm : {false, true}) {
    const Json r = run_scenario_text(cost_scenario(arm ? "arm64" : "x86_64", false));
    REQUIRE(metric(r, "services.fn.invocations") == requests);
    REQUIRE(metric(r, "services.fn.billed_gb_s") == Approx(gb_s).epsilon(1e-12));
    const double price = arm ? 0.0000133334 : 0.0000166667;
    const double expected = requests * 2e-7 + gb_s * price;
    REQUIRE(metric(r, "cost.total_usd") == Approx(expected).epsilon(1e-12));
    REQUIRE(metric(r, "cost.monthly_usd") == Approx(expected * 2592000.0 / 1000.0).epsilon(1e-12));
  }
  // Free tier: 1M requests and 400,000 GB-s per month, prorated to the 1000 s measured.
  const Json free = run_scenario_text(cost_scenario("x86_64", true));
  const double month = 1000.0 / 2592000.0;
  const double expected = (requests - 1e6 * month) * 2e-7 + (gb_s - 400000 * month) * 0.0000166667;
  REQUIRE(metric(free, "cost.total_usd") == Approx(expected).epsilon(1e-12));
}

TEST_CASE("lambda: provisioned concurrency is billed for the whole run plus its lower duration price", "[lambda][cost]") {
  const Json r = run_scenario_text(
      "name: pc-cost\nduration: 1000s\nseed: 1\naccount: {free_tier: true}\n"
      "workloads: [{name: w, target: fn, arrival: {process: constant, rate: 10/s}}]\n"
      "services:\n  fn: {type: lambda, memory: 2048MB, duration: 100ms, provisioned_concurrency: 5}\n");
  // 2 GB x 5 environments x 1000 s allocated; 9,999 finished invocations x 0.1 s x 2 GB on them;
  // no free tier for a function with provisioned concurrency.
  const double expected = 10000 * 2e-7 + 2.0 * 5 * 1000 * 0.0000041667 + 9999 * 0.1 * 2.0 * 0.0000097222;
  REQUIRE(metric(r, "services.fn.cold_starts") == 0);
  REQUIRE(metric(r, "cost.total_usd") == Approx(expected).epsilon(1e-12));
}

TEST_CASE("lambda: a timed-out invocation is billed for its timeout and resets its environment", "[lambda]") {
  const Json r = run_scenario_text(
      "name: timeout\nduration: 100s\nseed: 1\n"
      "workloads: [{name: w, target: fn, arrival: {process: constant, rate: 1/s}}]\n"
      "services:\n  fn: {type: lambda, memory: 1024MB, duration: 5s, timeout: 1s, cold_start: 200ms}\n");
  // Arrivals at 1 s ... 100 s each take 200 ms of init + the 1 s timeout: the 98 that
  // arrive by 98.8 s time out within the run, the last two are in flight at its end.
  REQUIRE(metric(r, "workloads.w.timed_out") == 98);
  REQUIRE(metric(r, "services.fn.timeouts") == 98);
  REQUIRE(metric(r, "accounting.in_flight") == 2);
  REQUIRE(metric(r, "services.fn.cold_starts") == 100);  // every environment is reset
  // Timeouts are failures: their latency is under latency_failed_ms, none under latency_ms.
  REQUIRE(metric(r, "workloads.w.latency_failed_ms.max") == Approx(1200.0).epsilon(1e-9));
  REQUIRE(metric(r, "workloads.w.latency_ms.count") == 0);
  // Work still running at the end pays for its part inside the window: the
  // invocation that began at 99 s runs 1 s of it, the one that began at 100 s none.
  REQUIRE(metric(r, "services.fn.billed_gb_s") == Approx(98 * 1.2 + 1.0).epsilon(1e-12));
}

TEST_CASE("lambda: downstream calls keep the function busy and their failures fail it", "[lambda]") {
  const Json r = run_scenario_text(
      "name: calls\nduration: 1000s\nseed: 2\n"
      "workloads: [{name: w, target: fn, arrival: {process: poisson, rate: 20/s}}]\n"
      "services:\n"
      "  fn: {type: lambda, duration: 50ms, cold_start: 0ms, calls: [{to: db, op: call}, {to: mail, probability: 0.5}]}\n"
      "  db: {type: external, latency: 30ms}\n"
      "  mail: {type: external, latency: 100ms, errors: 0.1}\n");
  // Invocation time = 50 + 30 + (0.5 x 100) = 130 ms on average: L = 20 x 0.13 = 2.6.
  const double calls_to_mail = metric(r, "services.mail.requests");
  const double invocations = metric(r, "services.fn.invocations");
  REQUIRE(std::fabs(calls_to_mail / invocations - 0.5) < 5 * std::sqrt(0.25 / invocations));
  REQUIRE(metric(r, "services.fn.concurrency.mean") == Approx(20 * (0.08 + 0.1 * calls_to_mail / invocations)).epsilon(0.03));
  REQUIRE(metric(r, "services.fn.errors") == metric(r, "services.mail.errors"));
  REQUIRE(metric(r, "workloads.w.failed") == metric(r, "services.mail.errors"));
}

TEST_CASE("lambda: reservations must leave the unreserved minimum", "[lambda][loader]") {
  const std::string text =
      "name: t\nduration: 1s\n"
      "workloads: [{name: w, target: a, arrival: {process: constant, rate: 1/s}}]\n"
      "services:\n"
      "  a: {type: lambda, duration: 1ms, reserved_concurrency: 700}\n"
      "  b: {type: lambda, duration: 1ms, reserved_concurrency: 300, provisioned_concurrency: 400}\n";
  try {
    load_scenario_text(text, "t.yaml", builtin_services());
    FAIL("expected an error");
  } catch (const InputError& e) {
    REQUIRE(std::string(e.what()) ==
            "t.yaml:5:6: error: services: reserved and provisioned concurrency add up to 1000, but the account (1000 in "
            "account.lambda_concurrency) must keep 100 unreserved (account.unreserved_min): at most 900 can be reserved\n"
            "t.yaml:6:88: error: services.b.provisioned_concurrency: provisioned concurrency 400 exceeds the reserved "
            "concurrency 300\n");
  }
}

TEST_CASE("lambda: behind API Gateway a timeout answers 504 while the function keeps running", "[lambda][apigateway]") {
  const Json r = run_scenario_text(
      "name: api-timeout\nduration: 600s\nseed: 3\n"
      "workloads: [{name: w, target: api, arrival: {process: constant, rate: 1/s}}]\n"
      "services:\n"
      "  api: {type: apigateway, latency: 0ms, timeout: 1s, integration: fn}\n"
      "  fn: {type: lambda, duration: 3s, cold_start: 0ms, timeout: 10s}\n");
  // Every answered request is a 504 at exactly 1 s; the function runs its full 3 s,
  // so its mean concurrency is 1/s x 3 s (Little) and it succeeds every time.
  REQUIRE(metric(r, "workloads.w.timed_out") == metric(r, "workloads.w.arrived") - 1);
  REQUIRE(metric(r, "workloads.w.latency_failed_ms.max") == Approx(1000.0).epsilon(1e-12));
  REQUIRE(metric(r, "services.fn.errors") == 0);
  REQUIRE(metric(r, "services.fn.timeouts") == 0);
  REQUIRE(metric(r, "services.fn.concurrency.mean") == Approx(3.0).epsilon(0.01));
  REQUIRE(r.find_path("accounting.balanced")->as_bool());
}
