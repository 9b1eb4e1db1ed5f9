#pragma once
// `fargate`: an ECS service on AWS Fargate. Each task serves
// `concurrency_per_task` requests at once; the others wait in one first-come,
// first-served queue (optionally bounded by `max_queue`: beyond it a request
// is refused, throttled / 503). The task count is fixed, or follows a
// target-tracking policy (`autoscaling:`, sim/core/target_tracking.hpp) with
// task start-up. Tasks are billed per vCPU-hour and GB-hour from launch to
// stop. See models/fargate/README.md.
#include <cstdint>
#include <vector>

#include "sim/scenario/registry.hpp"

namespace slsim::models {
ServiceType fargate_type();
// The schema and the cross-field checks (schema.cpp).
const Schema& fargate_schema();
void check_fargate(const ServiceDecl& d, const Scenario& sc, Diagnostics& diags);
// The memory sizes (GB) Fargate allows with `vcpu` vCPUs; empty for a vCPU
// count it does not offer (docs/model-assumptions.md §19.1).
std::vector<double> fargate_memory_choices_gb(double vcpu);
// The analytic estimate of one service of the type (analytic.cpp).
void fargate_analytic(const AnalyticView& view, ServiceEstimate& out);
// Billed seconds of one task running `window_s` seconds: per second, at least
// one minute (docs/model-assumptions.md §19).
double fargate_billed_seconds(double window_s);
// The same for a task alive `alive` ns: whole seconds, rounded up, at least 60.
std::int64_t fargate_billed_seconds_ns(SimTime alive);
}
