#include "sim/core/target_tracking.hpp"

#include <algorithm>
#include <cmath>

namespace slsim {

std::int64_t TargetTracker::proportional(double metric, std::int64_t capacity) const {
  // Nothing to scale from: one unit is the least that can carry a load.
  if (capacity <= 0) return metric > 0 ? 1 : 0;
  // The tolerance keeps an exact ratio (capacity 4 at 1.5 x target) from
  // rounding up one unit too far through floating-point noise.
  const double wanted = static_cast<double>(capacity) * metric / policy_.target;
  if (wanted >= 1e15) return policy_.max;
  return static_cast<std::int64_t>(std::ceil(wanted - 1e-9));
}

std::optional<std::int64_t> TargetTracker::set_bounds(std::int64_t min, std::int64_t max, std::int64_t capacity) {
  policy_.min = std::max<std::int64_t>(0, min);
  policy_.max = std::max(policy_.min, max);
  const std::int64_t clamped = std::clamp(capacity, policy_.min, policy_.max);
  if (clamped == capacity) return std::nullopt;
  return clamped;
}

std::optional<std::int64_t> TargetTracker::evaluate(SimTime now, double metric, std::int64_t capacity) {
  above_ = metric > policy_.target ? above_ + 1 : 0;
  below_ = metric < policy_.in_fraction * policy_.target ? below_ + 1 : 0;

  if (above_ >= policy_.out_datapoints) {
    if (last_out_ && now - *last_out_ < policy_.scale_out_cooldown) return std::nullopt;
    const std::int64_t desired = std::min(policy_.max, std::max(policy_.min, proportional(metric, capacity)));
    if (desired <= capacity) return std::nullopt;
    last_out_ = now;
    last_any_ = now;
    return desired;
  }
  if (below_ >= policy_.in_datapoints) {
    if (last_any_ && now - *last_any_ < policy_.scale_in_cooldown) return std::nullopt;
    const std::int64_t desired = std::max(policy_.min, std::min(policy_.max, proportional(metric, capacity)));
    if (desired >= capacity) return std::nullopt;
    last_any_ = now;
    return desired;
  }
  // Outside both alarms the capacity only has to respect the bounds.
  const std::int64_t clamped = std::clamp(capacity, policy_.min, policy_.max);
  if (clamped != capacity) return clamped;
  return std::nullopt;
}

}  // namespace slsim
