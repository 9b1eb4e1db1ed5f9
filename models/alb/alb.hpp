#pragma once
// `alb`: an Application Load Balancer in front of one target: a lambda
// function (invoked synchronously, the ALB -> Lambda 1 MB limits) or an
// external server pool. Target failures become 502/503/504; billed by the
// ALB-hour and the LCU-hour, an LCU being the largest of four dimensions.
// See models/alb/README.md.
#include "sim/scenario/registry.hpp"

namespace slsim::models {
ServiceType alb_type();
// The analytic estimate of one service of the type (analytic.cpp).
void alb_analytic(const AnalyticView& view, ServiceEstimate& out);

// The LCU arithmetic (docs/model-assumptions.md §18.4): each dimension's LCUs
// over a window of `seconds`, and the billed LCUs, the largest of them.
struct AlbUsage {
  double new_connections = 0;     // connections opened in the window
  double active_connections = 0;  // mean connections open at once
  double processed_bytes = 0;     // request and response bytes
  double rule_evaluations = 0;    // billable rule evaluations (beyond the first 10 per request)
  bool lambda_target = false;     // processed bytes count 2.5 times as much (0.4 GB per LCU-hour)
};
struct AlbLcus {
  double new_connections = 0, active_connections = 0, processed_bytes = 0, rule_evaluations = 0;
  double lcus = 0;  // the largest of the four
};
AlbLcus alb_lcus(const AlbUsage& usage, double seconds);
}
