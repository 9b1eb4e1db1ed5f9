#pragma once
// Target-tracking scaling as Application Auto Scaling does it, for any
// capacity counted in whole units (Fargate tasks, provisioned Lambda
// environments). The owner measures its metric (e.g. mean utilisation) over
// each evaluation period and hands the datapoint to evaluate(); the tracker
// plays the two CloudWatch alarms and the cooldowns and says which capacity to
// ask for. Starting the new capacity (task start-up, allocation time) is the
// owner's business.
//
// Rules (docs/model-assumptions.md, the owner's section cites them):
//   - high alarm: the last `out_datapoints` datapoints all above `target`;
//     then desired = ceil(capacity x metric / target), at most `max`;
//   - low alarm: the last `in_datapoints` datapoints all below
//     `in_fraction` x target; then desired = ceil(capacity x metric / target),
//     at least `min` (an idle service goes to `min`);
//   - a scale-out waits `scale_out_cooldown` after the previous scale-out; a
//     scale-in waits `scale_in_cooldown` after the previous scale activity of
//     either direction. A scale-out is never held back by the scale-in
//     cooldown.
//   - while an alarm stays in ALARM, it acts again at each datapoint once its
//     cooldown has passed.
// Invariant: 0 <= min <= max, and the returned capacity is within [min, max].
#include <cstdint>
#include <optional>

#include "sim/core/time.hpp"

namespace slsim {

struct TargetTrackingPolicy {
  double target = 0.7;            // metric value to hold (> 0)
  std::int64_t min = 0;           // capacity bounds, units
  std::int64_t max = 1;
  SimTime period = 60 * kSecond;  // one datapoint per period (ns)
  int out_datapoints = 3;         // high alarm: consecutive datapoints above target
  int in_datapoints = 15;         // low alarm: consecutive datapoints below in_fraction x target
  double in_fraction = 0.9;
  SimTime scale_out_cooldown = 0;  // ns
  SimTime scale_in_cooldown = 0;   // ns
};

class TargetTracker {
 public:
  TargetTracker() = default;
  explicit TargetTracker(const TargetTrackingPolicy& policy) : policy_(policy) {}

  const TargetTrackingPolicy& policy() const { return policy_; }

  // Changes the bounds (a scheduled action; cooldowns do not apply to it).
  // Returns the capacity clamped into the new bounds when it must change.
  std::optional<std::int64_t> set_bounds(std::int64_t min, std::int64_t max, std::int64_t capacity);

  // One datapoint `metric` for the period ending at `now`, with the capacity
  // the owner currently asks for. Returns the new capacity to ask for, or
  // nothing when it stays.
  std::optional<std::int64_t> evaluate(SimTime now, double metric, std::int64_t capacity);

  int above() const { return above_; }  // consecutive datapoints above target
  int below() const { return below_; }  // consecutive datapoints below the low threshold

 private:
  std::int64_t proportional(double metric, std::int64_t capacity) const;

  TargetTrackingPolicy policy_;
  int above_ = 0;
  int below_ = 0;
  std::optional<SimTime> last_out_;   // time of the last scale-out
  std::optional<SimTime> last_any_;   // time of the last scale activity
};

}  // namespace slsim
