#pragma once
// Time-weighted gauge for piecewise-constant quantities (concurrency, queue
// depth, ...). O(1) memory, allocation-free, header-only (updated per event).
#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstdint>

#include "sim/core/time.hpp"

namespace slsim {

class TimeWeightedGauge {
 public:
  // Measurement starts at `start` with the given initial value.
  explicit TimeWeightedGauge(SimTime start = 0, double initial = 0.0) noexcept
      : start_(start), last_(start), span_start_(start), current_(initial), max_(initial), span_max_(initial) {
    set(start, initial);
  }

  // `now` must be non-decreasing across set/add/reset calls.
  void set(SimTime now, double value) noexcept {
    advance(now);
    current_ = value;
    whole_ = std::fabs(value) < kWholeLimit ? static_cast<std::int64_t>(value) : 0;
    is_whole_ = std::fabs(value) < kWholeLimit && static_cast<double>(whole_) == value;
    if (value > max_) max_ = value;
    // A value replaced at the instant its span began was never held inside it.
    span_max_ = now == span_start_ ? value : std::max(span_max_, value);
  }
  void add(SimTime now, double delta) noexcept { set(now, current_ + delta); }

  // Starts a new measurement window at `now` (e.g. end of warm-up): clears the
  // integral, keeps the current value, and the max restarts at that value.
  void reset(SimTime now) noexcept {
    advance(now);
    start_ = now;
    exact_ = 0;
    sum_ = 0.0L;
    comp_ = 0.0L;
    max_ = current_;
    span_start_ = now;
    span_max_ = current_;
  }

  // Time integral (value x ns) over [measure_start(), end]; the current value
  // is held until `end` (end >= time of the last update).
  long double integral(SimTime end) const noexcept {
    assert(end >= last_);
    Int128 exact = exact_;
    long double s = sum_;
    long double c = comp_;
    if (is_whole_) exact += static_cast<Int128>(whole_) * (end - last_);
    else two_sum_into(s, c, tail(end));
    if (exact == 0) return s + c;
    two_sum_into(s, c, static_cast<long double>(exact));
    return s + c;
  }

  // Time-weighted mean over [measure_start(), end]; the current value if the
  // window is empty.
  double mean(SimTime end) const noexcept {
    if (end <= start_) return current_;
    return static_cast<double>(integral(end) / static_cast<long double>(end - start_));
  }

  double max() const noexcept { return max_; }  // over the measured window
  // The largest value held since the previous call (or since reset), then
  // starts the next span at `now` with the current value: a time series'
  // per-interval maximum. `now` >= the time of the last update.
  double take_span_max(SimTime now) noexcept {
    const double m = span_max_;
    span_start_ = now;
    span_max_ = current_;
    return m;
  }
  double current() const noexcept { return current_; }
  SimTime measure_start() const noexcept { return start_; }

 private:
  // Whole-number values (counts: concurrency, depth, bytes) are integrated
  // exactly in 128-bit integers: value x dt is an integer, and most gauges
  // only ever hold whole numbers; this is also far cheaper per update than the
  // long double path below. The exact part joins the rest when read.
  // Precision otherwise: the integral is a long double sum (64-bit mantissa on x86-64)
  // with a compensation term (Knuth TwoSum, branch-free). Each term is the
  // product value x dt formed in long double, which is exact for integer-valued
  // gauges up to 2^64 / dt (e.g. depth < 16384 held for 2^50 ns ~ 13 days) and
  // otherwise off by <= 2^-64 relative. The compensation keeps the rounding of
  // the running sum from growing with the number of updates: the result is
  // within a couple of ulps of the exact sum of the terms, whether there are 10
  // or 1e10 updates and even when each dt is tiny next to a 1e15 ns total (a
  // plain double sum would lose ~2^-53 per update and drop small terms). Where
  // long double is only a double (MSVC, AArch64 macOS) the compensation still
  // gives ~double-double accuracy for the sum.
  long double tail(SimTime end) const noexcept {
    return static_cast<long double>(current_) * static_cast<long double>(end - last_);
  }

  static void two_sum_into(long double& sum, long double& comp, long double x) noexcept {
    const long double t = sum + x;
    const long double bp = t - sum;
    comp += (sum - (t - bp)) + (x - bp);
    sum = t;
  }

  void advance(SimTime now) noexcept {
    assert(now >= last_);
    if (now > last_) {
      if (is_whole_) exact_ += static_cast<Int128>(whole_) * (now - last_);
      else two_sum_into(sum_, comp_, tail(now));
      last_ = now;
    }
  }

  __extension__ typedef __int128 Int128;  // GCC and Clang; |value| < 2^53 and dt < 2^63: no overflow for 2^11 years
  static constexpr double kWholeLimit = 9007199254740992.0;  // 2^53: whole numbers exact in a double

  SimTime start_;
  SimTime last_;
  SimTime span_start_;  // take_span_max()'s span began here
  double current_;
  double max_;
  double span_max_;
  std::int64_t whole_ = 0;  // current_ when it is a whole number
  bool is_whole_ = false;
  Int128 exact_ = 0;        // integral of the whole-number stretches (value x ns)
  long double sum_ = 0.0L;
  long double comp_ = 0.0L;
};

}  // namespace slsim
