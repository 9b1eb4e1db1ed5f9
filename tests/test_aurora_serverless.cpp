// Aurora Serverless v2 (`instance: db.serverless`): ACU-hours billed over the
// capacity curve, scaling in 0.5-ACU steps at the configured rates between
// min and max, auto-pause and resume with exact counts, the analytic capacity
// estimate, and the errors of the `serverless:` block.
#include <cmath>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "models/rds/instances.hpp"
#include "models/rds/serverless.hpp"
#include "sim/analysis/analytic.hpp"
#include "sim/report/time_series.hpp"
#include "support.hpp"

using namespace slsim;
using namespace slsim::testing;

namespace {

double cost_item(const Json& r, const std::string& service, const std::string& item, const char* field) {
  const Json* items = r.find_path("cost.items");
  for (const Json& x : items->elements())
    if (x.find("service")->as_string() == service && x.find("item")->as_string() == item)
      return x.find(field)->as_double();
  return std::nan("");
}

double estimate(const AnalyticResult& r, const std::string& service, const std::string& path) {
  for (const auto& s : r.services)
    if (s.name == service)
      for (const AnalyticFigure& f : s.estimate.figures)
        if (f.path == path) return f.count ? f.value * r.seconds : f.value;
  return std::nan("");
}

double estimated_cost(const AnalyticResult& r, const std::string& service, const std::string& item) {
  for (const auto& s : r.services)
    if (s.name == service)
      for (const auto& c : s.estimate.costs)
        if (c.item == item) return c.usd;
  return std::nan("");
}

// The value of (service, metric) in interval i of a time series.
double at(const TimeSeries& s, std::size_t i, const std::string& service, const std::string& metric) {
  for (std::size_t c = 0; c < s.columns.size(); ++c)
    if (s.columns[c].first == service && s.columns[c].second == metric) return s.values[i * s.columns.size() + c];
  return std::nan("");
}

struct SampledRun {
  Json result;
  TimeSeries series;
};

SampledRun run_sampled(const std::string& yaml, SimTime interval) {
  const Scenario sc = load_scenario_text(yaml, "test.yaml", builtin_services());
  BuiltModel m = build_model(sc, 0);
  TimeSeriesSampler sampler(m, interval);
  m.sim->run();
  return {collect_result(sc, m, 0.0), sampler.take()};
}

}  // namespace

TEST_CASE("aurora serverless: a constant capacity costs ACUs x hours x price exactly", "[rds][aurora]") {
  const std::string yaml = R"(
name: t
duration: 2h
seed: 4
workloads: [{name: w, target: db, arrival: {process: poisson, rate: 5/s}}]
services:
  db:
    type: rds
    engine: aurora-postgresql
    instance: db.serverless
    query: 5ms
    serverless: {min_capacity: 2, max_capacity: 2}
)";
  const Json r = run_scenario_text(yaml);
  REQUIRE(balanced(r));
  CHECK(metric(r, "services.db.capacity.acu_min") == 2);
  CHECK(metric(r, "services.db.capacity.acu_max") == 2);
  CHECK(metric(r, "services.db.capacity.acu_mean") == Approx(2).epsilon(1e-12));
  CHECK(metric(r, "services.db.pauses") == 0);
  CHECK(cost_item(r, "db", "ACU hours", "quantity") == Approx(2 * 2.0).epsilon(1e-12));
  CHECK(cost_item(r, "db", "ACU hours", "usd") == Approx(2 * 2.0 * 0.12).epsilon(1e-12));
  CHECK(std::isnan(cost_item(r, "db", "instance hours", "usd")));
  // 2 ACUs x 0.25 vCPU: 0.5 vCPU, one server at half speed: 5/s x 10 ms = 5% busy.
  CHECK(metric(r, "services.db.latency_ms.min") == Approx(10).epsilon(1e-6));
  CHECK(metric(r, "services.db.utilization") == Approx(0.05).epsilon(0.1));
  // A reader doubles it; I/O-Optimized is priced per ACU-hour at $0.156.
  const Json two = run_scenario_text(yaml, 0, {"services.db.readers=1", "services.db.serverless.io_optimized=true"});
  CHECK(cost_item(two, "db", "ACU hours", "quantity") == Approx(2 * 2 * 2.0).epsilon(1e-12));
  CHECK(cost_item(two, "db", "ACU hours", "usd") == Approx(2 * 2 * 2.0 * 0.156).epsilon(1e-12));
  // With a proxy: per ACU-hour with its 8-ACU minimum.
  const Json proxy = run_scenario_text(yaml + "    proxy: {}\n");
  CHECK(cost_item(proxy, "db", "proxy ACU hours", "quantity") == Approx(8 * 2.0).epsilon(1e-12));
  CHECK(cost_item(proxy, "db", "proxy ACU hours", "usd") == Approx(8 * 2.0 * 0.015).epsilon(1e-12));
}

TEST_CASE("aurora serverless: a step in load raises capacity at the configured rate in 0.5 steps, up to max",
          "[rds][aurora]") {
  // 3000 transactions of 10 ms at 10.5 s: the instance is saturated, so each
  // second it is fully busy and wants ACUs / 0.7, rounded up to 0.5, adding at
  // most 1 ACU a second (scale_up_rate 1). From 0.5: 1, 1.5, 2.5, then +1 a
  // second to the max of 8. Once the queue is served it falls back to 0.5,
  // 0.5 ACU a second.
  const std::string yaml = R"(
name: t
duration: 150s
seed: 1
workloads: [{name: batch, target: db, arrival: {process: burst, at: 10500ms, count: 3000, over: 0s}}]
services:
  db:
    type: rds
    engine: aurora-mysql
    instance: db.serverless
    query: 10ms
    connect: 0s
    serverless: {min_capacity: 0.5, max_capacity: 8, scale_up_rate: 1, scale_down_rate: 0.5, target_utilization: 0.7}
)";
  const SampledRun run = run_sampled(yaml, kSecond);
  const Json& r = run.result;
  REQUIRE(balanced(r));
  CHECK(metric(r, "workloads.batch.succeeded") == 3000);
  const TimeSeries& s = run.series;
  REQUIRE(s.intervals() == 150);
  // Interval i covers (i, i + 1] s; the capacity set by the evaluation at i s holds through it.
  const std::vector<double> ramp = {0.5, 0.5, 1, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5, 8, 8};
  for (std::size_t k = 0; k < ramp.size(); ++k) {
    INFO("interval " << 10 + k);
    CHECK(at(s, 10 + k, "db", "acu.mean") == ramp[k]);
  }
  double previous = 0.5;
  bool fell = false;
  for (std::size_t i = 0; i < s.intervals(); ++i) {
    const double acu = at(s, i, "db", "acu.mean");
    INFO("interval " << i << ": " << acu << " ACU");
    CHECK(acu <= 8);
    CHECK(acu >= 0.5);
    CHECK(std::fmod(acu, 0.5) == 0);
    CHECK(acu - previous <= 1);
    CHECK(previous - acu <= 0.5);
    if (acu < previous) fell = true;
    previous = acu;
  }
  CHECK(fell);
  CHECK(metric(r, "services.db.capacity.acu_max") == 8);
  CHECK(metric(r, "services.db.capacity.acu_final") == 0.5);
  CHECK(metric(r, "services.db.capacity.acu_min") == 0.5);
  // A rate of 4 ACU/s: from 2.5 straight to the 4 ACUs wanted (2.5 / 0.7 = 3.57, rounded up).
  const std::string faster = std::string(yaml).replace(yaml.find("scale_up_rate: 1"), 16, "scale_up_rate: 4");
  const SampledRun fast = run_sampled(faster, kSecond);
  CHECK(at(fast.series, 14, "db", "acu.mean") == 2.5);
  CHECK(at(fast.series, 15, "db", "acu.mean") == 4);
  CHECK(at(fast.series, 16, "db", "acu.mean") == 6);
}

TEST_CASE("aurora serverless: auto-pause after idle seconds, resume before serving, exact counts", "[rds][aurora]") {
  // Single transactions of 10 ms (0.5 ACU x 2 vCPUs/ACU: one full vCPU) at
  // 10 s, 1000 s, 1005 s, 1100 s and 2000 s with auto_pause 300 s and a 15 s
  // resume. Paused from 310.01 s; the one at 1000 s resumes it (ready at
  // 1015 s), the one at 1005 s waits for the same resume; idle from 1100.01 s,
  // paused at 1400.01 s; resumed by the one at 2000 s (2015 s), paused again
  // at 2315.01 s until the end at 2400 s.
  const std::string yaml = R"(
name: t
duration: 2400s
seed: 1
workloads:
  - {name: a, target: db, arrival: {process: burst, at: 10s, count: 1, over: 0s}}
  - {name: b, target: db, arrival: {process: burst, at: 1000s, count: 1, over: 0s}}
  - {name: c, target: db, arrival: {process: burst, at: 1005s, count: 1, over: 0s}}
  - {name: d, target: db, arrival: {process: burst, at: 1100s, count: 1, over: 0s}}
  - {name: e, target: db, arrival: {process: burst, at: 2000s, count: 1, over: 0s}}
services:
  db:
    type: rds
    engine: aurora-postgresql
    instance: db.serverless
    query: 10ms
    connect: 0s
    serverless: {min_capacity: 0, max_capacity: 4, auto_pause: 300s, resume: 15s, vcpus_per_acu: 2}
)";
  const Json r = run_scenario_text(yaml);
  REQUIRE(balanced(r));
  CHECK(metric(r, "services.db.requests") == 5);
  CHECK(metric(r, "services.db.pauses") == 3);
  CHECK(metric(r, "services.db.resumes") == 2);
  CHECK(metric(r, "services.db.resume_waits") == 3);
  CHECK(metric(r, "workloads.b.latency_ms.max") == Approx(15010).epsilon(1e-9));
  CHECK(metric(r, "workloads.c.latency_ms.max") == Approx(10010).epsilon(1e-9));
  CHECK(metric(r, "workloads.d.latency_ms.max") == Approx(10).epsilon(1e-9));
  CHECK(metric(r, "workloads.e.latency_ms.max") == Approx(15010).epsilon(1e-9));
  CHECK(metric(r, "services.db.capacity.acu_min") == 0);
  CHECK(metric(r, "services.db.capacity.acu_final") == 0);
  // Billed only while running at 0.5 ACU: 310.01 + 385.01 + 300.01 s.
  const double running = 310.01 + 385.01 + 300.01;
  CHECK(metric(r, "services.db.paused_seconds") == Approx(2400 - running).epsilon(1e-9));
  CHECK(cost_item(r, "db", "ACU hours", "quantity") == Approx(0.5 * running / 3600).epsilon(1e-9));
  CHECK(cost_item(r, "db", "ACU hours", "usd") == Approx(0.5 * running / 3600 * 0.12).epsilon(1e-9));
  // A longer idle time: paused at 610.01 s and 1700.01 s (not at 2615.01 s, after the end).
  const Json longer = run_scenario_text(yaml, 0, {"services.db.serverless.auto_pause=600s"});
  CHECK(metric(longer, "services.db.pauses") == 2);
  CHECK(metric(longer, "services.db.resumes") == 2);
  CHECK(metric(longer, "services.db.capacity.acu_final") == 0.5);
  // Through an RDS Proxy the pool's connections keep it awake (the default)...
  const Json proxied = run_scenario_text(yaml + "    proxy: {}\n");
  CHECK(metric(proxied, "services.db.pauses") == 0);
  CHECK(metric(proxied, "services.db.resumes") == 0);
  CHECK(cost_item(proxied, "db", "ACU hours", "quantity") == Approx(0.5 * 2400 / 3600).epsilon(1e-9));
  // ... unless told otherwise: then only transactions count, as without one.
  const Json paused =
      run_scenario_text(yaml + "    proxy: {}\n", 0, {"services.db.serverless.proxy_prevents_pause=false"});
  CHECK(metric(paused, "services.db.pauses") == 3);
  CHECK(metric(paused, "services.db.resumes") == 2);
}

TEST_CASE("aurora serverless: the analytic estimate settles at ACUs in use / target, and its cost", "[rds][aurora][analyze]") {
  // 100/s x 10 ms = 1 vCPU in use = 4 ACUs at 0.25 vCPU per ACU; / 0.7 = 5.71,
  // rounded up to 6 ACUs: 1.5 vCPUs, two servers at 0.75 of a vCPU each.
  const std::string yaml = R"(
name: t
duration: 10min
warmup: 1min
seed: 9
workloads: [{name: tx, target: db, arrival: {process: poisson, rate: 100/s}}]
services:
  db:
    type: rds
    engine: aurora-postgresql
    instance: db.serverless
    query: {dist: exponential, mean: 10ms}
    connect: 0s
    serverless: {min_capacity: 0.5, max_capacity: 16}
)";
  const AnalyticResult a = estimate_scenario(load_scenario_text(yaml, "t.yaml", builtin_services()));
  CHECK(estimate(a, "db", "capacity.acu_mean") == 6);
  CHECK(estimate(a, "db", "utilization") == Approx(4.0 / 6.0).epsilon(1e-12));
  CHECK(estimated_cost(a, "db", "ACU hours") == Approx(6 * 0.12 * a.seconds / 3600).epsilon(1e-12));
  // M/M/2 on servers of 10 / 0.75 ms: offered 1.333 erlangs.
  const double service_ms = 10 / 0.75;
  const double wait_ms = erlang_c(2, 100 * service_ms / 1e3) * service_ms / (2 - 100 * service_ms / 1e3);
  CHECK(estimate(a, "db", "latency_ms.mean") == Approx(service_ms + wait_ms).epsilon(1e-9));
  // The simulation hovers around it: its per-second load is noisy, and it
  // scales up faster than down, so a little above.
  const Json r = run_scenario_text(yaml);
  REQUIRE(balanced(r));
  CHECK(metric(r, "services.db.capacity.acu_mean") > 5.5);
  CHECK(metric(r, "services.db.capacity.acu_mean") < 7.5);
  CHECK(metric(r, "services.db.capacity.acu_max") <= 16);
  // Capped by max_capacity: then the queue grows without end, and says so.
  LoadOptions small;
  small.overrides = {"services.db.serverless.max_capacity=2"};
  const AnalyticResult capped = estimate_scenario(load_scenario_text(yaml, "t.yaml", builtin_services(), small));
  CHECK(estimate(capped, "db", "capacity.acu_mean") == 2);
  CHECK(std::isnan(estimate(capped, "db", "latency_ms.mean")));
}
