#include "sim/report/report_charts.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "sim/core/time.hpp"
#include "sim/scenario/units.hpp"

namespace slsim {

namespace {

constexpr double kNsPerMs = 1e6;
// Latencies below a microsecond are drawn at one: a log axis has no zero.
constexpr double kFloorNs = 1e3;

// The value a bucket stands for (as percentiles report it): its midpoint, clamped to [min, max].
double bucket_value(const LatencyHistogram& h, std::size_t i) {
  const double mid = (static_cast<double>(LatencyHistogram::bucket_lower(i)) +
                      static_cast<double>(LatencyHistogram::bucket_upper(i))) / 2;
  return std::clamp(mid, static_cast<double>(h.min()), static_cast<double>(h.max()));
}

}  // namespace

svg::LineChart latency_cdf_chart(const std::vector<std::string>& names, const std::vector<LatencyHistogram>& latency,
                                 int points) {
  svg::LineChart chart;
  chart.id = "latency-cdf";
  chart.title = "Latency distribution (CDF) of succeeded requests";
  chart.x_label = "latency (ms, log scale)";
  chart.y_label = "requests at or below (%)";
  chart.log_x = true;
  for (std::size_t w = 0; w < latency.size() && w < names.size(); ++w) {
    const LatencyHistogram& h = latency[w];
    if (h.empty()) continue;
    const double lo = std::max(static_cast<double>(h.min()), kFloorNs);
    const double hi = std::max(static_cast<double>(h.max()), lo * 1.001);
    svg::Series s;
    s.name = names[w];
    std::size_t bucket = 0;
    double below = 0;  // requests in the buckets passed so far
    for (int k = 0; k < points; ++k) {
      const double x = k + 1 == points ? hi : lo * std::pow(hi / lo, static_cast<double>(k) / (points - 1));
      for (; bucket < LatencyHistogram::kBucketCount; ++bucket) {
        const std::uint64_t c = h.bucket_count(bucket);
        if (c == 0) continue;
        if (std::max(bucket_value(h, bucket), kFloorNs) > x) break;
        below += static_cast<double>(c);
      }
      s.x.push_back(x / kNsPerMs);
      s.y.push_back(100.0 * below / static_cast<double>(h.count()));
    }
    chart.series.push_back(std::move(s));
  }
  return chart;
}

svg::LineChart latency_histogram_chart(const std::vector<std::string>& names,
                                       const std::vector<LatencyHistogram>& latency, int bins) {
  svg::LineChart chart;
  chart.id = "latency-histogram";
  chart.title = "Latency histogram of succeeded requests";
  chart.x_label = "latency (ms, log scale)";
  chart.y_label = "share of requests (%)";
  chart.log_x = true;
  chart.step = true;
  double lo = std::numeric_limits<double>::infinity(), hi = 0;
  for (const auto& h : latency) {
    if (h.empty()) continue;
    lo = std::min(lo, std::max(static_cast<double>(h.min()), kFloorNs));
    hi = std::max(hi, static_cast<double>(h.max()));
  }
  if (!(hi > 0)) return chart;
  hi = std::max(hi, lo * 1.01);
  const double span = std::log(hi / lo);
  chart.x_end = hi / kNsPerMs;
  for (std::size_t w = 0; w < latency.size() && w < names.size(); ++w) {
    const LatencyHistogram& h = latency[w];
    if (h.empty()) continue;
    std::vector<double> share(static_cast<std::size_t>(bins), 0.0);
    for (std::size_t i = 0; i < LatencyHistogram::kBucketCount; ++i) {
      const std::uint64_t c = h.bucket_count(i);
      if (c == 0) continue;
      const double v = std::max(bucket_value(h, i), kFloorNs);
      const int bin = std::clamp(static_cast<int>(std::floor(std::log(v / lo) / span * bins)), 0, bins - 1);
      share[static_cast<std::size_t>(bin)] += 100.0 * static_cast<double>(c) / static_cast<double>(h.count());
    }
    svg::Series s;
    s.name = names[w];
    for (int b = 0; b < bins; ++b) {
      s.x.push_back(lo * std::exp(span * b / bins) / kNsPerMs);
      s.y.push_back(share[static_cast<std::size_t>(b)]);
    }
    chart.series.push_back(std::move(s));
  }
  return chart;
}

const std::vector<SeriesFamily>& series_families() {
  // Gauges are drawn by their maximum in each interval where a peak matters
  // (concurrency, queues) and by their mean for capacity.
  static const std::vector<SeriesFamily> families = {
      {"traffic", "Requests arriving (workloads)", "requests per interval", {"arrived"}},
      {"concurrency", "Concurrency (peak in each interval)", "in use",
       {"concurrency.max", "busy_slots.max", "connections_in_use.max", "active_connections.max"}},
      {"throttles", "Throttles", "throttled per interval", {"throttles", "throttled"}},
      {"queue-depth", "Queue depth and backlog (peak in each interval)", "messages or records",
       {"depth.max", "queue_length.max", "backlog.max", "buffer.max"}},
      {"cold-starts", "Cold starts", "cold starts per interval", {"cold_starts"}},
      {"capacity", "Capacity (mean in each interval)", "environments, tasks, pollers or ACU",
       {"environments.mean", "running_tasks.mean", "desired_tasks.mean", "pollers.mean", "provisioned.ready.mean",
        "provisioned.allocated.mean", "acu.mean", "shards"}},
      {"table-capacity", "Provisioned table capacity (mean in each interval)", "capacity units",
       {"capacity.rcu.mean", "capacity.wcu.mean"}},
      {"errors", "Errors, failures and timeouts", "per interval",
       {"errors", "failed", "timeouts", "timed_out", "backend_errors", "target_errors", "connection_failures",
        "borrow_timeouts"}},
  };
  return families;
}

namespace {

bool matches(const std::string& metric, const std::string& wanted) {
  return metric == wanted ||
         (metric.size() > wanted.size() + 1 && metric.ends_with(wanted) && metric[metric.size() - wanted.size() - 1] == '.');
}

std::string series_name(const std::string& owner, const std::string& metric) {
  std::string base = metric;
  for (const char* suffix : {".max", ".mean"})
    if (base.ends_with(suffix)) base.resize(base.size() - std::string_view(suffix).size());
  const std::string who = owner.starts_with("workload:") ? owner.substr(9) + " (workload)" : owner;
  return who + " " + base;
}

}  // namespace

std::vector<svg::LineChart> time_series_charts(const TimeSeries& series, SimTime duration) {
  std::vector<svg::LineChart> out;
  const std::size_t intervals = series.intervals();
  if (intervals == 0 || series.interval <= 0) return out;
  // The time axis in a unit that keeps its numbers short.
  const double seconds = to_seconds(duration);
  const auto [unit, unit_s] = seconds >= 2 * 3600 ? std::pair{"h", 3600.0}
                              : seconds >= 120    ? std::pair{"min", 60.0}
                                                  : std::pair{"s", 1.0};
  const double step = to_seconds(series.interval) / unit_s;
  for (const SeriesFamily& family : series_families()) {
    svg::LineChart chart;
    chart.id = "series-" + family.id;
    chart.title = family.title;
    chart.y_label = family.y_label;
    chart.x_label = fmt::format("time in the measured window ({}; intervals of {})", unit,
                                format_duration(static_cast<double>(series.interval)));
    chart.step = true;
    chart.x_end = seconds / unit_s;
    for (std::size_t c = 0; c < series.columns.size(); ++c) {
      // Named copies, not structured bindings: clang 14 cannot capture those in a lambda.
      const std::string& owner = series.columns[c].first;
      const std::string& metric = series.columns[c].second;
      if (std::none_of(family.metrics.begin(), family.metrics.end(),
                       [&metric](const std::string& m) { return matches(metric, m); }))
        continue;
      svg::Series s;
      s.name = series_name(owner, metric);
      bool any = false;
      for (std::size_t i = 0; i < intervals; ++i) {
        const double v = series.values[i * series.columns.size() + c];
        s.x.push_back(static_cast<double>(i) * step);
        s.y.push_back(v);
        any = any || (std::isfinite(v) && v != 0);
      }
      if (any) chart.series.push_back(std::move(s));
    }
    if (!chart.series.empty()) out.push_back(std::move(chart));
  }
  return out;
}

}  // namespace slsim
