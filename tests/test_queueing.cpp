// Closed-form checks through the whole path (workload -> service -> result):
// Erlang-B for an `external` service with a concurrency limit (an M/G/c/c
// loss system, insensitive to the service-time distribution) and Little's law.
//
// Tolerances: each case runs R independent replications (different
// replication index, same seed); the per-replication estimates are i.i.d., so
// the mean lies within t_{0.9995,R-1} * s / sqrt(R) of the truth with
// probability 0.999. The test also requires that interval to be narrow, so a
// wildly noisy model cannot pass by widening it.
#include <fmt/format.h>

#include <catch2/catch.hpp>

#include "support.hpp"

using namespace slsim;
using namespace slsim::testing;

namespace {

std::string loss_scenario(double rate_per_s, int servers, const std::string& latency) {
  return fmt::format(
      "name: erlang\nduration: 2000s\nwarmup: 100s\nseed: 3\n"
      "workloads: [{{name: w, target: svc, arrival: {{process: poisson, rate: {}/s}}}}]\n"
      "services:\n  svc: {{type: external, latency: {}, concurrency: {}}}\n",
      rate_per_s, latency, servers);
}

struct LossCase {
  double rate;  // per second
  int servers;
  std::string latency;  // mean 1 s in every case, so A = rate
};

void check_erlang_b(const LossCase& c) {
  const double A = c.rate * 1.0;
  const double expected = erlang_b(c.servers, A);
  std::vector<double> blocked, busy;
  for (std::uint64_t rep = 0; rep < 8; ++rep) {
    const Json r = run_scenario_text(loss_scenario(c.rate, c.servers, c.latency), rep);
    REQUIRE(r.find_path("accounting.balanced")->as_bool());
    blocked.push_back(metric(r, "workloads.w.throttled") / metric(r, "workloads.w.arrived"));
    busy.push_back(metric(r, "services.svc.concurrency.mean"));
  }
  const Interval b = t_interval(blocked);
  INFO(fmt::format("c={} A={} latency={}: B={:.5f}, simulated {:.5f} +- {:.5f}", c.servers, A, c.latency, expected,
                   b.mean, b.half_width));
  REQUIRE(b.half_width < 0.1 * expected + 0.005);
  REQUIRE(std::fabs(b.mean - expected) <= b.half_width);
  // Little's law: mean number in service = accepted rate x mean service time.
  const Interval l = t_interval(busy);
  const double little = A * (1 - expected);
  INFO(fmt::format("Little: L={:.4f}, simulated {:.4f} +- {:.4f}", little, l.mean, l.half_width));
  REQUIRE(l.half_width < 0.02 * little);
  REQUIRE(std::fabs(l.mean - little) <= l.half_width);
}

}  // namespace

TEST_CASE("queueing: Erlang-B / c=10 / A=8 / exponential service", "[queueing][erlang]") {
  check_erlang_b({8, 10, "{dist: exponential, mean: 1s}"});
}

TEST_CASE("queueing: Erlang-B / c=50 / A=40 / exponential service", "[queueing][erlang]") {
  check_erlang_b({40, 50, "{dist: exponential, mean: 1s}"});
}

TEST_CASE("queueing: Erlang-B is insensitive to the service distribution (lognormal cv 2)", "[queueing][erlang]") {
  check_erlang_b({8, 10, "{dist: lognormal, mean: 1s, cv: 2}"});
}

TEST_CASE("queueing: without a concurrency limit nothing is throttled and L = lambda * E[S]", "[queueing]") {
  std::vector<double> busy;
  for (std::uint64_t rep = 0; rep < 8; ++rep) {
    const Json r = run_scenario_text(
        "name: little\nduration: 1000s\nseed: 5\n"
        "workloads: [{name: w, target: svc, arrival: {process: poisson, rate: 20/s}}]\n"
        "services:\n  svc: {type: external, latency: {dist: gamma, mean: 250ms, cv: 0.5}}\n",
        rep);
    REQUIRE(metric(r, "workloads.w.throttled") == 0);
    busy.push_back(metric(r, "services.svc.concurrency.mean"));
  }
  const Interval l = t_interval(busy);
  REQUIRE(l.half_width < 0.02 * 5.0);
  REQUIRE(std::fabs(l.mean - 5.0) <= l.half_width);
}

TEST_CASE("queueing: error probability p gives failed fraction p among answered calls", "[queueing]") {
  const Json r = run_scenario_text(
      "name: errors\nduration: 2000s\nseed: 5\n"
      "workloads: [{name: w, target: svc, arrival: {process: poisson, rate: 50/s}}]\n"
      "services:\n  svc: {type: external, latency: 10ms, errors: 0.2}\n");
  const double n = metric(r, "services.svc.completed");
  const double failed = metric(r, "workloads.w.failed");
  // Independent Bernoulli draws: 5 standard errors of a binomial proportion.
  REQUIRE(std::fabs(failed / n - 0.2) < 5 * std::sqrt(0.2 * 0.8 / n));
  // Constant 10 ms latency: every answered call takes exactly 10 ms end to end.
  REQUIRE(metric(r, "workloads.w.latency_ms.max") == Approx(10.0).epsilon(1e-9));
  REQUIRE(metric(r, "workloads.w.latency_ms.p50") == Approx(10.0).epsilon(0.004));
}
