#pragma once
// The stream event source mapping: what a stream (Kinesis, DynamoDB Streams)
// keeps of its records and how a Lambda consumer reads them. Records are
// appended to lanes (shards x parallelization_factor, chosen by a hash of the
// partition key); each lane has at most one batch in flight, a failed batch is
// retried (or bisected) while its lane waits, records past their retries or
// their age go to an on-failure destination or are dropped, and every record
// is trimmed at the stream's retention. Without a consumer records only wait
// until they are trimmed. See models/streams/README.md.
//
// Not a service: a service owns one (it is the caller of the consumer's
// invocations and of the on-failure messages) and hands it the events that
// are the mapping's (handle()).
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "sim/core/event.hpp"
#include "sim/core/pool.hpp"
#include "sim/core/request.hpp"
#include "sim/core/time.hpp"
#include "sim/report/json.hpp"
#include "sim/report/time_series.hpp"
#include "sim/scenario/diagnostics.hpp"
#include "sim/scenario/schema.hpp"
#include "sim/stats/counter.hpp"
#include "sim/stats/gauge.hpp"
#include "sim/stats/histogram.hpp"

namespace slsim {
class Simulation;
class ServiceBuildContext;
}  // namespace slsim

namespace slsim::models {

// The `consumer:` record of a stream: the Lambda function, batching, retries,
// bisection, record age and the on-failure destination. Every stream type
// declares its consumer with it, so they all take the same keys.
const Schema& stream_consumer_schema();

// Load-time check of a stream's `consumer` against the stream's retention (in
// ns): a max_record_age that is not below it never applies (records are
// trimmed first), which is warned. `retention_text` is how the retention reads
// in the warning (as written in the scenario); empty: the duration formatted.
void check_stream_consumer(const Record& consumer, double retention_ns, const std::string& retention_text,
                           Diagnostics& diags);

// The end of one appended record: its request id (ids grow in arrival order),
// its partition key, shard and lane (shard x parallelization_factor +
// sub-lane), its fate (succeeded = processed by the consumer, expired,
// dead_lettered, dropped), when that fate was settled and the record's age
// then (from its append). For tests (StreamMapping::observe).
struct StreamRecordEnd {
  std::uint64_t request_id = 0;
  std::uint64_t partition_key = 0;
  std::uint32_t shard = 0;
  std::uint32_t lane = 0;
  Outcome fate = Outcome::in_flight;
  SimTime at = 0;
  SimTime age = 0;
};

class StreamMapping {
 public:
  // The owner's replies are the mapping's when their token has this bit set.
  // The owner may use every other token (bit 62 clear) for its own calls.
  static constexpr std::uint64_t kTokenTag = std::uint64_t{1} << 62;
  // Event kinds the mapping schedules to its owner: first_kind .. first_kind + kEventKinds - 1.
  static constexpr std::uint16_t kEventKinds = 3;

  // `shards` hash ranges; `retention`: the age at which records are trimmed;
  // `consumer`: the checked `consumer:` record (stream_consumer_schema()), or
  // nullptr for a stream nobody reads. `ctx` is the owner's build context
  // (it resolves the function and the on-failure destination).
  StreamMapping(const ServiceBuildContext& ctx, std::uint32_t shards, SimTime retention, const Record* consumer,
                std::uint16_t first_kind);
  StreamMapping(const StreamMapping&) = delete;
  StreamMapping& operator=(const StreamMapping&) = delete;

  // The owner's component id, known once the simulation holds the owner: call
  // it from the owner's start(). Events and calls go to and from the owner.
  void bind(ComponentId owner) { owner_ = owner; }

  // The shard of a partition key (shards own equal ranges of its hash), for
  // the owner's per-shard write limits.
  std::uint32_t shard_of(std::uint64_t partition_key) const;

  // Opens the request's branch and appends the record (its payload `bytes`)
  // to the lane of `partition_key`; the lane then reads a batch if it can.
  // The owner checks its write limits before, and answers its own caller.
  void append(Simulation& sim, RequestHandle request, std::uint64_t partition_key, std::uint32_t bytes) {
    append(sim, request, partition_key, bytes, [] {});
  }
  // The same, calling `accepted()` once the record is stored and before its
  // lane reads a batch. An owner that answers its caller at once does it
  // there: its answer is then queued ahead of a batch invocation starting at
  // the same instant (answering after append() swaps those two simultaneous
  // events, which can change a run, e.g. when both functions share the
  // account's concurrency).
  template <typename Accepted>
  void append(Simulation& sim, RequestHandle request, std::uint64_t partition_key, std::uint32_t bytes,
              Accepted&& accepted) {
    const std::uint32_t lane = store(sim, request, partition_key, bytes);
    std::forward<Accepted>(accepted)();
    dispatch(sim, lane);
  }

  // True if `e` was the mapping's (one of its event kinds, or a reply whose
  // token carries kTokenTag), which it has then handled.
  bool handle(Simulation& sim, const Event& e);

  void reset_statistics(SimTime now);
  void finish(Simulation& sim);
  // processed, expired, to_on_failure, dropped, backlog{max, mean, final};
  // with a consumer also lanes, batches, retries, failed_batches{total,
  // errors, timeouts, throttles}, bisections, on_failure_messages,
  // iterator_age_ms and lanes_busy{max, mean}. Every key even before any event.
  void report(Json& out) const;
  // Its figures for a time series, under `prefix` ("stream." inside a table).
  void sample(TimeSeriesRow& row, const std::string& prefix);

  bool has_consumer() const { return consumer_; }
  std::uint32_t lanes() const { return static_cast<std::uint32_t>(lanes_.size()); }

  // Appends every record end to `sink`, in the order they happen; nullptr
  // stops it. The sink must outlive the run.
  void observe(std::vector<StreamRecordEnd>* sink) { sink_ = sink; }

 private:
  static constexpr std::uint32_t kNone = 0xffffffffu;

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
    List waiting;                   // not read yet, in append order
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
  // Records sent as one message to the on-failure destination.
  struct Discard {
    std::uint32_t head = kNone;
    std::uint32_t count = 0;
  };
  // Why records leave without being processed.
  enum class Reason { trimmed, too_old, retries_exhausted };

  StreamRecord& rec(std::uint32_t i) { return records_.live_at(i); }
  void push(List& l, std::uint32_t i);
  std::uint32_t pop(List& l);

  // Opens the branch and appends the record; returns its lane.
  std::uint32_t store(Simulation& sim, RequestHandle request, std::uint64_t partition_key, std::uint32_t bytes);
  void on_batch_reply(Simulation& sim, std::uint32_t lane, CallStatus status);
  void on_discard_reply(Simulation& sim, std::uint32_t discard, CallStatus status);
  void on_expire(Simulation& sim, std::uint32_t lane);

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
  ComponentId owner_ = kNoComponent;
  std::uint16_t first_kind_;
  std::uint32_t shards_;
  SimTime retention_;
  bool consumer_ = false;
  ComponentId function_ = 0;
  std::uint16_t invoke_op_ = 0;
  std::uint32_t batch_size_ = 100;
  SimTime window_ = 0;
  std::uint32_t parallel_ = 1;
  std::int64_t max_retries_ = -1;
  SimTime age_limit_;          // min(retention, max_record_age)
  bool age_discards_ = false;  // max_record_age < retention: old records are discarded (to on_failure)
  bool bisect_ = false;
  bool on_failure_ = false;
  ComponentId on_failure_id_ = 0;
  std::uint16_t on_failure_op_ = 0;

  // State.
  Pool<StreamRecord> records_;
  Pool<Discard> discards_;
  std::vector<Lane> lanes_;
  std::int64_t busy_ = 0;
  std::int64_t backlog_ = 0;
  std::vector<StreamRecordEnd>* sink_ = nullptr;

  // Statistics of the measured period.
  Counter processed_, expired_, to_on_failure_, dropped_, retries_, batches_, failed_batches_;
  Counter batch_errors_, batch_timeouts_, batch_throttles_, bisections_, on_failure_messages_;
  LatencyHistogram iterator_age_;
  TimeWeightedGauge busy_gauge_, backlog_gauge_;
  SimTime end_ = 0;
};

}  // namespace slsim::models
