#pragma once
// `fargate`: an ECS service on AWS Fargate with a fixed number of tasks. Each
// task serves `concurrency_per_task` requests at once; the others wait in one
// first-come, first-served queue (optionally bounded by `max_queue`: beyond it a
// request is refused, throttled / 503). Tasks are billed per vCPU-hour and
// GB-hour for the whole window. See models/fargate/README.md.
#include "sim/scenario/registry.hpp"

namespace slsim::models {
ServiceType fargate_type();
// The analytic estimate of one service of the type (analytic.cpp).
void fargate_analytic(const AnalyticView& view, ServiceEstimate& out);
// Billed seconds of one task running `window_s` seconds: per second, at least
// one minute (docs/model-assumptions.md §19).
double fargate_billed_seconds(double window_s);
}
