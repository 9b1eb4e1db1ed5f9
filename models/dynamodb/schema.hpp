#pragma once
// The dynamodb parameters, declared once, and the load-time checks.
#include "sim/scenario/scenario.hpp"
#include "sim/scenario/schema.hpp"

namespace slsim::models {
const Schema& dynamodb_schema();
void check_dynamodb(const ServiceDecl& decl, const Scenario& scenario, Diagnostics& diags);
}  // namespace slsim::models
