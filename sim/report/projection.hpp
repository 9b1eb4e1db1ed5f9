#pragma once
// How the measured window relates to a month, per service: what monthly price
// tiers and free allowances apply to, and how the 30-day cost is projected.
//
// Each workload says how it repeats (ArrivalProcess::recurrence): steady
// traffic repeats the window (30 days / window), a periodic or scheduled job
// repeats per firing (its firings in 30 days / its firings in the run), a
// one-off burst or a designed rate schedule does not repeat (no projection).
// A service takes the factor of the workloads whose requests can reach it
// (through the scenario's wiring); when those disagree, their factors are
// weighted by the workloads' arrivals, and the note says so.
#include <vector>

#include "sim/report/cost.hpp"

namespace slsim {

struct Scenario;
class Workload;

struct ProjectionPlan {
  BillingPeriod period;
  CostProjection projection;
};

// `workloads` in scenario order; `measured_seconds` > 0.
ProjectionPlan plan_projection(const Scenario& scenario, const std::vector<Workload*>& workloads,
                               double measured_seconds);

}  // namespace slsim
