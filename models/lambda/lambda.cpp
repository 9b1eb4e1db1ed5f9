#include "models/lambda/lambda.hpp"

#include <algorithm>
#include <cmath>
#include <memory>
#include <optional>
#include <vector>

#include <fmt/format.h>

#include "models/lambda/environments.hpp"
#include "models/lambda/function.hpp"
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

namespace lambda_function {

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

}  // namespace lambda_function

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
  t.build = &make_service<lambda_function::Lambda>;
  t.check = &check_lambda;
  t.analytic = &lambda_analytic;
  t.insights = &lambda_insights;
  return t;
}

}  // namespace slsim::models
