#pragma once
// Auto scaling of a function's provisioned concurrency (`provisioned_scaling`):
// the configuration read from the scenario and its load-time checks. The
// policy itself is sim/core/target_tracking; allocation and billing are the
// function's (lambda.cpp). Facts: docs/model-assumptions.md §1.8.
#include <cstdint>
#include <optional>
#include <vector>

#include "sim/core/distribution.hpp"
#include "sim/core/target_tracking.hpp"
#include "sim/scenario/diagnostics.hpp"
#include "sim/scenario/schema.hpp"
#include "sim/workload/schedule.hpp"

namespace slsim {
struct ServiceDecl;
}

namespace slsim::models {

struct ScheduledPcAction {
  ScheduleExpression expression;
  std::optional<std::int64_t> min, max;  // at least one of them
};

struct ProvisionedScalingConfig {
  TargetTrackingPolicy policy;  // min, max: the initial bounds
  bool tracking = true;         // a target-tracking policy (else only the schedule acts)
  Distribution allocation_delay;
  double allocation_rate = 500.0 / 60.0;  // environments per second after the burst
  std::int64_t allocation_burst = 3000;
  std::int64_t start_unix_s = 0;  // the calendar instant of t = 0
  std::vector<ScheduledPcAction> schedule;
};

// Reads a checked `provisioned_scaling` record (after check_provisioned_scaling passed).
ProvisionedScalingConfig provisioned_scaling_config(const Record& scaling);

// Errors: min above max, an initial allocation outside them, a maximum above the
// reserved concurrency, actions without bounds, malformed expressions and start.
void check_provisioned_scaling(const ServiceDecl& decl, Diagnostics& diags);

}  // namespace slsim::models
