#pragma once
// The sqs parameters, declared once, and the load-time checks that need the
// whole scenario (visibility timeout against the consumer's timeout, redrive,
// FIFO limits).
#include "sim/scenario/scenario.hpp"
#include "sim/scenario/schema.hpp"

namespace slsim::models {
const Schema& sqs_schema();
void check_sqs(const ServiceDecl& decl, const Scenario& scenario, Diagnostics& diags);
}  // namespace slsim::models
