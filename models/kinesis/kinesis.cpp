#include "models/kinesis/kinesis.hpp"

#include <algorithm>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "models/pricing/catalog.hpp"
#include "models/streams/stream_mapping.hpp"
#include "sim/core/simulation.hpp"
#include "sim/core/token_bucket.hpp"
#include "sim/scenario/build.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/stats/counter.hpp"

namespace slsim::models {

namespace {

// Each shard takes at most 1,000 records/s and 1 MB/s of writes; the buckets
// hold one second's worth (our assumption: AWS does not publish a burst
// allowance). docs/model-assumptions.md §5.1.
constexpr double kShardRecordsPerSecond = 1000.0;
constexpr std::int64_t kShardBytesPerSecond = 1024 * 1024;
// docs/model-assumptions.md §5.1: a PUT payload unit is 25 KB.
constexpr std::uint64_t kPayloadUnitBytes = 25 * 1024;
// docs/model-assumptions.md §5.1: retention beyond 24 h is billed as extended retention.
constexpr SimTime kBaseRetention = 24 * kHour;
std::uint64_t ceil_div(std::uint64_t a, std::uint64_t b) { return (a + b - 1) / b; }

const Schema& kinesis_schema() {
  static const Schema s = [] {
    ParamSpec shards = param("shards", ParamType::integer, "", "1",
                             "shards (provisioned mode); each takes 1000 records/s and 1 MB/s of writes, the excess "
                             "is throttled");
    shards.min = 1;
    shards.max = 10000;
    ParamSpec retention = param("retention", ParamType::duration, "h", "24h",
                                "records older than this are trimmed (expired); above 24h extended retention is billed");
    retention.min = 24 * 3600e9;
    retention.max = 8760 * 3600e9;
    ParamSpec keys = param("partition_keys", ParamType::integer, "", "1000",
                           "distinct partition keys: a record's key is its request key mod this when the workload has "
                           "`keys`, else keys are taken in turn; a fixed hash of the key picks the shard and lane");
    keys.min = 1;
    keys.max = 1e9;
    ParamSpec consumer = param("consumer", ParamType::record, "", "", "optional Lambda event source mapping");
    consumer.record = &stream_consumer_schema();
    return Schema{"kinesis", "An Amazon Kinesis data stream (provisioned shards) with an optional Lambda consumer.",
                  {shards, retention, keys, consumer},
                  {{"shard_count", "write 'shards', e.g. shards: 4"},
                   {"retention_period", "write 'retention' with its unit, e.g. retention: 48h"},
                   {"retention_period_hours", "write 'retention' with its unit, e.g. retention: 48h"},
                   {"stream_mode_details", "only provisioned mode is modelled: give 'shards'"},
                   {"stream_mode", "only provisioned mode is modelled: give 'shards'"},
                   {"stream_name", "a service's name is its key under services:, e.g. services: {clicks: {type: kinesis}}"},
                   {"batch_size", "the Lambda trigger is the stream's 'consumer:', e.g. consumer: {function: FUNCTION, "
                                  "batch_size: 100}"},
                   {"event_source_mapping", "the Lambda trigger is the stream's 'consumer:', e.g. consumer: {function: "
                                            "FUNCTION, batch_size: 100}"}}};
  }();
  return s;
}

void check_kinesis(const ServiceDecl& d, const Scenario& /*sc*/, Diagnostics& diags) {
  const Record& p = d.params;
  const Value& consumer = p.get("consumer");
  if (!consumer.present || !consumer.record) return;
  const Record& c = *consumer.record;
  const std::int64_t lanes = p.integer("shards") * c.integer("parallelization_factor");
  const Value& keys = p.get("partition_keys");
  if (keys.given && keys.number < static_cast<double>(lanes))
    diags.warning(keys.loc, keys.path,
                  fmt::format("{} partition keys cannot fill {} lanes (shards x parallelization_factor): some stay idle",
                              p.integer("partition_keys"), lanes));
  const Value& retention = p.get("retention");
  check_stream_consumer(c, retention.number, retention.given ? retention.text : std::string(), diags);
}

struct ShardLimits {
  TokenBucket records{kShardRecordsPerSecond, static_cast<std::int64_t>(kShardRecordsPerSecond)};
  TokenBucket bytes{static_cast<double>(kShardBytesPerSecond), kShardBytesPerSecond};  // tokens are bytes
};

// The stream's own part is the write side (partition keys, shard write limits,
// payload units, cost); the records and their consumer are the mapping's.
class Kinesis final : public Service {
 public:
  explicit Kinesis(const ServiceBuildContext& ctx);

  void start(Simulation& /*sim*/) override { mapping_.bind(id()); }
  void handle(Simulation& sim, const Event& e) override;
  void reset_statistics(SimTime now) override;
  void finish(Simulation& sim) override;
  void report(Json& out, double measured_seconds) const override;
  void bill(CostLedger& ledger, const BillingPeriod& period) const override;
  void sample(TimeSeriesRow& row) override;

  void observe(std::vector<KinesisRecordEnd>* sink) { mapping_.observe(sink); }

 private:
  void on_put(Simulation& sim, CallHandle call);
  std::uint64_t partition_key(const Request& r);

  // Configuration.
  const Scenario& scenario_;
  std::uint32_t shards_;
  SimTime retention_;
  std::uint64_t partition_keys_;
  std::vector<bool> keyed_workload_;

  // State.
  StreamMapping mapping_;
  std::vector<ShardLimits> limits_;
  std::uint64_t next_key_ = 0;

  // Statistics of the measured period.
  Counter puts_, throttles_, record_throttles_, byte_throttles_, accepted_, payload_units_;
};

const Record* consumer_of(const Record& params) { return params.has("consumer") ? &params.record("consumer") : nullptr; }

Kinesis::Kinesis(const ServiceBuildContext& ctx)
    : Service(ctx.name(), "kinesis"),
      scenario_(ctx.scenario()),
      shards_(static_cast<std::uint32_t>(ctx.params().integer("shards"))),
      retention_(ctx.params().duration("retention")),
      partition_keys_(static_cast<std::uint64_t>(ctx.params().integer("partition_keys"))),
      mapping_(ctx, shards_, retention_, consumer_of(ctx.params()), kFirstComponentEvent) {
  for (const auto& w : ctx.scenario().workloads) keyed_workload_.push_back(w.params.has("keys"));
  limits_.resize(shards_);
}

void Kinesis::handle(Simulation& sim, const Event& e) {
  if (e.kind == kCallEvent) {
    on_put(sim, CallHandle{e.data});
    return;
  }
  mapping_.handle(sim, e);  // the stream makes no calls of its own: every other event is the mapping's
}

std::uint64_t Kinesis::partition_key(const Request& r) {
  if (r.workload < keyed_workload_.size() && keyed_workload_[r.workload]) return r.key % partition_keys_;
  return next_key_++ % partition_keys_;
}

void Kinesis::on_put(Simulation& sim, CallHandle call) {
  const SimTime now = sim.now();
  puts_.add();
  const Call& c = sim.call_info(call);
  const RequestHandle r = c.request;
  const Request& req = sim.request(r);
  const std::uint64_t key = partition_key(req);
  const std::uint32_t bytes = req.payload_bytes;
  ShardLimits& limit = limits_[mapping_.shard_of(key)];
  const bool records_ok = limit.records.has_token(now);
  const bool bytes_ok = limit.bytes.has_tokens(now, bytes);
  if (!records_ok || !bytes_ok) {
    throttles_.add();
    (records_ok ? byte_throttles_ : record_throttles_).add();
    sim.reply(call, CallStatus::throttled);
    return;
  }
  limit.records.take();
  limit.bytes.take(bytes);
  accepted_.add();
  payload_units_.add(std::max<std::uint64_t>(1, ceil_div(bytes, kPayloadUnitBytes)));
  // The put is answered once the record is stored, ahead of a batch the lane may start now.
  mapping_.append(sim, r, key, bytes, [&] { sim.reply(call, CallStatus::ok); });
}

// --- statistics ------------------------------------------------------------------

void Kinesis::reset_statistics(SimTime now) {
  for (Counter* c : {&puts_, &throttles_, &record_throttles_, &byte_throttles_, &accepted_, &payload_units_}) c->reset();
  mapping_.reset_statistics(now);
}

void Kinesis::finish(Simulation& sim) { mapping_.finish(sim); }

void Kinesis::report(Json& out, double /*measured_seconds*/) const {
  out["shards"] = static_cast<std::uint64_t>(shards_);
  out["puts"] = puts_.value;
  out["throttles"] = throttles_.value;
  Json& by = out["throttled_by"];
  by["records"] = record_throttles_.value;
  by["bytes"] = byte_throttles_.value;
  out["records"] = accepted_.value;
  out["payload_units"] = payload_units_.value;
  mapping_.report(out);
}

void Kinesis::sample(TimeSeriesRow& row) {
  row.count("puts", static_cast<double>(puts_.value));
  row.count("throttles", static_cast<double>(throttles_.value));
  row.count("records", static_cast<double>(accepted_.value));
  mapping_.sample(row, "");
}

void Kinesis::bill(CostLedger& ledger, const BillingPeriod& period) const {
  const PriceCatalog price(scenario_);
  const double shard_hours = static_cast<double>(shards_) * period.measured_seconds() / 3600.0;
  ledger.add(name(), "shard hours", shard_hours, "shard-hours", shard_hours * price("kinesis.shard_hour"), CostBasis::time);
  if (retention_ > kBaseRetention)
    ledger.add(name(), "extended retention", shard_hours, "shard-hours",
               shard_hours * price("kinesis.extended_retention_shard_hour"), CostBasis::time);
  const auto units = static_cast<double>(payload_units_.value);
  ledger.add(name(), "PUT payload units", units, "25 KB units", units * price("kinesis.put_payload_unit"));
}

}  // namespace

ServiceType kinesis_type() {
  ServiceType t;
  t.name = "kinesis";
  t.summary = "a Kinesis data stream: shard write limits, retention, partition keys, Lambda event source mapping "
              "(in-order lanes, blocking retries, bisection, on-failure destination), cost";
  t.table = {"records", "throttles", "processed", "retries", "failed_batches.total", "bisections", "expired", "to_on_failure", "dropped", "backlog.max", "iterator_age_ms"};
  t.schema = &kinesis_schema();
  t.ops = {"put"};
  t.op_aliases = {{"PutRecord", "write 'put'"}, {"PutRecords", "write 'put' (one record per request)"}};
  t.forwards = {{"put", {"consumer", "on_failure"}}};
  t.build = &make_service<Kinesis>;
  t.analytic = &kinesis_analytic;
  t.check = &check_kinesis;
  return t;
}

void kinesis_observe(Service& stream, std::vector<KinesisRecordEnd>* sink) {
  auto* k = dynamic_cast<Kinesis*>(&stream);
  if (k == nullptr) throw std::logic_error("kinesis_observe: '" + stream.name() + "' is not a kinesis stream");
  k->observe(sink);
}

}  // namespace slsim::models
