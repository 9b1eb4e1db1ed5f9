// RDS, RDS Proxy and Aurora provisioned clusters: connections held per Lambda
// execution environment and refused past max_connections, the proxy's borrow
// queue against Erlang-C, the borrow timeout, default max_connections per
// instance class and engine, and the proxy's price with its minimum.
#include <cmath>
#include <string>
#include <vector>

#include <fmt/format.h>

#include <catch2/catch.hpp>

#include "models/rds/instances.hpp"
#include "sim/analysis/analytic.hpp"
#include "checks.hpp"
#include "estimates.hpp"
#include "support.hpp"

using namespace slsim;
using namespace slsim::testing;

TEST_CASE("rds direct: one connection per live execution environment that called the database", "[rds]") {
  // No init and no handler time: an environment calls the database the moment
  // it is created and holds its connection until it is reclaimed (30 s idle),
  // so the two gauges move together at every instant.
  const std::string yaml = R"(
name: t
duration: 10min
warmup: 1min
seed: 3
workloads:
  - {name: users, target: fn, arrival: {process: poisson, rate: 20/s}}
services:
  fn:
    type: lambda
    cold_start: 0s
    duration: 0s
    idle_timeout: 2s
    calls: [{to: db}]
  db:
    type: rds
    instance: db.t3.medium
    query: {dist: exponential, mean: 50ms}
    connect: 0s
)";
  const Json r = run_scenario_text(yaml);
  REQUIRE(balanced(r));
  CHECK(metric(r, "services.db.connection_failures") == 0);
  CHECK(metric(r, "services.fn.environments.max") > 3);
  CHECK(metric(r, "services.db.connections_in_use.max") == metric(r, "services.fn.environments.max"));
  CHECK(metric(r, "services.db.connections_in_use.mean") == Approx(metric(r, "services.fn.environments.mean")).epsilon(1e-12));
  // Idle environments hold theirs too: far more connections than transactions in progress.
  CHECK(metric(r, "services.db.connections_in_use.mean") > 1.5 * metric(r, "services.fn.concurrency.mean"));
  // With init and handler time an environment holds a connection only once it
  // has called: fewer connections than environments, never more.
  const Json slow = run_scenario_text(yaml, 0, {"services.fn.cold_start=300ms", "services.fn.duration=100ms"});
  CHECK(metric(slow, "services.db.connections_in_use.max") <= metric(slow, "services.fn.environments.max"));
  CHECK(metric(slow, "services.db.connections_in_use.mean") < metric(slow, "services.fn.environments.mean"));
  CHECK(metric(slow, "services.db.connections_in_use.mean") > 0.8 * metric(slow, "services.fn.environments.mean"));
}

TEST_CASE("rds direct: a connection beyond max_connections fails, and only those", "[rds]") {
  // 10 requests at once make 10 environments (1 s handlers); 4 connect (and
  // find one of the 4 vCPUs each), 6 are refused after the connect time. 10 s
  // later the same 10 warm environments are used again: the 4 with a
  // connection succeed, the 6 without fail again.
  const std::string yaml = R"(
name: t
duration: 1min
seed: 1
workloads:
  - {name: first, target: fn, arrival: {process: burst, at: 1s, count: 10, over: 0s}}
  - {name: second, target: fn, arrival: {process: burst, at: 11s, count: 10, over: 0s}}
services:
  fn:
    type: lambda
    cold_start: 0s
    duration: 1s
    idle_timeout: 10min
    calls: [{to: db}]
  db:
    type: rds
    instance: db.r6g.xlarge
    max_connections: 4
    query: 10ms
    connect: 20ms
)";
  const Json r = run_scenario_text(yaml);
  REQUIRE(balanced(r));
  CHECK(metric(r, "services.db.requests") == 20);
  CHECK(metric(r, "services.db.connection_failures") == 12);
  CHECK(metric(r, "services.db.connects") == 4);
  CHECK(metric(r, "services.db.connections_in_use.max") == 4);
  CHECK(metric(r, "workloads.first.succeeded") == 4);
  CHECK(metric(r, "workloads.second.succeeded") == 4);
  CHECK(metric(r, "services.fn.errors") == 12);
  // The refusal comes after the handshake; a held connection is not set up again.
  CHECK(metric(r, "services.db.latency_failed_ms.max") == Approx(20).epsilon(0.004));
  CHECK(metric(r, "services.db.latency_ms.max") == Approx(30).epsilon(0.004));
  CHECK(metric(r, "services.db.latency_ms.mean") == Approx(20).epsilon(0.004));  // 4 x 30 ms, then 4 x 10 ms
}

TEST_CASE("rds proxy: borrow waits follow the M/M/c wait of the pool (Erlang-C)", "[rds]") {
  // Transactions straight from a workload (no session, no connect time) through
  // a pool of c = 10 connections (50% of 20) on a 16-vCPU instance: a vCPU is
  // always free, so a connection is held exactly one Exp(5 ms) transaction.
  // Offered 1600/s x 5 ms = 8 erlangs: P(wait) = C(10, 8) and a wait lasts
  // Exp(c mu - lambda) = 1 / (2000/s - 1600/s) = 2.5 ms on average.
  const std::string yaml = R"(
name: t
duration: 4min
warmup: 10s
seed: 11
workloads:
  - {name: tx, target: db, arrival: {process: poisson, rate: 1600/s}}
services:
  db:
    type: rds
    instance: db.r6g.4xlarge
    max_connections: 20
    query: {dist: exponential, mean: 5ms}
    connect: 0s
    proxy: {max_connections_percent: 50}
)";
  const double c_wait = erlang_c(10, 8.0);
  std::vector<double> p_wait, mean_wait, util;
  for (std::uint64_t rep = 0; rep < 8; ++rep) {
    const Json r = run_scenario_text(yaml, rep);
    REQUIRE(balanced(r));
    REQUIRE(metric(r, "services.db.pool_size") == 10);
    REQUIRE(metric(r, "services.db.borrow_timeouts") == 0);
    REQUIRE(metric(r, "services.db.cpu_wait_ms.max") == 0);
    p_wait.push_back(metric(r, "services.db.borrow_waits") / metric(r, "services.db.borrows"));
    mean_wait.push_back(metric(r, "services.db.borrow_wait_ms.mean"));
    util.push_back(metric(r, "services.db.connections_in_use.mean"));
  }
  const Interval p = t_interval(p_wait), w = t_interval(mean_wait), busy = t_interval(util);
  INFO("P(wait) " << p.mean << " +- " << p.half_width << " vs Erlang-C " << c_wait);
  CHECK(std::abs(p.mean - c_wait) < p.half_width);
  CHECK(p.half_width < 0.05 * c_wait);
  INFO("mean wait of those who wait " << w.mean << " +- " << w.half_width << " ms vs 2.5 ms");
  CHECK(std::abs(w.mean - 2.5) < w.half_width);
  CHECK(w.half_width < 0.2);
  INFO("connections in use " << busy.mean << " +- " << busy.half_width << " vs 8 erlangs");
  CHECK(std::abs(busy.mean - 8.0) < busy.half_width);
}

TEST_CASE("rds proxy: transactions fail only once they have waited borrow_timeout", "[rds]") {
  // One pool connection (50% of 2), 1 s transactions, 5 at once: the 1st runs
  // at once, the 2nd waits 1 s, the 3rd 2 s; the 4th and 5th would wait 3 s and
  // 4 s, so with a 2.5 s timeout they fail at 2.5 s, and without one they run.
  const std::string yaml = R"(
name: t
duration: 1min
seed: 1
workloads:
  - {name: tx, target: db, arrival: {process: burst, at: 1s, count: 5, over: 0s}}
services:
  db:
    type: rds
    max_connections: 2
    query: 1s
    connect: 0s
    proxy: {max_connections_percent: 50, borrow_timeout: 2500ms}
)";
  const Json r = run_scenario_text(yaml);
  REQUIRE(balanced(r));
  CHECK(metric(r, "services.db.pool_size") == 1);
  CHECK(metric(r, "services.db.borrow_timeouts") == 2);
  CHECK(metric(r, "services.db.borrow_waits") == 2);
  CHECK(metric(r, "services.db.borrow_wait_ms.max") == Approx(2000).epsilon(0.004));
  CHECK(metric(r, "workloads.tx.failed") == 2);
  CHECK(metric(r, "services.db.latency_failed_ms.p50") == Approx(2500).epsilon(0.004));
  CHECK(metric(r, "services.db.latency_failed_ms.max") == Approx(2500).epsilon(0.004));
  CHECK(metric(r, "services.db.connections_open.max") == 1);
  const Json unlimited = run_scenario_text(yaml, 0, {"services.db.proxy.borrow_timeout=0s"});
  CHECK(metric(unlimited, "services.db.borrow_timeouts") == 0);
  CHECK(metric(unlimited, "workloads.tx.succeeded") == 5);
  CHECK(metric(unlimited, "services.db.borrow_wait_ms.max") == Approx(4000).epsilon(0.004));
}

TEST_CASE("rds proxy: pinned sessions keep their connection while they live", "[rds]") {
  // Every session pinned: each warm environment keeps the one pool connection it
  // borrowed, so the pool of 3 serves 3 environments and the others wait until
  // the borrow timeout; unpinned, the 3 connections serve everyone in turn.
  const std::string yaml = R"(
name: t
duration: 1min
seed: 1
workloads:
  - {name: first, target: fn, arrival: {process: burst, at: 1s, count: 6, over: 0s}}
services:
  fn:
    type: lambda
    cold_start: 0s
    duration: 100ms
    idle_timeout: 10min
    timeout: 30s
    calls: [{to: db}]
  db:
    type: rds
    max_connections: 3
    query: 100ms
    connect: 0s
    proxy: {borrow_timeout: 5s, pinned: 1}
)";
  const Json pinned = run_scenario_text(yaml);
  REQUIRE(balanced(pinned));
  CHECK(metric(pinned, "services.db.pinned") == 6);
  CHECK(metric(pinned, "services.db.borrow_timeouts") == 3);
  CHECK(metric(pinned, "services.db.connections_in_use.max") == 3);
  const Json shared = run_scenario_text(yaml, 0, {"services.db.proxy.pinned=0"});
  CHECK(metric(shared, "services.db.pinned") == 0);
  CHECK(metric(shared, "services.db.borrow_timeouts") == 0);
  CHECK(metric(shared, "services.db.borrow_waits") == 3);
  CHECK(metric(shared, "workloads.first.succeeded") == 6);
}

TEST_CASE("rds: default max_connections from the instance class and engine", "[rds]") {
  using models::rds::default_max_connections;
  using models::rds::find_instance_class;
  // MySQL {DBInstanceClassMemory/12582880}, PostgreSQL LEAST({DBInstanceClassMemory/9531392},5000),
  // on the nominal memory: 4 GiB = 4294967296 bytes.
  CHECK(default_max_connections("mysql", *find_instance_class("db.t3.medium")) == 341);
  CHECK(default_max_connections("postgres", *find_instance_class("db.t3.medium")) == 450);
  CHECK(default_max_connections("mysql", *find_instance_class("db.t3.micro")) == 85);
  CHECK(default_max_connections("postgres", *find_instance_class("db.t4g.micro")) == 112);
  CHECK(default_max_connections("mysql", *find_instance_class("db.r6g.large")) == 1365);
  CHECK(default_max_connections("postgres", *find_instance_class("db.r6g.large")) == 1802);
  CHECK(default_max_connections("postgres", *find_instance_class("db.r6g.4xlarge")) == 5000);  // the cap
  CHECK(default_max_connections("aurora-mysql", *find_instance_class("db.r6g.large")) == 1000);
  CHECK(default_max_connections("aurora-postgresql", *find_instance_class("db.r6g.large")) == 1802);
  // The model uses it, and the proxy's pool is its percentage, rounded down.
  const std::string yaml = R"(
name: t
duration: 1min
workloads: [{name: w, target: db, arrival: {process: poisson, rate: 1/s}}]
services:
  db: {type: rds, engine: postgres, instance: db.t3.medium, proxy: {max_connections_percent: 33}}
)";
  const Json r = run_scenario_text(yaml);
  CHECK(metric(r, "services.db.max_connections") == 450);
  CHECK(metric(r, "services.db.pool_size") == 148);  // floor(450 x 0.33)
  CHECK(metric(r, "services.db.vcpus") == 2);
  const Json given = run_scenario_text(yaml, 0, {"services.db.max_connections=1000"});
  CHECK(metric(given, "services.db.max_connections") == 1000);
  CHECK(metric(given, "services.db.pool_size") == 330);
}

TEST_CASE("rds: instance-hours and the proxy's vCPU-hours with its minimum", "[rds]") {
  CHECK(models::rds::proxy_billed_vcpus(2, 2) == 2);
  CHECK(models::rds::proxy_billed_vcpus(1, 2) == 2);
  CHECK(models::rds::proxy_billed_vcpus(16, 2) == 16);
  const std::string yaml = R"(
name: t
duration: 2h
workloads: [{name: w, target: db, arrival: {process: poisson, rate: 1/s}}]
services:
  db: {type: rds, engine: mysql, instance: db.t3.medium, proxy: {}}
)";
  const Json r = run_scenario_text(yaml);
  CHECK(cost_field(r, "db", "instance hours", "quantity") == Approx(2.0).epsilon(1e-12));
  CHECK(cost_field(r, "db", "instance hours", "usd") == Approx(2 * 0.068).epsilon(1e-12));
  // 2 vCPUs x 2 h at $0.015.
  CHECK(cost_field(r, "db", "proxy vCPU hours", "quantity") == Approx(4.0).epsilon(1e-12));
  CHECK(cost_field(r, "db", "proxy vCPU hours", "usd") == Approx(4 * 0.015).epsilon(1e-12));
  // A minimum above the instance's vCPUs is what is billed.
  const Json floor = run_scenario_text(yaml + "pricing: {rds.proxy.min_vcpus: 8}\n");
  CHECK(cost_field(floor, "db", "proxy vCPU hours", "usd") == Approx(8 * 2 * 0.015).epsilon(1e-12));
  // An Aurora cluster: the writer and 2 readers, each billed, and the proxy on all 3 x 4 vCPUs.
  const Json aurora = run_scenario_text(
      yaml, 0, {"services.db.engine=aurora-mysql", "services.db.instance=db.r6g.xlarge", "services.db.readers=2"});
  CHECK(cost_field(aurora, "db", "instance hours", "usd") == Approx(3 * 2 * 0.519).epsilon(1e-12));
  CHECK(cost_field(aurora, "db", "proxy vCPU hours", "quantity") == Approx(12 * 2.0).epsilon(1e-12));
  // Without a proxy there is no proxy line.
  const Json direct = run_scenario_text(R"(
name: t
duration: 1h
workloads: [{name: w, target: db, arrival: {process: poisson, rate: 1/s}}]
services:
  db: {type: rds, instance: db.r6g.large}
)");
  CHECK(std::isnan(cost_field(direct, "db", "proxy vCPU hours", "usd")));
  CHECK(cost_field(direct, "db", "instance hours", "usd") == Approx(0.215).epsilon(1e-12));
}

TEST_CASE("rds aurora: reads spread over the readers, writes go to the writer", "[rds]") {
  const std::string yaml = R"(
name: t
duration: 5min
seed: 2
workloads:
  - {name: reads, target: db, op: read, arrival: {process: poisson, rate: 600/s}}
  - {name: writes, target: db, op: write, arrival: {process: poisson, rate: 100/s}}
services:
  db:
    type: rds
    engine: aurora-postgresql
    instance: db.r6g.large
    readers: 2
    query: {dist: exponential, mean: 2ms}
    connect: 0s
)";
  const Json r = run_scenario_text(yaml);
  REQUIRE(balanced(r));
  CHECK(metric(r, "services.db.instances") == 3);
  // Offered 600 x 2 ms + 100 x 2 ms = 1.4 erlangs on 3 x 2 vCPUs.
  CHECK(metric(r, "services.db.utilization") == Approx(1.4 / 6).epsilon(0.03));
}

TEST_CASE("rds: load errors", "[rds]") {
  CHECK(load_error(R"(
name: t
duration: 1min
workloads: [{name: w, target: db, arrival: {process: poisson, rate: 1/s}}]
services:
  db: {type: rds, instance: db.t3.medium, readers: 2}
)") == "t.yaml:6:52: error: services.db.readers: 'readers' needs an Aurora engine, but engine is mysql\n"
      "    hint: write engine: aurora-mysql or engine: aurora-postgresql (RDS read replicas are not modelled)\n");
  CHECK(load_error(R"(
name: t
duration: 1min
workloads: [{name: w, target: db, arrival: {process: poisson, rate: 1/s}}]
services:
  db: {type: rds, engine: aurora-mysql, instance: db.t3.micro}
)") == "t.yaml:6:51: error: services.db.instance: db.t3.micro is not offered with engine aurora-mysql (use one of "
          "'db.t3.medium', 'db.t4g.medium', 'db.r6g.large', 'db.r6g.xlarge', 'db.r6g.2xlarge', 'db.r6g.4xlarge', "
          "'db.serverless')\n");
  CHECK(load_error(R"(
name: t
duration: 1min
workloads: [{name: w, target: db, arrival: {process: poisson, rate: 1/s}}]
services:
  db: {type: rds, max_connections: 10, proxy: {max_connections_percent: 5}}
)") == "t.yaml:6:73: error: services.db.proxy.max_connections_percent: the proxy's pool would be empty: 5% of 10 "
          "connections is less than one\n    hint: raise max_connections_percent or max_connections\n");
}

TEST_CASE("rds proxy: a pool larger than the vCPUs queues the surplus of an M/M/c queue on the vCPUs", "[rds][analyze]") {
  // 2 vCPUs, Exp(5 ms) transactions at 300/s: an M/M/2 queue, rho = 0.75. The
  // pool of 6 (2% of 341) holds at most 6 transactions on the instance; the
  // others wait to borrow, both queues first come, first served. So a borrow
  // waits when N >= 6: P = C(2, 1.5) rho^4, and the borrow queue's mean length
  // is P rho / (1 - rho); the vCPU wait is the rest of the M/M/2 wait.
  const double c = erlang_c(2, 1.5);
  const double rho = 0.75;
  const double p_wait = c * std::pow(rho, 4);
  const double total_wait_ms = c * 5.0 / (2 - 1.5);
  const double borrow_ms = p_wait * rho / (1 - rho) / 300.0 * 1e3;
  const std::string yaml = R"(
name: t
duration: 5min
warmup: 10s
seed: 5
workloads: [{name: tx, target: db, arrival: {process: poisson, rate: 300/s}}]
services:
  db:
    type: rds
    instance: db.t3.medium
    query: {dist: exponential, mean: 5ms}
    connect: 0s
    proxy: {max_connections_percent: 2}
)";
  const AnalyticResult a = estimate_scenario(load_scenario_text(yaml, "t.yaml", builtin_services()));
  CHECK(estimate(a, "db", "borrow_waits") == Approx(p_wait * 300 * 300).epsilon(1e-9));
  CHECK(estimate(a, "db", "cpu_wait_ms.mean") == Approx(total_wait_ms - borrow_ms).epsilon(1e-9));
  CHECK(estimate(a, "db", "latency_ms.mean") == Approx(5 + total_wait_ms).epsilon(1e-9));
  CHECK(estimate(a, "db", "connections_in_use.mean") == Approx(300 * (5 + total_wait_ms - borrow_ms) / 1e3).epsilon(1e-9));
  std::vector<double> waits, cpu;
  for (std::uint64_t rep = 0; rep < 8; ++rep) {
    const Json r = run_scenario_text(yaml, rep);
    REQUIRE(metric(r, "services.db.pool_size") == 6);
    waits.push_back(metric(r, "services.db.borrow_waits") / metric(r, "services.db.borrows"));
    cpu.push_back(metric(r, "services.db.cpu_wait_ms.mean"));
  }
  const Interval w = t_interval(waits), v = t_interval(cpu);
  INFO("P(borrow waits) " << w.mean << " +- " << w.half_width << " vs " << p_wait);
  CHECK(std::abs(w.mean - p_wait) < w.half_width);
  CHECK(w.half_width < 0.1 * p_wait);
  INFO("vCPU wait " << v.mean << " +- " << v.half_width << " ms vs " << total_wait_ms - borrow_ms);
  CHECK(std::abs(v.mean - (total_wait_ms - borrow_ms)) < v.half_width);
  CHECK(v.half_width < 0.1 * (total_wait_ms - borrow_ms));
}

TEST_CASE("rds direct: an environment reset by a timeout gives its connection back once its query ends", "[rds]") {
  // 3 environments call a 3 s query under a 1 s function timeout: the timeout
  // resets each environment (its session ends) while its query still runs, so
  // the connection closes when the query ends, at 4 s. The next burst makes 3
  // new environments with 3 new connections: never more than 3 at once.
  const std::string yaml = R"(
name: t
duration: 1min
seed: 1
workloads:
  - {name: first, target: fn, arrival: {process: burst, at: 1s, count: 3, over: 0s}}
  - {name: second, target: fn, arrival: {process: burst, at: 10s, count: 3, over: 0s}}
services:
  fn:
    type: lambda
    cold_start: 0s
    duration: 0s
    timeout: 1s
    calls: [{to: db}]
  db:
    type: rds
    instance: db.r6g.xlarge
    max_connections: 3
    query: 3s
    connect: 0s
)";
  const Json r = run_scenario_text(yaml);
  REQUIRE(balanced(r));
  CHECK(metric(r, "services.fn.timeouts") == 6);
  CHECK(metric(r, "services.fn.cold_starts") == 6);
  CHECK(metric(r, "services.db.connects") == 6);
  CHECK(metric(r, "services.db.connection_failures") == 0);
  CHECK(metric(r, "services.db.connections_in_use.max") == 3);
  // 3 connections from 1 s to 4 s and from 10 s to 13 s: 18 connection-seconds in 60 s.
  CHECK(metric(r, "services.db.connections_in_use.mean") == Approx(18.0 / 60.0).epsilon(1e-12));
}
