// Target tracking (sim/core/target_tracking): alarms made of consecutive
// datapoints, proportional steps, bounds and cooldowns.
#include <optional>

#include <catch2/catch.hpp>

#include "sim/core/target_tracking.hpp"

using namespace slsim;

namespace {

TargetTrackingPolicy ecs_like() {
  TargetTrackingPolicy p;
  p.target = 0.5;
  p.min = 1;
  p.max = 20;
  p.period = kMinute;
  p.out_datapoints = 3;
  p.in_datapoints = 15;
  p.in_fraction = 0.9;
  p.scale_out_cooldown = 300 * kSecond;
  p.scale_in_cooldown = 300 * kSecond;
  return p;
}

}  // namespace

TEST_CASE("target tracking: scale-out needs out_datapoints in a row above target, proportionally", "[target_tracking]") {
  TargetTracker t(ecs_like());
  // Two datapoints above, one below: the count restarts.
  CHECK_FALSE(t.evaluate(1 * kMinute, 0.8, 2));
  CHECK_FALSE(t.evaluate(2 * kMinute, 0.8, 2));
  CHECK_FALSE(t.evaluate(3 * kMinute, 0.4, 2));
  CHECK_FALSE(t.evaluate(4 * kMinute, 0.8, 2));
  CHECK_FALSE(t.evaluate(5 * kMinute, 0.8, 2));
  // The third in a row: 2 tasks at 0.75 against 0.5 want ceil(3) = 3.
  const auto d = t.evaluate(6 * kMinute, 0.75, 2);
  REQUIRE(d);
  CHECK(*d == 3);
}

TEST_CASE("target tracking: the scale-out cooldown holds a second scale-out back", "[target_tracking]") {
  TargetTracker t(ecs_like());
  t.evaluate(1 * kMinute, 1.0, 2);
  t.evaluate(2 * kMinute, 1.0, 2);
  REQUIRE(t.evaluate(3 * kMinute, 1.0, 2) == std::optional<std::int64_t>(4));
  // Still above target at 4: held for 300 s after the scale-out at 3 min.
  for (int m = 4; m <= 7; ++m) CHECK_FALSE(t.evaluate(m * kMinute, 1.0, 4));
  const auto d = t.evaluate(8 * kMinute, 1.0, 4);
  REQUIRE(d);
  CHECK(*d == 8);
}

TEST_CASE("target tracking: scale-in needs in_datapoints below 90% of target and waits its cooldown", "[target_tracking]") {
  TargetTracker t(ecs_like());
  // A scale-out at 3 min starts the scale-in cooldown too.
  t.evaluate(1 * kMinute, 1.0, 2);
  t.evaluate(2 * kMinute, 1.0, 2);
  REQUIRE(t.evaluate(3 * kMinute, 1.0, 2) == std::optional<std::int64_t>(4));
  // 0.46 is above 0.9 x 0.5 = 0.45: no low alarm however long it lasts.
  for (int m = 4; m < 40; ++m) CHECK_FALSE(t.evaluate(m * kMinute, 0.46, 4));
  // 15 datapoints at 0.1 (from 40 to 54 min): 4 x 0.1 / 0.5 = 0.8, so 1 task.
  for (int m = 40; m < 54; ++m) CHECK_FALSE(t.evaluate(m * kMinute, 0.1, 4));
  REQUIRE(t.evaluate(54 * kMinute, 0.1, 4) == std::optional<std::int64_t>(1));
  CHECK(t.below() == 15);
}

TEST_CASE("target tracking: scale-in waits scale_in_cooldown after the last scale activity", "[target_tracking]") {
  TargetTrackingPolicy p = ecs_like();
  p.in_datapoints = 1;
  p.out_datapoints = 1;
  TargetTracker t(p);
  REQUIRE(t.evaluate(1 * kMinute, 1.0, 10) == std::optional<std::int64_t>(20));
  // Low at once, but 300 s must pass after the scale-out at 1 min.
  for (int m = 2; m <= 5; ++m) CHECK_FALSE(t.evaluate(m * kMinute, 0.1, 20));
  REQUIRE(t.evaluate(6 * kMinute, 0.1, 20) == std::optional<std::int64_t>(4));
  // And again 300 s after that scale-in.
  for (int m = 7; m <= 10; ++m) CHECK_FALSE(t.evaluate(m * kMinute, 0.1, 4));
  REQUIRE(t.evaluate(11 * kMinute, 0.1, 4) == std::optional<std::int64_t>(1));
  // A scale-out is not held back by the scale-in cooldown.
  REQUIRE(t.evaluate(12 * kMinute, 1.0, 1) == std::optional<std::int64_t>(2));
}

TEST_CASE("target tracking: desired capacity stays within min and max", "[target_tracking]") {
  TargetTrackingPolicy p = ecs_like();
  p.out_datapoints = 1;
  p.in_datapoints = 1;
  p.scale_out_cooldown = 0;
  p.scale_in_cooldown = 0;
  p.min = 2;
  p.max = 5;
  TargetTracker t(p);
  CHECK(t.evaluate(1 * kMinute, 10.0, 4) == std::optional<std::int64_t>(5));
  CHECK_FALSE(t.evaluate(2 * kMinute, 10.0, 5));  // already at max
  CHECK(t.evaluate(3 * kMinute, 0.0, 5) == std::optional<std::int64_t>(2));
  CHECK_FALSE(t.evaluate(4 * kMinute, 0.0, 2));  // already at min
  // Exact ratios do not round one unit up: 4 x 0.75 / 0.5 = 6 -> max 5; 2 x 0.75 / 0.5 = 3.
  CHECK(t.evaluate(5 * kMinute, 0.75, 2) == std::optional<std::int64_t>(3));
  // From nothing, a load asks for one unit.
  p.min = 0;
  TargetTracker z(p);
  CHECK(z.evaluate(kMinute, 0.8, 0) == std::optional<std::int64_t>(1));
}

TEST_CASE("target tracking: a scheduled action moves the bounds and clamps the capacity at once", "[target_tracking]") {
  TargetTracker t(ecs_like());
  CHECK(t.set_bounds(10, 10, 2) == std::optional<std::int64_t>(10));
  CHECK_FALSE(t.set_bounds(0, 30, 10));
  CHECK(t.set_bounds(0, 4, 10) == std::optional<std::int64_t>(4));
  CHECK(t.policy().min == 0);
  CHECK(t.policy().max == 4);
  // max below min is raised to min.
  CHECK(t.set_bounds(6, 3, 4) == std::optional<std::int64_t>(6));
  CHECK(t.policy().max == 6);
}
