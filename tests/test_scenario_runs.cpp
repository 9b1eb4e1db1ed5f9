// Whole runs: determinism, arrival processes, warm-up, accounting, cost.
#include <fmt/format.h>

#include <catch2/catch.hpp>

#include "sim/core/random.hpp"
#include "sim/workload/arrival.hpp"
#include "support.hpp"

using namespace slsim;
using namespace slsim::testing;

namespace {

const char* kSmall =
    "name: small\nduration: 300s\nwarmup: 20s\nseed: 11\n"
    "workloads:\n"
    "  - {name: a, target: svc, arrival: {process: poisson, rate: 30/s}, keys: {count: 1000, zipf: 1.1}}\n"
    "  - {name: b, target: svc, arrival: {process: burst, at: 100s, count: 500, over: 1s}}\n"
    "services:\n  svc: {type: external, latency: {dist: lognormal, median: 80ms, p99: 900ms}, errors: 0.05, "
    "concurrency: 12, price_per_call: 0.001}\n";

ArrivalProcess arrival_of(const std::string& arrival_yaml) {
  const Scenario sc = load_scenario_text(
      "name: a\nduration: 1h\nworkloads: [{name: w, target: s, arrival: " + arrival_yaml +
          "}]\nservices: {s: {type: external}}\n",
      "a.yaml", builtin_services());
  Diagnostics d;
  ArrivalProcess p = ArrivalProcess::from_record(sc.workloads[0].params.record("arrival"), ".", d);
  REQUIRE_FALSE(d.has_errors());
  return p;
}

std::vector<SimTime> arrivals_before(ArrivalProcess p, SimTime horizon, std::uint64_t seed = 1) {
  Rng rng(seed);
  std::vector<SimTime> out;
  for (SimTime t = p.next(rng); t < horizon; t = p.next(rng)) out.push_back(t);
  return out;
}

}  // namespace

TEST_CASE("runs: the same scenario and seed give byte-identical JSON", "[determinism]") {
  const std::string first = without_wall_clock(run_scenario_text(kSmall)).dump();
  const std::string second = without_wall_clock(run_scenario_text(kSmall)).dump();
  REQUIRE(first == second);
  const std::string other_seed = without_wall_clock(run_scenario_text(kSmall, 0, {"seed=12"})).dump();
  REQUIRE(first != other_seed);
  const std::string other_replication = without_wall_clock(run_scenario_text(kSmall, 1)).dump();
  REQUIRE(first != other_replication);
}

TEST_CASE("runs: adding a service does not change the draws of the others", "[determinism]") {
  const std::string extra = std::string(kSmall) + "  unused: {type: external, latency: 5ms}\n";
  const Json a = run_scenario_text(kSmall), b = run_scenario_text(extra);
  REQUIRE(a.find("workloads")->dump() == b.find("workloads")->dump());
  REQUIRE(a.find_path("services.svc")->dump() == b.find_path("services.svc")->dump());
}

TEST_CASE("runs: accounting balances and cost is exact arithmetic", "[accounting][cost]") {
  const Json r = run_scenario_text(kSmall);
  REQUIRE(r.find_path("accounting.balanced")->as_bool());
  const double arrived = metric(r, "accounting.arrived");
  REQUIRE(arrived == metric(r, "workloads.a.arrived") + metric(r, "workloads.b.arrived"));
  REQUIRE(arrived == metric(r, "accounting.succeeded") + metric(r, "accounting.failed") +
                         metric(r, "accounting.throttled") + metric(r, "accounting.in_flight"));
  REQUIRE(metric(r, "workloads.b.arrived") == 500);  // the burst lies after warm-up
  // $0.001 per answered call, measured period only. Workload b is a one-off
  // burst: the run gives no basis for a 30-day projection, and says so.
  const double calls = metric(r, "services.svc.completed");
  REQUIRE(metric(r, "cost.total_usd") == Approx(calls * 0.001).epsilon(1e-12));
  REQUIRE(r.find_path("cost.monthly_usd")->is_null());
  REQUIRE(r.find_path("cost.projection.basis")->as_string() == "none");
  REQUIRE(r.find_path("cost.projection.note")->as_string() ==
          "no 30-day projection: 'b' is a burst of 500 at 100s that does not repeat");
  REQUIRE(metric(r, "cost.by_service.svc") == Approx(calls * 0.001).epsilon(1e-12));
}

TEST_CASE("runs: a throttled burst is visible and the limit holds", "[accounting]") {
  const Json r = run_scenario_text(kSmall);
  REQUIRE(metric(r, "services.svc.concurrency.max") == 12);
  REQUIRE(metric(r, "workloads.b.throttled") > 0);
}

TEST_CASE("arrivals: poisson counts match the rate", "[arrival]") {
  // Count in 1000 s at 50/s: Poisson(50000); 5 standard deviations = 5 * sqrt(50000).
  const auto times = arrivals_before(arrival_of("{process: poisson, rate: 50/s}"), 1000 * kSecond);
  REQUIRE(std::fabs(static_cast<double>(times.size()) - 50000.0) < 5 * std::sqrt(50000.0));
  // Gaps are exponential: their coefficient of variation is 1 (SE of cv ~ 1/sqrt(n)).
  double sum = 0, sum2 = 0;
  for (std::size_t i = 1; i < times.size(); ++i) {
    const double g = static_cast<double>(times[i] - times[i - 1]);
    sum += g;
    sum2 += g * g;
  }
  const double n = static_cast<double>(times.size() - 1);
  const double mean = sum / n, cv = std::sqrt(sum2 / n - mean * mean) / mean;
  REQUIRE(std::fabs(cv - 1.0) < 5.0 / std::sqrt(n) * 1.5);
}

TEST_CASE("arrivals: a poisson schedule follows its piecewise rates", "[arrival]") {
  const auto times = arrivals_before(
      arrival_of("{process: poisson, schedule: [{at: 0s, rate: 10/s}, {at: 100s, rate: 200/s}, {at: 200s, rate: 0/s}]}"),
      300 * kSecond);
  std::size_t first = 0, second = 0, third = 0;
  for (const SimTime t : times) (t < 100 * kSecond ? first : t < 200 * kSecond ? second : third)++;
  REQUIRE(std::fabs(static_cast<double>(first) - 1000.0) < 5 * std::sqrt(1000.0));
  REQUIRE(std::fabs(static_cast<double>(second) - 20000.0) < 5 * std::sqrt(20000.0));
  REQUIRE(third == 0);
}

TEST_CASE("arrivals: constant / burst and periodic are exact", "[arrival]") {
  const auto constant = arrivals_before(arrival_of("{process: constant, rate: 4/s}"), 10 * kSecond);
  REQUIRE(constant.size() == 39);  // at 0.25 s, 0.5 s, ..., 9.75 s
  for (std::size_t i = 0; i < constant.size(); ++i) REQUIRE(constant[i] == static_cast<SimTime>(i + 1) * 250 * kMillisecond);
  const auto burst = arrivals_before(arrival_of("{process: burst, at: 5s, count: 4, over: 2s}"), kHour);
  REQUIRE(burst == std::vector<SimTime>{5 * kSecond, 5500 * kMillisecond, 6 * kSecond, 6500 * kMillisecond});
  const auto periodic = arrivals_before(arrival_of("{process: periodic, every: 1min, start: 30s}"), 5 * kMinute);
  REQUIRE(periodic == std::vector<SimTime>{30 * kSecond, 90 * kSecond, 150 * kSecond, 210 * kSecond, 270 * kSecond});
  const auto stepped = arrivals_before(
      arrival_of("{process: constant, schedule: [{at: 10s, rate: 1/s}, {at: 13s, rate: 2/s}]}"), 15 * kSecond);
  REQUIRE(stepped == std::vector<SimTime>{11 * kSecond, 12 * kSecond, 13 * kSecond, 13500 * kMillisecond,
                                          14 * kSecond, 14500 * kMillisecond});
}

TEST_CASE("runs: every bundled scenario is deterministic for its seed", "[determinism]") {
  // Each scenario of scenarios/ twice, shortened to keep the test fast: byte-identical JSON.
  for (const char* file : {"api-stage-throttling", "lambda-cold-starts-vs-provisioned", "sqs-dlq-flaky-consumer",
                           "sns-fanout", "kinesis-clickstream", "s3-thumbnails", "async-throttled-retries"}) {
    const std::string path = testing::bundled_scenario(file);
    LoadOptions o;
    o.overrides = {"duration=5min", "warmup=0s"};
    const Scenario sc = load_scenario(path, builtin_services(), o);
    std::string dumps[2];
    for (auto& d : dumps) {
      BuiltModel m = build_model(sc, 0);
      m.sim->run();
      d = without_wall_clock(collect_result(sc, m, 0.0)).dump();
    }
    INFO(file);
    REQUIRE(dumps[0] == dumps[1]);
  }
}
