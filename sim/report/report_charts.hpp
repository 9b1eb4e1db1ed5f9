#pragma once
// The data charts of the run report (html_report.cpp): the workloads' latency
// distributions and the time series grouped by metric family.
#include <string>
#include <vector>

#include "sim/report/svg.hpp"
#include "sim/report/time_series.hpp"
#include "sim/stats/histogram.hpp"

namespace slsim {

struct Scenario;

// The CDF (log x, ms) of each workload's succeeded latencies, one series per
// workload with requests; `points` samples per curve, log-spaced from its min to its max.
svg::LineChart latency_cdf_chart(const std::vector<std::string>& names, const std::vector<LatencyHistogram>& latency,
                                 int points = 120);
// The share of each workload's requests (%) in `bins` log-spaced latency bins shared by all.
svg::LineChart latency_histogram_chart(const std::vector<std::string>& names,
                                       const std::vector<LatencyHistogram>& latency, int bins = 40);

// A family of time series (concurrency, throttles, queue depth...): the
// columns whose metric is one of `metrics` (or ends with "." + one of them).
struct SeriesFamily {
  std::string id, title, y_label;
  std::vector<std::string> metrics;
};
const std::vector<SeriesFamily>& series_families();
// One step chart per family with at least one series that is not all zero
// (or missing); series are named "OWNER METRIC" ("NAME (workload) METRIC").
std::vector<svg::LineChart> time_series_charts(const TimeSeries& series, SimTime duration);

}  // namespace slsim
