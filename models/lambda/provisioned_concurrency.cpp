// Provisioned environments at run time: allocation (with its delay, burst and
// rate), the target-tracking datapoints, scheduled actions, and the allocated
// count accrued for billing (docs/model-assumptions.md §1.8). The policy is
// sim/core/target_tracking; the configuration is read in provisioned_scaling.cpp.
#include "models/lambda/function.hpp"

#include <algorithm>

#include "sim/core/simulation.hpp"

namespace slsim::models::lambda_function {

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

}  // namespace slsim::models::lambda_function
