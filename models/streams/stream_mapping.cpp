#include "models/streams/stream_mapping.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

#include <fmt/format.h>

#include "sim/core/simulation.hpp"
#include "sim/scenario/build.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/scenario/units.hpp"
#include "sim/workload/workload.hpp"

namespace slsim::models {

namespace {

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
// Tokens of the mapping's calls (all carry StreamMapping::kTokenTag): a batch
// invocation carries its lane (below 2^32), an on-failure message this bit
// and its discard's pool index.
constexpr std::uint64_t kDiscardBit = std::uint64_t{1} << 32;

// Offsets of the mapping's event kinds from its first kind.
enum : std::uint16_t {
  kExpire = 0,  // data: lane (the waiting head reaches its age limit)
  kWindow = 1,  // data: lane (the batching window ends)
  kRetry = 2,   // data: lane (a backed-off retry)
};

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

}  // namespace

// --- declaration and load-time check --------------------------------------------

const Schema& stream_consumer_schema() {
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

void check_stream_consumer(const Record& consumer, double retention_ns, const std::string& retention_text,
                           Diagnostics& diags) {
  const Value& age = consumer.get("max_record_age");
  if (age.present && age.number >= retention_ns)
    diags.warning(age.loc, age.path,
                  fmt::format("max_record_age ({}) is not below the retention ({}): records are trimmed first",
                              age.text, retention_text.empty() ? format_duration(retention_ns) : retention_text));
}

// --- construction ----------------------------------------------------------------

StreamMapping::StreamMapping(const ServiceBuildContext& ctx, std::uint32_t shards, SimTime retention,
                             const Record* consumer, std::uint16_t first_kind)
    : first_kind_(first_kind), shards_(shards), retention_(retention), age_limit_(retention) {
  if (consumer != nullptr) {
    const Record& c = *consumer;
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
      on_failure_op_ = ctx.op_index(target, ctx.scenario().find_service(target)->type->ops.front());
    }
  }
  lanes_.resize(static_cast<std::size_t>(shards_) * parallel_);
}

// --- lists -----------------------------------------------------------------------

void StreamMapping::push(List& l, std::uint32_t i) {
  rec(i).next = kNone;
  if (l.tail != kNone) rec(l.tail).next = i;
  else l.head = i;
  l.tail = i;
  ++l.size;
}

std::uint32_t StreamMapping::pop(List& l) {
  const std::uint32_t i = l.head;
  l.head = rec(i).next;
  if (l.head == kNone) l.tail = kNone;
  rec(i).next = kNone;
  --l.size;
  return i;
}

// --- gauges ----------------------------------------------------------------------

void StreamMapping::set_busy(SimTime now, std::int64_t delta) {
  busy_ += delta;
  busy_gauge_.set(now, static_cast<double>(busy_));
}

void StreamMapping::set_backlog(SimTime now, std::int64_t delta) {
  backlog_ += delta;
  backlog_gauge_.set(now, static_cast<double>(backlog_));
}

// --- events ----------------------------------------------------------------------

bool StreamMapping::handle(Simulation& sim, const Event& e) {
  if (e.kind == kReplyEvent) {
    if ((e.data & kTokenTag) == 0) return false;
    if ((e.data & kDiscardBit) != 0) on_discard_reply(sim, static_cast<std::uint32_t>(e.data), reply_status(e));
    else on_batch_reply(sim, static_cast<std::uint32_t>(e.data), reply_status(e));
    return true;
  }
  if (e.kind < first_kind_ || e.kind >= first_kind_ + kEventKinds) return false;
  const auto lane = static_cast<std::uint32_t>(e.data);
  switch (e.kind - first_kind_) {
    case kExpire:
      if (lanes_[lane].expiry_at == e.time) on_expire(sim, lane);
      break;
    case kWindow:
      if (lanes_[lane].window_until == e.time) dispatch(sim, lane);
      break;
    default:  // kRetry
      lanes_[lane].backing_off = false;
      dispatch(sim, lane);
      break;
  }
  return true;
}

std::uint32_t StreamMapping::shard_of(std::uint64_t partition_key) const {
  return range_of(mix64(partition_key), shards_);
}

std::uint32_t StreamMapping::store(Simulation& sim, RequestHandle request, std::uint64_t partition_key,
                                   std::uint32_t bytes) {
  if (owner_ == kNoComponent) throw std::logic_error("StreamMapping: append before bind() (a model bug)");
  const SimTime now = sim.now();
  const std::uint64_t h = mix64(partition_key);
  const std::uint32_t shard = range_of(h, shards_);
  const std::uint32_t lane = shard * parallel_ + (parallel_ > 1 ? range_of(mix64(h), parallel_) : 0);
  sim.open_branch(request);
  StreamRecord record;
  record.request = request;
  record.put_at = now;
  record.key = partition_key;
  record.bytes = bytes;
  record.lane = lane;
  const std::uint32_t i = records_.alloc(record).index();
  Lane& l = lanes_[lane];
  push(l.waiting, i);
  l.waiting_bytes += bytes;
  set_backlog(now, +1);
  arm_expiry(sim, lane);
  return lane;
}

bool StreamMapping::too_old(SimTime now, std::uint32_t i) { return now - rec(i).put_at >= age_limit_; }

void StreamMapping::arm_expiry(Simulation& sim, std::uint32_t lane) {
  Lane& l = lanes_[lane];
  if (l.expiry_at >= 0 || l.waiting.head == kNone) return;
  l.expiry_at = rec(l.waiting.head).put_at + age_limit_;
  sim.schedule_at(l.expiry_at, owner_, static_cast<std::uint16_t>(first_kind_ + kExpire), lane);
}

void StreamMapping::on_expire(Simulation& sim, std::uint32_t lane) {
  Lane& l = lanes_[lane];
  l.expiry_at = -1;
  std::uint32_t n = 0;
  for (std::uint32_t i = l.waiting.head; i != kNone && too_old(sim.now(), i); i = rec(i).next) ++n;
  if (n > 0) settle(sim, l.waiting, n, age_discards_ ? Reason::too_old : Reason::trimmed);
  arm_expiry(sim, lane);
  dispatch(sim, lane);
}

// --- batches ---------------------------------------------------------------------

void StreamMapping::drop_aged_from_segment(Simulation& sim, std::uint32_t lane) {
  Lane& l = lanes_[lane];
  Segment& s = l.segments.back();
  // Records are in append order: the too-old ones are a prefix.
  std::uint32_t n = 0;
  for (std::uint32_t i = l.pending.head; n < s.count && too_old(sim.now(), i); i = rec(i).next) ++n;
  if (n == 0) return;
  s.count -= n;
  settle(sim, l.pending, n, age_discards_ ? Reason::too_old : Reason::trimmed);
}

void StreamMapping::dispatch(Simulation& sim, std::uint32_t lane) {
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
      sim.schedule_at(l.window_until, owner_, static_cast<std::uint16_t>(first_kind_ + kWindow), lane);
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

void StreamMapping::launch(Simulation& sim, std::uint32_t lane) {
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
  sim.call(owner_, function_, invoke_op_, rec(l.pending.head).request, kTokenTag | lane, 0, s.count);
}

void StreamMapping::on_batch_reply(Simulation& sim, std::uint32_t lane, CallStatus status) {
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
    sim.schedule_in(delay, owner_, static_cast<std::uint16_t>(first_kind_ + kRetry), lane);
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
      sim.schedule_in(kMinRetryGap, owner_, static_cast<std::uint16_t>(first_kind_ + kRetry), lane);
      return;
    }
  }
  dispatch(sim, lane);
}

// --- records leaving ---------------------------------------------------------------

void StreamMapping::settle(Simulation& sim, List& from, std::uint32_t count, Reason reason) {
  const bool to_destination = on_failure_ && reason != Reason::trimmed;
  if (!to_destination) {
    const Outcome fate = reason == Reason::retries_exhausted ? Outcome::dropped : Outcome::expired;
    for (std::uint32_t k = 0; k < count; ++k) end_record(sim, pop(from), fate);
    return;
  }
  // One message describes the whole group (Lambda sends the batch's metadata).
  const std::uint32_t head = from.head;
  const std::uint32_t discard = discards_.alloc(Discard{head, count}).index();
  std::uint32_t last = kNone;
  for (std::uint32_t k = 0; k < count; ++k) {
    const std::uint32_t i = pop(from);
    if (last != kNone) rec(last).next = i;
    last = i;
  }
  on_failure_messages_.add();
  sim.call_detached(owner_, on_failure_id_, on_failure_op_, rec(head).request, kTokenTag | kDiscardBit | discard);
}

void StreamMapping::on_discard_reply(Simulation& sim, std::uint32_t discard, CallStatus status) {
  // A discard stays live until this one reply: its index names it.
  const Handle h = discards_.handle_at(discard);
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

void StreamMapping::end_record(Simulation& sim, std::uint32_t i, Outcome fate) {
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

void StreamMapping::reset_statistics(SimTime now) {
  for (Counter* c : {&processed_, &expired_, &to_on_failure_, &dropped_, &retries_, &batches_, &failed_batches_,
                     &batch_errors_, &batch_timeouts_, &batch_throttles_, &bisections_, &on_failure_messages_})
    c->reset();
  iterator_age_.reset();
  busy_gauge_.reset(now);
  backlog_gauge_.reset(now);
}

void StreamMapping::finish(Simulation& sim) { end_ = sim.now(); }

void StreamMapping::sample(TimeSeriesRow& row, const std::string& prefix) {
  row.count(prefix + "processed", static_cast<double>(processed_.value));
  row.count(prefix + "expired", static_cast<double>(expired_.value));
  row.count(prefix + "dropped", static_cast<double>(dropped_.value));
  row.gauge(prefix + "backlog", backlog_gauge_);
  if (!consumer_) return;
  row.count(prefix + "retries", static_cast<double>(retries_.value));
  row.latency(prefix + "iterator_age_ms", iterator_age_);
}

void StreamMapping::report(Json& out) const {
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

}  // namespace slsim::models
