// DynamoDB: capacity-unit arithmetic, configured DAX hits, provisioned token
// buckets with and without burst, auto scaling's alarm delay, on-demand's
// previous peak, a hot partition, and the SDK's retries. Statistical checks use
// fixed seeds; each tolerance is stated with the sample size it comes from.
#include <cmath>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include <catch2/catch.hpp>

#include "models/dynamodb/capacity.hpp"
#include "models/dynamodb/dynamodb.hpp"
#include "sim/core/simulation.hpp"
#include "support.hpp"

using namespace slsim;
using namespace slsim::testing;
using namespace slsim::models::dynamodb;

namespace {

// A table called directly by a workload (no function in between).
std::string direct(const std::string& arrival, const std::string& op, const std::string& table,
                   const std::string& duration = "10min", const std::string& extra_workload = "") {
  return fmt::format(R"(name: t
duration: {}
workloads:
  - {{name: w, target: table, op: {}, arrival: {}{}}}
services:
  table: {}
)",
                     duration, op, arrival, extra_workload, table);
}

}  // namespace

TEST_CASE("dynamodb: capacity units per item size and consistency", "[dynamodb]") {
  // Half-RCU: eventual 0.5, strong 1, transactional 2 RCU per started 4 KB.
  const std::uint64_t kb = 1024;
  CHECK(read_half_units(1 * kb, Consistency::eventual) == 1);
  CHECK(read_half_units(4 * kb, Consistency::eventual) == 1);
  CHECK(read_half_units(5 * kb, Consistency::eventual) == 2);
  CHECK(read_half_units(9 * kb, Consistency::eventual) == 3);
  CHECK(read_half_units(1 * kb, Consistency::strong) == 2);
  CHECK(read_half_units(4 * kb, Consistency::strong) == 2);
  CHECK(read_half_units(5 * kb, Consistency::strong) == 4);
  CHECK(read_half_units(9 * kb, Consistency::strong) == 6);
  CHECK(read_half_units(1 * kb, Consistency::transactional) == 4);
  CHECK(read_half_units(4 * kb, Consistency::transactional) == 4);
  CHECK(read_half_units(5 * kb, Consistency::transactional) == 8);
  CHECK(read_half_units(9 * kb, Consistency::transactional) == 12);
  // WCU: 1 per started 1 KB, 2 in a transaction.
  CHECK(write_units(1 * kb, false) == 1);
  CHECK(write_units(4 * kb, false) == 4);
  CHECK(write_units(5 * kb, false) == 5);
  CHECK(write_units(9 * kb, false) == 9);
  CHECK(write_units(1 * kb, true) == 2);
  CHECK(write_units(4 * kb, true) == 8);
  CHECK(write_units(5 * kb, true) == 10);
  CHECK(write_units(9 * kb, true) == 18);
  CHECK(write_units(1 * kb + 1, false) == 2);
  // Partitions: 3000 RCU and 1000 WCU each, as a linear mix.
  CHECK(partitions_for(3000, 0) == 1);
  CHECK(partitions_for(3001, 0) == 2);
  CHECK(partitions_for(0, 10000) == 10);
  CHECK(partitions_for(1500, 500) == 1);
  CHECK(partitions_for(1500, 501) == 2);
}

TEST_CASE("dynamodb: consumed units in a run are the arithmetic times the calls", "[dynamodb]") {
  struct Case {
    const char* size;
    const char* consistency;
    const char* op;
    double rcu_per_call;
    double wcu_per_call;
  };
  const Case cases[] = {
      {"5KB", "strong", "get", 2, 0},          {"9KB", "eventual", "get", 1.5, 0},
      {"1KB", "transactional", "get", 2, 0},   {"1KB", "eventual", "query", 1.5, 0},  // 10 items = 10 KB as a whole
      {"5KB", "eventual", "put", 0, 5},        {"5KB", "transactional", "put", 0, 10},
      {"1KB", "eventual", "transact", 0, 4},   {"3KB", "strong", "batch_get", 25 * 1.0, 0},
      {"2KB", "eventual", "batch_write", 0, 50},
  };
  for (const Case& c : cases) {
    CAPTURE(c.size, c.consistency, c.op);
    const Json r = run_scenario_text(
        direct("{process: constant, rate: 10/s}", c.op,
               fmt::format("{{type: dynamodb, item_size: {}, consistency: {}, capacity: {{mode: on_demand}}}}", c.size,
                           c.consistency),
               "1min"));
    const double calls = metric(r, "services.table.requests");
    CHECK(calls == 600);
    CHECK(metric(r, "services.table.throttles") == 0);
    CHECK(metric(r, "services.table.consumed_rcu") == c.rcu_per_call * calls);
    CHECK(metric(r, "services.table.consumed_wcu") == c.wcu_per_call * calls);
  }
}

TEST_CASE("dynamodb: a configured DAX hit ratio h gives hits h and RCU (1-h) x reads x units", "[dynamodb]") {
  const Json r = run_scenario_text(direct("{process: poisson, rate: 200/s}", "get",
                                          "{type: dynamodb, item_size: 6KB, dax: {hit_ratio: 0.8}}", "5min"));
  const double reads = metric(r, "services.table.reads");
  const double hits = metric(r, "services.table.dax.hits");
  REQUIRE(reads > 50000);
  // Binomial(reads, 0.8): 5 standard errors.
  const double se = std::sqrt(0.8 * 0.2 / reads);
  CHECK(std::abs(hits / reads - 0.8) < 5 * se);
  // Misses read the table: 6 KB eventually consistent = 2 blocks x 0.5 RCU, exactly.
  CHECK(metric(r, "services.table.consumed_rcu") == (reads - hits) * 1.0);
  CHECK(metric(r, "services.table.dax.misses") == reads - hits);
  // Hits answer at DAX's latency (500us), misses add the table's (4ms).
  CHECK(metric(r, "services.table.latency_ms.p50") == Approx(0.5).epsilon(0.01));
  CHECK(metric(r, "services.table.latency_ms.p90") == Approx(4.5).epsilon(0.01));
}

TEST_CASE("dynamodb: strongly consistent reads bypass DAX", "[dynamodb]") {
  const Json r = run_scenario_text(direct("{process: constant, rate: 10/s}", "get",
                                          "{type: dynamodb, consistency: strong, dax: {hit_ratio: 1}}", "1min"));
  CHECK(metric(r, "services.table.dax.reads") == 0);
  CHECK(metric(r, "services.table.consumed_rcu") == 600);
}

TEST_CASE("dynamodb: twice the provisioned capacity, no burst, no retries: half is throttled", "[dynamodb]") {
  // 200 strongly consistent 4 KB reads per second on 100 RCU.
  const Json r = run_scenario_text(direct(
      "{process: constant, rate: 200/s}", "get",
      "{type: dynamodb, item_size: 4KB, consistency: strong, capacity: {mode: provisioned, rcu: 100, wcu: 1, burst: "
      "false}, client_retries: {max_attempts: 1}}"));
  const double reads = metric(r, "services.table.reads");
  CHECK(reads == 120000);
  // Deterministic arrivals: the bucket (1 s of capacity) admits 100/s plus its initial fill.
  CHECK(metric(r, "services.table.throttles") / reads == Approx(0.5).margin(0.002));
  CHECK(metric(r, "services.table.failed") == metric(r, "services.table.throttles"));
  CHECK(metric(r, "services.table.throttled_by.table") == metric(r, "services.table.throttles"));
  CHECK(metric(r, "services.table.consumed_rcu") == Approx(100.0 * 600).margin(101));
}

TEST_CASE("dynamodb: a short spike that fits in 300 s of saved capacity is absorbed", "[dynamodb]") {
  // 100 RCU, base load 40 reads/s; a spike of 15000 reads over 50 s (300/s more)
  // needs 13000 RCU above capacity: less than the 30000 saved in 300 s.
  const std::string arrival = "{process: constant, rate: 40/s}";
  const std::string spike = "\n  - {name: spike, target: table, op: get, arrival: {process: burst, at: 6min, count: "
                            "15000, over: 50s}}";
  const auto table = [](const char* burst) {
    return fmt::format("{{type: dynamodb, item_size: 4KB, consistency: strong, capacity: {{mode: provisioned, rcu: "
                       "100, wcu: 1, burst: {}}}, client_retries: {{max_attempts: 1}}}}",
                       burst);
  };
  std::string with_burst = direct(arrival, "get", table("true"));
  std::string without = direct(arrival, "get", table("false"));
  with_burst.replace(with_burst.find("services:"), 0, spike.substr(1) + "\n");
  without.replace(without.find("services:"), 0, spike.substr(1) + "\n");
  const Json absorbed = run_scenario_text(with_burst);
  const Json refused = run_scenario_text(without);
  CHECK(metric(absorbed, "services.table.reads") == 40 * 600 + 15000);
  CHECK(metric(absorbed, "services.table.throttles") == 0);
  // Without burst the spike's excess over 100 RCU is refused: 15000 - 60 x 50 s, give or take one bucket.
  CHECK(metric(refused, "services.table.throttles") == Approx(15000 - 60 * 50).margin(200));
}

TEST_CASE("dynamodb: auto scaling raises capacity only after its alarm and update delay", "[dynamodb]") {
  // 50 writes/s, then 300/s from 10 min on, on 100 WCU (target 70%).
  const Json r = run_scenario_text(direct(
      "{process: constant, schedule: [{at: 0s, rate: 50/s}, {at: 10min, rate: 300/s}]}", "put",
      "{type: dynamodb, capacity: {mode: provisioned, rcu: 10, wcu: 100, burst: false, auto_scaling: {min: 100, max: "
      "2000, target_utilization: 0.7, scale_out_after: 2min, update_delay: 2min}}, client_retries: {max_attempts: 1}}",
      "30min"));
  // Overload from 600 s; two full minutes above target (ticks at 660 and 720 s), then 2 min to apply.
  CHECK(metric(r, "services.table.scaling.first_increase_s") == Approx(840));
  // The timeline: 30 one-minute steps; 100 WCU until 14 min, more from then on.
  CHECK(metric(r, "services.table.scaling.timeline.step_s") == 60);
  CHECK(r.find_path("services.table.scaling.timeline.wcu")->size() == 30);
  CHECK(metric(r, "services.table.scaling.timeline.wcu.13") == 100);
  CHECK(metric(r, "services.table.scaling.timeline.wcu.14") > 100);
  // Throttles happen before the first change, none once capacity caught up.
  CHECK(metric(r, "services.table.throttles") > 0);
  CHECK(metric(r, "services.table.capacity.wcu.final") >= 300 / 0.7);
  CHECK(metric(r, "services.table.capacity.wcu.final") <= 2000);
  CHECK(metric(r, "services.table.scaling.increases") >= 1);
  // The mean capacity is the timeline's mean (equal steps).
  double sum = 0;
  for (int i = 0; i < 30; ++i) sum += metric(r, fmt::format("services.table.scaling.timeline.wcu.{}", i));
  CHECK(sum / 30 == Approx(metric(r, "services.table.capacity.wcu.mean")).epsilon(1e-9));
}

TEST_CASE("dynamodb: on-demand serves traffic that doubles every peak_delay, not an instant 4x jump", "[dynamodb]") {
  // Previous peak 50 RRU/s: 100 strongly consistent reads per second at once.
  const std::string table = "{type: dynamodb, item_size: 4KB, consistency: strong, capacity: {mode: on_demand, "
                            "previous_peak: {rru: 50/s, wru: 0/s}, peak_delay: 1min}, client_retries: {max_attempts: 1}}";
  const Json doubling = run_scenario_text(direct(
      "{process: constant, schedule: [{at: 0s, rate: 100/s}, {at: 1min, rate: 200/s}, {at: 2min, rate: 400/s}, "
      "{at: 3min, rate: 800/s}, {at: 4min, rate: 1600/s}]}",
      "get", table, "5min"));
  CHECK(metric(doubling, "services.table.reads") == 60 * (100 + 200 + 400 + 800 + 1600));
  CHECK(metric(doubling, "services.table.throttles") == 0);
  CHECK(metric(doubling, "services.table.capacity.ready_rru_per_s") >= 1600);

  // The same at AWS's pace, with the default peak_delay: doubling every 30 minutes.
  const Json half_hourly = run_scenario_text(direct(
      "{process: constant, schedule: [{at: 0s, rate: 10/s}, {at: 30min, rate: 20/s}, {at: 60min, rate: 40/s}, "
      "{at: 90min, rate: 80/s}, {at: 120min, rate: 160/s}]}",
      "get",
      "{type: dynamodb, item_size: 4KB, consistency: strong, capacity: {mode: on_demand, previous_peak: {rru: 5/s, "
      "wru: 0/s}}, client_retries: {max_attempts: 1}}",
      "150min"));
  CHECK(metric(half_hourly, "services.table.reads") == Approx(1800 * (10 + 20 + 40 + 80 + 160)).margin(1));
  CHECK(metric(half_hourly, "services.table.throttles") == 0);
  // Twice as fast (doubling every 15 minutes): each step after the first is throttled for a while.
  const Json quarter_hourly = run_scenario_text(direct(
      "{process: constant, schedule: [{at: 0s, rate: 10/s}, {at: 15min, rate: 20/s}, {at: 30min, rate: 40/s}, "
      "{at: 45min, rate: 80/s}]}",
      "get",
      "{type: dynamodb, item_size: 4KB, consistency: strong, capacity: {mode: on_demand, previous_peak: {rru: 5/s, "
      "wru: 0/s}}, client_retries: {max_attempts: 1}}",
      "60min"));
  CHECK(metric(quarter_hourly, "services.table.throttles") > 1000);

  // 4x the previous peak at once: half is refused until the new peak is a minute old.
  const Json jump = run_scenario_text(direct(
      "{process: constant, schedule: [{at: 0s, rate: 100/s}, {at: 2min, rate: 400/s}]}", "get", table, "5min"));
  CHECK(metric(jump, "services.table.throttles") == Approx(200 * 60).epsilon(0.03));
}

TEST_CASE("dynamodb: one hot key throttles even with table capacity to spare", "[dynamodb]") {
  // One key written 1500 times a second; its partition takes 1000 WCU/s.
  const Json r = run_scenario_text(direct(
      "{process: constant, rate: 1500/s}, keys: {count: 1}", "put",
      "{type: dynamodb, capacity: {mode: provisioned, rcu: 10, wcu: 10000}, client_retries: {max_attempts: 1}}",
      "1min"));
  // 10000 WCU + 10 RCU need 10.003 partitions' worth: 11.
  CHECK(metric(r, "services.table.partitions.count") == 11);
  const double writes = metric(r, "services.table.writes");
  CHECK(writes == Approx(90000).margin(1));
  // A third, less the partition's initial second of capacity (1000 WCU).
  CHECK(metric(r, "services.table.throttles") == Approx(500 * 60 - 1000).margin(5));
  CHECK(metric(r, "services.table.throttled_by.partition") == metric(r, "services.table.throttles"));
  CHECK(metric(r, "services.table.partitions.hottest_share") == 1);
  // The same load over many keys passes.
  const Json spread = run_scenario_text(direct(
      "{process: constant, rate: 1500/s}, keys: {count: 100000}", "put",
      "{type: dynamodb, capacity: {mode: provisioned, rcu: 10, wcu: 10000}, client_retries: {max_attempts: 1}}",
      "1min"));
  CHECK(metric(spread, "services.table.throttles") == 0);
}

TEST_CASE("dynamodb: SDK retries fail q^n of the calls and the caller pays for the waits", "[dynamodb]") {
  const double q = 0.3;
  const Json r = run_scenario_text(R"(name: t
duration: 10min
workloads:
  - {name: w, target: fn, arrival: {process: poisson, rate: 100/s}}
services:
  fn: {type: lambda, memory: 128MB, duration: 10ms, calls: [{to: table, op: get}]}
  table:
    type: dynamodb
    latency: {get: 4ms}
    injected_throttles: 0.3
    client_retries: {max_attempts: 3, base: 50ms, cap: 20s}
)");
  const double calls = metric(r, "services.table.requests");
  REQUIRE(calls > 50000);
  const double p = q * q * q;
  // Binomial(calls, q^3): 5 standard errors.
  CHECK(std::abs(metric(r, "services.table.failed") / calls - p) < 5 * std::sqrt(p * (1 - p) / calls));
  CHECK(metric(r, "services.table.retries") / calls == Approx(q + q * q).margin(5 * std::sqrt(0.5 / calls)));
  // Each attempt takes 4 ms; retry k waits U(0, 50 ms x 2^(k-1)): 25 ms then 50 ms on average.
  const double expected_ms = 10 + 4 + q * (4 + 25) + q * q * (4 + 50);
  // The mean wait has a standard deviation under 30 ms per call: 5 SE < 0.7 ms.
  CHECK(metric(r, "services.fn.duration_ms.mean") == Approx(expected_ms).margin(0.7));
  CHECK(metric(r, "workloads.w.failed") == metric(r, "services.table.failed"));
}

namespace {

struct StreamRun {
  std::unique_ptr<Scenario> scenario;
  BuiltModel model;
  Json result;
  std::vector<models::StreamRecordEnd> ends;  // of the table named "table"
};

StreamRun run_stream(const std::string& yaml) {
  StreamRun r;
  r.scenario = std::make_unique<Scenario>(load_scenario_text(yaml, "t.yaml", builtin_services()));
  r.model = build_model(*r.scenario, 0);
  for (Service* s : r.model.services)
    if (s->name() == "table") models::dynamodb_observe_stream(*s, &r.ends);
  r.model.sim->run();
  r.result = collect_result(*r.scenario, r.model, 0.0);
  for (Service* s : r.model.services)
    if (s->name() == "table") models::dynamodb_observe_stream(*s, nullptr);
  return r;
}

std::string stream_scenario(const std::string& consumer_fn, const std::string& consumer_extra) {
  return fmt::format(R"(name: t
duration: 2min
workloads:
  - {{name: w, target: table, op: put, arrival: {{process: poisson, rate: 200/s}}, keys: {{count: 40}}}}
services:
  table:
    type: dynamodb
    latency: {{put: 6ms}}
    stream: {{consumer: {{function: fn, batch_size: 5{}}}}}
  fn: {}
  dead: {{type: sqs}}
)",
                     consumer_extra, consumer_fn);
}

}  // namespace

TEST_CASE("dynamodb streams: per-item order is kept while failed batches are retried", "[dynamodb][streams]") {
  const StreamRun r = run_stream(stream_scenario("{type: lambda, duration: 2ms, errors: 0.3}", ", bisect_batch_on_error: true"));
  std::map<std::uint64_t, std::uint64_t> last_id;
  std::map<std::uint64_t, std::uint32_t> lane_of;
  std::size_t processed = 0;
  for (const auto& e : r.ends) {
    const auto [lane, fresh] = lane_of.emplace(e.partition_key, e.lane);
    CHECK(lane->second == e.lane);  // an item always maps to the same shard
    if (e.fate != Outcome::succeeded) continue;
    ++processed;
    const auto [it, first] = last_id.emplace(e.partition_key, e.request_id);
    if (!first) {
      CHECK(e.request_id > it->second);  // processed in write order
      it->second = e.request_id;
    }
  }
  CHECK(processed > 20000);
  CHECK(lane_of.size() == 40);
  CHECK(metric(r.result, "services.table.stream.retries") > 1000);
  CHECK(metric(r.result, "services.table.stream.shards") == 4);  // a new on-demand table's 4 partitions
  CHECK(balanced(r.result));
}

TEST_CASE("dynamodb streams: a batch that always fails blocks its shard until its retries run out", "[dynamodb][streams]") {
  // Blocks for good: nothing is processed, the backlog is every record.
  const StreamRun blocked = run_stream(stream_scenario("{type: lambda, duration: 2ms, errors: 1}", ""));
  CHECK(metric(blocked.result, "services.table.stream.processed") == 0);
  // (A write still inside its 6 ms at the end has no record yet.)
  CHECK(metric(blocked.result, "services.table.stream.backlog.final") ==
        Approx(metric(blocked.result, "services.table.writes")).margin(2));
  CHECK(metric(blocked.result, "services.table.stream.iterator_age_ms.max") > 100000);
  // With max_retry_attempts 2 each batch is tried 3 times, then goes to the on-failure queue.
  const StreamRun drained =
      run_stream(stream_scenario("{type: lambda, duration: 2ms, errors: 1}", ", max_retry_attempts: 2, on_failure: dead"));
  const double batches = metric(drained.result, "services.table.stream.batches");
  CHECK(metric(drained.result, "services.table.stream.retries") == Approx(batches * 2 / 3).margin(8));
  CHECK(metric(drained.result, "services.table.stream.to_on_failure") >= metric(drained.result, "services.table.writes") - 40);
  CHECK(metric(drained.result, "services.dead.sent") == metric(drained.result, "services.table.stream.on_failure_messages"));
  CHECK(balanced(drained.result));
}

TEST_CASE("dynamodb: load-time checks of DAX and its keys", "[dynamodb]") {
  const std::string base = R"(name: t
duration: 1min
workloads:
  - {name: w, target: fn, arrival: {process: poisson, rate: 10/s}}
services:
  fn: {type: lambda, duration: 5ms, calls: [{to: table, op: get}]}
  table:
    type: dynamodb
)";
  // Emergent hits need keys: a warning names the workload that has none.
  const Scenario keyless = load_scenario_text(base + "    dax: {capacity_items: 1000}\n", "t.yaml", builtin_services());
  CHECK(keyless.warnings.str() ==
        "t.yaml:9:27: warning: services.table.dax.capacity_items: workload 'w' reaches this cache without `keys:`: each "
        "of its requests is an item of its own, so it never hits\n"
        "    hint: give the workload keys, e.g. keys: {count: 100000, zipf: 1.0}, or the cache a hit_ratio\n");
  CHECK(load_scenario_text(base + "    dax: {hit_ratio: 0.5}\n", "t.yaml", builtin_services()).warnings.str().empty());
  // Exactly one of hit_ratio and capacity_items.
  CHECK(load_error(base + "    dax: {nodes: 3}\n") ==
        "t.yaml:9:10: error: services.table.dax: a cache needs hit_ratio or capacity_items\n"
        "    hint: e.g. hit_ratio: 0.8, or capacity_items: 100000 with the workloads' keys: {count, zipf}\n");
  // The capacity mode's keys go in the capacity block.
  CHECK(load_error(base + "    rcu: 100\n") ==
        "t.yaml:9:5: error: services.table.rcu: unknown key 'rcu'\n"
        "    hint: the capacity is a block: capacity: {mode: provisioned, rcu: 100, wcu: 50}\n");
  CHECK(load_error(base + "    capacity: {mode: provisioned, rcu: 100, wcu: 10, auto_scaling: {min: 500, max: 100}}\n") ==
        "t.yaml:9:74: error: services.table.capacity.auto_scaling.min: auto scaling min (500) is above its max (100)\n");
}

TEST_CASE("lambda: a per-record call is made once per record of a batch", "[dynamodb][lambda]") {
  // An SQS consumer with batches of up to 10 writes every record; a per-invocation call writes once per batch.
  const auto run = [](const char* per) {
    return run_scenario_text(fmt::format(R"(name: t
duration: 2min
workloads:
  - {{name: w, target: q, arrival: {{process: constant, rate: 100/s}}}}
services:
  q: {{type: sqs, consumer: {{function: fn, batch_size: 10, batch_window: 1s}}}}
  fn: {{type: lambda, duration: 1ms, calls: [{{to: table, op: put, per: {}}}]}}
  table: {{type: dynamodb}}
)",
                                         per));
  };
  const Json per_record = run("record");
  const Json per_invocation = run("invocation");
  // (A batch still in its handler at the end has made no call yet.)
  CHECK(metric(per_record, "services.table.writes") == Approx(metric(per_record, "services.q.deleted")).margin(10));
  CHECK(metric(per_record, "services.table.writes") > 11000);
  CHECK(metric(per_invocation, "services.table.writes") ==
        Approx(metric(per_invocation, "services.fn.invocations")).margin(1));
  CHECK(metric(per_invocation, "services.fn.invocations") < metric(per_invocation, "services.q.deleted") / 5);
}
