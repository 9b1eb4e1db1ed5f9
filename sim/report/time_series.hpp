#pragma once
// Time series of a run (`slsim run --csv`). At the start of the measured
// window and at every interval boundary after it, each workload and service
// hands its figures to a TimeSeriesRow (Service::sample): a count becomes its
// growth over the interval, a gauge its maximum and time-weighted mean in the
// interval, a histogram the percentiles of the values recorded in the interval
// (the difference of two states of the window's histogram), and a level its
// value at the interval's end. The sampler keeps one state per series (for a
// histogram, one copy of its counts) and one value per series and interval, so
// memory grows with the number of intervals, which is capped (kMaxIntervals).
//
// Sampling never changes the run: the engine stops between two events at each
// boundary (every event before it has run, none at or after it), calls the
// sampler and goes on. No event is scheduled and no random number drawn, so the
// result JSON is byte-identical with and without a time series.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sim/core/time.hpp"
#include "sim/stats/gauge.hpp"
#include "sim/stats/histogram.hpp"

namespace slsim {

struct BuiltModel;
class TimeSeriesSampler;

inline constexpr std::size_t kMaxIntervals = 10000;

// What one workload or service reports at one boundary. Metric names follow
// the result's keys (`throttles`, `concurrency` -> `concurrency.max` and
// `concurrency.mean`, `latency_ms` -> `latency_ms.p50` and `latency_ms.p99`);
// a component must report the same metrics, in the same order, every time.
class TimeSeriesRow {
 public:
  // A count since the window's start: the series is its growth in each interval.
  void count(std::string_view metric, double total);
  // A piecewise-constant quantity: `metric.max` and `metric.mean` over the interval.
  void gauge(std::string_view metric, TimeWeightedGauge& gauge);
  // A histogram of the window (ns): `metric.p50` and `metric.p99` (ms) of the
  // values recorded in the interval; no value for an interval without any.
  void latency(std::string_view metric, const LatencyHistogram& histogram);
  // A value as it stands at the interval's end (the age of the oldest message).
  void level(std::string_view metric, double value);
  // The boundary: the end of the interval being reported.
  SimTime time() const { return time_; }

 private:
  friend class TimeSeriesSampler;
  TimeSeriesRow(TimeSeriesSampler& sampler, std::string owner, SimTime time)
      : sampler_(sampler), owner_(std::move(owner)), time_(time) {}
  TimeSeriesSampler& sampler_;
  std::string owner_;
  SimTime time_;
};

// The series of one run: `values[i * columns.size() + c]` is column c in
// interval i (NaN: no value, e.g. a percentile of an interval without requests).
struct TimeSeries {
  SimTime interval = 0;
  std::vector<std::pair<std::string, std::string>> columns;  // (service or "workload:NAME", metric)
  std::vector<double> values;
  std::size_t intervals() const { return columns.empty() ? 0 : values.size() / columns.size(); }
};

// Records the time series of one replication: construct it on a built model
// before run() (it registers itself with the Simulation), take() after.
class TimeSeriesSampler {
 public:
  TimeSeriesSampler(const BuiltModel& model, SimTime interval);
  TimeSeriesSampler(const TimeSeriesSampler&) = delete;
  TimeSeriesSampler& operator=(const TimeSeriesSampler&) = delete;
  TimeSeries take() { return std::move(series_); }

 private:
  friend class TimeSeriesRow;
  enum class Kind : std::uint8_t { count, gauge, latency, level };
  struct State {
    Kind kind = Kind::count;
    std::string owner, metric;
    std::size_t column = 0;
    double previous = 0;                 // count: the total at the last boundary
    long double previous_integral = 0;   // gauge: its integral at the last boundary
    std::vector<std::uint64_t> previous_buckets;  // latency: the counts at the last boundary
    std::uint64_t previous_total = 0;
  };
  void at_boundary(SimTime t);
  State& next_state(const TimeSeriesRow& row, std::string_view metric, Kind kind);

  const BuiltModel& model_;
  TimeSeries series_;
  std::vector<State> states_;
  std::vector<double> row_;   // the interval being filled
  std::size_t cursor_ = 0;    // the next state of this boundary
  bool baseline_ = true;      // the window's start: states only, no values
  SimTime previous_time_ = 0;
};

// The mean over replications of each value (over those that have one).
TimeSeries merge_time_series(const std::vector<TimeSeries>& runs);
// `time_s,service,metric,value` rows, interval by interval, components in
// scenario order (workloads first); time_s is the interval's start from the
// window's start; a missing value is an empty field.
std::string time_series_csv(const TimeSeries& series);

// The shortest readable interval (1ms, 2ms, 5ms, ... 1s, 2s, 5s, 10s, 15s,
// 30s, 1min, ... 12h, whole days) of at least `at_least`.
SimTime readable_interval(SimTime at_least);
// A readable interval that cuts the window into 80 to 200 intervals (fewer
// only when the window is shorter than 80ms).
SimTime default_interval(SimTime duration);
// ceil(duration / interval): the last interval may be shorter.
std::uint64_t interval_count(SimTime duration, SimTime interval);

}  // namespace slsim
