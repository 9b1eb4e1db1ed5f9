#pragma once
// Simulation time: signed 64-bit nanoseconds since the start of the run.
// Never accumulate floating-point time; convert at the edges only.
#include <cmath>
#include <cstdint>
#include <limits>

namespace slsim {

using SimTime = std::int64_t;  // nanoseconds

inline constexpr SimTime kNanosecond = 1;
inline constexpr SimTime kMicrosecond = 1'000;
inline constexpr SimTime kMillisecond = 1'000'000;
inline constexpr SimTime kSecond = 1'000'000'000;
inline constexpr SimTime kMinute = 60 * kSecond;
inline constexpr SimTime kHour = 60 * kMinute;
inline constexpr SimTime kDay = 24 * kHour;
inline constexpr SimTime kTimeNever = std::numeric_limits<SimTime>::max();

// The longest duration a scenario may give anywhere, and the longest a drawn
// sample may last: 3650 days (about 10 years). The clock holds about 292
// years, so a run of 2 x 3650 days (warm-up and measured time) plus dozens of
// maximal delays still fits; longer sums saturate (add_saturating).
inline constexpr SimTime kMaxDuration = 3650 * kDay;

// a + b for times that cannot go below 0 (b >= 0), saturating at kTimeNever
// instead of overflowing.
inline constexpr SimTime add_saturating(SimTime a, SimTime b) {
  return b > 0 && a > kTimeNever - b ? kTimeNever : a + b;
}

// Rounds a non-negative duration in (fractional) nanoseconds to the nearest
// integer nanosecond, saturating instead of overflowing.
// (Adding 0.5 and truncating rounds half up without a libm call; it is exact
// for the non-negative values below 2^52 that durations are, and
// deterministic everywhere.)
inline SimTime round_ns(double ns) {
  if (!(ns > 0.0)) return 0;  // also maps NaN to 0
  if (ns >= 4.0e18) return kTimeNever / 2;
  return static_cast<SimTime>(ns + 0.5);
}

inline SimTime from_seconds(double s) { return round_ns(s * 1e9); }
// Division (not multiplication by 1e-9) so round numbers stay exact: 30 s -> 30.0.
inline constexpr double to_seconds(SimTime t) { return static_cast<double>(t) / 1e9; }
inline constexpr double to_millis(SimTime t) { return static_cast<double>(t) / 1e6; }

}  // namespace slsim
