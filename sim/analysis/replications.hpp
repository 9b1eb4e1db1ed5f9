#pragma once
// Independent replications of a scenario, on threads, merged into one result:
// every number becomes the mean over replications, and a sibling `ci95`
// object mirrors the same paths with the 95% confidence half-width
// (Student t). The merge walks replications in index order, so the result is
// byte-identical whatever the thread count.
#include <cstdint>
#include <functional>
#include <vector>

#include "sim/core/simulation.hpp"
#include "sim/report/json.hpp"
#include "sim/report/time_series.hpp"
#include "sim/scenario/diagnostics.hpp"
#include "sim/stats/histogram.hpp"

namespace slsim {

struct Scenario;

struct ReplicationOptions {
  unsigned threads = 1;  // worker threads (>= 1)
  // Called from worker threads with the overall fraction done (0..1), about
  // 100 times per replication; it must be thread-safe.
  std::function<void(double)> on_progress;
  // With an interval and a place to put it, each replication also records its
  // time series (TimeSeriesSampler); `series` is resized to the replications.
  SimTime series_interval = 0;
  std::vector<TimeSeries>* series = nullptr;
  // With a place to put them, each replication's latency histograms of its
  // workloads' succeeded requests (scenario order): `latency` is resized to the
  // replications. For the HTML report's distributions; the result is unchanged.
  std::vector<std::vector<LatencyHistogram>>* latency = nullptr;
};

// Runs scenario.replications replications (replication index 0..R-1) and
// returns the merged result, without `expect` (see evaluate_expectations).
// A replication that reaches the scenario's max_events throws InputError
// (event_limit_diagnostic) after the others have stopped.
Json run_replications(const Scenario& scenario, const ReplicationOptions& options);

// The result of a batch of replications: merged as below, with the run's
// events summed and its wall-clock fields for the whole batch (`wall_s`).
Json merge_batch(const std::vector<Json>& results, double wall_s);
// "FILE:L:C: error: max_events: the run stopped after N events ..." with a hint to raise it.
Diagnostics event_limit_diagnostic(const Scenario& scenario, const EventLimitReached& e);

// Merges per-replication results (same shape): numbers -> mean, booleans ->
// all true, strings -> the first; adds "ci95" when there are 2 or more.
Json merge_replications(const std::vector<Json>& runs);

// Each workload's histogram merged over the replications, in index order.
std::vector<LatencyHistogram> merge_latency(const std::vector<std::vector<LatencyHistogram>>& runs);

// The two-sided 95% Student t quantile t_{0.975, df}.
double student_t_975(unsigned degrees_of_freedom);

}  // namespace slsim
