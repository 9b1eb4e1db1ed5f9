#include "models/firehose/firehose.hpp"

#include <cstdint>
#include <string>
#include <vector>

#include "models/pricing/catalog.hpp"
#include "sim/core/pool.hpp"
#include "sim/core/simulation.hpp"
#include "sim/scenario/build.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/stats/counter.hpp"
#include "sim/stats/gauge.hpp"
#include "sim/workload/workload.hpp"

namespace slsim::models {

namespace {

// Ingestion is billed per GB with each record rounded up to 5 KB (docs/model-assumptions.md §6).
constexpr std::uint64_t kBillingStep = 5 * 1024;
constexpr double kGB = 1073741824.0;

const Schema& firehose_schema() {
  static const Schema s = [] {
    ParamSpec destination = param("destination", ParamType::reference, "", "",
                                  "the S3 bucket the buffered records are delivered to");
    destination.required = true;
    destination.ref_types = {"s3"};
    destination.edge = "delivery";
    destination.edge_op = EdgeOp::fixed;
    destination.edge_op_name = "put";
    ParamSpec size = param("buffer_size", ParamType::size, "MB", "5MB",
                           "buffering hint: the buffer is delivered when it holds at least this many bytes");
    size.min = 1024.0 * 1024.0;
    size.max = 128.0 * 1024.0 * 1024.0;
    ParamSpec interval = param("buffer_interval", ParamType::duration, "s", "300s",
                               "buffering hint: the buffer is delivered this long after its first record (0s: every "
                               "record at once)");
    interval.min = 0;
    interval.max = 900.0 * kSecond;
    return Schema{"firehose",
                  "An Amazon Data Firehose delivery stream into an S3 bucket: records are buffered until the size or "
                  "the interval hint is reached, then delivered (each record is written to the bucket with its own "
                  "bytes, so the bucket's stored bytes equal the bytes put).",
                  {destination, size, interval},
                  {{"s3_configuration", "write 'destination: BUCKET' (an s3 service)"},
                   {"extended_s3_configuration", "write 'destination: BUCKET' (an s3 service)"},
                   {"bucket_arn", "write 'destination: BUCKET' (an s3 service)"},
                   {"buffering_hints", "write 'buffer_size' and 'buffer_interval', e.g. buffer_size: 5MB"},
                   {"buffering_size", "write 'buffer_size' with its unit, e.g. buffer_size: 5MB"},
                   {"size_in_m_bs", "write 'buffer_size' with its unit, e.g. buffer_size: 5MB"},
                   {"buffering_interval", "write 'buffer_interval' with its unit, e.g. buffer_interval: 60s"},
                   {"interval_in_seconds", "write 'buffer_interval' with its unit, e.g. buffer_interval: 60s"},
                   {"delivery_stream_name", "a service's name is its key under services:, e.g. services: {hose: {type: "
                                            "firehose}}"}}};
  }();
  return s;
}

class Firehose final : public Service {
 public:
  explicit Firehose(const ServiceBuildContext& ctx)
      : Service(ctx.name(), "firehose"),
        scenario_(ctx.scenario()),
        destination_(ctx.id_of(ctx.params().text("destination"))),
        put_op_(ctx.op_index(ctx.params().text("destination"), "put")),
        buffer_size_(ctx.params().size("buffer_size")),
        buffer_interval_(ctx.params().duration("buffer_interval")) {}

  void handle(Simulation& sim, const Event& e) override {
    switch (e.kind) {
      case kCallEvent: on_put(sim, CallHandle{e.data}); return;
      case kFlush:
        if (e.data == epoch_ && !buffer_.empty()) flush(sim);  // else a stale timer: already delivered
        return;
      case kReplyEvent: {
        const Handle record{e.data};
        const RequestHandle request = in_delivery_.at(record);
        in_delivery_.free(record);
        const bool accepted = reply_status(e) == CallStatus::ok;
        if (!accepted) failed_.add();
        sim.close_branch(request, accepted ? Outcome::succeeded : Outcome::dropped);
        return;
      }
      default: return;
    }
  }

  void reset_statistics(SimTime now) override {
    for (Counter* c : {&records_, &bytes_, &deliveries_, &failed_, &billed_steps_}) c->reset();
    buffer_gauge_.reset(now);
  }
  void finish(Simulation& sim) override { end_ = sim.now(); }

  void report(Json& out, double /*measured_seconds*/) const override {
    out["records"] = records_.value;
    out["bytes"] = bytes_.value;
    out["deliveries"] = deliveries_.value;
    out["failed"] = failed_.value;
    Json& buffer = out["buffer"];
    buffer["max"] = buffer_gauge_.max();
    buffer["mean"] = buffer_gauge_.mean(end_);
  }

  void sample(TimeSeriesRow& row) override {
    row.count("records", static_cast<double>(records_.value));
    row.count("deliveries", static_cast<double>(deliveries_.value));
    row.count("failed", static_cast<double>(failed_.value));
    row.gauge("buffer", buffer_gauge_);
  }

  void bill(CostLedger& ledger, const BillingPeriod& /*period*/) const override {
    const PriceCatalog price(scenario_);
    const double gb = static_cast<double>(billed_steps_.value) * static_cast<double>(kBillingStep) / kGB;
    ledger.add(name(), "ingestion", gb, "GB (records rounded up to 5 KB)", gb * price("firehose.ingest_gb"));
  }

 private:
  enum : std::uint16_t { kFlush = kFirstComponentEvent };

  void on_put(Simulation& sim, CallHandle call) {
    const RequestHandle request = sim.call_info(call).request;
    const std::uint64_t bytes = sim.request(request).payload_bytes;
    records_.add();
    bytes_.add(bytes);
    billed_steps_.add(bytes > kBillingStep ? (bytes + kBillingStep - 1) / kBillingStep : 1);
    sim.open_branch(request);
    sim.reply(call, CallStatus::ok);
    if (buffer_.empty() && buffer_interval_ > 0) sim.schedule_in(buffer_interval_, id(), kFlush, epoch_);
    buffer_.push_back(request);
    buffered_bytes_ += static_cast<double>(bytes);
    buffer_gauge_.set(sim.now(), buffered_bytes_);
    if (buffered_bytes_ >= buffer_size_ || buffer_interval_ == 0) flush(sim);
  }

  // Deliver the buffer as one object: one put per record into the bucket, each
  // carrying its record's request (and so its bytes); a record's branch closes
  // when the bucket accepts its put. `items` says how many objects a put
  // creates: 1 for the first record of the object, 0 for the rest, so the
  // bucket counts (and bills) one PUT per delivered object.
  void flush(Simulation& sim) {
    deliveries_.add();
    bool first = true;
    for (const RequestHandle request : buffer_) {
      sim.call(id(), destination_, put_op_, request, in_delivery_.alloc(request).bits, 0, first ? 1 : 0);
      first = false;
    }
    buffer_.clear();
    buffered_bytes_ = 0;
    buffer_gauge_.set(sim.now(), 0);
    ++epoch_;  // the pending interval timer, if any, is now stale
  }

  const Scenario& scenario_;
  ComponentId destination_;
  std::uint16_t put_op_;
  double buffer_size_;
  SimTime buffer_interval_;
  std::vector<RequestHandle> buffer_;
  double buffered_bytes_ = 0;
  std::uint64_t epoch_ = 0;
  Pool<RequestHandle> in_delivery_;  // records whose put the bucket has not answered yet
  Counter records_, bytes_, deliveries_, failed_, billed_steps_;
  TimeWeightedGauge buffer_gauge_;
  SimTime end_ = 0;
};

}  // namespace

ServiceType firehose_type() {
  ServiceType t;
  t.name = "firehose";
  t.summary = "a Firehose delivery stream: size and interval buffering hints, delivery into an S3 bucket";
  t.table = {"records", "deliveries", "failed", "buffer.max"};
  t.schema = &firehose_schema();
  t.ops = {"put"};
  t.op_aliases = {{"PutRecord", "write 'put'"}, {"PutRecordBatch", "write 'put' (one record per request)"}};
  t.forwards = {{"put", {"delivery"}}};
  t.build = &make_service<Firehose>;
  t.analytic = &firehose_analytic;
  return t;
}

}  // namespace slsim::models
