// The stream event source mapping (models/streams/) used by an owner that is
// not Kinesis: a test-only `teststream` service that appends every put to its
// StreamMapping (partition key = the request's key), answers the put 1 ms
// later through an event kind of its own, and, when given an `audit`
// function, calls it for every put with a token of its own. It checks that
// the mapping takes exactly its own events and replies: everything else the
// owner handles, and what neither claims is counted in `unhandled`.
#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include <catch2/catch.hpp>

#include "models/streams/stream_mapping.hpp"
#include "sim/core/service.hpp"
#include "sim/core/simulation.hpp"
#include "model_run.hpp"
#include "support.hpp"

using namespace slsim;
using namespace slsim::testing;
using models::StreamMapping;
using models::StreamRecordEnd;

namespace {

const Schema& test_stream_schema() {
  static const Schema s = [] {
    ParamSpec shards = param("shards", ParamType::integer, "", "1", "hash ranges");
    shards.min = 1;
    shards.max = 100;
    ParamSpec consumer = param("consumer", ParamType::record, "", "", "the event source mapping");
    consumer.record = &models::stream_consumer_schema();
    ParamSpec audit = param("audit", ParamType::reference, "", "", "a function the stream calls for every put");
    audit.ref_types = {"lambda"};
    audit.edge = "audit";
    audit.edge_op = EdgeOp::fixed;
    audit.edge_op_name = "invoke";
    return Schema{"teststream", "A test-only stream", {shards, consumer, audit}};
  }();
  return s;
}

class TestStream final : public Service {
 public:
  // The owner's own event kind comes first; the mapping's follow it.
  static constexpr std::uint16_t kAnswer = kFirstComponentEvent;
  // Any token without StreamMapping::kTokenTag is the owner's.
  static constexpr std::uint64_t kAuditToken = 7;

  explicit TestStream(const ServiceBuildContext& ctx)
      : Service(ctx.name(), "teststream"),
        mapping_(ctx, static_cast<std::uint32_t>(ctx.params().integer("shards")), 24 * kHour,
                 ctx.params().has("consumer") ? &ctx.params().record("consumer") : nullptr, kAnswer + 1) {
    if (ctx.params().has("audit")) {
      audit_ = ctx.id_of(ctx.params().text("audit"));
      audit_op_ = ctx.op_index(ctx.params().text("audit"), "invoke");
    }
  }

  void start(Simulation& /*sim*/) override { mapping_.bind(id()); }

  void handle(Simulation& sim, const Event& e) override {
    if (e.kind == kCallEvent) {
      ++puts_;
      const Call& c = sim.call_info(CallHandle{e.data});
      const Request& r = sim.request(c.request);
      mapping_.append(sim, c.request, r.key, r.payload_bytes);
      if (audit_ != kNoComponent) {
        ++audit_calls_;
        sim.call(id(), audit_, audit_op_, c.request, kAuditToken);
      }
      sim.schedule_in(kMillisecond, id(), kAnswer, e.data);
      return;
    }
    if (e.kind == kAnswer) {
      sim.reply(CallHandle{e.data}, CallStatus::ok);
      return;
    }
    if (mapping_.handle(sim, e)) return;
    if (e.kind == kReplyEvent && e.data == kAuditToken) ++audit_replies_;
    else ++unhandled_;
  }
  void reset_statistics(SimTime now) override { mapping_.reset_statistics(now); }
  void finish(Simulation& sim) override { mapping_.finish(sim); }
  void report(Json& out, double /*measured_seconds*/) const override {
    out["puts"] = puts_;
    out["audit_calls"] = audit_calls_;
    out["audit_replies"] = audit_replies_;
    out["unhandled"] = unhandled_;
    mapping_.report(out);
  }

  void observe(std::vector<StreamRecordEnd>* sink) { mapping_.observe(sink); }

 private:
  StreamMapping mapping_;
  ComponentId audit_ = kNoComponent;
  std::uint16_t audit_op_ = 0;
  std::uint64_t puts_ = 0, audit_calls_ = 0, audit_replies_ = 0, unhandled_ = 0;
};

// A consumer that takes 1 ms per record and fails every batch whose first
// record (the batch call's request) is the poison request.
class PoisonConsumer final : public Service {
 public:
  explicit PoisonConsumer(const ServiceBuildContext& ctx) : Service(ctx.name(), "lambda") {}
  void handle(Simulation& sim, const Event& e) override {
    if (e.kind == kCallEvent) {
      const Call& c = sim.call_info(CallHandle{e.data});
      sim.schedule_in(static_cast<SimTime>(c.items) * kMillisecond, id(), kFirstComponentEvent, e.data);
      return;
    }
    if (e.kind != kFirstComponentEvent) return;
    const CallHandle call{e.data};
    const Call& c = sim.call_info(call);
    const bool poison = sim.request(c.request).id == poison_id;
    sim.reply(call, poison ? CallStatus::error : CallStatus::ok, 0, poison ? c.items : 0);
  }
  void report(Json& /*out*/, double /*measured_seconds*/) const override {}

  std::uint64_t poison_id = 0;
};

ServiceRegistry test_registry(bool poison_lambda) {
  ServiceRegistry r = builtin_services();
  if (poison_lambda)
    for (ServiceType& t : r.types)
      if (t.name == "lambda") {
        t.build = &make_service<PoisonConsumer>;
        t.check = nullptr;
      }
  ServiceType t;
  t.name = "teststream";
  t.summary = "a test-only owner of a stream event source mapping";
  t.schema = &test_stream_schema();
  t.ops = {"put"};
  t.forwards = {{"put", {"consumer", "on_failure"}}};
  t.build = &make_service<TestStream>;
  r.types.push_back(std::move(t));
  return r;
}

struct Run : ModelRun {
  std::vector<StreamRecordEnd> ends;  // of the service named "stream"
};

// `poison_id` > 0: the consumer fails every batch that starts with that request.
Run run(const std::string& yaml, std::uint64_t poison_id = 0) {
  Run r;
  const auto before = [&r, poison_id](ModelRun& m) {
    for (Service* s : m.model.services) {
      if (s->name() == "stream") dynamic_cast<TestStream&>(*s).observe(&r.ends);
      if (auto* consumer = dynamic_cast<PoisonConsumer*>(s)) consumer->poison_id = poison_id;
    }
  };
  const auto after = [](ModelRun& m) {
    for (Service* s : m.model.services)
      if (s->name() == "stream") dynamic_cast<TestStream&>(*s).observe(nullptr);
  };
  static_cast<ModelRun&>(r) = run_model(yaml, test_registry(poison_id > 0), 0, before, after);
  return r;
}

}  // namespace

TEST_CASE("stream mapping: per-key order survives a consumer that fails at random", "[streams][order]") {
  // 30% of records fail each time they are sent (a batch fails with any of
  // them); batches are retried, bisected or given up after 2 retries.
  const std::string base =
      "name: t\nduration: 120s\nseed: 11\n"
      "workloads: [{{name: w, target: stream, keys: {{count: 40}}, arrival: {{process: poisson, rate: 100/s}}}}]\n"
      "services:\n"
      "  stream: {{type: teststream, shards: 2, audit: audit, consumer: {{function: fn, batch_size: 8, batch_window: 200ms, "
      "parallelization_factor: 2, bisect_batch_on_error: {}, max_retry_attempts: {}}}}}\n"
      "  fn: {{type: lambda, duration: 1ms, errors: 0.3, cold_start: 0ms}}\n"
      "  audit: {{type: lambda, duration: 2ms, cold_start: 0ms}}\n";
  for (const bool bisect : {false, true}) {
    for (const int retries : {-1, 2}) {
      INFO("bisect " << bisect << ", max_retry_attempts " << retries);
      const Run r = run(fmt::format(fmt::runtime(base), bisect, retries));
      const Json& res = r.result;
      REQUIRE(balanced(res));
      // The owner's own calls came back to it, and nothing went unclaimed.
      REQUIRE(metric(res, "services.stream.audit_calls") == metric(res, "services.stream.puts"));
      REQUIRE(metric(res, "services.stream.audit_replies") == metric(res, "services.stream.audit_calls"));
      REQUIRE(metric(res, "services.stream.unhandled") == 0);
      REQUIRE(metric(res, "services.stream.lanes") == 4);
      REQUIRE(metric(res, "services.stream.lanes_busy.max") <= 4);
      REQUIRE(metric(res, "services.stream.retries") > 500);
      if (bisect) REQUIRE(metric(res, "services.stream.bisections") > 0);
      else REQUIRE(metric(res, "services.stream.bisections") == 0);
      if (retries < 0) REQUIRE(metric(res, "services.stream.dropped") == 0);
      else REQUIRE(metric(res, "services.stream.dropped") > 0);
      // Per key: one lane, and processed records in put order (request ids
      // grow in arrival order and every put is appended at its arrival).
      std::map<std::uint64_t, std::uint32_t> lane_of;
      std::map<std::uint64_t, std::uint64_t> last_id;
      std::size_t processed = 0;
      for (const StreamRecordEnd& e : r.ends) {
        const auto [it, fresh] = lane_of.emplace(e.partition_key, e.lane);
        REQUIRE(it->second == e.lane);
        REQUIRE(e.shard == e.lane / 2);
        if (e.fate != Outcome::succeeded) continue;
        ++processed;
        std::uint64_t& last = last_id[e.partition_key];
        INFO("key " << e.partition_key << ": request " << e.request_id << " after " << last);
        REQUIRE(e.request_id > last);
        last = e.request_id;
      }
      REQUIRE(processed > 2500);
      REQUIRE(static_cast<double>(processed) == metric(res, "services.stream.processed"));
      REQUIRE(lane_of.size() == 40);
    }
  }
}

TEST_CASE("stream mapping: a poison record blocks its lane while the other lanes go on", "[streams][blocking]") {
  // Request 100 (put at about 5 s) fails every time; without a retry limit or
  // a record age its lane never moves past it (retention is 24 h).
  const std::string base =
      "name: t\nduration: 100s\n"
      "workloads: [{{name: w, target: stream, keys: {{count: 40}}, arrival: {{process: constant, rate: 20/s}}}}]\n"
      "services:\n"
      "  stream: {{type: teststream, shards: 2, consumer: {{function: fn, batch_size: 1, parallelization_factor: 2, "
      "max_retry_attempts: {}}}}}\n"
      "  fn: {{type: lambda, duration: 1ms}}\n";
  constexpr std::uint64_t kPoison = 100;
  const Run r = run(fmt::format(fmt::runtime(base), -1), kPoison);
  const Json& res = r.result;
  REQUIRE(balanced(res));
  REQUIRE(metric(res, "services.stream.unhandled") == 0);
  REQUIRE(metric(res, "services.stream.dropped") == 0);
  REQUIRE(metric(res, "services.stream.expired") == 0);
  REQUIRE(std::none_of(r.ends.begin(), r.ends.end(), [](const StreamRecordEnd& e) { return e.request_id == kPoison; }));
  // The poison's lane: the one whose last processed record was put before it.
  std::map<std::uint32_t, std::uint64_t> last_id_of_lane;
  for (const StreamRecordEnd& e : r.ends) last_id_of_lane[e.lane] = std::max(last_id_of_lane[e.lane], e.request_id);
  REQUIRE(last_id_of_lane.size() == 4);
  std::vector<std::uint32_t> stuck;
  for (const auto& [lane, last] : last_id_of_lane)
    if (last < kPoison) stuck.push_back(lane);
  REQUIRE(stuck.size() == 1);
  // The other lanes keep up: what they got after the poison is processed
  // within one second of its put.
  std::size_t after_poison = 0;
  for (const StreamRecordEnd& e : r.ends) {
    REQUIRE(e.fate == Outcome::succeeded);
    if (e.request_id < kPoison) continue;
    REQUIRE(e.lane != stuck.front());
    REQUIRE(e.age < kSecond);
    ++after_poison;
  }
  REQUIRE(after_poison > 1000);
  // Everything else waits behind the poison, which is retried all along.
  const double backlog = metric(res, "services.stream.backlog.final");
  REQUIRE(backlog == metric(res, "services.stream.puts") - static_cast<double>(r.ends.size()));
  REQUIRE(backlog > 100);
  REQUIRE(metric(res, "services.stream.retries") > 10000);
  REQUIRE(metric(res, "services.stream.iterator_age_ms.max") > 90000);

  // With a retry limit the poison is dropped after three attempts and its
  // lane catches up: every other record is processed.
  const Run limited = run(fmt::format(fmt::runtime(base), 2), kPoison);
  REQUIRE(balanced(limited.result));
  REQUIRE(metric(limited.result, "services.stream.dropped") == 1);
  REQUIRE(metric(limited.result, "services.stream.retries") == 2);
  const auto poison = std::find_if(limited.ends.begin(), limited.ends.end(),
                                   [](const StreamRecordEnd& e) { return e.request_id == kPoison; });
  REQUIRE(poison != limited.ends.end());
  REQUIRE(poison->fate == Outcome::dropped);
  REQUIRE(poison->lane == stuck.front());
  REQUIRE(metric(limited.result, "services.stream.backlog.final") <= 1);
}
