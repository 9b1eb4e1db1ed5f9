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

#include "sim/core/simulation.hpp"
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

// A queue whose consumer is a fargate service's worker slots (an sqs
// `consumer: {workers: SVC}`): each running slot is one worker taking one
// batch at a time.
class WorkerQueue {
 public:
  virtual ~WorkerQueue() = default;
  // The running slots changed: at most `slots` batches may be in flight.
  virtual void set_workers(Simulation& sim, std::int64_t slots) = 0;
  // The visible messages (the metric backlog_per_task).
  virtual std::int64_t backlog() const = 0;
};
// Links `queue` to `workers` (a fargate service, at start: both exist); the
// service tells it its running slots at once and at every change. Throws
// std::logic_error if `workers` is not a fargate service.
void fargate_attach_queue(Simulation& sim, Component& workers, WorkerQueue& queue);
}
