// Kinesis: shard write limits, per-key order through the event source mapping
// with retries and bisection, blocking by a failing batch, record expiry,
// iterator age, cost and load errors. The blocking cases use a test-only
// `lambda` type (registered in a registry of this file) that fails exactly the
// batches whose first record is a chosen "poison" request, so one record can
// be made to fail forever while every other batch succeeds.
#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include <catch2/catch.hpp>

#include "models/kinesis/kinesis.hpp"
#include "sim/core/service.hpp"
#include "sim/core/simulation.hpp"
#include "model_run.hpp"
#include "support.hpp"

using namespace slsim;
using namespace slsim::testing;
using models::KinesisRecordEnd;

namespace {

// The request id whose batches the test consumer fails (0: none).
std::uint64_t g_poison_id = 0;

// A consumer that takes 1 ms per record, and fails a batch when its first
// record (the batch call's request) is the poison request.
class PoisonConsumer final : public Service {
 public:
  explicit PoisonConsumer(const ServiceBuildContext& ctx) : Service(ctx.name(), "lambda") {}
  void handle(Simulation& sim, const Event& e) override {
    if (e.kind == kCallEvent) {
      const Call& c = sim.call_info(CallHandle{e.data});
      sim.schedule_in(static_cast<SimTime>(c.items) * kMillisecond, id(), kFirstComponentEvent, e.data);
      ++invocations_;
      return;
    }
    if (e.kind != kFirstComponentEvent) return;
    const CallHandle call{e.data};
    const Call& c = sim.call_info(call);
    const bool poison = sim.request(c.request).id == g_poison_id;
    sim.reply(call, poison ? CallStatus::error : CallStatus::ok, 0, poison ? c.items : 0);
  }
  void report(Json& out, double) const override { out["invocations"] = invocations_; }

 private:
  std::uint64_t invocations_ = 0;
};

const ServiceRegistry& poison_registry() {
  static const ServiceRegistry reg = [] {
    ServiceRegistry r = builtin_services();
    for (ServiceType& t : r.types)
      if (t.name == "lambda") {
        t.build = &make_service<PoisonConsumer>;
        t.check = nullptr;
      }
    return r;
  }();
  return reg;
}

struct Run : ModelRun {
  std::vector<KinesisRecordEnd> ends;  // of the service named "stream"
};

Run run(const std::string& yaml, const ServiceRegistry& registry = builtin_services()) {
  Run r;
  const auto observe = [&r](ModelRun& m, std::vector<KinesisRecordEnd>* ends) {
    for (Service* s : m.model.services)
      if (s->name() == "stream") models::kinesis_observe(*s, ends);
  };
  static_cast<ModelRun&>(r) = run_model(
      yaml, registry, 0, [&](ModelRun& m) { observe(m, &r.ends); }, [&](ModelRun& m) { observe(m, nullptr); });
  return r;
}

// Per partition key, the request ids of the processed records are increasing
// (ids grow in arrival order, and every put here happens at arrival), and the
// key always maps to the same lane.
void require_per_key_order(const std::vector<KinesisRecordEnd>& ends) {
  std::map<std::uint64_t, std::uint64_t> last_id;
  std::map<std::uint64_t, std::uint32_t> lane_of;
  std::size_t processed = 0;
  for (const KinesisRecordEnd& e : ends) {
    auto [it, fresh] = lane_of.emplace(e.partition_key, e.lane);
    REQUIRE(it->second == e.lane);
    if (e.fate != Outcome::succeeded) continue;
    ++processed;
    auto& last = last_id[e.partition_key];
    INFO("key " << e.partition_key << ": request " << e.request_id << " after " << last);
    REQUIRE(e.request_id > last);
    last = e.request_id;
  }
  REQUIRE(processed > 1000);
}

}  // namespace

TEST_CASE("kinesis: one shard accepts 1000 records per second plus its one-second burst", "[kinesis][throttle]") {
  // Constant 1500/s into one shard for 60 s: the bucket (1000 records, +1000/s)
  // lets through 1000 + 1000 x 60 of the 90,000 puts.
  const Run r = run(
      "name: t\nduration: 60s\n"
      "workloads: [{name: w, target: stream, arrival: {process: constant, rate: 1500/s}}]\n"
      "services:\n  stream: {type: kinesis}\n");
  const Json& res = r.result;
  REQUIRE(metric(res, "services.stream.puts") == Approx(90000).margin(1));
  REQUIRE(metric(res, "services.stream.records") == Approx(61000).margin(2));
  REQUIRE(metric(res, "services.stream.throttles") ==
          metric(res, "services.stream.puts") - metric(res, "services.stream.records"));
  REQUIRE(metric(res, "services.stream.throttled_by.bytes") == 0);
  REQUIRE(metric(res, "workloads.w.throttled") == metric(res, "services.stream.throttles"));
  REQUIRE(res.find_path("accounting.balanced")->as_bool());
  // Without a consumer the accepted records stay in the stream (retention 24 h).
  REQUIRE(metric(res, "accounting.in_flight") == metric(res, "services.stream.records"));

  // Two shards and keyed records: about 750/s per shard, nothing throttled.
  const Run two = run(
      "name: t\nduration: 60s\n"
      "workloads: [{name: w, target: stream, keys: {count: 100000}, arrival: {process: constant, rate: 1500/s}}]\n"
      "services:\n  stream: {type: kinesis, shards: 2}\n");
  REQUIRE(metric(two.result, "services.stream.throttles") == 0);
  REQUIRE(metric(two.result, "services.stream.records") == metric(two.result, "services.stream.puts"));
}

TEST_CASE("kinesis: the 1 MB per second payload limit throttles large records", "[kinesis][throttle]") {
  // 2 KB records at 600/s = 1.17 MB/s into one shard: the byte bucket (1 MB,
  // +1 MB/s) takes 512 records per second plus 512 at once.
  const Run r = run(
      "name: t\nduration: 60s\n"
      "workloads: [{name: w, target: stream, payload: 2KB, arrival: {process: constant, rate: 600/s}}]\n"
      "services:\n  stream: {type: kinesis}\n");
  REQUIRE(metric(r.result, "services.stream.records") == Approx(512 + 512 * 60).margin(2));
  REQUIRE(metric(r.result, "services.stream.throttled_by.records") == 0);
  REQUIRE(metric(r.result, "services.stream.throttled_by.bytes") > 0);
}

TEST_CASE("kinesis: per-key order is kept through errors retries and bisection", "[kinesis][order]") {
  const std::string base =
      "name: t\nduration: 300s\nseed: 5\n"
      "workloads: [{{name: w, target: stream, keys: {{count: 50}}, arrival: {{process: poisson, rate: 200/s}}}}]\n"
      "services:\n"
      "  stream:\n    type: kinesis\n    shards: 2\n"
      "    consumer: {{function: fn, batch_size: 20, parallelization_factor: 3, bisect_batch_on_error: {}, "
      "max_retry_attempts: {}}}\n"
      "  fn: {{type: lambda, duration: 1ms, errors: 0.05, cold_start: 0ms}}\n";
  for (const bool bisect : {false, true}) {
    for (const int retries : {-1, 2}) {
      INFO("bisect " << bisect << ", max_retry_attempts " << retries);
      const Run r = run(fmt::format(fmt::runtime(base), bisect, retries));
      REQUIRE(r.result.find_path("accounting.balanced")->as_bool());
      REQUIRE(metric(r.result, "services.stream.retries") > 100);
      REQUIRE(metric(r.result, "services.stream.lanes") == 6);
      REQUIRE(metric(r.result, "services.stream.lanes_busy.max") <= 6);
      require_per_key_order(r.ends);
      if (bisect) REQUIRE(metric(r.result, "services.stream.bisections") > 0);
      if (retries < 0) REQUIRE(metric(r.result, "services.stream.dropped") == 0);
      else REQUIRE(metric(r.result, "services.stream.dropped") > 0);
    }
  }
}

TEST_CASE("kinesis: a function that always fails blocks its shard until max_record_age", "[kinesis][blocking]") {
  // Nothing is ever processed: each record leaves when it is 60 s old, within
  // one invocation (at most 10 records of 1 ms) of that age, and the iterator
  // age climbs to just under 60 s.
  const Run r = run(
      "name: t\nduration: 300s\n"
      "workloads: [{name: w, target: stream, arrival: {process: constant, rate: 10/s}}]\n"
      "services:\n"
      "  stream: {type: kinesis, consumer: {function: fn, batch_size: 10, max_record_age: 60s}}\n"
      "  fn: {type: lambda, duration: 1ms, errors: 1, cold_start: 0ms}\n");
  const Json& res = r.result;
  REQUIRE(metric(res, "services.stream.processed") == 0);
  REQUIRE(metric(res, "services.stream.expired") == Approx(2400).margin(10));
  REQUIRE(metric(res, "accounting.expired") == metric(res, "services.stream.expired"));
  REQUIRE(res.find_path("accounting.balanced")->as_bool());
  REQUIRE(r.ends.size() == static_cast<std::size_t>(metric(res, "services.stream.expired")));
  for (const KinesisRecordEnd& e : r.ends) {
    REQUIRE(e.fate == Outcome::expired);
    REQUIRE(e.age >= 60 * kSecond);
    REQUIRE(e.age <= 60 * kSecond + 10 * kMillisecond);
  }
  REQUIRE(metric(res, "services.stream.iterator_age_ms.max") >= 59990);
  REQUIRE(metric(res, "services.stream.iterator_age_ms.max") <= 60000);
  REQUIRE(metric(res, "services.stream.retries") > 10000);
  REQUIRE(metric(res, "services.stream.lanes_busy.max") == 1);

  // With an on-failure queue the too-old records are sent there instead (one
  // message per group discarded together) and end dead-lettered.
  const Run q = run(
      "name: t\nduration: 300s\n"
      "workloads: [{name: w, target: stream, arrival: {process: constant, rate: 10/s}}]\n"
      "services:\n"
      "  stream: {type: kinesis, consumer: {function: fn, batch_size: 10, max_record_age: 60s, on_failure: dlq}}\n"
      "  fn: {type: lambda, duration: 1ms, errors: 1, cold_start: 0ms}\n"
      "  dlq: {type: sqs}\n");
  REQUIRE(metric(q.result, "services.stream.expired") == 0);
  REQUIRE(metric(q.result, "services.stream.to_on_failure") == Approx(2400).margin(10));
  REQUIRE(metric(q.result, "services.dlq.sent") == metric(q.result, "services.stream.on_failure_messages"));
  REQUIRE(metric(q.result, "accounting.messages.dead_lettered") == metric(q.result, "services.stream.to_on_failure"));
  REQUIRE(q.result.find_path("accounting.balanced")->as_bool());
}

TEST_CASE("kinesis: a poison record blocks only its own lane while other shards proceed", "[kinesis][blocking]") {
  const std::string yaml_template =
      "name: t\nduration: 200s\n"
      "workloads: [{{name: w, target: stream, keys: {{count: 1000}}, arrival: {{process: constant, rate: 20/s}}}}]\n"
      "services:\n"
      "  stream: {{type: kinesis, shards: {}, consumer: {{function: fn, batch_size: 10, parallelization_factor: {}, "
      "max_record_age: 60s}}}}\n"
      "  fn: {{type: lambda, duration: 1ms}}\n";
  for (const auto& [shards, parallel] : {std::pair{4, 1}, std::pair{1, 2}}) {
    INFO(shards << " shards, parallelization_factor " << parallel);
    g_poison_id = 100;  // put at about 5 s
    const Run r = run(fmt::format(fmt::runtime(yaml_template), shards, parallel), poison_registry());
    g_poison_id = 0;
    REQUIRE(r.result.find_path("accounting.balanced")->as_bool());
    REQUIRE(metric(r.result, "services.stream.expired") == 1);
    const auto poison = std::find_if(r.ends.begin(), r.ends.end(), [](const auto& e) { return e.request_id == 100; });
    REQUIRE(poison != r.ends.end());
    REQUIRE(poison->fate == Outcome::expired);
    REQUIRE(poison->age >= 60 * kSecond);
    REQUIRE(poison->age <= 60 * kSecond + 10 * kMillisecond);
    const SimTime put = poison->at - poison->age;
    std::size_t blocked = 0, free_running = 0;
    for (const KinesisRecordEnd& e : r.ends) {
      if (e.request_id == 100) continue;
      REQUIRE(e.fate == Outcome::succeeded);
      const SimTime put_at = e.at - e.age;
      if (put_at <= put || put_at > put + 50 * kSecond) continue;
      if (e.lane == poison->lane) {
        // Stuck behind the poison record: processed only once it expired.
        REQUIRE(e.at >= poison->at);
        ++blocked;
      } else {
        // Other shards (or the other lane of the same shard) are not held up.
        REQUIRE(e.age < kSecond);
        ++free_running;
      }
    }
    REQUIRE(blocked > 50);
    REQUIRE(free_running > 300);
    REQUIRE(metric(r.result, "services.stream.iterator_age_ms.max") > 50000);
  }
}

TEST_CASE("kinesis: bisecting failed batches processes more records in the same time", "[kinesis][bisect]") {
  // 1% of records fail each time they are sent: a batch of 100 fails 63% of
  // the time, so retrying whole batches cannot keep up with 300 records/s;
  // halving failed batches isolates the failures and gets more through.
  const std::string base =
      "name: t\nduration: 600s\nseed: 2\n"
      "workloads: [{{name: w, target: stream, arrival: {{process: poisson, rate: 300/s}}}}]\n"
      "services:\n"
      "  stream: {{type: kinesis, consumer: {{function: fn, batch_size: 100, batch_window: 1s, bisect_batch_on_error: {}}}}}\n"
      "  fn: {{type: lambda, duration: 2ms, errors: 0.01, cold_start: 0ms}}\n";
  const Run plain = run(fmt::format(fmt::runtime(base), false));
  const Run bisect = run(fmt::format(fmt::runtime(base), true));
  const double p = metric(plain.result, "services.stream.processed");
  const double b = metric(bisect.result, "services.stream.processed");
  INFO("processed: plain " << p << ", bisect " << b);
  REQUIRE(b > 1.3 * p);
  REQUIRE(metric(bisect.result, "services.stream.bisections") > 0);
  REQUIRE(metric(bisect.result, "services.stream.retries") > metric(plain.result, "services.stream.retries"));
  REQUIRE(metric(bisect.result, "services.stream.backlog.final") < metric(plain.result, "services.stream.backlog.final"));
  REQUIRE(metric(bisect.result, "services.stream.iterator_age_ms.p50") <
          metric(plain.result, "services.stream.iterator_age_ms.p50"));
}

TEST_CASE("kinesis: cost is shard hours plus PUT payload units", "[kinesis][cost]") {
  // 30 KB records are two 25 KB payload units each.
  const std::string base =
      "name: t\nduration: 1h\n"
      "workloads: [{name: w, target: stream, payload: 30KB, arrival: {process: constant, rate: 20/s}}]\n"
      "services:\n  stream: {type: kinesis, shards: 2";
  const Run r = run(base + "}\n");
  const double records = metric(r.result, "services.stream.records");
  REQUIRE(records == Approx(72000).margin(1));
  REQUIRE(metric(r.result, "services.stream.throttles") == 0);
  REQUIRE(metric(r.result, "services.stream.payload_units") == 2 * records);
  REQUIRE(metric(r.result, "cost.by_service.stream") == Approx(2 * 1 * 0.015 + 2 * records * 1.4e-8));
  // Retention above 24 h adds extended retention per shard hour.
  const Run ext = run(base + ", retention: 48h}\n");
  REQUIRE(metric(ext.result, "cost.by_service.stream") == Approx(2 * 1 * (0.015 + 0.02) + 2 * records * 1.4e-8));
}

TEST_CASE("kinesis: load errors and warnings", "[kinesis][loader]") {
  const std::string head =
      "name: t\nduration: 1min\n"
      "workloads: [{name: w, target: stream, arrival: {process: constant, rate: 1/s}}]\n"
      "services:\n"
      "  fn: {type: lambda, duration: 1ms}\n"
      "  q: {type: sqs}\n";
  REQUIRE(load_error(head + "  stream: {type: kinesis, retention: 12h}\n") ==
          "t.yaml:7:38: error: services.stream.retention: expected a duration between 1d and 365d, found '12h'\n");
  REQUIRE(load_error(head + "  stream: {type: kinesis, consumer: {function: fn, parallelization_factor: 11}}\n") ==
          "t.yaml:7:76: error: services.stream.consumer.parallelization_factor: expected a whole number between 1 "
          "and 10, found '11'\n");
  REQUIRE(load_error(head + "  stream: {type: kinesis, consumer: {function: fn, max_record_age: 30s}}\n") ==
          "t.yaml:7:68: error: services.stream.consumer.max_record_age: expected a duration between 1min and 7d, "
          "found '30s'\n");
  REQUIRE(load_error(head + "  stream: {type: kinesis, consumer: {function: fn, max_retry_attempts: -2}}\n") ==
          "t.yaml:7:72: error: services.stream.consumer.max_retry_attempts: expected a whole number between -1 and "
          "10000, found '-2'\n");
  REQUIRE(load_error(head + "  stream: {type: kinesis, consumer: {function: q}}\n") ==
          "t.yaml:7:48: error: services.stream.consumer.function: 'q' is a sqs, but function must be a lambda\n");
  REQUIRE(load_error(head + "  stream: {type: kinesis, consumer: {function: fn, on_failure: fn}}\n") ==
          "t.yaml:7:64: error: services.stream.consumer.on_failure: 'fn' is a lambda, but on_failure must be one of "
          "sqs or sns\n");
  const Scenario sc = load_scenario_text(
      head + "  stream: {type: kinesis, shards: 4, partition_keys: 2, consumer: {function: fn, max_record_age: 2d}}\n",
      "t.yaml", builtin_services());
  REQUIRE(sc.warnings.str() ==
          "t.yaml:7:54: warning: services.stream.partition_keys: 2 partition keys cannot fill 4 lanes (shards x "
          "parallelization_factor): some stay idle\n"
          "t.yaml:7:98: warning: services.stream.consumer.max_record_age: max_record_age (2d) is not below the "
          "retention (1d): records are trimmed first\n");
}
