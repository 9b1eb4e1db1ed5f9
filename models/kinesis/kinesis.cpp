#include "models/kinesis/kinesis.hpp"

#include <algorithm>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "models/pricing/catalog.hpp"
#include "sim/core/pool.hpp"
#include "sim/core/simulation.hpp"
#include "sim/core/token_bucket.hpp"
#include "sim/scenario/build.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/scenario/units.hpp"
#include "sim/stats/counter.hpp"
#include "sim/stats/gauge.hpp"
#include "sim/stats/histogram.hpp"
#include "sim/workload/workload.hpp"

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
// A batch stops growing at the 6 MB synchronous invocation payload
// (docs/model-assumptions.md §1.4 and §5.2).
constexpr std::uint64_t kMaxBatchBytes = 6 * 1024 * 1024;
// A throttled batch (Lambda refused the invocation) is retried after 1 s,
// doubling per consecutive throttle up to 1 min (AWS retries throttles until
// the records expire but does not publish the backoff: UNCONFIRMED).
constexpr SimTime kThrottleBackoff = kSecond;
constexpr SimTime kThrottleBackoffCap = kMinute;
// A failed invocation that took no simulated time is retried 1 ms later, so a
// zero-duration failing function cannot stall the clock.
constexpr SimTime kMinRetryGap = kMillisecond;
constexpr std::uint32_t kNone = 0xffffffffu;
// Replies from the on-failure destination carry the discard's handle with
// this bit set; batch replies carry the lane index (below 2^32).
constexpr std::uint64_t kDiscardTag = std::uint64_t{1} << 63;

// A fixed 64-bit mixer (the SplitMix64 finaliser): the partition key hash.
std::uint64_t mix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// Which of `n` equal hash ranges `h` falls in (shards own equal hash key ranges).
std::uint32_t range_of(std::uint64_t h, std::uint32_t n) {
  __extension__ using u128 = unsigned __int128;
  return static_cast<std::uint32_t>((static_cast<u128>(h) * n) >> 64);
}

std::uint64_t ceil_div(std::uint64_t a, std::uint64_t b) { return (a + b - 1) / b; }


const Schema& consumer_schema() {
  static const Schema s = [] {
    ParamSpec function = param("function", ParamType::reference, "", "", "the Lambda function invoked with each batch");
    function.required = true;
    function.ref_types = {"lambda"};
    function.edge = "consumer";
    function.edge_op = EdgeOp::fixed;
    function.edge_op_name = "invoke";
    ParamSpec batch_size = param("batch_size", ParamType::integer, "", "100",
                                 "most records per invocation (a batch also stops at the 6 MB invocation payload)");
    batch_size.min = 1;
    batch_size.max = 10000;
    ParamSpec window = param("batch_window", ParamType::duration, "s", "0s",
                             "how long an idle lane waits for a full batch before invoking with what it has");
    window.min = 0;
    window.max = 300e9;
    ParamSpec parallel = param("parallelization_factor", ParamType::integer, "", "1",
                               "concurrent batches per shard; records of one partition key always share a lane, so "
                               "per-key order is kept");
    parallel.min = 1;
    parallel.max = 10;
    ParamSpec retries = param("max_retry_attempts", ParamType::integer, "", "-1",
                              "retries of a batch the function failed (error or timeout) before its records are "
                              "discarded; -1: retry until the records expire. Throttles are retried without limit");
    retries.min = -1;
    retries.max = 10000;
    ParamSpec age = param("max_record_age", ParamType::duration, "s", "",
                          "optional: records older than this (from their put) are discarded instead of sent (to "
                          "`on_failure` when set); without it records live until the stream's retention");
    age.min = 60e9;
    age.max = 604800e9;
    ParamSpec bisect = param("bisect_batch_on_error", ParamType::boolean, "", "false",
                             "a batch the function failed is split in two halves retried separately, the first "
                             "half first");
    ParamSpec on_failure = param("on_failure", ParamType::reference, "", "",
                                 "optional: a queue or topic that receives one message per group of discarded records "
                                 "(retries exhausted or too old); without it they are dropped");
    on_failure.ref_types = {"sqs", "sns"};
    on_failure.edge = "on_failure";
    on_failure.edge_op = EdgeOp::target_async;
    return Schema{"consumer",
                  "A Lambda event source mapping: one batch in flight per shard and lane, records in order, a "
                  "failed batch blocks its lane while it is retried.",
                  {function, batch_size, window, parallel, retries, age, bisect, on_failure},
                  {{"function_name", "write 'function: FUNCTION' (the function's name under services:)"},
                   {"maximum_batching_window_in_seconds", "write 'batch_window' with its unit, e.g. batch_window: 5s"},
                   {"maximum_retry_attempts", "write 'max_retry_attempts', e.g. max_retry_attempts: 3"},
                   {"maximum_record_age_in_seconds", "write 'max_record_age' with its unit, e.g. max_record_age: 1h"},
                   {"bisect_batch_on_function_error", "write 'bisect_batch_on_error: true'"},
                   {"destination_config", "write 'on_failure: SERVICE' (a queue or topic)"},
                   {"starting_position", "not modelled: records are read from where the consumer left off"},
                   {"tumbling_window_in_seconds", "not modelled: leave it out"},
                   {"function_response_types", "not modelled for streams: leave it out"}}};
  }();
  return s;
}

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
    consumer.record = &consumer_schema();
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
  const Value& age = c.get("max_record_age");
  const Value& retention = p.get("retention");
  if (age.present && age.number >= retention.number)
    diags.warning(age.loc, age.path,
                  fmt::format("max_record_age ({}) is not below the retention ({}): records are trimmed first",
                              age.text, retention.given ? retention.text : format_duration(retention.number)));
}

struct StreamRecord {
  RequestHandle request;
  SimTime put_at = 0;
  std::uint64_t key = 0;
  std::uint32_t bytes = 0;
  std::uint32_t lane = 0;
  std::uint32_t next = kNone;
};

struct List {
  std::uint32_t head = kNone, tail = kNone;
  std::uint32_t size = 0;
};

// A run of records at the head of a lane's pending list, invoked together.
struct Segment {
  std::uint32_t count = 0;
  std::uint32_t retries = 0;  // function failures of these records retried so far
};

struct Lane {
  List waiting;                   // not read yet, in put order
  List pending;                   // read into the current batch and its bisected halves, in order
  std::vector<Segment> segments;  // back(): the next to invoke; their counts add up to pending.size
  std::uint64_t waiting_bytes = 0;
  SimTime expiry_at = -1;         // the pending expiry event of the waiting head (-1: none)
  SimTime window_until = -1;      // the batching window's end (-1: not waiting for a batch)
  SimTime launched_at = 0;
  std::uint32_t throttle_streak = 0;
  bool busy = false;              // a batch is in flight
  bool backing_off = false;       // a retry is scheduled
};

struct ShardLimits {
  TokenBucket records{kShardRecordsPerSecond, static_cast<std::int64_t>(kShardRecordsPerSecond)};
  TokenBucket bytes{static_cast<double>(kShardBytesPerSecond), kShardBytesPerSecond};  // tokens are bytes
};

// Records sent as one message to the on-failure destination.
struct Discard {
  std::uint32_t head = kNone;
  std::uint32_t count = 0;
};

// Why records leave without being processed.
enum class Reason { trimmed, too_old, retries_exhausted };

class Kinesis final : public Service {
 public:
  explicit Kinesis(const ServiceBuildContext& ctx);

  void handle(Simulation& sim, const Event& e) override;
  void reset_statistics(SimTime now) override;
  void finish(Simulation& sim) override;
  void report(Json& out, double measured_seconds) const override;
  void bill(CostLedger& ledger, const BillingPeriod& period) const override;

  void observe(std::vector<KinesisRecordEnd>* sink) { sink_ = sink; }

 private:
  enum : std::uint16_t {
    kExpire = kFirstComponentEvent,  // data: lane (the waiting head reaches its age limit)
    kWindow,                         // data: lane (the batching window ends)
    kRetry,                          // data: lane (a backed-off retry)
  };

  StreamRecord& rec(std::uint32_t i) { return records_.live_at(i); }
  void push(List& l, std::uint32_t i);
  std::uint32_t pop(List& l);

  void on_put(Simulation& sim, CallHandle call);
  void on_batch_reply(Simulation& sim, std::uint32_t lane, CallStatus status);
  void on_discard_reply(Simulation& sim, Handle h, CallStatus status);
  void on_expire(Simulation& sim, std::uint32_t lane);
  std::uint64_t partition_key(Simulation& sim, const Request& r);

  void dispatch(Simulation& sim, std::uint32_t lane);
  void launch(Simulation& sim, std::uint32_t lane);
  void arm_expiry(Simulation& sim, std::uint32_t lane);
  bool too_old(SimTime now, std::uint32_t i);
  // Takes the records of the lane's head segment that are too old to be sent.
  void drop_aged_from_segment(Simulation& sim, std::uint32_t lane);
  // Settles `count` records taken from the head of `from`.
  void settle(Simulation& sim, List& from, std::uint32_t count, Reason reason);
  void end_record(Simulation& sim, std::uint32_t i, Outcome fate);
  void set_busy(SimTime now, std::int64_t delta);
  void set_backlog(SimTime now, std::int64_t delta);

  // Configuration.
  const Scenario& scenario_;
  std::uint32_t shards_;
  SimTime retention_;
  std::uint64_t partition_keys_;
  bool consumer_ = false;
  ComponentId function_ = 0;
  std::uint16_t invoke_op_ = 0;
  std::uint32_t batch_size_ = 100;
  SimTime window_ = 0;
  std::uint32_t parallel_ = 1;
  std::int64_t max_retries_ = -1;
  SimTime age_limit_;         // min(retention, max_record_age)
  bool age_discards_ = false; // max_record_age < retention: old records are discarded (to on_failure)
  bool bisect_ = false;
  bool on_failure_ = false;
  ComponentId on_failure_id_ = 0;
  std::uint16_t on_failure_op_ = 0;
  std::vector<bool> keyed_workload_;

  // State.
  Pool<StreamRecord> records_;
  Pool<Discard> discards_;
  std::vector<ShardLimits> limits_;
  std::vector<Lane> lanes_;
  std::uint64_t next_key_ = 0;
  std::int64_t busy_ = 0;
  std::int64_t backlog_ = 0;
  std::vector<KinesisRecordEnd>* sink_ = nullptr;

  // Statistics of the measured period.
  Counter puts_, throttles_, record_throttles_, byte_throttles_, accepted_, payload_units_;
  Counter processed_, expired_, to_on_failure_, dropped_, retries_, batches_, failed_batches_;
  Counter batch_errors_, batch_timeouts_, batch_throttles_, bisections_, on_failure_messages_;
  LatencyHistogram iterator_age_;
  TimeWeightedGauge busy_gauge_, backlog_gauge_;
  SimTime end_ = 0;
};

Kinesis::Kinesis(const ServiceBuildContext& ctx)
    : Service(ctx.name(), "kinesis"),
      scenario_(ctx.scenario()),
      shards_(static_cast<std::uint32_t>(ctx.params().integer("shards"))),
      retention_(ctx.params().duration("retention")),
      partition_keys_(static_cast<std::uint64_t>(ctx.params().integer("partition_keys"))),
      age_limit_(retention_) {
  const Record& p = ctx.params();
  const Scenario& sc = ctx.scenario();
  if (p.has("consumer")) {
    const Record& c = p.record("consumer");
    consumer_ = true;
    function_ = ctx.id_of(c.text("function"));
    invoke_op_ = ctx.op_index(c.text("function"), "invoke");
    batch_size_ = static_cast<std::uint32_t>(c.integer("batch_size"));
    window_ = c.duration("batch_window");
    parallel_ = static_cast<std::uint32_t>(c.integer("parallelization_factor"));
    max_retries_ = c.integer("max_retry_attempts");
    bisect_ = c.flag("bisect_batch_on_error");
    if (c.has("max_record_age") && c.duration("max_record_age") < retention_) {
      age_limit_ = c.duration("max_record_age");
      age_discards_ = true;
    }
    if (c.has("on_failure")) {
      const std::string& target = c.text("on_failure");
      on_failure_ = true;
      on_failure_id_ = ctx.id_of(target);
      on_failure_op_ = ctx.op_index(target, sc.find_service(target)->type->ops.front());
    }
  }
  for (const auto& w : sc.workloads) keyed_workload_.push_back(w.params.has("keys"));
  limits_.resize(shards_);
  lanes_.resize(static_cast<std::size_t>(shards_) * parallel_);
}

// --- lists -----------------------------------------------------------------------

void Kinesis::push(List& l, std::uint32_t i) {
  rec(i).next = kNone;
  if (l.tail != kNone) rec(l.tail).next = i;
  else l.head = i;
  l.tail = i;
  ++l.size;
}

std::uint32_t Kinesis::pop(List& l) {
  const std::uint32_t i = l.head;
  l.head = rec(i).next;
  if (l.head == kNone) l.tail = kNone;
  rec(i).next = kNone;
  --l.size;
  return i;
}

// --- gauges ----------------------------------------------------------------------

void Kinesis::set_busy(SimTime now, std::int64_t delta) {
  busy_ += delta;
  busy_gauge_.set(now, static_cast<double>(busy_));
}

void Kinesis::set_backlog(SimTime now, std::int64_t delta) {
  backlog_ += delta;
  backlog_gauge_.set(now, static_cast<double>(backlog_));
}

// --- events ----------------------------------------------------------------------

void Kinesis::handle(Simulation& sim, const Event& e) {
  switch (e.kind) {
    case kCallEvent: on_put(sim, CallHandle{e.data}); return;
    case kReplyEvent:
      if ((e.data & kDiscardTag) != 0) on_discard_reply(sim, Handle{e.data & ~kDiscardTag}, reply_status(e));
      else on_batch_reply(sim, static_cast<std::uint32_t>(e.data), reply_status(e));
      return;
    case kExpire: {
      const auto lane = static_cast<std::uint32_t>(e.data);
      if (lanes_[lane].expiry_at == e.time) on_expire(sim, lane);
      return;
    }
    case kWindow: {
      const auto lane = static_cast<std::uint32_t>(e.data);
      if (lanes_[lane].window_until == e.time) dispatch(sim, lane);
      return;
    }
    case kRetry: {
      const auto lane = static_cast<std::uint32_t>(e.data);
      lanes_[lane].backing_off = false;
      dispatch(sim, lane);
      return;
    }
    default: return;
  }
}

std::uint64_t Kinesis::partition_key(Simulation& /*sim*/, const Request& r) {
  if (r.workload < keyed_workload_.size() && keyed_workload_[r.workload]) return r.key % partition_keys_;
  return next_key_++ % partition_keys_;
}

void Kinesis::on_put(Simulation& sim, CallHandle call) {
  const SimTime now = sim.now();
  puts_.add();
  const Call& c = sim.call_info(call);
  const RequestHandle r = c.request;
  const Request& req = sim.request(r);
  const std::uint64_t key = partition_key(sim, req);
  const std::uint64_t h = mix64(key);
  const std::uint32_t shard = range_of(h, shards_);
  const std::uint32_t lane = shard * parallel_ + (parallel_ > 1 ? range_of(mix64(h), parallel_) : 0);
  const std::uint32_t bytes = req.payload_bytes;
  ShardLimits& limit = limits_[shard];
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
  sim.open_branch(r);
  StreamRecord record;
  record.request = r;
  record.put_at = now;
  record.key = key;
  record.bytes = bytes;
  record.lane = lane;
  const std::uint32_t i = records_.alloc(record).index();
  Lane& l = lanes_[lane];
  push(l.waiting, i);
  l.waiting_bytes += bytes;
  set_backlog(now, +1);
  arm_expiry(sim, lane);
  sim.reply(call, CallStatus::ok);
  dispatch(sim, lane);
}

bool Kinesis::too_old(SimTime now, std::uint32_t i) { return now - rec(i).put_at >= age_limit_; }

void Kinesis::arm_expiry(Simulation& sim, std::uint32_t lane) {
  Lane& l = lanes_[lane];
  if (l.expiry_at >= 0 || l.waiting.head == kNone) return;
  l.expiry_at = rec(l.waiting.head).put_at + age_limit_;
  sim.schedule_at(l.expiry_at, id(), kExpire, lane);
}

void Kinesis::on_expire(Simulation& sim, std::uint32_t lane) {
  Lane& l = lanes_[lane];
  l.expiry_at = -1;
  std::uint32_t n = 0;
  for (std::uint32_t i = l.waiting.head; i != kNone && too_old(sim.now(), i); i = rec(i).next) ++n;
  if (n > 0) settle(sim, l.waiting, n, age_discards_ ? Reason::too_old : Reason::trimmed);
  arm_expiry(sim, lane);
  dispatch(sim, lane);
}

// --- the event source mapping ------------------------------------------------------

void Kinesis::drop_aged_from_segment(Simulation& sim, std::uint32_t lane) {
  Lane& l = lanes_[lane];
  Segment& s = l.segments.back();
  // Records are in put order: the too-old ones are a prefix.
  std::uint32_t n = 0;
  for (std::uint32_t i = l.pending.head; n < s.count && too_old(sim.now(), i); i = rec(i).next) ++n;
  if (n == 0) return;
  s.count -= n;
  settle(sim, l.pending, n, age_discards_ ? Reason::too_old : Reason::trimmed);
}

void Kinesis::dispatch(Simulation& sim, std::uint32_t lane) {
  if (!consumer_) return;
  Lane& l = lanes_[lane];
  if (l.busy || l.backing_off) return;
  const SimTime now = sim.now();
  // A failed batch (or what is left of its halves) goes before anything new.
  while (!l.segments.empty()) {
    drop_aged_from_segment(sim, lane);
    if (l.segments.back().count > 0) {
      launch(sim, lane);
      return;
    }
    l.segments.pop_back();
  }
  if (l.waiting.head == kNone) {
    l.window_until = -1;
    return;
  }
  const bool full = l.waiting.size >= batch_size_ || l.waiting_bytes >= kMaxBatchBytes;
  if (!full && window_ > 0) {
    if (l.window_until < 0) {
      l.window_until = now + window_;
      sim.schedule_at(l.window_until, id(), kWindow, lane);
      return;
    }
    if (now < l.window_until) return;
  }
  l.window_until = -1;
  // Read the batch: up to batch_size records, within the 6 MB payload.
  std::uint32_t n = 0;
  std::uint64_t bytes = 0;
  while (l.waiting.head != kNone && n < batch_size_) {
    const std::uint32_t i = l.waiting.head;
    if (n > 0 && bytes + rec(i).bytes > kMaxBatchBytes) break;
    bytes += rec(i).bytes;
    l.waiting_bytes -= rec(i).bytes;
    push(l.pending, pop(l.waiting));
    ++n;
  }
  l.segments.push_back(Segment{n, 0});
  launch(sim, lane);
}

void Kinesis::launch(Simulation& sim, std::uint32_t lane) {
  Lane& l = lanes_[lane];
  const SimTime now = sim.now();
  const Segment& s = l.segments.back();
  // IteratorAge: the age of the batch's last record when the batch is sent.
  std::uint32_t last = l.pending.head;
  for (std::uint32_t k = 1; k < s.count; ++k) last = rec(last).next;
  iterator_age_.record(now - rec(last).put_at);
  batches_.add();
  l.busy = true;
  l.launched_at = now;
  set_busy(now, +1);
  sim.call(id(), function_, invoke_op_, rec(l.pending.head).request, lane, 0, s.count);
}

void Kinesis::on_batch_reply(Simulation& sim, std::uint32_t lane, CallStatus status) {
  const SimTime now = sim.now();
  Lane& l = lanes_[lane];
  l.busy = false;
  set_busy(now, -1);
  if (status == CallStatus::ok) {
    l.throttle_streak = 0;
    const std::uint32_t n = l.segments.back().count;
    l.segments.pop_back();
    for (std::uint32_t k = 0; k < n; ++k) end_record(sim, pop(l.pending), Outcome::succeeded);
    dispatch(sim, lane);
    return;
  }
  failed_batches_.add();
  if (status == CallStatus::throttled) {
    // Lambda refused the invocation: the same batch again after a backoff, not counted as a retry.
    batch_throttles_.add();
    const SimTime delay = std::min(kThrottleBackoff << std::min<std::uint32_t>(l.throttle_streak, 16), kThrottleBackoffCap);
    ++l.throttle_streak;
    l.backing_off = true;
    sim.schedule_in(delay, id(), kRetry, lane);
    return;
  }
  l.throttle_streak = 0;
  (status == CallStatus::timeout ? batch_timeouts_ : batch_errors_).add();
  drop_aged_from_segment(sim, lane);
  Segment s = l.segments.back();
  if (s.count == 0) {
    l.segments.pop_back();
  } else if (max_retries_ >= 0 && s.retries >= static_cast<std::uint64_t>(max_retries_)) {
    l.segments.pop_back();
    settle(sim, l.pending, s.count, Reason::retries_exhausted);
  } else {
    retries_.add();
    l.segments.pop_back();
    if (bisect_ && s.count > 1) {
      bisections_.add();
      const std::uint32_t first = (s.count + 1) / 2;
      l.segments.push_back(Segment{s.count - first, s.retries + 1});
      l.segments.push_back(Segment{first, s.retries + 1});
    } else {
      l.segments.push_back(Segment{s.count, s.retries + 1});
    }
    if (now == l.launched_at) {
      l.backing_off = true;
      sim.schedule_in(kMinRetryGap, id(), kRetry, lane);
      return;
    }
  }
  dispatch(sim, lane);
}

void Kinesis::settle(Simulation& sim, List& from, std::uint32_t count, Reason reason) {
  const bool to_destination = on_failure_ && reason != Reason::trimmed;
  if (!to_destination) {
    const Outcome fate = reason == Reason::retries_exhausted ? Outcome::dropped : Outcome::expired;
    for (std::uint32_t k = 0; k < count; ++k) end_record(sim, pop(from), fate);
    return;
  }
  // One message describes the whole group (Lambda sends the batch's metadata).
  const Handle h = discards_.alloc(Discard{from.head, count});
  std::uint32_t last = kNone;
  for (std::uint32_t k = 0; k < count; ++k) {
    const std::uint32_t i = pop(from);
    if (last != kNone) rec(last).next = i;
    last = i;
  }
  on_failure_messages_.add();
  sim.call_detached(id(), on_failure_id_, on_failure_op_, rec(discards_.at(h).head).request, h.bits | kDiscardTag);
}

void Kinesis::on_discard_reply(Simulation& sim, Handle h, CallStatus status) {
  const Discard d = discards_.at(h);
  discards_.free(h);
  const Outcome fate = status == CallStatus::ok ? Outcome::dead_lettered : Outcome::dropped;
  std::uint32_t i = d.head;
  for (std::uint32_t k = 0; k < d.count; ++k) {
    const std::uint32_t next = rec(i).next;
    end_record(sim, i, fate);
    i = next;
  }
}

void Kinesis::end_record(Simulation& sim, std::uint32_t i, Outcome fate) {
  const SimTime now = sim.now();
  const StreamRecord r = rec(i);
  records_.free(records_.handle_at(i));
  set_backlog(now, -1);
  switch (fate) {
    case Outcome::succeeded: processed_.add(); break;
    case Outcome::expired: expired_.add(); break;
    case Outcome::dead_lettered: to_on_failure_.add(); break;
    default: dropped_.add(); break;
  }
  if (sink_ != nullptr)
    sink_->push_back({sim.request(r.request).id, r.key, r.lane / parallel_, r.lane, fate, now, now - r.put_at});
  sim.close_branch(r.request, fate);
}

// --- statistics ------------------------------------------------------------------

void Kinesis::reset_statistics(SimTime now) {
  for (Counter* c : {&puts_, &throttles_, &record_throttles_, &byte_throttles_, &accepted_, &payload_units_,
                     &processed_, &expired_, &to_on_failure_, &dropped_, &retries_, &batches_, &failed_batches_,
                     &batch_errors_, &batch_timeouts_, &batch_throttles_, &bisections_, &on_failure_messages_})
    c->reset();
  iterator_age_.reset();
  busy_gauge_.reset(now);
  backlog_gauge_.reset(now);
}

void Kinesis::finish(Simulation& sim) { end_ = sim.now(); }

void Kinesis::report(Json& out, double /*measured_seconds*/) const {
  out["shards"] = static_cast<std::uint64_t>(shards_);
  out["puts"] = puts_.value;
  out["throttles"] = throttles_.value;
  Json& by = out["throttled_by"];
  by["records"] = record_throttles_.value;
  by["bytes"] = byte_throttles_.value;
  out["records"] = accepted_.value;
  out["payload_units"] = payload_units_.value;
  out["processed"] = processed_.value;
  out["expired"] = expired_.value;
  out["to_on_failure"] = to_on_failure_.value;
  out["dropped"] = dropped_.value;
  Json& backlog = out["backlog"];
  backlog["max"] = backlog_gauge_.max();
  backlog["mean"] = backlog_gauge_.mean(end_);
  backlog["final"] = backlog_;
  if (!consumer_) return;
  out["lanes"] = static_cast<std::uint64_t>(lanes_.size());
  out["batches"] = batches_.value;
  out["retries"] = retries_.value;
  Json& failed = out["failed_batches"];
  failed["total"] = failed_batches_.value;
  failed["errors"] = batch_errors_.value;
  failed["timeouts"] = batch_timeouts_.value;
  failed["throttles"] = batch_throttles_.value;
  out["bisections"] = bisections_.value;
  out["on_failure_messages"] = on_failure_messages_.value;
  out["iterator_age_ms"] = latency_json(iterator_age_);
  Json& busy = out["lanes_busy"];
  busy["max"] = busy_gauge_.max();
  busy["mean"] = busy_gauge_.mean(end_);
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
  t.check = &check_kinesis;
  return t;
}

void kinesis_observe(Service& stream, std::vector<KinesisRecordEnd>* sink) {
  auto* k = dynamic_cast<Kinesis*>(&stream);
  if (k == nullptr) throw std::logic_error("kinesis_observe: '" + stream.name() + "' is not a kinesis stream");
  k->observe(sink);
}

}  // namespace slsim::models
