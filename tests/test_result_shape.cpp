// The result's shape without running: every service reports all its keys
// before any event, so `validate` checks expect: metrics against the report
// code itself.
#include <filesystem>
#include <set>
#include <string>

#include <catch2/catch.hpp>

#include "support.hpp"

#include "sim/analysis/result_shape.hpp"
#include "sim/report/result.hpp"
#include "sim/scenario/build.hpp"
#include "sim/scenario/scenario.hpp"

using namespace slsim;
using namespace slsim::testing;

namespace {

// The path of every key of every object (a list counts as one leaf: its
// contents follow what happened).
void key_paths(const Json& j, const std::string& prefix, std::set<std::string>& out) {
  if (!j.is_object()) return;
  for (const auto& [k, v] : j.items()) {
    const std::string path = prefix.empty() ? k : prefix + "." + k;
    out.insert(path);
    key_paths(v, path, out);
  }
}

std::set<std::string> key_paths(const Json& j) {
  std::set<std::string> out;
  key_paths(j, "", out);
  return out;
}

const std::string kHead =
    "name: t\nduration: 10s\n"
    "workloads: [{name: w, target: fn, arrival: {process: constant, rate: 1/s}}]\n"
    "services: {fn: {type: lambda, duration: 10ms}}\n"
    "expect:\n";

}  // namespace

TEST_CASE("result shape: every bundled scenario reports the same keys unrun and run", "[shape]") {
  std::set<std::string> types;
  int scenarios = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(std::string(SLSIM_SOURCE_DIR) + "/scenarios")) {
    if (entry.path().extension() != ".yaml") continue;
    ++scenarios;
    LoadOptions one;
    one.overrides = {"replications=1"};
    const Scenario sc = load_scenario(entry.path().string(), builtin_services(), one);
    INFO(entry.path().filename().string());
    // Safe on a model that never ran: every report() and bill() before any event.
    const Json shape = result_shape(sc);
    BuiltModel model = build_model(sc, 0);
    model.sim->run();
    const Json run = collect_result(sc, model, 1.0);
    // Listed as the keys only one of the two has, so a failure names them.
    const std::set<std::string> before = key_paths(shape), after = key_paths(run);
    std::string only_unrun, only_run;
    for (const auto& k : before)
      if (after.count(k) == 0) only_unrun += k + " ";
    for (const auto& k : after)
      if (before.count(k) == 0) only_run += k + " ";
    CHECK(only_unrun == "");
    CHECK(only_run == "");
    for (const auto& s : sc.services) types.insert(s.type->name);
  }
  REQUIRE(scenarios > 0);
  // Every service type is covered by some bundled scenario.
  for (const auto& t : builtin_services().types) {
    INFO(t.name);
    REQUIRE(types.count(t.name) == 1);
  }
}

TEST_CASE("result shape: replications add ci95 as a batch does", "[shape]") {
  LoadOptions two;
  two.overrides = {"replications=2"};
  const Scenario sc = load_scenario_text(kHead + "  - {metric: ci95.workloads.w.latency_ms.p50, \"<\": 1}\n", "t.yaml",
                                         builtin_services(), two);
  const Json shape = result_shape(sc);
  REQUIRE(shape.find_path("ci95.workloads.w.latency_ms.p50") != nullptr);
  REQUIRE(shape.find_path("ci95.run") == nullptr);  // wall clock: no interval
  REQUIRE(shape.find_path("ci95.scenario") == nullptr);
}

TEST_CASE("result shape: a metric the result does not have is a load error", "[shape][loader]") {
  REQUIRE(load_error(kHead + "  - {metric: services.fn.cold_start, \"<\": 5}\n") ==
          "t.yaml:6:14: error: expect.0.metric: no metric 'services.fn.cold_start' in the result ('services.fn' has "
          "no 'cold_start')\n"
          "    hint: did you mean 'cold_starts'?\n");
  REQUIRE(load_error(kHead + "  - {metric: workloads.w.latency_ms.p95x, \"<\": 5}\n") ==
          "t.yaml:6:14: error: expect.0.metric: no metric 'workloads.w.latency_ms.p95x' in the result "
          "('workloads.w.latency_ms' has no 'p95x')\n"
          "    hint: did you mean 'p95'?\n");
  REQUIRE(load_error(kHead + "  - {metric: costs.total_usd, \"<\": 5}\n") ==
          "t.yaml:6:14: error: expect.0.metric: no metric 'costs.total_usd' in the result (the result has no "
          "'costs')\n"
          "    hint: did you mean 'cost'?\n");
  REQUIRE(load_error(kHead + "  - {metric: services.fn.concurrency.avg, \"<\": 5}\n") ==
          "t.yaml:6:14: error: expect.0.metric: no metric 'services.fn.concurrency.avg' in the result "
          "('services.fn.concurrency' has no 'avg')\n"
          "    hint: 'services.fn.concurrency' has 'max', 'mean'\n");
}

TEST_CASE("result shape: a metric must be a number", "[shape][loader]") {
  REQUIRE(load_error(kHead + "  - {metric: services.fn.concurrency, \"<\": 5}\n") ==
          "t.yaml:6:14: error: expect.0.metric: 'services.fn.concurrency' is a group of metrics, not a number\n"
          "    hint: pick one of 'max', 'mean'\n");
  REQUIRE(load_error(kHead + "  - {metric: services.fn.type, \"==\": 1}\n") ==
          "t.yaml:6:14: error: expect.0.metric: 'services.fn.type' is text ('lambda'), not a number\n");
  REQUIRE(load_error(kHead + "  - {metric: accounting.balanced.x, \"==\": 1}\n") ==
          "t.yaml:6:14: error: expect.0.metric: no metric 'accounting.balanced.x' in the result "
          "('accounting.balanced' is a single value, with nothing inside)\n");
  REQUIRE(load_error(kHead + "  - {metric: run.wall_s, \"<\": 5}\n") ==
          "t.yaml:6:14: error: expect.0.metric: 'run.wall_s' is wall-clock time, which differs from run to run: an "
          "expectation on it cannot hold reproducibly\n"
          "    hint: expect on simulated results (run.events is one)\n");
  REQUIRE(load_error(kHead + "  - {metric: cost.items.first.usd, \"<\": 5}\n") ==
          "t.yaml:6:14: error: expect.0.metric: no metric 'cost.items.first.usd' in the result ('cost.items' is a "
          "list: expected an index, found 'first')\n");
}

TEST_CASE("result shape: ci95 exists only with replications", "[shape][loader]") {
  const std::string text = kHead + "  - {metric: ci95.workloads.w.latency_ms.p50, \"<\": 5}\n";
  REQUIRE(load_error(text) ==
          "t.yaml:6:14: error: expect.0.metric: no metric 'ci95.workloads.w.latency_ms.p50' in the result: "
          "confidence intervals (ci95) come with replications > 1, and this scenario runs 1\n"
          "    hint: set 'replications: 2' or more, or give --replications\n");
  LoadOptions two;
  two.overrides = {"replications=2"};
  REQUIRE(load_error(text, two) == "(no error)");
  // A workload name inside ci95 is checked with the other errors.
  REQUIRE(load_error(kHead + "  - {metric: ci95.workloads.x.latency_ms.p50, \"<\": 5}\n", two) ==
          "t.yaml:6:14: error: expect.0.metric: there is no workload named 'x'\n"
          "    hint: did you mean 'w'?\n");
}

TEST_CASE("result shape: good metrics load, lists accept an index", "[shape][loader]") {
  REQUIRE(load_error(kHead +
                     "  - {metric: services.fn.cold_starts, \"<\": 5}\n"
                     "  - {metric: accounting.balanced, \"==\": 1}\n"
                     "  - {metric: cost.items.0.usd, \">=\": 0}\n"
                     "  - {metric: run.events, \">\": 0}\n"
                     "  - {metric: scenario.seed, \"==\": 1}\n") == "(no error)");
}

TEST_CASE("result shape: a projection that may be empty is a known metric, judged after the run", "[shape][loader]") {
  // A nightly job whose first firing comes after the window: the unrun shape
  // has no month yet (null), a run may or may not give one.
  const std::string nightly =
      "name: t\nduration: 1h\n"
      "workloads: [{name: w, target: fn, invoke: async, arrival: {process: periodic, every: 1d, start: 2h}}]\n"
      "services: {fn: {type: lambda, duration: 10ms}}\n"
      "expect:\n  - {metric: cost.monthly_usd, \"<\": 5}\n  - {metric: workloads.w.completion_ms.p99, \"<\": 5}\n"
      "  - {metric: workloads.w.end_to_end.in_flight, \"==\": 0}\n";
  REQUIRE(load_error(nightly) == "(no error)");
  // After the run it is still empty (no firing): the expectation fails and says why.
  const Json r = testing::run_scenario_text(nightly);
  const Json& first = r.find("expect")->elements()[0];
  REQUIRE_FALSE(first.find("pass")->as_bool());
  REQUIRE(first.find("error")->as_string() == "the metric has no value in this run");
}
