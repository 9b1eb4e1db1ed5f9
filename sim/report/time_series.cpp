#include "sim/report/time_series.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include <fmt/format.h>

#include "sim/report/json.hpp"
#include "sim/scenario/build.hpp"
#include "sim/workload/workload.hpp"

namespace slsim {

namespace {

constexpr double kNoValue = std::numeric_limits<double>::quiet_NaN();

// The percentile q of the values recorded since `before` (bucket counts and
// total of the same histogram at the previous boundary), in ms, the way
// LatencyHistogram::percentile reads a whole histogram: nearest rank, a
// bucket's midpoint clamped to the histogram's range.
double interval_percentile(const LatencyHistogram& h, const std::vector<std::uint64_t>& before,
                           std::uint64_t before_total, double q) {
  const std::uint64_t n = h.count() - before_total;
  if (n == 0) return kNoValue;
  const double x = q * static_cast<double>(n);
  const double r = std::ceil(x - x * 0x1p-50);
  const std::uint64_t rank = r < 1.0 ? 1u : static_cast<std::uint64_t>(r);
  const std::size_t first = LatencyHistogram::bucket_index(static_cast<std::uint64_t>(h.min()));
  const std::size_t last = LatencyHistogram::bucket_index(static_cast<std::uint64_t>(h.max()));
  std::uint64_t seen = 0;
  std::size_t i = first;
  for (; i < last; ++i) {
    seen += h.bucket_count(i) - before[i];
    if (seen >= rank) break;
  }
  const double lo = static_cast<double>(LatencyHistogram::bucket_lower(i));
  const double hi = static_cast<double>(LatencyHistogram::bucket_upper(i));
  const double mid = std::clamp(lo + (hi - lo) * 0.5, static_cast<double>(h.min()), static_cast<double>(h.max()));
  return mid / 1e6;
}

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\n\r") == std::string::npos) return text;
  std::string out = "\"";
  for (const char c : text) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

}  // namespace

void TimeSeriesRow::count(std::string_view metric, double total) {
  auto& s = sampler_.next_state(*this, metric, TimeSeriesSampler::Kind::count);
  if (!sampler_.baseline_) sampler_.row_[s.column] = total - s.previous;
  s.previous = total;
}

void TimeSeriesRow::gauge(std::string_view metric, TimeWeightedGauge& gauge) {
  auto& s = sampler_.next_state(*this, metric, TimeSeriesSampler::Kind::gauge);
  const long double integral = gauge.integral(time_);
  const double max = gauge.take_span_max(time_);
  if (!sampler_.baseline_) {
    const SimTime length = time_ - sampler_.previous_time_;
    sampler_.row_[s.column] = max;
    sampler_.row_[s.column + 1] =
        length > 0 ? static_cast<double>((integral - s.previous_integral) / static_cast<long double>(length))
                   : gauge.current();
  }
  s.previous_integral = integral;
}

void TimeSeriesRow::latency(std::string_view metric, const LatencyHistogram& histogram) {
  auto& s = sampler_.next_state(*this, metric, TimeSeriesSampler::Kind::latency);
  if (s.previous_buckets.empty()) s.previous_buckets.assign(LatencyHistogram::kBucketCount, 0);
  if (!sampler_.baseline_) {
    sampler_.row_[s.column] = interval_percentile(histogram, s.previous_buckets, s.previous_total, 0.50);
    sampler_.row_[s.column + 1] = interval_percentile(histogram, s.previous_buckets, s.previous_total, 0.99);
  }
  // Only the buckets between the window's minimum and maximum hold counts.
  if (!histogram.empty()) {
    const std::size_t first = LatencyHistogram::bucket_index(static_cast<std::uint64_t>(histogram.min()));
    const std::size_t last = LatencyHistogram::bucket_index(static_cast<std::uint64_t>(histogram.max()));
    for (std::size_t i = first; i <= last; ++i) s.previous_buckets[i] = histogram.bucket_count(i);
  }
  s.previous_total = histogram.count();
}

void TimeSeriesRow::level(std::string_view metric, double value) {
  auto& s = sampler_.next_state(*this, metric, TimeSeriesSampler::Kind::level);
  if (!sampler_.baseline_) sampler_.row_[s.column] = value;
}

TimeSeriesSampler::TimeSeriesSampler(const BuiltModel& model, SimTime interval) : model_(model) {
  Simulation& sim = *model.sim;
  const SimTime duration = sim.end() - sim.warmup_end();
  if (interval <= 0 || interval_count(duration, interval) > kMaxIntervals)
    throw std::invalid_argument("time series: the interval must be positive and give at most kMaxIntervals intervals");
  series_.interval = interval;
  sim.set_sampling(interval, [this](SimTime t) { at_boundary(t); });
}

TimeSeriesSampler::State& TimeSeriesSampler::next_state(const TimeSeriesRow& row, std::string_view metric, Kind kind) {
  if (baseline_) {
    State s;
    s.kind = kind;
    s.owner = row.owner_;
    s.metric = std::string(metric);
    s.column = series_.columns.size();
    const auto add = [&](std::string name) { series_.columns.emplace_back(row.owner_, std::move(name)); };
    switch (kind) {
      case Kind::gauge: add(s.metric + ".max"), add(s.metric + ".mean"); break;
      case Kind::latency: add(s.metric + ".p50"), add(s.metric + ".p99"); break;
      default: add(s.metric); break;
    }
    states_.push_back(std::move(s));
    ++cursor_;
    return states_.back();
  }
  if (cursor_ >= states_.size() || states_[cursor_].kind != kind || states_[cursor_].metric != metric ||
      states_[cursor_].owner != row.owner_)
    throw std::logic_error(fmt::format("time series: '{}' sampled '{}' where its first sample had another metric",
                                       row.owner_, metric));
  return states_[cursor_++];
}

void TimeSeriesSampler::at_boundary(SimTime t) {
  cursor_ = 0;
  row_.assign(series_.columns.size(), kNoValue);
  for (Workload* w : model_.workloads) {
    TimeSeriesRow row(*this, "workload:" + w->name(), t);
    w->sample(row);
  }
  for (Service* s : model_.services) {
    TimeSeriesRow row(*this, s->name(), t);
    s->sample(row);
  }
  if (cursor_ != states_.size())
    throw std::logic_error("time series: a component sampled fewer metrics than at the window's start");
  if (!baseline_) series_.values.insert(series_.values.end(), row_.begin(), row_.end());
  baseline_ = false;
  previous_time_ = t;
}

TimeSeries merge_time_series(const std::vector<TimeSeries>& runs) {
  if (runs.empty()) return {};
  if (runs.size() == 1) return runs.front();
  TimeSeries out;
  out.interval = runs.front().interval;
  out.columns = runs.front().columns;
  out.values.assign(runs.front().values.size(), kNoValue);
  for (const auto& r : runs)
    if (r.columns != out.columns || r.values.size() != out.values.size())
      throw std::logic_error("time series: replications sampled different series");
  // Replication order: the sums, and so the means, do not depend on the threads.
  for (std::size_t i = 0; i < out.values.size(); ++i) {
    double sum = 0;
    std::size_t n = 0;
    for (const auto& r : runs)
      if (!std::isnan(r.values[i])) sum += r.values[i], ++n;
    if (n > 0) out.values[i] = sum / static_cast<double>(n);
  }
  return out;
}

std::string time_series_csv(const TimeSeries& series) {
  std::string out = "time_s,service,metric,value\n";
  const std::size_t width = series.columns.size();
  for (std::size_t i = 0; i < series.intervals(); ++i) {
    // An exact integer of ns divided once: 0.3, never 0.30000000000000004.
    const std::string time = json_number(static_cast<double>(static_cast<SimTime>(i) * series.interval) / 1e9);
    for (std::size_t c = 0; c < width; ++c) {
      const double v = series.values[i * width + c];
      out += time;
      out += ',';
      out += csv_field(series.columns[c].first);
      out += ',';
      out += csv_field(series.columns[c].second);
      out += ',';
      if (!std::isnan(v)) out += json_number(v);
      out += '\n';
    }
  }
  return out;
}

SimTime readable_interval(SimTime at_least) {
  // Each size at most 2.5 times the previous: a window cut by the first one
  // that reaches duration / 200 gets 80 to 200 intervals.
  static constexpr SimTime kSizes[] = {
      kMillisecond,      2 * kMillisecond,   5 * kMillisecond,  10 * kMillisecond, 20 * kMillisecond,
      50 * kMillisecond, 100 * kMillisecond, 200 * kMillisecond, 500 * kMillisecond, kSecond,
      2 * kSecond,       5 * kSecond,        10 * kSecond,       15 * kSecond,       30 * kSecond,
      kMinute,           2 * kMinute,        5 * kMinute,        10 * kMinute,       15 * kMinute,
      30 * kMinute,      kHour,              2 * kHour,          3 * kHour,          6 * kHour,
      12 * kHour,        kDay};
  for (const SimTime size : kSizes)
    if (size >= at_least) return size;
  return (at_least + kDay - 1) / kDay * kDay;  // whole days
}

SimTime default_interval(SimTime duration) { return readable_interval((duration + 199) / 200); }

std::uint64_t interval_count(SimTime duration, SimTime interval) {
  if (duration <= 0 || interval <= 0) return 0;
  return static_cast<std::uint64_t>(duration / interval + (duration % interval != 0 ? 1 : 0));
}

}  // namespace slsim
