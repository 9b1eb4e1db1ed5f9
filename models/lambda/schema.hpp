#pragma once
// The lambda parameters and the load-time checks that need only them.
#include <cstdint>

#include "sim/scenario/diagnostics.hpp"
#include "sim/scenario/schema.hpp"

namespace slsim {
struct Scenario;
struct ServiceDecl;
}  // namespace slsim

namespace slsim::models {
const Schema& lambda_schema();
const Schema& lambda_call_schema();
const Schema& provisioned_scaling_schema();

// The provisioned concurrency at the start: `provisioned_concurrency`, else
// `provisioned_scaling.min`, else 0.
std::int64_t initial_provisioned(const Record& params);

// vCPU share of a memory size: memory / 1769 MB, at most 6.
double vcpu_share(double memory_mb);
// The factor `duration` is multiplied by at the function's memory (1 without cpu_scaling).
double duration_scale(const Record& params);

// Warnings for a handler that cannot finish in time: every invocation (or more
// than half of them, or every full batch from an event source) times out.
void warn_impossible_timeouts(const ServiceDecl& decl, const Scenario& scenario, Diagnostics& diags);

// Load-time checks that need the whole scenario (ServiceType::check): memory in
// whole MB, SnapStart or provisioned concurrency, reservations within the
// account, the operations of `calls`; then warn_impossible_timeouts.
void check_lambda(const ServiceDecl& decl, const Scenario& scenario, Diagnostics& diags);
}  // namespace slsim::models
