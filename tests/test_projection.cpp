// The 30-day cost projection: steady traffic repeats the window, a periodic
// job repeats per firing, a one-off does not repeat; monthly tiers and free
// allowances apply to the month each service's usage projects to.
#include <string>

#include <catch2/catch.hpp>

#include "support.hpp"

using namespace slsim;
using namespace slsim::testing;

namespace {

constexpr double kRequestUsd = 2.0e-7;           // lambda.request
constexpr double kGbSecondUsd = 0.0000166667;    // lambda.duration.x86_64.tier1
constexpr double kMonth = 30.0 * 86400.0;

std::string note(const Json& r) { return r.find_path("cost.projection.note")->as_string(); }
std::string basis(const Json& r) { return r.find_path("cost.projection.basis")->as_string(); }

}  // namespace

TEST_CASE("projection: a nightly job projects per firing, not per window", "[cost][projection]") {
  // One 4-minute 1 GB invocation at 60 s in a 10-minute window: 240 GB-s.
  const Json r = run_scenario_text(
      "name: nightly\nduration: 10min\n"
      "workloads: [{name: nightly, target: job, invoke: async, arrival: {process: periodic, every: 1d, start: 60s}}]\n"
      "services:\n  job: {type: lambda, memory: 1024MB, duration: 4min, timeout: 15min, cold_start: 0ms}\n");
  const double firing = kRequestUsd + 240 * kGbSecondUsd;
  REQUIRE(metric(r, "workloads.nightly.arrived") == 1);
  REQUIRE(metric(r, "cost.total_usd") == Approx(firing).epsilon(1e-12));
  // 30 firings in 30 days, whatever the window's length.
  REQUIRE(metric(r, "cost.monthly_usd") == Approx(30 * firing).epsilon(1e-12));
  REQUIRE(basis(r) == "per_firing");
  REQUIRE(note(r) == "30 days: 'nightly' (every 1d) fires 30 times in 30 days, 1 in this run");
}

TEST_CASE("projection: a job still running at the end pays for its part inside the window", "[cost][projection]") {
  // The same job in a 200 s window: it runs from 60 s, so 140 s of it are inside.
  const Json r = run_scenario_text(
      "name: nightly\nduration: 200s\n"
      "workloads: [{name: nightly, target: job, invoke: async, arrival: {process: periodic, every: 1d, start: 60s}}]\n"
      "services:\n  job: {type: lambda, memory: 1024MB, duration: 4min, timeout: 15min, cold_start: 0ms}\n");
  REQUIRE(metric(r, "services.job.billed_gb_s") == Approx(140.0).epsilon(1e-12));
  REQUIRE(metric(r, "cost.total_usd") == Approx(kRequestUsd + 140 * kGbSecondUsd).epsilon(1e-12));
  REQUIRE(metric(r, "accounting.in_flight") == 1);
}

TEST_CASE("projection: steady traffic repeats the window", "[cost][projection]") {
  const Json r = run_scenario_text(
      "name: steady\nduration: 1h\nseed: 3\n"
      "workloads: [{name: api, target: fn, arrival: {process: poisson, rate: 5/s}}]\n"
      "services:\n  fn: {type: lambda, memory: 512MB, duration: 100ms, cold_start: 0ms}\n");
  REQUIRE(metric(r, "cost.monthly_usd") == Approx(metric(r, "cost.total_usd") * kMonth / 3600).epsilon(1e-12));
  REQUIRE(basis(r) == "steady");
  REQUIRE(note(r) == "30 days = the 1h window repeated x720 (steady traffic)");
}

TEST_CASE("projection: each service follows the workloads that reach it", "[cost][projection]") {
  // An API on one function, a nightly job on another: the API's cost repeats
  // the window, the job's cost its firings.
  const Json r = run_scenario_text(
      "name: mixed\nduration: 1h\nseed: 3\n"
      "workloads:\n"
      "  - {name: api, target: web, arrival: {process: poisson, rate: 2/s}}\n"
      "  - {name: nightly, target: job, invoke: async, arrival: {process: periodic, every: 1d, start: 10min}}\n"
      "services:\n"
      "  web: {type: lambda, memory: 512MB, duration: 100ms, cold_start: 0ms}\n"
      "  job: {type: lambda, memory: 1024MB, duration: 4min, timeout: 15min, cold_start: 0ms}\n");
  const double web = metric(r, "cost.by_service.web");
  const double job = metric(r, "cost.by_service.job");
  REQUIRE(job == Approx(kRequestUsd + 240 * kGbSecondUsd).epsilon(1e-12));
  REQUIRE(metric(r, "cost.monthly_usd") == Approx(web * 720 + job * 30).epsilon(1e-12));
  REQUIRE(basis(r) == "mixed");
  REQUIRE(note(r) ==
          "30 days: 'api' (poisson 2/s) repeats the 1h window x720; 'nightly' (every 1d) fires 30 times in 30 days, "
          "1 in this run");
}

TEST_CASE("projection: the free tier applies to the month a nightly job projects to", "[cost][projection]") {
  // 30 firings x 240 GB-s = 7,200 GB-s and 30 requests a month: all within the free tier.
  const Json r = run_scenario_text(
      "name: nightly\nduration: 10min\naccount: {free_tier: true}\n"
      "workloads: [{name: nightly, target: job, invoke: async, arrival: {process: periodic, every: 1d, start: 60s}}]\n"
      "services:\n  job: {type: lambda, memory: 1024MB, duration: 4min, timeout: 15min, cold_start: 0ms}\n");
  REQUIRE(metric(r, "cost.total_usd") == Approx(0.0).margin(1e-15));
  REQUIRE(metric(r, "cost.monthly_usd") == Approx(0.0).margin(1e-15));
  const Json* items = r.find_path("cost.items");
  bool credit_explained = false;
  for (const auto& i : items->elements())
    if (i.find("quantity")->as_double() < 0) credit_explained = i.find("note") != nullptr;
  REQUIRE(credit_explained);
}

TEST_CASE("projection: none without a basis, and the note says why", "[cost][projection]") {
  SECTION("a job that does not fire in the window") {
    const Json r = run_scenario_text(
        "name: nightly\nduration: 1h\n"
        "workloads: [{name: nightly, target: job, invoke: async, arrival: {process: periodic, every: 1d, start: 2h}}]\n"
        "services:\n  job: {type: lambda, duration: 4min, timeout: 15min}\n");
    REQUIRE(r.find_path("cost.monthly_usd")->is_null());
    REQUIRE(basis(r) == "none");
    REQUIRE(note(r) == "no 30-day projection: 'nightly' (every 1d) did not fire in the measured window (measure a window "
                    "that holds a firing)");
  }
  SECTION("a designed rate schedule") {
    const Json r = run_scenario_text(
        "name: spike\nduration: 20min\n"
        "workloads: [{name: users, target: fn, arrival: {process: poisson, "
        "schedule: [{at: 0s, rate: 5/s}, {at: 10min, rate: 50/s}]}}]\n"
        "services:\n  fn: {type: lambda, duration: 50ms}\n");
    REQUIRE(r.find_path("cost.monthly_usd")->is_null());
    REQUIRE(note(r) == "no 30-day projection: 'users' follows a rate schedule that does not repeat");
    REQUIRE(metric(r, "cost.total_usd") > 0);
  }
}
