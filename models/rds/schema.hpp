#pragma once
// The `rds` type's declaration of parameters and its load-time checks (schema.cpp).
#include "sim/scenario/registry.hpp"
#include "sim/scenario/schema.hpp"

namespace slsim::models {
const Schema& rds_schema();
void check_rds(const ServiceDecl& decl, const Scenario& scenario, Diagnostics& diags);
}  // namespace slsim::models
