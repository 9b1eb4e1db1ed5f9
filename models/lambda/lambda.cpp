#include "models/lambda/lambda.hpp"

#include <algorithm>
#include <cmath>
#include <memory>
#include <optional>
#include <vector>

#include <fmt/format.h>

#include "models/lambda/environments.hpp"
#include "models/lambda/lambda_account.hpp"
#include "models/lambda/provisioned_scaling.hpp"
#include "models/lambda/schema.hpp"
#include "models/pricing/catalog.hpp"
#include "sim/core/simulation.hpp"
#include "sim/scenario/build.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/stats/counter.hpp"
#include "sim/stats/gauge.hpp"
#include "sim/stats/histogram.hpp"
#include "sim/workload/workload.hpp"

namespace slsim::models {

namespace {

constexpr double kMB = 1048576.0;

struct DownstreamCall {
  ComponentId target = 0;
  std::uint16_t op = 0;
  double probability = 1;
  bool chains = false;  // an asynchronous hand-off (invoke_async, send, publish): one more link in the chain
  bool per_record = false;  // made once per record of a batch invocation
};

struct Invocation {
  CallHandle call;           // the synchronous caller (invalid for an asynchronous event)
  Handle async;              // the asynchronous event (invalid for a synchronous call)
  RequestHandle request;
  std::uint32_t env = kNoEnv;
  std::uint32_t items = 1;   // records in a batch invocation
  SimTime began = 0;          // its environment started on it (init, or the handler when warm)
  SimTime handler_start = 0;
  SimTime init_ns = 0;
  std::uint16_t next_call = 0;
  std::uint32_t repeats_left = 0;  // further calls of a per-record call still to make
  bool cold = false;
};

// An event accepted by invoke_async, waiting in Lambda's internal queue or running.
struct AsyncEvent {
  RequestHandle request;
  SimTime accepted = 0;            // for max_event_age
  std::uint16_t error_retries = 0; // function errors retried so far
  std::uint16_t throttles = 0;     // consecutive throttles (the backoff doubles)
  bool expired = false;
};

// Replies to on-failure deliveries carry the event's handle with this bit set,
// to tell them from replies to the handler's own calls (invocation handles).
// Pool generations stay below 2^31 in any run (a slot reused 2^31 times).
constexpr std::uint64_t kOnFailureTag = std::uint64_t{1} << 63;

enum : std::uint16_t { kOpInvoke = 0, kOpInvokeAsync = 1 };

class Lambda final : public Service {
 public:
  explicit Lambda(const ServiceBuildContext& ctx);

  void start(Simulation& sim) override;
  void handle(Simulation& sim, const Event& e) override;
  void reset_statistics(SimTime now) override;
  void finish(Simulation& sim) override;
  void report(Json& out, double measured_seconds) const override;
  void bill(CostLedger& ledger, const BillingPeriod& period) const override;
  void sample(TimeSeriesRow& row) override;

 private:
  enum : std::uint16_t {
    kInitDone = kFirstComponentEvent,
    kComputeDone,
    kTimeout,
    kExpire,
    kAsyncAttempt,
    kPcTick,    // a utilisation datapoint of the provisioned-concurrency policy
    kPcAction,  // a scheduled action (data: its index)
    kPcReady,   // an allocation is done (data: its batch id)
  };

  void on_call(Simulation& sim, CallHandle call);
  // The environment for a new invocation, or kNoEnv (throttled); `cold`: it must initialise.
  std::uint32_t acquire(Simulation& sim, bool& cold);
  // Why the last acquire() found no environment: the pool (reserved or the
  // account's unreserved one) was full, or no scaling token was left.
  enum class Refusal { reserved, account_pool, scaling_rate };
  Refusal refusal_ = Refusal::account_pool;
  void start_invocation(Simulation& sim, std::uint32_t env, bool cold, CallHandle call, Handle async,
                        RequestHandle request, std::uint32_t items);
  void on_async_attempt(Simulation& sim, Handle event);
  void async_finished(Simulation& sim, Handle event, CallStatus status);
  void async_give_up(Simulation& sim, Handle event);
  // False when an event-driven invocation would be one too many in the
  // request's chain (a recursive loop to stop); counts the stop.
  bool within_chain(Simulation& sim, RequestHandle request);
  bool on_demand_slot_free() const;
  void take_on_demand_slot();
  void release_on_demand_slot();
  bool scaling_token(SimTime now);
  std::uint32_t create_environment(Simulation& sim, bool provisioned);
  void begin_handler(Simulation& sim, Handle inv_handle);
  void continue_calls(Simulation& sim, Handle inv_handle);
  void complete(Simulation& sim, Handle inv_handle, CallStatus status);
  void environment_idle(Simulation& sim, Environment& env);
  void destroy_environment(Simulation& sim, Environment& env);
  void set_busy(SimTime now, std::int64_t delta);
  // Provisioned concurrency auto scaling (docs/model-assumptions.md §1.8).
  bool pc_enabled() const { return provisioned_ > 0 || pc_scaling_.has_value(); }
  void pc_accrue(SimTime now);  // call before any change of the counts below
  void pc_gauges(SimTime now);  // call after
  void set_provisioned(Simulation& sim, std::int64_t wanted);
  void pc_tick(Simulation& sim);
  void pc_action(Simulation& sim, std::size_t index);
  void schedule_pc_action(Simulation& sim, std::size_t index, SimTime at_or_after);
  void pc_ready(Simulation& sim, std::uint64_t batch);
  void add_pc_environment(Simulation& sim);
  // GB-s billed for an invocation's time inside the measured window, from
  // max(began, window start) to `until`: init (billed since August 2025) plus
  // the handler, rounded up to 1 ms (docs/model-assumptions.md §1.3, §1.5).
  // An invocation that straddles the warm-up or the end pays for its part inside.
  double billed_gb_s(const Invocation& inv, SimTime until) const;

  // Configuration (resolved at build time).
  const Scenario& scenario_;
  double memory_gb_;
  bool arm_;
  SimTime timeout_;
  Distribution duration_;
  double duration_scale_ = 1.0;
  Distribution init_;
  Distribution idle_timeout_;
  std::optional<std::int64_t> reserved_;
  std::int64_t provisioned_ = 0;
  double error_probability_;
  std::vector<DownstreamCall> calls_;
  std::vector<ComponentId> call_targets_;  // the distinct targets of calls_: told when an environment ends
  std::uint16_t max_async_retries_ = 2;
  SimTime max_event_age_ = 6 * kHour;
  std::optional<DownstreamCall> on_failure_;
  bool stop_loops_ = true;
  bool edge_ = false;  // a Lambda@Edge function: its own prices, no free tier (docs/model-assumptions.md §15.3)
  std::vector<ComponentId> event_sources_;  // queues and streams whose consumer this function is
  LambdaAccount& account_;
  // 1000 new environments per 10 s per function: 100/s, burst 1000 (docs/model-assumptions.md §1.2).
  TokenBucket function_scaling_{100.0, 1000};

  // Random streams, one per purpose, so changing one parameter leaves the others' draws alone.
  Rng duration_rng_, init_rng_, idle_rng_, error_rng_, call_rng_, select_rng_, async_rng_;

  // State.
  Pool<Environment> envs_;
  IdleSet idle_;                         // on-demand idle environments
  std::vector<std::uint32_t> pc_idle_;   // provisioned idle environments (never expire)
  Pool<Invocation> invocations_;
  Pool<AsyncEvent> async_events_;
  std::uint64_t created_seq_ = 0;
  std::int64_t busy_ = 0;                // busy environments (the function's concurrency)
  std::int64_t on_demand_busy_ = 0;
  std::int64_t environments_ = 0;
  std::int64_t idle_count_ = 0;

  // Provisioned concurrency. Invariant: pc_envs_ - pc_excess_ + pending = pc_configured_.
  std::optional<ProvisionedScalingConfig> pc_scaling_;
  TargetTracker tracker_;
  Rng allocation_rng_{0};
  TokenBucket allocation_bucket_;  // allocation_burst, then allocation_rate (docs/model-assumptions.md §1.8)
  std::int64_t pc_configured_ = 0;  // what the configuration asks for (billed from when it is applied)
  std::int64_t pc_envs_ = 0;        // provisioned environments that exist, busy or idle
  std::int64_t pc_busy_ = 0;        // of which busy
  std::int64_t pc_excess_ = 0;      // busy ones to remove when their invocation ends (a scale-in)
  // What the provisioned concurrency takes from the function's reservation or the account's pool.
  std::int64_t pc_claimed_ = 0;
  struct PcBatch {
    std::uint64_t id;
    std::int64_t count;
  };
  std::vector<PcBatch> pc_batches_;  // allocations in progress
  std::uint64_t pc_batch_seq_ = 0;
  // The policy's current datapoint: the integral of busy / configured over the
  // part of the period with a configuration (ns), and that part's length.
  long double pc_util_area_ = 0;
  SimTime pc_util_covered_ = 0;
  SimTime pc_util_last_ = 0;

  // Statistics of the measured period.
  Counter invocations_count_, cold_starts_, throttles_, errors_, timeouts_, provisioned_invocations_;
  Counter async_queued_, async_retries_, async_expired_, async_to_on_failure_, async_dropped_, async_throttles_;
  Counter recursive_loops_;
  Counter throttles_reserved_, throttles_account_pool_, throttles_scaling_;  // synchronous throttles by cause
  TimeWeightedGauge concurrency_, environments_gauge_, idle_gauge_;
  TimeWeightedGauge pc_allocated_gauge_, pc_ready_gauge_, pc_busy_gauge_;
  std::int64_t pc_allocated_min_ = 0;
  Counter pc_scale_outs_, pc_scale_ins_, pc_scheduled_actions_;
  // The allocated provisioned concurrency over the window: at most kPcTimelineSteps steps of whole minutes.
  std::vector<long double> pc_timeline_area_;
  SimTime pc_timeline_step_ = kMinute;
  SimTime pc_timeline_to_ = 0;
  LatencyHistogram duration_hist_, init_hist_;
  double on_demand_gb_s_ = 0;
  double provisioned_gb_s_ = 0;
  SimTime end_ = 0;
  SimTime window_start_ = 0;  // the measured window's start (the end of warm-up)
};

Lambda::Lambda(const ServiceBuildContext& ctx)
    : Service(ctx.name(), "lambda"),
      scenario_(ctx.scenario()),
      memory_gb_(ctx.params().size("memory") / 1024.0 / kMB),
      arm_(ctx.params().text("architecture") == "arm64"),
      timeout_(ctx.params().duration("timeout")),
      duration_(ctx.params().dist("duration")),
      init_(ctx.params().has("snapstart") ? ctx.params().record("snapstart").dist("restore")
                                          : ctx.params().dist("cold_start")),
      idle_timeout_(ctx.params().dist("idle_timeout")),
      error_probability_(ctx.params().number("errors")),
      account_(ctx.sim().extension<LambdaAccount>()),
      duration_rng_(0), init_rng_(0), idle_rng_(0), error_rng_(0), call_rng_(0), select_rng_(0), async_rng_(0),
      idle_([&] {
        const std::string& w = ctx.params().text("warm_selection");
        return w == "newest" ? WarmSelection::newest
               : w == "lru"  ? WarmSelection::lru
               : w == "random" ? WarmSelection::random
                               : WarmSelection::mru;
      }(), envs_) {
  const Record& p = ctx.params();
  duration_scale_ = duration_scale(p);
  if (p.has("reserved_concurrency")) reserved_ = p.integer("reserved_concurrency");
  provisioned_ = initial_provisioned(p);
  if (p.has("provisioned_scaling")) {
    pc_scaling_ = provisioned_scaling_config(p.record("provisioned_scaling"));
    tracker_ = TargetTracker(pc_scaling_->policy);
  }
  for (const Value& v : p.list("calls")) {
    const Record& c = *v.record;
    const std::string& target = c.text("to");
    const ServiceDecl* decl = ctx.scenario().find_service(target);
    const std::string op = c.has("op") ? c.text("op") : decl->type->ops.front();
    const bool chains = op == "invoke_async" || op == "send" || op == "publish";
    calls_.push_back({ctx.id_of(target), ctx.op_index(target, op), c.number("probability"), chains,
                      c.text("per") == "record"});
    if (std::find(call_targets_.begin(), call_targets_.end(), calls_.back().target) == call_targets_.end())
      call_targets_.push_back(calls_.back().target);
  }
  if (p.has("async")) {
    const Record& a = p.record("async");
    max_async_retries_ = static_cast<std::uint16_t>(a.integer("max_retry_attempts"));
    max_event_age_ = a.duration("max_event_age");
    if (a.has("on_failure")) {
      const std::string& target = a.text("on_failure");
      const std::string& type = ctx.scenario().find_service(target)->type->name;
      const std::string op = type == "sqs" ? "send" : type == "sns" ? "publish" : "invoke_async";
      on_failure_ = DownstreamCall{ctx.id_of(target), ctx.op_index(target, op), 1.0};
    }
  }
  stop_loops_ = p.text("recursive_loop") == "terminate";
  edge_ = p.flag("edge");
  // Event sources: services whose `consumer.function` is this function (their batch
  // invocations count in the recursion depth like asynchronous ones).
  for (const auto& decl : ctx.scenario().services) {
    if (!decl.params.schema || decl.params.schema->find("consumer") == nullptr || !decl.params.has("consumer")) continue;
    const Record& consumer = decl.params.record("consumer");
    if (consumer.schema->find("function") != nullptr && consumer.text("function") == ctx.name())
      event_sources_.push_back(ctx.id_of(decl.name));
  }
  account_.configure(ctx.scenario());
}

void Lambda::start(Simulation& sim) {
  const std::string base = "service." + name() + ".";
  duration_rng_ = sim.rng(base + "duration");
  init_rng_ = sim.rng(base + "init");
  idle_rng_ = sim.rng(base + "idle");
  error_rng_ = sim.rng(base + "errors");
  call_rng_ = sim.rng(base + "calls");
  select_rng_ = sim.rng(base + "select");
  async_rng_ = sim.rng(base + "async");
  // Provisioned environments are initialised before the run starts.
  for (std::int64_t i = 0; i < provisioned_; ++i) add_pc_environment(sim);
  idle_gauge_.set(sim.now(), static_cast<double>(idle_count_));
  pc_configured_ = pc_claimed_ = provisioned_;
  if (pc_scaling_) {
    allocation_rng_ = sim.rng(base + "allocation");
    allocation_bucket_ = TokenBucket(pc_scaling_->allocation_rate, pc_scaling_->allocation_burst);
    pc_allocated_min_ = pc_configured_;
    pc_gauges(sim.now());
    if (pc_scaling_->tracking && pc_scaling_->policy.period <= sim.end())
      sim.schedule_at(pc_scaling_->policy.period, id(), kPcTick);
    for (std::size_t i = 0; i < pc_scaling_->schedule.size(); ++i) schedule_pc_action(sim, i, 0);
    // The allocated timeline: whole-minute steps, at most 120 of them over the window.
    constexpr SimTime kPcTimelineSteps = 120;
    const SimTime window = sim.end() - sim.warmup_end();
    const SimTime minutes = std::max<SimTime>(1, (window + kMinute - 1) / kMinute);
    pc_timeline_step_ = ((minutes + kPcTimelineSteps - 1) / kPcTimelineSteps) * kMinute;
    pc_timeline_area_.assign(static_cast<std::size_t>((window + pc_timeline_step_ - 1) / pc_timeline_step_), 0.0L);
    pc_timeline_to_ = sim.warmup_end();
  }
}

void Lambda::add_pc_environment(Simulation& sim) {
  const std::uint32_t idx = create_environment(sim, true);
  Environment& e = envs_.live_at(idx);
  e.busy = false;
  ++idle_count_;
  ++pc_envs_;
  pc_idle_.push_back(idx);
}

void Lambda::pc_accrue(SimTime now) {
  if (!pc_scaling_) return;
  if (now > pc_util_last_ && pc_configured_ > 0) {
    const auto dt = static_cast<long double>(now - pc_util_last_);
    pc_util_area_ += dt * static_cast<long double>(pc_busy_ - pc_excess_) / static_cast<long double>(pc_configured_);
    pc_util_covered_ += now - pc_util_last_;
  }
  pc_util_last_ = now;
  // The timeline of the allocated count, inside the window only.
  const SimTime window_start = pc_allocated_gauge_.measure_start();
  SimTime t = std::max(pc_timeline_to_, window_start);
  pc_timeline_to_ = std::max(pc_timeline_to_, now);
  while (t < now) {
    const auto step = static_cast<std::size_t>((t - window_start) / pc_timeline_step_);
    if (step >= pc_timeline_area_.size()) return;
    const SimTime step_end = window_start + static_cast<SimTime>(step + 1) * pc_timeline_step_;
    const SimTime to = std::min(now, step_end);
    pc_timeline_area_[step] += static_cast<long double>(pc_configured_) * static_cast<long double>(to - t);
    t = to;
  }
}

void Lambda::pc_gauges(SimTime now) {
  if (!pc_scaling_) return;
  pc_allocated_gauge_.set(now, static_cast<double>(pc_configured_));
  pc_ready_gauge_.set(now, static_cast<double>(pc_envs_ - pc_excess_));
  pc_busy_gauge_.set(now, static_cast<double>(pc_busy_ - pc_excess_));
  pc_allocated_min_ = std::min(pc_allocated_min_, pc_configured_);
}

void Lambda::set_provisioned(Simulation& sim, std::int64_t wanted) {
  const SimTime now = sim.now();
  pc_accrue(now);
  std::int64_t n = std::max<std::int64_t>(0, wanted);
  if (n > pc_configured_) {
    std::int64_t add = n - pc_configured_;
    // Busy environments still waiting to be removed are kept instead.
    const std::int64_t reuse = std::min(add, pc_excess_);
    // An unreserved function's allocation must leave account.unreserved_min
    // unreserved; the rest of the step is not allocated (docs/model-assumptions.md §1.8).
    if (!reserved_)
      add = std::min(add, reuse + std::max<std::int64_t>(0, account_.unreserved_capacity - account_.unreserved_min));
    pc_excess_ -= std::min(add, pc_excess_);
    const std::int64_t fresh = add - std::min(add, reuse);
    if (fresh > 0) {
      // One preparation delay for the whole step: the environments become usable together.
      pc_batches_.push_back({++pc_batch_seq_, fresh});
      sim.schedule_in(pc_scaling_->allocation_delay.sample_ns(allocation_rng_), id(), kPcReady, pc_batch_seq_);
    }
    n = pc_configured_ + add;
  } else if (n < pc_configured_) {
    std::int64_t remove = pc_configured_ - n;
    // Allocations in progress are cancelled first (the newest first), then
    // idle environments go at once, busy ones when their invocation ends.
    while (remove > 0 && !pc_batches_.empty()) {
      PcBatch& b = pc_batches_.back();
      const std::int64_t cut = std::min(remove, b.count);
      b.count -= cut;
      remove -= cut;
      if (b.count == 0) pc_batches_.pop_back();
    }
    while (remove > 0 && !pc_idle_.empty()) {
      Environment& e = envs_.live_at(pc_idle_.back());
      pc_idle_.pop_back();
      --idle_count_;
      --pc_envs_;
      --remove;
      destroy_environment(sim, e);
    }
    idle_gauge_.set(now, static_cast<double>(idle_count_));
    pc_excess_ += remove;
  }
  pc_configured_ = n;
  const std::int64_t claimed = pc_configured_ + pc_excess_;
  if (!reserved_) account_.unreserved_capacity -= claimed - pc_claimed_;
  pc_claimed_ = claimed;
  pc_gauges(now);
}

void Lambda::pc_ready(Simulation& sim, std::uint64_t batch) {
  const auto it = std::find_if(pc_batches_.begin(), pc_batches_.end(), [&](const PcBatch& b) { return b.id == batch; });
  if (it == pc_batches_.end()) return;  // cancelled by a scale-in
  const SimTime now = sim.now();
  // After the delay, the burst at once, then the allocation rate.
  const std::int64_t count =
      std::min(it->count, static_cast<std::int64_t>(allocation_bucket_.tokens(now)));
  it->count -= count;
  if (it->count == 0) pc_batches_.erase(it);
  else sim.schedule_in(std::max<SimTime>(1, round_ns(1e9 / pc_scaling_->allocation_rate)), id(), kPcReady, batch);
  if (count == 0) return;
  allocation_bucket_.take(static_cast<std::uint64_t>(count));
  pc_accrue(now);
  // Their init ran during the allocation: no request waits for it.
  for (std::int64_t i = 0; i < count; ++i) add_pc_environment(sim);
  idle_gauge_.set(now, static_cast<double>(idle_count_));
  pc_gauges(now);
}

void Lambda::pc_tick(Simulation& sim) {
  const SimTime now = sim.now();
  pc_accrue(now);
  // No provisioned concurrency for the whole period: no datapoint (the alarm keeps its state).
  if (pc_util_covered_ > 0) {
    const double metric = static_cast<double>(pc_util_area_ / static_cast<long double>(pc_util_covered_));
    const std::int64_t before = pc_configured_;
    if (const auto desired = tracker_.evaluate(now, metric, pc_configured_)) {
      set_provisioned(sim, *desired);
      if (pc_configured_ > before) pc_scale_outs_.add();
      if (pc_configured_ < before) pc_scale_ins_.add();
    }
  }
  pc_util_area_ = 0;
  pc_util_covered_ = 0;
  const SimTime next = now + pc_scaling_->policy.period;
  if (next <= sim.end()) sim.schedule_at(next, id(), kPcTick);
}

void Lambda::schedule_pc_action(Simulation& sim, std::size_t index, SimTime at_or_after) {
  // Calendar seconds are whole: the first second at or after the time.
  const std::int64_t start = pc_scaling_->start_unix_s;
  const auto fire = pc_scaling_->schedule[index].expression.first_at_or_after(
      start + (at_or_after + kSecond - 1) / kSecond, start);
  if (!fire) return;
  const SimTime t = (*fire - start) * kSecond;
  if (t <= sim.end()) sim.schedule_at(t, id(), kPcAction, index);
}

void Lambda::pc_action(Simulation& sim, std::size_t index) {
  const ScheduledPcAction& a = pc_scaling_->schedule[index];
  pc_scheduled_actions_.add();
  // Cooldowns do not apply to a scheduled action (docs/model-assumptions.md §1.8).
  const TargetTrackingPolicy& now_bounds = tracker_.policy();
  if (const auto clamped = tracker_.set_bounds(a.min.value_or(now_bounds.min), a.max.value_or(now_bounds.max), pc_configured_))
    set_provisioned(sim, *clamped);
  schedule_pc_action(sim, index, sim.now() + kSecond);
}

bool Lambda::on_demand_slot_free() const {
  if (reserved_) return on_demand_busy_ < *reserved_ - pc_claimed_;
  return account_.unreserved_busy < account_.unreserved_capacity;
}

void Lambda::take_on_demand_slot() {
  ++on_demand_busy_;
  if (!reserved_) ++account_.unreserved_busy;
}

void Lambda::release_on_demand_slot() {
  --on_demand_busy_;
  if (!reserved_) --account_.unreserved_busy;
}

bool Lambda::scaling_token(SimTime now) {
  switch (account_.scaling) {
    case ScalingMode::per_function: return function_scaling_.try_take(now);
    case ScalingMode::legacy: return account_.legacy_burst.try_take(now);
    case ScalingMode::none: return true;
  }
  return true;
}

void Lambda::set_busy(SimTime now, std::int64_t delta) {
  busy_ += delta;
  concurrency_.set(now, static_cast<double>(busy_));
}

std::uint32_t Lambda::create_environment(Simulation& sim, bool provisioned) {
  Environment e;
  e.created_seq = ++created_seq_;
  e.provisioned = provisioned;
  e.busy = true;
  const Handle h = envs_.alloc(e);
  envs_.at(h).self = h.index();
  ++environments_;
  environments_gauge_.set(sim.now(), static_cast<double>(environments_));
  return h.index();
}

// AWS stops a chain after about 16 invocations (docs/model-assumptions.md §1.7).
constexpr std::uint16_t kMaxChain = 16;

// Request::depth counts the asynchronous hand-offs a function made with the
// request (the links of its chain); retries of the same event or batch add
// nothing. The chain's invocations are depth + 1.
bool Lambda::within_chain(Simulation& sim, RequestHandle request) {
  if (!stop_loops_ || sim.request(request).depth < kMaxChain) return true;
  recursive_loops_.add();
  return false;
}

std::uint32_t Lambda::acquire(Simulation& sim, bool& cold) {
  cold = false;
  if (!pc_idle_.empty()) {
    const std::uint32_t env = pc_idle_.back();
    pc_idle_.pop_back();
    provisioned_invocations_.add();
    pc_accrue(sim.now());
    ++pc_busy_;
    pc_gauges(sim.now());
    return env;
  }
  if (!on_demand_slot_free()) {
    refusal_ = reserved_ ? Refusal::reserved : Refusal::account_pool;
    return kNoEnv;
  }
  refusal_ = Refusal::scaling_rate;
  std::uint32_t env = kNoEnv;
  if (!idle_.empty()) {
    env = idle_.take(select_rng_);
  } else if (scaling_token(sim.now())) {
    env = create_environment(sim, false);
    cold = true;
  }
  if (env != kNoEnv) take_on_demand_slot();
  return env;
}

void Lambda::on_call(Simulation& sim, CallHandle call) {
  const Call& c = sim.call_info(call);
  if (c.op == kOpInvokeAsync) {
    // Lambda queues the event and answers 202 at once; a poller invokes it later.
    async_queued_.add();
    sim.open_branch(c.request);
    const Handle event = async_events_.alloc(AsyncEvent{c.request, sim.now(), 0, 0, false});
    sim.reply(call, CallStatus::ok);
    if (!within_chain(sim, c.request)) {
      async_give_up(sim, event);  // a recursive loop: stopped, to the on-failure destination or dropped
      return;
    }
    sim.schedule_in(0, id(), kAsyncAttempt, event.bits);
    return;
  }
  if (!event_sources_.empty() &&
      std::find(event_sources_.begin(), event_sources_.end(), c.caller) != event_sources_.end() &&
      !within_chain(sim, c.request)) {
    sim.reply(call, CallStatus::error, 0, c.items);  // the source's own redrive policy takes over
    return;
  }
  bool cold = false;
  const std::uint32_t env = acquire(sim, cold);
  if (env == kNoEnv) {
    // Synchronous invocation has no queue: 429 at once.
    throttles_.add();
    (refusal_ == Refusal::reserved       ? throttles_reserved_
     : refusal_ == Refusal::account_pool ? throttles_account_pool_
                                         : throttles_scaling_)
        .add();
    sim.reply(call, CallStatus::throttled, 0, c.items);
    return;
  }
  start_invocation(sim, env, cold, call, Handle{}, c.request, c.items);
}

void Lambda::start_invocation(Simulation& sim, std::uint32_t env, bool cold, CallHandle call, Handle async,
                              RequestHandle request, std::uint32_t items) {
  const SimTime now = sim.now();
  invocations_count_.add();
  Environment& e = envs_.live_at(env);
  if (!cold) {
    e.busy = true;
    --idle_count_;
    idle_gauge_.set(now, static_cast<double>(idle_count_));
  }
  set_busy(now, +1);
  Invocation inv;
  inv.call = call;
  inv.async = async;
  inv.request = request;
  inv.env = env;
  inv.items = items;
  inv.cold = cold;
  inv.began = now;
  const Handle h = invocations_.alloc(inv);
  if (cold) {
    cold_starts_.add();
    const SimTime init = init_.sample_ns(init_rng_);
    invocations_.at(h).init_ns = init;
    init_hist_.record(init);
    sim.schedule_in(init, id(), kInitDone, h.bits);
  } else {
    begin_handler(sim, h);
  }
}

void Lambda::on_async_attempt(Simulation& sim, Handle h) {
  AsyncEvent* ev = async_events_.get(h);
  if (ev == nullptr) return;
  if (sim.now() - ev->accepted >= max_event_age_) {
    ev->expired = true;
    async_expired_.add();
    async_give_up(sim, h);
    return;
  }
  bool cold = false;
  const std::uint32_t env = acquire(sim, cold);
  if (env == kNoEnv) {
    // Throttled: back on the internal queue, retried with exponential backoff
    // from 1 s to 5 min until the event is too old (docs/model-assumptions.md §1.6). The wait
    // is drawn in [backoff/2, backoff] ("equal jitter", our assumption: AWS does
    // not say) so that events throttled together do not all retry together.
    async_throttles_.add();
    const SimTime cap = std::min<SimTime>(kSecond << std::min<int>(ev->throttles, 20), 5 * kMinute);
    const SimTime backoff = cap / 2 + static_cast<SimTime>(async_rng_.below(static_cast<std::uint64_t>(cap / 2) + 1));
    ++ev->throttles;
    sim.schedule_at(std::min(sim.now() + backoff, ev->accepted + max_event_age_), id(), kAsyncAttempt, h.bits);
    return;
  }
  ev->throttles = 0;
  start_invocation(sim, env, cold, CallHandle{}, h, ev->request, 1);
}

void Lambda::async_finished(Simulation& sim, Handle h, CallStatus status) {
  AsyncEvent& ev = async_events_.at(h);
  if (status == CallStatus::ok) {
    sim.close_branch(ev.request, Outcome::succeeded);
    async_events_.free(h);
    return;
  }
  // A function error or timeout: retried about 1 min, then about 2 min later.
  if (ev.error_retries < max_async_retries_) {
    ++ev.error_retries;
    async_retries_.add();
    const SimTime delay = ev.error_retries == 1 ? kMinute : 2 * kMinute;
    if (sim.now() + delay - ev.accepted < max_event_age_) {
      sim.schedule_in(delay, id(), kAsyncAttempt, h.bits);
      return;
    }
    ev.expired = true;
    async_expired_.add();
  }
  async_give_up(sim, h);
}

void Lambda::async_give_up(Simulation& sim, Handle h) {
  AsyncEvent& ev = async_events_.at(h);
  if (on_failure_) {
    sim.call_detached(id(), on_failure_->target, on_failure_->op, ev.request, h.bits | kOnFailureTag);
    return;  // settled when the destination answers
  }
  const Outcome fate = ev.expired ? Outcome::expired : Outcome::dropped;
  if (!ev.expired) async_dropped_.add();
  sim.close_branch(ev.request, fate);
  async_events_.free(h);
}

void Lambda::begin_handler(Simulation& sim, Handle h) {
  Invocation& inv = invocations_.at(h);
  inv.handler_start = sim.now();
  // A batch runs one draw of `duration` per record.
  SimTime drawn = 0;
  // Saturating: a batch of long draws must time out, not wrap around to a short run.
  for (std::uint32_t i = 0; i < inv.items; ++i) drawn = add_saturating(drawn, duration_.sample_ns(duration_rng_));
  const auto compute = round_ns(static_cast<double>(drawn) * duration_scale_);
  if (compute >= timeout_) {
    sim.schedule_in(timeout_, id(), kTimeout, h.bits);
    return;
  }
  sim.schedule_in(compute, id(), kComputeDone, h.bits);
  // Only calls can stretch the handler past its timeout: arm the timer for them.
  if (!calls_.empty()) sim.schedule_in(timeout_, id(), kTimeout, h.bits);
}

void Lambda::continue_calls(Simulation& sim, Handle h) {
  Invocation& inv = invocations_.at(h);
  while (inv.next_call < calls_.size() || inv.repeats_left > 0) {
    // A per-record call repeats for each further record of the batch (the
    // call carries the batch's request: its first record's).
    const bool repeat = inv.repeats_left > 0;
    const DownstreamCall& c = repeat ? calls_[inv.next_call - 1u] : calls_[inv.next_call++];
    if (repeat) --inv.repeats_left;
    else if (c.per_record) inv.repeats_left = inv.items - 1;
    // One draw per call made or not, so the stream does not depend on outcomes.
    if (!call_rng_.bernoulli(c.probability)) continue;
    if (c.chains) {
      Request& r = sim.request(inv.request);
      if (r.depth < 0xffff) ++r.depth;
    }
    // The call belongs to the environment's session (its handle): a database keeps
    // the environment's connection until the environment ends (destroy_environment).
    Environment& env = envs_.live_at(inv.env);
    env.made_calls = true;
    sim.set_call_session(sim.call(id(), c.target, c.op, inv.request, h.bits), envs_.handle_at(env.self).bits);
    return;
  }
  complete(sim, h, CallStatus::ok);
}

void Lambda::complete(Simulation& sim, Handle h, CallStatus status) {
  Invocation inv = invocations_.at(h);
  invocations_.free(h);
  const SimTime now = sim.now();
  // Each record of a batch fails on its own (one draw per record); a failed call,
  // a timeout or a throttle fails them all.
  std::uint32_t failed_items = inv.items;
  if (status == CallStatus::ok) {
    failed_items = 0;
    for (std::uint32_t i = 0; i < inv.items; ++i) failed_items += error_rng_.bernoulli(error_probability_) ? 1 : 0;
    if (failed_items > 0) status = CallStatus::error;
  }
  if (status == CallStatus::error) errors_.add();
  if (status == CallStatus::timeout) timeouts_.add();
  duration_hist_.record(now - inv.handler_start);
  Environment& e = envs_.live_at(inv.env);
  (e.provisioned ? provisioned_gb_s_ : on_demand_gb_s_) += billed_gb_s(inv, now);
  if (inv.call.valid()) sim.reply(inv.call, status, 0, status == CallStatus::ok ? 0 : failed_items);
  else async_finished(sim, inv.async, status);
  set_busy(now, -1);
  if (!e.provisioned) release_on_demand_slot();
  if (e.provisioned) {
    pc_accrue(now);
    --pc_busy_;
    if (pc_excess_ > 0) {
      // A scale-in waited for this invocation: the environment goes now.
      --pc_excess_;
      --pc_envs_;
      --pc_claimed_;
      if (!reserved_) ++account_.unreserved_capacity;
      pc_gauges(now);
      destroy_environment(sim, e);
      return;
    }
    pc_gauges(now);
  }
  if (status == CallStatus::timeout && !e.provisioned) {
    // The runtime is reset after a timeout: the next request initialises a new environment.
    destroy_environment(sim, e);
    return;
  }
  environment_idle(sim, e);
}

void Lambda::environment_idle(Simulation& sim, Environment& e) {
  const SimTime now = sim.now();
  e.busy = false;
  e.idle_since = now;
  ++e.idle_stamp;
  ++idle_count_;
  idle_gauge_.set(now, static_cast<double>(idle_count_));
  if (e.provisioned) {
    pc_idle_.push_back(e.self);
    return;
  }
  idle_.insert(e);
  e.expires_at = now + idle_timeout_.sample_ns(idle_rng_);
  // At most one pending expiry event per environment; a later one reschedules itself.
  if (e.expiry_event_at < 0 || e.expiry_event_at > e.expires_at) {
    e.expiry_event_at = e.expires_at;
    sim.schedule_at(e.expires_at, id(), kExpire, envs_.handle_at(e.self).bits);
  }
}

void Lambda::destroy_environment(Simulation& sim, Environment& e) {
  const Handle h = envs_.handle_at(e.self);
  if (e.made_calls)
    for (const ComponentId target : call_targets_) sim.end_session(id(), target, h.bits);
  envs_.free(h);
  --environments_;
  environments_gauge_.set(sim.now(), static_cast<double>(environments_));
}

void Lambda::handle(Simulation& sim, const Event& e) {
  switch (e.kind) {
    case kCallEvent: on_call(sim, CallHandle{e.data}); return;
    case kInitDone: begin_handler(sim, Handle{e.data}); return;
    case kComputeDone:
      if (invocations_.get(Handle{e.data}) != nullptr) continue_calls(sim, Handle{e.data});
      return;
    case kAsyncAttempt: on_async_attempt(sim, Handle{e.data}); return;
    case kPcTick: pc_tick(sim); return;
    case kPcAction: pc_action(sim, static_cast<std::size_t>(e.data)); return;
    case kPcReady: pc_ready(sim, e.data); return;
    case kReplyEvent: {
      if ((e.data & kOnFailureTag) != 0) {
        // The on-failure destination answered.
        const Handle h{e.data & ~kOnFailureTag};
        AsyncEvent& ev = async_events_.at(h);
        const bool accepted = reply_status(e) == CallStatus::ok;
        (accepted ? async_to_on_failure_ : async_dropped_).add();
        sim.close_branch(ev.request, accepted ? Outcome::dead_lettered : Outcome::dropped);
        async_events_.free(h);
        return;
      }
      const Handle h{e.data};
      if (invocations_.get(h) == nullptr) return;  // the invocation timed out meanwhile
      if (reply_status(e) != CallStatus::ok) {
        complete(sim, h, CallStatus::error);  // an unhandled downstream failure fails the invocation
        return;
      }
      continue_calls(sim, h);
      return;
    }
    case kTimeout:
      if (invocations_.get(Handle{e.data}) != nullptr) complete(sim, Handle{e.data}, CallStatus::timeout);
      return;
    case kExpire: {
      Environment* env = envs_.get(Handle{e.data});
      if (env == nullptr || env->expiry_event_at != sim.now()) return;  // stale
      env->expiry_event_at = -1;
      if (env->busy) return;  // it will schedule again when it next becomes idle
      if (sim.now() < env->expires_at) {
        env->expiry_event_at = env->expires_at;
        sim.schedule_at(env->expires_at, id(), kExpire, e.data);
        return;
      }
      idle_.erase(*env);
      --idle_count_;
      idle_gauge_.set(sim.now(), static_cast<double>(idle_count_));
      destroy_environment(sim, *env);
      return;
    }
    default: return;
  }
}

double Lambda::billed_gb_s(const Invocation& inv, SimTime until) const {
  const SimTime from = std::max(inv.began, window_start_);
  if (until <= from) return 0.0;
  const SimTime billed_ms = (until - from + kMillisecond - 1) / kMillisecond;
  return static_cast<double>(billed_ms) / 1000.0 * memory_gb_;
}

void Lambda::reset_statistics(SimTime now) {
  window_start_ = now;
  for (Counter* c : {&invocations_count_, &cold_starts_, &throttles_, &errors_, &timeouts_, &provisioned_invocations_,
                     &async_queued_, &async_retries_, &async_expired_, &async_to_on_failure_, &async_dropped_,
                     &async_throttles_, &recursive_loops_, &throttles_reserved_, &throttles_account_pool_,
                     &throttles_scaling_})
    c->reset();
  concurrency_.reset(now);
  environments_gauge_.reset(now);
  idle_gauge_.reset(now);
  if (pc_scaling_) {
    pc_accrue(now);
    for (Counter* c : {&pc_scale_outs_, &pc_scale_ins_, &pc_scheduled_actions_}) c->reset();
    pc_allocated_gauge_.reset(now);
    pc_ready_gauge_.reset(now);
    pc_busy_gauge_.reset(now);
    pc_allocated_min_ = pc_configured_;
    pc_timeline_to_ = now;
  }
  duration_hist_.reset();
  init_hist_.reset();
  on_demand_gb_s_ = 0;
  provisioned_gb_s_ = 0;
}

void Lambda::finish(Simulation& sim) {
  end_ = sim.now();
  pc_accrue(end_);
  // Work still running at the end is billed for its part inside the window.
  invocations_.for_each_live([&](const Invocation& inv) {
    (envs_.live_at(inv.env).provisioned ? provisioned_gb_s_ : on_demand_gb_s_) += billed_gb_s(inv, end_);
  });
  // Lambda@Edge is priced on its own: it shares no tier or free tier with the account's functions.
  if (!edge_)
    account_.usage.push_back({name(), arm_, !pc_enabled(), static_cast<double>(invocations_count_.value),
                              on_demand_gb_s_});
}

void Lambda::sample(TimeSeriesRow& row) {
  row.count("invocations", static_cast<double>(invocations_count_.value));
  row.count("cold_starts", static_cast<double>(cold_starts_.value));
  row.count("throttles", static_cast<double>(throttles_.value));
  row.count("errors", static_cast<double>(errors_.value));
  row.count("timeouts", static_cast<double>(timeouts_.value));
  row.gauge("concurrency", concurrency_);
  row.gauge("environments", environments_gauge_);
  row.latency("duration_ms", duration_hist_);
  if (pc_scaling_) {
    row.gauge("provisioned.allocated", pc_allocated_gauge_);
    row.gauge("provisioned.ready", pc_ready_gauge_);
  }
}

void Lambda::report(Json& out, double /*measured_seconds*/) const {
  out["invocations"] = invocations_count_.value;
  out["cold_starts"] = cold_starts_.value;
  out["throttles"] = throttles_.value;
  // Why synchronous invocations were throttled: the function's reserved
  // concurrency, the account's unreserved pool (shared), or the scaling rate.
  Json& causes = out["throttle_causes"];
  causes["reserved"] = throttles_reserved_.value;
  causes["account_pool"] = throttles_account_pool_.value;
  causes["scaling_rate"] = throttles_scaling_.value;
  out["errors"] = errors_.value;
  out["timeouts"] = timeouts_.value;
  if (pc_enabled()) out["provisioned_invocations"] = provisioned_invocations_.value;
  Json& c = out["concurrency"];
  c["max"] = concurrency_.max();
  c["mean"] = concurrency_.mean(end_);
  Json& env = out["environments"];
  env["max"] = environments_gauge_.max();
  env["mean"] = environments_gauge_.mean(end_);
  env["mean_idle"] = idle_gauge_.mean(end_);
  out["duration_ms"] = latency_json(duration_hist_);
  out["init_ms"] = latency_json(init_hist_);
  out["billed_gb_s"] = on_demand_gb_s_ + provisioned_gb_s_;
  Json& async = out["async"];
  async["queued"] = async_queued_.value;
  async["retries"] = async_retries_.value;
  async["throttles"] = async_throttles_.value;
  async["expired"] = async_expired_.value;
  async["to_on_failure"] = async_to_on_failure_.value;
  async["dropped"] = async_dropped_.value;
  out["recursive_loops"] = recursive_loops_.value;
  if (pc_scaling_) {
    // Allocated: the configured count (billed); ready: allocated and usable.
    Json& pc = out["provisioned"];
    pc["allocated_mean"] = pc_allocated_gauge_.mean(end_);
    pc["allocated_max"] = pc_allocated_gauge_.max();
    pc["allocated_min"] = pc_allocated_min_;
    pc["allocated_final"] = pc_configured_;
    pc["ready_mean"] = pc_ready_gauge_.mean(end_);
    // Busy over allocated, over the window (the mean busy count over the mean allocated count).
    const double allocated = pc_allocated_gauge_.mean(end_);
    pc["utilization"] = allocated > 0 ? pc_busy_gauge_.mean(end_) / allocated : 0.0;
    pc["spillover_invocations"] = invocations_count_.value - provisioned_invocations_.value;
    pc["scale_outs"] = pc_scale_outs_.value;
    pc["scale_ins"] = pc_scale_ins_.value;
    pc["scheduled_actions"] = pc_scheduled_actions_.value;
    // The mean allocated count of each step of the window (the last step may be shorter).
    Json& timeline = pc["timeline"];
    const SimTime from0 = pc_allocated_gauge_.measure_start();
    timeline["step_s"] = static_cast<double>(pc_timeline_step_) / 1e9;
    Json allocated_steps = Json::array();
    for (std::size_t i = 0; i < pc_timeline_area_.size(); ++i) {
      const SimTime from = from0 + static_cast<SimTime>(i) * pc_timeline_step_;
      const SimTime to = std::min(from + pc_timeline_step_, std::max(end_, from + 1));
      allocated_steps.push_back(static_cast<double>(pc_timeline_area_[i] / static_cast<long double>(to - from)));
    }
    timeline["allocated"] = std::move(allocated_steps);
  }
}

void Lambda::bill(CostLedger& ledger, const BillingPeriod& period) const {
  const PriceCatalog price(scenario_);
  const bool free_tier = scenario_.account.flag("free_tier") && !pc_enabled();
  const double requests = static_cast<double>(invocations_count_.value);
  if (edge_) {
    // Lambda@Edge: flat prices, 1 ms steps, no free tier (docs/model-assumptions.md §15.3).
    const double gb_s = on_demand_gb_s_ + provisioned_gb_s_;
    ledger.add(name(), "lambda@edge requests", requests, "requests", requests * price("lambda_edge.request"));
    if (gb_s > 0) ledger.add(name(), "lambda@edge duration", gb_s, "GB-s", gb_s * price("lambda_edge.duration"));
    return;
  }
  ledger.add(name(), "requests", requests, "requests", requests * price("lambda.request"));
  // Duration: tiers apply to the account's monthly volume per architecture; this
  // function pays its share of the tiered cost in proportion to its GB-s.
  std::vector<TierUsage> arch_usage;
  double free_requests_month = 0, free_gb_s_month = 0;  // the eligible functions' month
  for (const auto& u : account_.usage) {
    const double to_month = period.usage_to_month(u.name);
    if (u.arm == arm_) arch_usage.push_back({u.on_demand_gb_s, to_month});
    if (u.free_eligible) {
      free_requests_month += u.requests * to_month;
      free_gb_s_month += u.on_demand_gb_s * to_month;
    }
  }
  if (on_demand_gb_s_ > 0)
    ledger.add(name(), "duration", on_demand_gb_s_, "GB-s",
               shared_tiered_cost(on_demand_gb_s_, arch_usage, lambda_duration_tiers(price, arm_)));
  if (pc_enabled()) {
    const std::string arch = arm_ ? "arm64" : "x86_64";
    // Scaled: the allocated count integrated exactly over the window, from
    // when each configuration was applied (docs/model-assumptions.md §1.8).
    const double allocated =
        pc_scaling_ ? static_cast<double>(pc_allocated_gauge_.integral(end_) / 1e9L) * memory_gb_
                    : static_cast<double>(provisioned_) * memory_gb_ * period.measured_seconds();
    ledger.add(name(), "provisioned concurrency", allocated, "GB-s", allocated * price("lambda.provisioned." + arch),
               CostBasis::time);
    ledger.add(name(), "provisioned duration", provisioned_gb_s_, "GB-s",
               provisioned_gb_s_ * price("lambda.provisioned_duration." + arch));
  }
  if (free_tier) {
    // The monthly free tier, shared by the eligible functions in proportion to
    // their monthly use (valued at the first tier); this function's credit for
    // the window is its share of the allowance over its own month, scaled back.
    const double request_credit =
        free_requests_month > 0 ? std::min(requests, price("lambda.free_tier.requests") * requests / free_requests_month)
                                : 0.0;
    const double gb_s_credit =
        free_gb_s_month > 0 ? std::min(on_demand_gb_s_, price("lambda.free_tier.gb_s") * on_demand_gb_s_ / free_gb_s_month)
                            : 0.0;
    const std::string why = "the window's share of the monthly free tier (a credit)";
    if (request_credit > 0)
      ledger.add(name(), "free tier requests", -request_credit, "requests", -request_credit * price("lambda.request"),
                 CostBasis::usage, why);
    if (gb_s_credit > 0)
      ledger.add(name(), "free tier duration", -gb_s_credit, "GB-s", -gb_s_credit * lambda_duration_tiers(price, arm_)[0].usd,
                 CostBasis::usage, why);
  }
}

// Load-time checks that need the whole scenario.
void check_lambda(const ServiceDecl& decl, const Scenario& sc, Diagnostics& diags) {
  const Record& p = decl.params;
  const std::string path = "services." + decl.name;
  const double memory_mb = p.size("memory") / kMB;
  if (memory_mb != std::floor(memory_mb))
    diags.error(p.get("memory").loc, path + ".memory",
                fmt::format("expected a whole number of MB (Lambda memory is set in 1 MB steps), found '{}'", p.get("memory").text));
  if ((p.has("provisioned_concurrency") || p.has("provisioned_scaling")) && p.has("snapstart"))
    diags.error(p.get("snapstart").loc, path + ".snapstart", "SnapStart cannot be combined with provisioned concurrency");
  if (p.has("provisioned_concurrency") && p.has("reserved_concurrency") &&
      p.integer("provisioned_concurrency") > p.integer("reserved_concurrency"))
    diags.error(p.get("provisioned_concurrency").loc, path + ".provisioned_concurrency",
                fmt::format("provisioned concurrency {} exceeds the reserved concurrency {}", p.integer("provisioned_concurrency"),
                            p.integer("reserved_concurrency")));
  check_provisioned_scaling(decl, diags);
  for (const Value& v : p.list("calls")) {
    const Record& c = *v.record;
    const ServiceDecl* target = sc.find_service(c.text("to"));
    if (target == nullptr || target->type == nullptr || !c.has("op")) continue;
    const auto& ops = target->type->ops;
    if (std::find(ops.begin(), ops.end(), c.text("op")) == ops.end())
      diags.error(c.get("op").loc, v.path + ".op",
                  fmt::format("'{}' ({}) has no operation '{}' (it has {})", target->name, target->type->name, c.text("op"),
                              quoted_list(ops)),
                  target->type->op_hint(c.text("op")));
  }
  // Account-wide: reservations must leave `unreserved_min` unreserved. Reported once, at the first function.
  const ServiceDecl* first = nullptr;
  std::int64_t carved = 0;
  for (const auto& s : sc.services) {
    if (s.type == nullptr || s.type->name != "lambda") continue;
    if (first == nullptr) first = &s;
    if (s.params.has("reserved_concurrency")) carved += s.params.integer("reserved_concurrency");
    else carved += initial_provisioned(s.params);
  }
  if (first == &decl) {
    const std::int64_t limit = sc.account.integer("lambda_concurrency");
    const std::int64_t floor = sc.account.integer("unreserved_min");
    if (carved > limit - floor)
      diags.error(decl.loc, "services",
                  fmt::format("reserved and provisioned concurrency add up to {}, but the account ({} in "
                              "account.lambda_concurrency) must keep {} unreserved (account.unreserved_min): at most {} "
                              "can be reserved",
                              carved, limit, floor, limit - floor));
  }
  warn_impossible_timeouts(decl, sc, diags);
}

}  // namespace

// Price tiers per architecture (docs/model-assumptions.md §1.5), cumulative GB-s per month.
std::vector<Tier> lambda_duration_tiers(const PriceCatalog& price, bool arm) {
  constexpr double inf = std::numeric_limits<double>::infinity();
  if (arm)
    return {{7.5e9, price("lambda.duration.arm64.tier1")}, {18.75e9, price("lambda.duration.arm64.tier2")},
            {inf, price("lambda.duration.arm64.tier3")}};
  return {{6e9, price("lambda.duration.x86_64.tier1")}, {15e9, price("lambda.duration.x86_64.tier2")},
          {inf, price("lambda.duration.x86_64.tier3")}};
}

ServiceType lambda_type() {
  ServiceType t;
  t.name = "lambda";
  t.summary = "an AWS Lambda function: concurrency pools, scaling rate, cold starts, keep-alive, timeouts, cost";
  t.table = {"invocations", "cold_starts", "throttles", "errors", "timeouts", "concurrency.max", "concurrency.mean", "duration_ms", "billed_gb_s", "async.retries", "async.throttles", "async.expired", "async.to_on_failure", "async.dropped", "recursive_loops"};
  t.schema = &lambda_schema();
  t.ops = {"invoke", "invoke_async"};  // indices kOpInvoke, kOpInvokeAsync
  t.op_aliases = {{"Invoke", "write 'invoke' (RequestResponse) or 'invoke_async' (InvocationType Event)"},
                  {"InvokeAsync", "write 'invoke_async'"},
                  {"InvokeWithResponseStream", "write 'invoke'"}};
  t.async_op = "invoke_async";
  // Any invocation makes the handler's calls; only asynchronous events reach `on_failure`.
  t.forwards = {{"invoke", {"calls"}}, {"invoke_async", {"calls", "on_failure"}}};
  t.build = &make_service<Lambda>;
  t.check = &check_lambda;
  t.analytic = &lambda_analytic;
  t.insights = &lambda_insights;
  return t;
}

}  // namespace slsim::models
