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
#include "checks.hpp"
#include "estimates.hpp"
#include "support.hpp"

using namespace slsim;
using namespace slsim::testing;

namespace {

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
    connect: 0s
    serverless: {min_capacity: 2, max_capacity: 2}
)";
  const Json r = run_scenario_text(yaml);
  REQUIRE(balanced(r));
  CHECK(metric(r, "services.db.capacity.acu_min") == 2);
  CHECK(metric(r, "services.db.capacity.acu_max") == 2);
  CHECK(metric(r, "services.db.capacity.acu_mean") == Approx(2).epsilon(1e-12));
  CHECK(metric(r, "services.db.pauses") == 0);
  CHECK(cost_field(r, "db", "ACU hours", "quantity") == Approx(2 * 2.0).epsilon(1e-12));
  CHECK(cost_field(r, "db", "ACU hours", "usd") == Approx(2 * 2.0 * 0.12).epsilon(1e-12));
  CHECK(std::isnan(cost_field(r, "db", "instance hours", "usd")));
  // 2 ACUs x 0.25 vCPU: 0.5 vCPU, one server at half speed: 5/s x 10 ms = 5% busy.
  CHECK(metric(r, "services.db.latency_ms.p50") == Approx(10).epsilon(0.004));
  CHECK(metric(r, "services.db.utilization") == Approx(0.05).epsilon(0.1));
  // A reader doubles it; I/O-Optimized is priced per ACU-hour at $0.156.
  const Json two = run_scenario_text(yaml, 0, {"services.db.readers=1", "services.db.serverless.io_optimized=true"});
  CHECK(cost_field(two, "db", "ACU hours", "quantity") == Approx(2 * 2 * 2.0).epsilon(1e-12));
  CHECK(cost_field(two, "db", "ACU hours", "usd") == Approx(2 * 2 * 2.0 * 0.156).epsilon(1e-12));
  // With a proxy: per ACU-hour with its 8-ACU minimum.
  const Json proxy = run_scenario_text(yaml + "    proxy: {}\n");
  CHECK(cost_field(proxy, "db", "proxy ACU hours", "quantity") == Approx(8 * 2.0).epsilon(1e-12));
  CHECK(cost_field(proxy, "db", "proxy ACU hours", "usd") == Approx(8 * 2.0 * 0.015).epsilon(1e-12));
}

TEST_CASE("aurora serverless: a step in load raises capacity at the configured rate in 0.5 steps, up to max",
          "[rds][aurora]") {
  // 1300 transactions of 10 ms at 10.5 s (each on a connection of its own,
  // fewer than the 1365 of 8 ACUs): the instance is saturated, so each
  // second it is fully busy and wants ACUs / 0.7, rounded up to 0.5, adding at
  // most 1 ACU a second (scale_up_rate 1). From 0.5: 1, 1.5, 2.5, then +1 a
  // second to the max of 8. Once the queue is served it falls back to 0.5,
  // 0.5 ACU a second.
  const std::string yaml = R"(
name: t
duration: 150s
seed: 1
workloads: [{name: batch, target: db, arrival: {process: burst, at: 10500ms, count: 1300, over: 0s}}]
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
  CHECK(metric(r, "workloads.batch.succeeded") == 1300);
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
  // 1015 s), the one at 1005 s waits for the same resume and then for b's
  // transaction on the one vCPU; idle from 1100.01 s,
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
  CHECK(metric(r, "workloads.c.latency_ms.max") == Approx(10020).epsilon(1e-9));  // behind b's 10 ms
  CHECK(metric(r, "workloads.d.latency_ms.max") == Approx(10).epsilon(1e-9));
  CHECK(metric(r, "workloads.e.latency_ms.max") == Approx(15010).epsilon(1e-9));
  CHECK(metric(r, "services.db.capacity.acu_min") == 0);
  CHECK(metric(r, "services.db.capacity.acu_final") == 0);
  // Billed only while running at 0.5 ACU: 310.01 + 385.01 + 300.01 s.
  const double running = 310.01 + 385.01 + 300.01;
  CHECK(metric(r, "services.db.paused_seconds") == Approx(2400 - running).epsilon(1e-9));
  CHECK(cost_field(r, "db", "ACU hours", "quantity") == Approx(0.5 * running / 3600).epsilon(1e-9));
  CHECK(cost_field(r, "db", "ACU hours", "usd") == Approx(0.5 * running / 3600 * 0.12).epsilon(1e-9));
  // A longer idle time: paused at 610.01 s and 1700.01 s (not at 2615.01 s, after the end).
  const Json longer = run_scenario_text(yaml, 0, {"services.db.serverless.auto_pause=600s"});
  CHECK(metric(longer, "services.db.pauses") == 2);
  CHECK(metric(longer, "services.db.resumes") == 2);
  CHECK(metric(longer, "services.db.capacity.acu_final") == 0.5);
  // Through an RDS Proxy the pool's connections keep it awake (the default)...
  const Json proxied = run_scenario_text(yaml + "    proxy: {}\n");
  CHECK(metric(proxied, "services.db.pauses") == 0);
  CHECK(metric(proxied, "services.db.resumes") == 0);
  CHECK(cost_field(proxied, "db", "ACU hours", "quantity") == Approx(0.5 * 2400 / 3600).epsilon(1e-9));
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

TEST_CASE("aurora serverless: load errors", "[rds][aurora]") {
  const auto scenario = [](const std::string& db) {
    return "name: t\nduration: 1min\nworkloads: [{name: w, target: db, arrival: {process: poisson, rate: 1/s}}]\n"
           "services:\n  db: " + db + "\n";
  };
  const std::string head = "{type: rds, engine: aurora-mysql, instance: db.serverless, serverless: ";
  CHECK(load_error(scenario(head + "{min_capacity: 8, max_capacity: 4}}")) ==
        "t.yaml:5:93: error: services.db.serverless.min_capacity: min_capacity (8 ACU) is above max_capacity (4 ACU)\n");
  CHECK(load_error(scenario(head + "{min_capacity: 0.7, max_capacity: 4}}")) ==
        "t.yaml:5:93: error: services.db.serverless.min_capacity: min_capacity must be a multiple of 0.5 ACU, got 0.7\n"
        "    hint: Aurora Serverless v2 capacity moves in 0.5-ACU steps, e.g. 0.5, 1, 1.5, 2\n");
  CHECK(load_error(scenario(head + "{max_capacity: 4.25}}")) ==
        "t.yaml:5:93: error: services.db.serverless.max_capacity: max_capacity must be a multiple of 0.5 ACU, got 4.25\n"
        "    hint: Aurora Serverless v2 capacity moves in 0.5-ACU steps, e.g. 0.5, 1, 1.5, 2\n");
  CHECK(load_error(scenario(head + "{min_capacity: 0, auto_pause: 100s}}")) ==
        "t.yaml:5:108: error: services.db.serverless.auto_pause: expected a duration between 5min and 1d, found '100s'\n"
        "    hint: AWS's SecondsUntilAutoPause is 300 to 86,400 seconds\n");
  CHECK(load_error(scenario(head + "{min_capacity: 0, auto_pause: 2d}}")) ==
        "t.yaml:5:108: error: services.db.serverless.auto_pause: expected a duration between 5min and 1d, found '2d'\n"
        "    hint: AWS's SecondsUntilAutoPause is 300 to 86,400 seconds\n");
  CHECK(load_error(scenario(head + "{min_capacity: 1, auto_pause: 600s}}")) ==
        "t.yaml:5:108: error: services.db.serverless.auto_pause: 'auto_pause' needs min_capacity: 0, but min_capacity "
        "is 1 ACU\n    hint: an instance pauses only when its minimum capacity is 0 ACU\n");
  CHECK(load_error(scenario(head + "{MinCapacity: 1}}")) ==
        "t.yaml:5:79: error: services.db.serverless.MinCapacity: unknown key 'MinCapacity'\n"
        "    hint: did you mean 'min_capacity'?\n");
  CHECK(load_error(scenario(head + "{min_capacity: 0, SecondsUntilAutoPause: 600}}")) ==
        "t.yaml:5:96: error: services.db.serverless.SecondsUntilAutoPause: unknown key 'SecondsUntilAutoPause'\n"
        "    hint: write 'auto_pause' with its unit, e.g. auto_pause: 300s\n");
  CHECK(load_error(scenario("{type: rds, engine: aurora-mysql, instance: db.serverless, seconds_until_auto_pause: 300}")) ==
        "t.yaml:5:66: error: services.db.seconds_until_auto_pause: unknown key 'seconds_until_auto_pause'\n"
        "    hint: write it under serverless:, e.g. serverless: {min_capacity: 0, auto_pause: 300s}\n");
  CHECK(load_error(scenario("{type: rds, instance: db.t3.medium, serverless: {min_capacity: 1}}")) ==
        "t.yaml:5:55: error: services.db.serverless: 'serverless' needs instance: db.serverless, but instance is "
        "db.t3.medium\n    hint: write instance: db.serverless (Aurora Serverless v2), or leave 'serverless' out\n");
  CHECK(load_error(scenario("{type: rds, instance: db.serverless}")) ==
        "t.yaml:5:29: error: services.db.instance: db.serverless is not offered with engine mysql (use one of "
        "'db.t3.micro', 'db.t4g.micro', 'db.t3.medium', 'db.t4g.medium', 'db.r6g.large', 'db.r6g.xlarge', "
        "'db.r6g.2xlarge', 'db.r6g.4xlarge')\n"
        "    hint: Aurora Serverless v2 needs engine: aurora-mysql or engine: aurora-postgresql\n");
}

TEST_CASE("aurora serverless: capacity arithmetic and the default max_connections", "[rds][aurora]") {
  using namespace slsim::models::rds;
  CHECK(ceil_half_acu(0.1) == 0.5);
  CHECK(ceil_half_acu(1.0) == 1.0);
  CHECK(ceil_half_acu(1.01) == 1.5);
  // 0.5 ACU x 0.25: one server at an eighth of a vCPU; 6 ACUs: two at 0.75.
  CHECK(serving_capacity(0.5, 0.25).servers == 1);
  CHECK(serving_capacity(0.5, 0.25).speed == 0.125);
  CHECK(serving_capacity(6, 0.25).servers == 2);
  CHECK(serving_capacity(6, 0.25).speed == 0.75);
  CHECK(serving_capacity(16, 0.25).servers == 4);
  CHECK(serving_capacity(16, 0.25).speed == 1.0);
  // The engine's formula on 2 GiB per ACU of the maximum.
  CHECK(serverless_max_connections("aurora-postgresql", 1) == 225);   // 2 GiB / 9531392
  CHECK(serverless_max_connections("aurora-postgresql", 64) == 5000);  // the cap
  CHECK(serverless_max_connections("aurora-mysql", 8) == 1365);      // 16 GiB / 12582880
}

TEST_CASE("aurora serverless: a Lambda environment that times out during a resume leaves no connection behind",
          "[rds][aurora]") {
  // Paused at 300 s; the call at 400 s waits for the 15 s resume, but the
  // function times out at 405 s and its environment is reset (its session
  // ends). The transaction still runs at 415 s, on a connection of its own
  // that closes with it, so the database pauses again at 715.01 s. With warm
  // environments that hold their connection it would stay awake until they go.
  const std::string yaml = R"(
name: t
duration: 1000s
seed: 1
workloads: [{name: w, target: fn, arrival: {process: burst, at: 400s, count: 1, over: 0s}}]
services:
  fn:
    type: lambda
    cold_start: 0s
    duration: 0s
    timeout: 5s
    idle_timeout: 10min
    calls: [{to: db}]
  db:
    type: rds
    engine: aurora-mysql
    instance: db.serverless
    query: 10ms
    connect: 0s
    serverless: {min_capacity: 0, vcpus_per_acu: 2}
)";
  const Json r = run_scenario_text(yaml);
  REQUIRE(balanced(r));
  CHECK(metric(r, "services.fn.timeouts") == 1);
  CHECK(metric(r, "services.db.resumes") == 1);
  CHECK(metric(r, "services.db.pauses") == 2);
  CHECK(metric(r, "services.db.connections_open.max") == 1);
  CHECK(metric(r, "services.db.paused_seconds") == Approx(1000 - 300 - 300.01).epsilon(1e-9));
  // A longer timeout: the environment keeps its connection until it is
  // reclaimed 10 min after 415.01 s, and the database pauses 5 min later.
  const Json warm = run_scenario_text(yaml, 0, {"services.fn.timeout=30s", "services.fn.idle_timeout=1min"});
  CHECK(metric(warm, "services.fn.timeouts") == 0);
  CHECK(metric(warm, "services.db.pauses") == 2);
  CHECK(metric(warm, "services.db.paused_seconds") == Approx(1000 - 300 - 60 - 300.01).epsilon(1e-6));
}
