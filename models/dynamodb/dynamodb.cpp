#include "models/dynamodb/dynamodb.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "models/dynamodb/capacity.hpp"
#include "models/dynamodb/schema.hpp"
#include "models/pricing/catalog.hpp"
#include "models/streams/stream_mapping.hpp"
#include "sim/cache/cache_params.hpp"
#include "sim/cache/item_cache.hpp"
#include "sim/core/pool.hpp"
#include "sim/core/simulation.hpp"
#include "sim/core/token_bucket.hpp"
#include "sim/scenario/build.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/stats/counter.hpp"
#include "sim/stats/gauge.hpp"
#include "sim/stats/histogram.hpp"
#include "sim/workload/workload.hpp"

namespace slsim::models {

namespace {

using dynamodb::Consistency;

enum Op : std::uint8_t { kGet, kPut, kUpdate, kDelete, kQuery, kBatchGet, kBatchWrite, kTransact, kOpCount };
constexpr std::array<const char*, kOpCount> kOpNames = {"get",   "put",       "update",      "delete",
                                                        "query", "batch_get", "batch_write", "transact"};
bool is_read(std::uint8_t op) { return op == kGet || op == kQuery || op == kBatchGet; }

// Provisioned burst: up to 300 s of unused capacity (docs/model-assumptions.md §13.2).
constexpr std::int64_t kBurstSeconds = 300;
// The capacity timeline under auto scaling: at most this many equal steps of
// whole minutes over the measured window (a fixed shape, so replications
// average point by point).
constexpr SimTime kMaxTimelineSteps = 120;

// The key of item i of a batch (item 0 is the request's own key).
std::uint64_t item_key(std::uint64_t key, std::uint32_t i) {
  return i == 0 ? key : mix64(key ^ (0x9e3779b97f4a7c15ull * i));
}

// Which of `n` equal hash ranges a key falls in: the partition that holds it.
std::uint32_t partition_of(std::uint64_t key, std::uint32_t n) {
  __extension__ using u128 = unsigned __int128;
  return static_cast<std::uint32_t>((static_cast<u128>(mix64(key + 0x9e3779b97f4a7c15ull)) * n) >> 64);
}

// One call in progress: its attempts, and what the caches said.
struct PendingCall {
  CallHandle call;
  std::uint8_t op = 0;
  std::uint8_t attempts = 0;   // made so far
  bool via_dax = false;        // the read went through DAX (a miss adds its latency)
  bool dax_hit = false;        // DAX answered alone
  CallStatus status = CallStatus::ok;
  std::uint32_t missed = 0;    // batch_get through DAX: items DAX did not have (the first `missed` of the batch)
};

// One capacity dimension (read or write) of a provisioned table under auto scaling.
struct ScaledDimension {
  std::int64_t capacity = 0;   // RCU or WCU in force
  std::uint64_t minute_units = 0;  // consumed this minute (half-RCU for reads, WCU for writes)
  int above = 0, below = 0;    // consecutive minutes above / well below the target
  std::int64_t pending = -1;   // a decided change waiting for update_delay (-1: none)
  dynamodb::DecreaseBudget decreases;
  std::int64_t min_seen = 0;
  TimeWeightedGauge gauge;
};

// Every table of the simulation, for the provisioned free tier they share.
class DynamoDb;
struct DynamoAccount final : SimulationExtension {
  std::vector<const DynamoDb*> tables;
};

class DynamoDb final : public Service {
 public:
  explicit DynamoDb(const ServiceBuildContext& ctx);

  void start(Simulation& sim) override;
  void handle(Simulation& sim, const Event& e) override;
  void reset_statistics(SimTime now) override;
  void finish(Simulation& sim) override;
  void report(Json& out, double measured_seconds) const override;
  void bill(CostLedger& ledger, const BillingPeriod& period) const override;
  void sample(TimeSeriesRow& row) override;

  bool provisioned() const { return provisioned_; }
  StreamMapping* stream() { return stream_.get(); }
  // Capacity-hours of the measured window: {RCU-hours, WCU-hours}.
  std::pair<double, double> capacity_hours() const;

 private:
  enum : std::uint16_t { kAttempt = kFirstComponentEvent, kDone, kMinuteTick, kApplyRead, kApplyWrite, kStreamEvents };

  void attempt(Simulation& sim, Handle h);
  // Half-RCU (reads) or WCU (writes) of the table part of an attempt, filling
  // scratch_ with each partition's share in half-RCU equivalents.
  std::uint64_t plan_units(const PendingCall& c, std::uint64_t key);
  bool table_admits(Simulation& sim, bool read, std::uint64_t units);
  void take_table(Simulation& sim, bool read, std::uint64_t units);
  void throttled(Simulation& sim, Handle h, SimTime latency);
  void done(Simulation& sim, Handle h);
  std::uint32_t items_written(std::uint8_t op) const {
    return op == kBatchWrite ? std::min<std::uint32_t>(per_batch_, 25) : op == kTransact ? per_transaction_ : 1;
  }
  SimTime op_latency(std::uint8_t op) { return latency_[op].sample_ns(latency_rng_); }
  SimTime dax_latency() { return dax_latency_dist_.sample_ns(dax_latency_rng_); }
  void set_partitions(SimTime now, std::uint32_t n);
  void minute_tick(Simulation& sim);
  void scale(Simulation& sim, ScaledDimension& d, bool read);
  void apply(Simulation& sim, bool read);
  void retune_on_demand(SimTime now);

  // Configuration.
  const Scenario& scenario_;
  Consistency consistency_;
  std::uint64_t item_bytes_;
  std::uint32_t per_query_, per_batch_, per_transaction_;
  std::array<Distribution, kOpCount> latency_;
  std::uint32_t max_attempts_ = 3;
  SimTime backoff_base_ = 0, backoff_cap_ = 0;
  double injected_ = 0;
  bool provisioned_ = false;
  bool burst_ = true;
  bool fixed_partitions_ = false;
  bool auto_scaling_ = false;
  std::int64_t scale_min_ = 1, scale_max_ = 40000;
  double target_ = 0.7;
  int scale_out_minutes_ = 2, scale_in_minutes_ = 15;
  SimTime update_delay_ = 0;
  bool dax_ = false;
  Distribution dax_latency_dist_;
  std::int64_t dax_nodes_ = 0;
  std::string dax_node_type_;

  // State.
  Pool<PendingCall> calls_;
  ScaledDimension read_, write_;       // provisioned capacity in force (and its scaling)
  TokenBucket read_bucket_, write_bucket_;  // provisioned: half-RCU and WCU
  std::optional<dynamodb::PeakMemory> peak_;  // on-demand
  TokenBucket demand_bucket_;          // on-demand: half-RCU equivalents
  std::uint32_t partitions_ = 1;
  std::vector<TokenBucket> partition_buckets_;  // half-RCU equivalents, one second's worth each
  std::vector<std::uint64_t> partition_units_;  // consumed in the measured window (half-RCU equivalents)
  std::vector<std::uint64_t> partition_throttles_;
  std::vector<std::pair<std::uint32_t, std::uint64_t>> scratch_;  // (partition, half-RCU equivalents) of an attempt
  std::optional<ItemCache> item_cache_, query_cache_;
  TokenBucket dax_bucket_;
  Rng latency_rng_, backoff_rng_, injected_rng_, dax_latency_rng_;
  DynamoAccount* account_ = nullptr;
  // DynamoDB Streams: one shard per partition at build time (§13.7).
  std::unique_ptr<StreamMapping> stream_;

  // Statistics of the measured period.
  Counter requests_, reads_, writes_, throttles_, retries_, failed_, succeeded_;
  Counter by_table_, by_partition_, by_injected_, by_dax_;
  Counter read_half_units_, write_units_, increases_, decreases_, dax_reads_;
  std::uint64_t ready_max_ = 0;  // on-demand: highest units served at once (half-RCU per second)
  std::optional<double> first_increase_s_;  // from the window's start
  // Time-weighted capacity per timeline step: RCU x seconds and WCU x seconds.
  SimTime step_ = kMinute;
  std::vector<double> rcu_area_, wcu_area_;
  SimTime accrued_to_ = 0;
  void accrue(SimTime now);
  LatencyHistogram latency_hist_, failed_latency_hist_;
  SimTime window_start_ = 0, end_ = 0;
};

DynamoDb::DynamoDb(const ServiceBuildContext& ctx)
    : Service(ctx.name(), "dynamodb"),
      scenario_(ctx.scenario()),
      consistency_([&] {
        const std::string& c = ctx.params().text("consistency");
        return c == "strong" ? Consistency::strong : c == "transactional" ? Consistency::transactional
                                                                          : Consistency::eventual;
      }()),
      item_bytes_(static_cast<std::uint64_t>(ctx.params().size("item_size"))),
      per_query_(static_cast<std::uint32_t>(ctx.params().integer("items_per_query"))),
      per_batch_(static_cast<std::uint32_t>(ctx.params().integer("items_per_batch"))),
      per_transaction_(static_cast<std::uint32_t>(ctx.params().integer("items_per_transaction"))),
      latency_rng_(ctx.sim().rng("service." + ctx.name() + ".latency")),
      backoff_rng_(ctx.sim().rng("service." + ctx.name() + ".backoff")),
      injected_rng_(ctx.sim().rng("service." + ctx.name() + ".injected")),
      dax_latency_rng_(ctx.sim().rng("service." + ctx.name() + ".dax_latency")) {
  const Record& p = ctx.params();
  const Record& lat = p.record("latency");
  for (std::size_t i = 0; i < kOpCount; ++i) latency_[i] = lat.dist(kOpNames[i]);
  const Record& r = p.record("client_retries");
  max_attempts_ = static_cast<std::uint32_t>(r.integer("max_attempts"));
  backoff_base_ = r.duration("base");
  backoff_cap_ = r.duration("cap");
  injected_ = p.number("injected_throttles");

  const Record& cap = p.record("capacity");
  provisioned_ = cap.variant == "provisioned";
  if (provisioned_) {
    burst_ = cap.flag("burst");
    read_.capacity = cap.integer("rcu");
    write_.capacity = cap.integer("wcu");
    const std::int64_t seconds = burst_ ? kBurstSeconds : 1;
    read_bucket_ = TokenBucket(2.0 * static_cast<double>(read_.capacity), 2 * read_.capacity * seconds);
    write_bucket_ = TokenBucket(static_cast<double>(write_.capacity), write_.capacity * seconds);
    partitions_ = dynamodb::partitions_for(static_cast<double>(read_.capacity), static_cast<double>(write_.capacity));
    if (cap.has("auto_scaling")) {
      const Record& a = cap.record("auto_scaling");
      auto_scaling_ = true;
      scale_min_ = a.integer("min");
      scale_max_ = a.integer("max");
      target_ = a.number("target_utilization");
      scale_out_minutes_ = static_cast<int>(a.duration("scale_out_after") / kMinute);
      scale_in_minutes_ = static_cast<int>(a.duration("scale_in_after") / kMinute);
      update_delay_ = a.duration("update_delay");
    }
  } else {
    const Record& peak = cap.record("previous_peak");
    // Reads and writes as a linear mix: one WRU weighs as much as three RRU (six half-units).
    const auto half_units = static_cast<std::uint64_t>(std::max(2.0 * peak.rate("rru"), 6.0 * peak.rate("wru")));
    peak_.emplace(half_units, cap.duration("peak_delay"));
    const std::uint64_t ready = std::max<std::uint64_t>(1, peak_->ready());
    demand_bucket_ = TokenBucket(static_cast<double>(ready), static_cast<std::int64_t>(ready));
    ready_max_ = ready;
    partitions_ = dynamodb::partitions_for_ready(ready);
  }
  if (p.has("partitions")) {
    partitions_ = static_cast<std::uint32_t>(p.integer("partitions"));
    fixed_partitions_ = true;
  }
  set_partitions(0, partitions_);

  if (p.has("dax")) {
    const Record& d = p.record("dax");
    dax_ = true;
    CacheConfig items = cache_config(d);
    CacheConfig queries = items;
    queries.ttl = d.duration("query_ttl");
    item_cache_.emplace(items, ctx.sim().rng("service." + ctx.name() + ".dax_items"));
    query_cache_.emplace(queries, ctx.sim().rng("service." + ctx.name() + ".dax_queries"));
    dax_latency_dist_ = d.dist("latency");
    dax_nodes_ = d.integer("nodes");
    dax_node_type_ = d.text("node_type");
    const double rate = d.rate("node_reads_per_second") * static_cast<double>(dax_nodes_);
    dax_bucket_ = TokenBucket(rate, static_cast<std::int64_t>(std::max(1.0, rate)));
  }
  if (p.has("stream")) {
    // Change records are kept 24 h (§13.7).
    stream_ = std::make_unique<StreamMapping>(ctx, partitions_, 24 * kHour, &p.record("stream").record("consumer"),
                                              kStreamEvents);
  }
  account_ = &ctx.sim().extension<DynamoAccount>();
  account_->tables.push_back(this);
}

void DynamoDb::start(Simulation& sim) {
  read_.gauge.set(0, static_cast<double>(read_.capacity));
  write_.gauge.set(0, static_cast<double>(write_.capacity));
  read_.min_seen = read_.capacity;
  write_.min_seen = write_.capacity;
  if (auto_scaling_) {
    sim.schedule_at(kMinute, id(), kMinuteTick);
    const SimTime window = sim.end() - sim.warmup_end();
    const SimTime minutes = std::max<SimTime>(1, (window + kMinute - 1) / kMinute);
    step_ = ((minutes + kMaxTimelineSteps - 1) / kMaxTimelineSteps) * kMinute;
    const auto steps = static_cast<std::size_t>((window + step_ - 1) / step_);
    rcu_area_.assign(steps, 0.0);
    wcu_area_.assign(steps, 0.0);
    window_start_ = accrued_to_ = sim.warmup_end();
  }
  if (stream_) stream_->bind(id());
}

void DynamoDb::set_partitions(SimTime now, std::uint32_t n) {
  (void)now;
  partitions_ = n;
  // New partitions start with a full second of capacity (a split halves a
  // partition's keys, not its history: our simplification).
  const TokenBucket fresh(static_cast<double>(dynamodb::kPartitionHalfRcuPerSecond),
                          static_cast<std::int64_t>(dynamodb::kPartitionHalfRcuPerSecond));
  partition_buckets_.resize(n, fresh);
  partition_units_.resize(n, 0);
  partition_throttles_.resize(n, 0);
}

void DynamoDb::handle(Simulation& sim, const Event& e) {
  if (stream_ && stream_->handle(sim, e)) return;
  switch (e.kind) {
    case kCallEvent: {
      const CallHandle call{e.data};
      const auto op = static_cast<std::uint8_t>(sim.call_info(call).op);
      requests_.add();
      (is_read(op) ? reads_ : writes_).add();
      PendingCall c;
      c.call = call;
      c.op = op;
      attempt(sim, calls_.alloc(c));
      return;
    }
    case kAttempt: attempt(sim, Handle{e.data}); return;
    case kDone: done(sim, Handle{e.data}); return;
    case kMinuteTick: minute_tick(sim); return;
    case kApplyRead: apply(sim, true); return;
    case kApplyWrite: apply(sim, false); return;
    default: return;
  }
}

std::uint64_t DynamoDb::plan_units(const PendingCall& c, std::uint64_t key) {
  scratch_.clear();
  const bool transactional = consistency_ == Consistency::transactional;
  const auto add = [&](std::uint64_t k, std::uint64_t half_units) {
    scratch_.emplace_back(partition_of(k, partitions_), half_units);
  };
  switch (c.op) {
    case kGet: {
      const std::uint64_t u = dynamodb::read_half_units(item_bytes_, consistency_);
      add(key, u);
      return u;
    }
    case kQuery: {
      // One partition key: the whole result is rounded up to 4 KB at once.
      const std::uint64_t u = dynamodb::read_half_units(item_bytes_ * per_query_, consistency_);
      add(key, u);
      return u;
    }
    case kBatchGet: {
      // Each item is rounded up on its own; through DAX only the missed ones are read.
      const std::uint32_t n = c.via_dax ? c.missed : per_batch_;
      const std::uint64_t each = dynamodb::read_half_units(item_bytes_, consistency_);
      for (std::uint32_t i = 0; i < n; ++i) add(item_key(key, i), each);
      return each * n;
    }
    case kBatchWrite: {
      const std::uint32_t n = std::min<std::uint32_t>(per_batch_, 25);
      const std::uint64_t each = dynamodb::write_units(item_bytes_, transactional);
      for (std::uint32_t i = 0; i < n; ++i) add(item_key(key, i), each * dynamodb::kHalfUnitsPerWcu);
      return each * n;
    }
    case kTransact: {
      const std::uint64_t each = dynamodb::write_units(item_bytes_, true);
      for (std::uint32_t i = 0; i < per_transaction_; ++i) add(item_key(key, i), each * dynamodb::kHalfUnitsPerWcu);
      return each * per_transaction_;
    }
    default: {  // put, update, delete: one item
      const std::uint64_t u = dynamodb::write_units(item_bytes_, transactional);
      add(key, u * dynamodb::kHalfUnitsPerWcu);
      return u;
    }
  }
}

void DynamoDb::retune_on_demand(SimTime now) {
  const std::uint64_t ready = std::max<std::uint64_t>(1, peak_->ready());
  demand_bucket_.reconfigure(now, static_cast<double>(ready), static_cast<std::int64_t>(ready));
  ready_max_ = std::max(ready_max_, ready);
  if (!fixed_partitions_) {
    const std::uint32_t need = dynamodb::partitions_for_ready(ready);
    if (need > partitions_) set_partitions(now, need);
  }
}

bool DynamoDb::table_admits(Simulation& sim, bool read, std::uint64_t units) {
  const SimTime now = sim.now();
  if (provisioned_) return read ? read_bucket_.has_tokens(now, units) : write_bucket_.has_tokens(now, units);
  if (peak_->advance_to(now)) retune_on_demand(now);
  return demand_bucket_.has_tokens(now, read ? units : units * dynamodb::kHalfUnitsPerWcu);
}

void DynamoDb::take_table(Simulation& sim, bool read, std::uint64_t units) {
  if (provisioned_) {
    (read ? read_bucket_ : write_bucket_).take(units);
    (read ? read_ : write_).minute_units += units;
    return;
  }
  const std::uint64_t mixed = read ? units : units * dynamodb::kHalfUnitsPerWcu;
  demand_bucket_.take(mixed);
  if (peak_->consume(sim.now(), mixed)) retune_on_demand(sim.now());
}

void DynamoDb::attempt(Simulation& sim, Handle h) {
  const SimTime now = sim.now();
  PendingCall& c = calls_.at(h);
  ++c.attempts;
  const std::uint64_t key = sim.request(sim.call_info(c.call).request).key;
  const bool read = is_read(c.op);
  SimTime extra = 0;  // DAX's share of the latency
  // Strongly consistent and transactional reads bypass DAX (§13.5).
  if (read && dax_ && consistency_ == Consistency::eventual) {
    c.via_dax = true;
    dax_reads_.add();
    extra = dax_latency();
    if (!dax_bucket_.try_take(now)) {
      by_dax_.add();
      throttled(sim, h, extra);
      return;
    }
    bool hit = false;
    if (c.op == kGet) {
      hit = item_cache_->lookup(key, now);
    } else if (c.op == kQuery) {
      hit = query_cache_->lookup(key, now);
    } else {
      c.missed = 0;
      for (std::uint32_t i = 0; i < per_batch_; ++i)
        if (!item_cache_->lookup(item_key(key, i), now)) ++c.missed;
      hit = c.missed == 0;
    }
    if (hit) {
      c.dax_hit = true;
      c.status = CallStatus::ok;
      sim.schedule_in(extra, id(), kDone, h.bits);
      return;
    }
  }
  const std::uint64_t units = plan_units(c, key);
  const SimTime latency = extra + op_latency(c.op);
  if (injected_ > 0 && injected_rng_.bernoulli(injected_)) {
    by_injected_.add();
    throttled(sim, h, latency);
    return;
  }
  if (!table_admits(sim, read, units)) {
    by_table_.add();
    throttled(sim, h, latency);
    return;
  }
  for (const auto& [part, u] : scratch_) {
    if (!partition_buckets_[part].has_tokens(now, u)) {
      by_partition_.add();
      ++partition_throttles_[part];
      throttled(sim, h, latency);
      return;
    }
  }
  take_table(sim, read, units);
  for (const auto& [part, u] : scratch_) {
    partition_buckets_[part].take(u);
    partition_units_[part] += u;
  }
  (read ? read_half_units_ : write_units_).add(units);
  c.status = CallStatus::ok;
  sim.schedule_in(latency, id(), kDone, h.bits);
}

void DynamoDb::throttled(Simulation& sim, Handle h, SimTime latency) {
  PendingCall& c = calls_.at(h);
  throttles_.add();
  if (c.attempts < max_attempts_) {
    // Full jitter: uniform in [0, min(cap, base x 2^(k-1))] before retry k.
    retries_.add();
    const double ceiling =
        std::min(static_cast<double>(backoff_cap_), std::ldexp(static_cast<double>(backoff_base_), c.attempts - 1));
    const SimTime backoff = round_ns(backoff_rng_.uniform01() * ceiling);
    c.via_dax = c.dax_hit = false;
    sim.schedule_in(latency + backoff, id(), kAttempt, h.bits);
    return;
  }
  failed_.add();
  c.status = CallStatus::throttled;
  sim.schedule_in(latency, id(), kDone, h.bits);
}

void DynamoDb::done(Simulation& sim, Handle h) {
  const SimTime now = sim.now();
  const PendingCall c = calls_.at(h);
  calls_.free(h);
  const Call info = sim.call_info(c.call);
  if (c.status == CallStatus::ok && dax_) {
    const std::uint64_t key = sim.request(info.request).key;
    if (c.via_dax && !c.dax_hit) {
      // A miss loads what was read.
      if (c.op == kGet) item_cache_->fill(key, now);
      else if (c.op == kQuery) query_cache_->fill(key, now);
      else
        for (std::uint32_t i = 0; i < per_batch_; ++i) item_cache_->fill(item_key(key, i), now);
    } else if (!is_read(c.op)) {
      // Write-through: the item cache holds the written item; the query cache is not invalidated.
      const std::uint32_t n = items_written(c.op);
      for (std::uint32_t i = 0; i < n; ++i) item_cache_->fill(item_key(key, i), now);
    }
  }
  if (c.status == CallStatus::ok) {
    succeeded_.add();
    latency_hist_.record(now - info.delivered);
  } else {
    failed_latency_hist_.record(now - info.delivered);
  }
  if (stream_ && c.status == CallStatus::ok && !is_read(c.op)) {
    // One change record per written item, in the order written; the answer
    // goes out once the last is stored (before a batch starts at this instant).
    const std::uint64_t key = sim.request(info.request).key;
    const std::uint32_t n = items_written(c.op);
    const auto bytes = static_cast<std::uint32_t>(item_bytes_);
    for (std::uint32_t i = 0; i + 1 < n; ++i) stream_->append(sim, info.request, item_key(key, i), bytes);
    stream_->append(sim, info.request, item_key(key, n - 1), bytes, [&] { sim.reply(c.call, c.status); });
    return;
  }
  sim.reply(c.call, c.status);
}

// --- auto scaling ------------------------------------------------------------------

void DynamoDb::minute_tick(Simulation& sim) {
  scale(sim, read_, true);
  scale(sim, write_, false);
  sim.schedule_in(kMinute, id(), kMinuteTick);
}

void DynamoDb::scale(Simulation& sim, ScaledDimension& d, bool read) {
  // Consumed units per second over the minute (reads in RCU).
  const double consumed = static_cast<double>(d.minute_units) / (read ? 2.0 : 1.0) / 60.0;
  d.minute_units = 0;
  const double utilization = consumed / static_cast<double>(d.capacity);
  if (utilization > target_) {
    ++d.above;
    d.below = 0;
  } else if (utilization < target_ - 0.2) {
    ++d.below;
    d.above = 0;
  } else {
    d.above = d.below = 0;
  }
  if (d.pending >= 0) return;
  const auto desired = std::clamp(static_cast<std::int64_t>(std::ceil(consumed / target_ - 1e-9)), scale_min_, scale_max_);
  if (d.above >= scale_out_minutes_ && desired > d.capacity) {
    d.pending = desired;
    d.above = 0;
  } else if (d.below >= scale_in_minutes_ && desired < d.capacity && d.decreases.allowed(sim.now() + update_delay_)) {
    d.pending = desired;
    d.below = 0;
  } else {
    return;
  }
  sim.schedule_in(update_delay_, id(), read ? kApplyRead : kApplyWrite);
}

void DynamoDb::accrue(SimTime now) {
  // Adds the capacity in force over [accrued_to_, now) to the steps it covers.
  SimTime t = std::max(accrued_to_, window_start_);
  accrued_to_ = std::max(accrued_to_, now);
  while (t < now) {
    const auto step = static_cast<std::size_t>((t - window_start_) / step_);
    if (step >= rcu_area_.size()) return;
    const SimTime until = std::min(now, window_start_ + static_cast<SimTime>(step + 1) * step_);
    const double seconds = static_cast<double>(until - t) / 1e9;
    rcu_area_[step] += static_cast<double>(read_.capacity) * seconds;
    wcu_area_[step] += static_cast<double>(write_.capacity) * seconds;
    t = until;
  }
}

void DynamoDb::apply(Simulation& sim, bool read) {
  const SimTime now = sim.now();
  ScaledDimension& d = read ? read_ : write_;
  if (d.pending < 0) return;
  accrue(now);
  const std::int64_t before = d.capacity;
  d.capacity = d.pending;
  d.pending = -1;
  if (d.capacity < before) {
    d.decreases.record(now);
    decreases_.add();
  } else {
    increases_.add();
    if (now >= window_start_ && !first_increase_s_) first_increase_s_ = static_cast<double>(now - window_start_) / 1e9;
  }
  d.min_seen = std::min(d.min_seen, d.capacity);
  d.gauge.set(now, static_cast<double>(d.capacity));
  const std::int64_t seconds = burst_ ? kBurstSeconds : 1;
  if (read) read_bucket_.reconfigure(now, 2.0 * static_cast<double>(d.capacity), 2 * d.capacity * seconds);
  else write_bucket_.reconfigure(now, static_cast<double>(d.capacity), d.capacity * seconds);
  if (!fixed_partitions_) {
    const std::uint32_t need =
        dynamodb::partitions_for(static_cast<double>(read_.capacity), static_cast<double>(write_.capacity));
    if (need > partitions_) set_partitions(now, need);  // partitions split, never merge
  }
}

// --- statistics --------------------------------------------------------------------

void DynamoDb::reset_statistics(SimTime now) {
  for (Counter* c : {&requests_, &reads_, &writes_, &throttles_, &retries_, &failed_, &succeeded_, &by_table_,
                     &by_partition_, &by_injected_, &by_dax_, &read_half_units_, &write_units_, &increases_,
                     &decreases_, &dax_reads_})
    c->reset();
  if (stream_) stream_->reset_statistics(now);
  std::fill(partition_units_.begin(), partition_units_.end(), 0);
  std::fill(partition_throttles_.begin(), partition_throttles_.end(), 0);
  read_.gauge.reset(now);
  write_.gauge.reset(now);
  read_.min_seen = read_.capacity;
  write_.min_seen = write_.capacity;
  if (peak_) ready_max_ = peak_->ready();
  first_increase_s_.reset();
  if (item_cache_) item_cache_->reset_statistics();
  if (query_cache_) query_cache_->reset_statistics();
  latency_hist_.reset();
  failed_latency_hist_.reset();
  window_start_ = now;
}

void DynamoDb::finish(Simulation& sim) {
  end_ = sim.now();
  if (auto_scaling_) accrue(end_);
  if (stream_) stream_->finish(sim);
}

std::pair<double, double> DynamoDb::capacity_hours() const {
  if (!provisioned_) return {0, 0};
  const double hours = static_cast<double>(end_ - window_start_) / 3600e9;
  return {read_.gauge.mean(end_) * hours, write_.gauge.mean(end_) * hours};
}

void DynamoDb::sample(TimeSeriesRow& row) {
  row.count("requests", static_cast<double>(requests_.value));
  row.count("reads", static_cast<double>(reads_.value));
  row.count("writes", static_cast<double>(writes_.value));
  row.count("throttles", static_cast<double>(throttles_.value));
  row.count("retries", static_cast<double>(retries_.value));
  row.count("failed", static_cast<double>(failed_.value));
  row.count("consumed_rcu", static_cast<double>(read_half_units_.value) / 2.0);
  row.count("consumed_wcu", static_cast<double>(write_units_.value));
  if (provisioned_) {
    row.gauge("capacity.rcu", read_.gauge);
    row.gauge("capacity.wcu", write_.gauge);
  }
  if (dax_) {
    row.count("dax.hits", static_cast<double>(item_cache_->hits() + query_cache_->hits()));
    row.count("dax.misses", static_cast<double>(item_cache_->misses() + query_cache_->misses()));
  }
  row.latency("latency_ms", latency_hist_);
  if (stream_) stream_->sample(row, "stream.");
}

void DynamoDb::report(Json& out, double measured_seconds) const {
  out["requests"] = requests_.value;
  out["reads"] = reads_.value;
  out["writes"] = writes_.value;
  out["succeeded"] = succeeded_.value;
  out["throttles"] = throttles_.value;
  Json& by = out["throttled_by"];
  by["table"] = by_table_.value;
  by["partition"] = by_partition_.value;
  if (dax_) by["dax"] = by_dax_.value;
  if (injected_ > 0) by["injected"] = by_injected_.value;
  out["retries"] = retries_.value;
  out["failed"] = failed_.value;
  out["consumed_rcu"] = static_cast<double>(read_half_units_.value) / 2.0;
  out["consumed_wcu"] = write_units_.value;
  Json& cap = out["capacity"];
  cap["mode"] = provisioned_ ? "provisioned" : "on_demand";
  if (provisioned_) {
    for (const auto* d : {&read_, &write_}) {
      Json& j = cap[d == &read_ ? "rcu" : "wcu"];
      j["min"] = d->min_seen;
      j["max"] = d->gauge.max();
      j["mean"] = d->gauge.mean(end_);
      j["final"] = d->capacity;
    }
    if (auto_scaling_) {
      Json& s = out["scaling"];
      s["increases"] = increases_.value;
      s["decreases"] = decreases_.value;
      s["first_increase_s"] = first_increase_s_ ? Json(*first_increase_s_) : Json(nullptr);
      // The mean capacity of each step of the window (the last step may be shorter).
      Json& timeline = s["timeline"];
      timeline["step_s"] = static_cast<double>(step_) / 1e9;
      Json rcu = Json::array(), wcu = Json::array();
      for (std::size_t i = 0; i < rcu_area_.size(); ++i) {
        const SimTime from = window_start_ + static_cast<SimTime>(i) * step_;
        const double seconds = static_cast<double>(std::min(from + step_, std::max(end_, from + 1)) - from) / 1e9;
        rcu.push_back(rcu_area_[i] / seconds);
        wcu.push_back(wcu_area_[i] / seconds);
      }
      timeline["rcu"] = std::move(rcu);
      timeline["wcu"] = std::move(wcu);
    }
  } else {
    // What the table served at once: twice its previous peak, in RRU/s (or a third of that in WRU/s).
    cap["ready_rru_per_s"] = static_cast<double>(ready_max_) / 2.0;
    cap["previous_peak_rru_per_s"] = static_cast<double>(peak_->peak()) / 2.0;
  }
  Json& parts = out["partitions"];
  parts["count"] = static_cast<std::uint64_t>(partitions_);
  // The busiest partition: its share of the consumed units and its mean
  // utilisation of the 3000 RCU / 1000 WCU per-partition limit.
  std::size_t hottest = 0;
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < partition_units_.size(); ++i) {
    total += partition_units_[i];
    if (partition_units_[i] > partition_units_[hottest]) hottest = i;
  }
  const double limit = static_cast<double>(dynamodb::kPartitionHalfRcuPerSecond) * measured_seconds;
  parts["max_utilization"] = limit > 0 ? static_cast<double>(partition_units_[hottest]) / limit : 0.0;
  parts["hottest_share"] = total > 0 ? static_cast<double>(partition_units_[hottest]) / static_cast<double>(total) : 0.0;
  parts["hottest_throttles"] = partition_throttles_[hottest];
  if (dax_) {
    Json& d = out["dax"];
    // Item and query caches together, as the metrics DAX publishes do.
    const std::uint64_t hits = item_cache_->hits() + query_cache_->hits();
    const std::uint64_t misses = item_cache_->misses() + query_cache_->misses();
    d["hits"] = hits;
    d["misses"] = misses;
    d["hit_ratio"] = hits + misses > 0 ? Json(static_cast<double>(hits) / static_cast<double>(hits + misses)) : Json(nullptr);
    d["reads"] = dax_reads_.value;
    item_cache_->report(d["item_cache"]);
    query_cache_->report(d["query_cache"]);
    d["nodes"] = dax_nodes_;
  }
  out["latency_ms"] = latency_json(latency_hist_);
  out["latency_failed_ms"] = latency_json(failed_latency_hist_);
  if (stream_) {
    Json& st = out["stream"];
    st["shards"] = static_cast<std::uint64_t>(stream_->lanes());
    stream_->report(st);
  }
}

void DynamoDb::bill(CostLedger& ledger, const BillingPeriod& period) const {
  const PriceCatalog price(scenario_);
  if (provisioned_) {
    // The free tier's 25 RCU and 25 WCU are the account's, shared by its
    // provisioned tables in proportion to their monthly capacity-hours.
    const bool free_tier = scenario_.account.flag("free_tier");
    const auto [rcu_hours, wcu_hours] = capacity_hours();
    const auto line = [&](const char* item, double hours, const char* unit, const char* price_key, const char* free_key,
                          bool read) {
      std::vector<TierUsage> shared;
      for (const DynamoDb* t : account_->tables) {
        if (!t->provisioned()) continue;
        const auto h = t->capacity_hours();
        shared.push_back({read ? h.first : h.second, period.time_to_month()});
      }
      const double free = free_tier ? price(free_key) * 720.0 : 0.0;
      const double usd = hours > 0 ? shared_tiered_cost(hours, shared, {{kUnbounded, price(price_key)}}, free) : 0.0;
      ledger.add(name(), item, hours, unit, usd, CostBasis::time);
    };
    line("read capacity", rcu_hours, "RCU-hours", "dynamodb.rcu_hour", "dynamodb.free_tier.rcu", true);
    line("write capacity", wcu_hours, "WCU-hours", "dynamodb.wcu_hour", "dynamodb.free_tier.wcu", false);
  } else {
    const double rru = static_cast<double>(read_half_units_.value) / 2.0;
    const auto wru = static_cast<double>(write_units_.value);
    ledger.add(name(), "read request units", rru, "RRU", rru * price("dynamodb.read_request_unit"));
    ledger.add(name(), "write request units", wru, "WRU", wru * price("dynamodb.write_request_unit"));
  }
  if (dax_) {
    const double node_hours = static_cast<double>(dax_nodes_) * period.measured_seconds() / 3600.0;
    ledger.add(name(), "DAX node hours", node_hours, "node-hours", node_hours * price(dax_node_type_ + ".hour"),
               CostBasis::time);
  }
}

}  // namespace

ServiceType dynamodb_type() {
  ServiceType t;
  t.name = "dynamodb";
  t.summary = "a DynamoDB table: capacity units, provisioned (burst, auto scaling) or on-demand capacity, hot "
              "partitions, SDK retries, DAX, cost";
  t.table = {"reads", "writes", "throttles", "retries", "failed", "consumed_rcu", "consumed_wcu", "dax.hit_ratio",
             "partitions.max_utilization", "latency_ms", "latency_failed_ms", "stream.processed", "stream.retries",
             "stream.to_on_failure", "stream.dropped", "stream.backlog.max", "stream.iterator_age_ms"};
  t.schema = &dynamodb_schema();
  t.ops = {kOpNames.begin(), kOpNames.end()};
  t.op_aliases = {{"GetItem", "write 'get'"},           {"PutItem", "write 'put'"},
                  {"UpdateItem", "write 'update'"},     {"DeleteItem", "write 'delete'"},
                  {"Query", "write 'query'"},           {"Scan", "not modelled: a query of items_per_query items is the closest"},
                  {"BatchGetItem", "write 'batch_get'"}, {"BatchWriteItem", "write 'batch_write'"},
                  {"TransactWriteItems", "write 'transact'"},
                  {"TransactGetItems", "write 'get' with consistency: transactional"}};
  t.build = &make_service<DynamoDb>;
  t.analytic = &dynamodb_analytic;
  t.insights = &dynamodb_insights;
  t.check = &check_dynamodb;
  // Writes feed the stream's consumer (and its on-failure destination).
  t.forwards = {{"put", {"consumer", "on_failure"}},         {"update", {"consumer", "on_failure"}},
                {"delete", {"consumer", "on_failure"}},      {"batch_write", {"consumer", "on_failure"}},
                {"transact", {"consumer", "on_failure"}}};
  return t;
}

void dynamodb_observe_stream(Service& table, std::vector<StreamRecordEnd>* sink) {
  auto* t = dynamic_cast<DynamoDb*>(&table);
  if (t == nullptr || t->stream() == nullptr)
    throw std::logic_error("dynamodb_observe_stream: '" + table.name() + "' is not a dynamodb table with a stream");
  t->stream()->observe(sink);
}

}  // namespace slsim::models
