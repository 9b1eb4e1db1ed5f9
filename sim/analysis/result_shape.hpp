#pragma once
// The shape of a scenario's result without running it, and the load-time
// check of its expect: metrics against that shape. The shape comes from the
// report code itself (the model is built and reported before any event), so
// a key a service starts reporting is known here with no list to maintain.
#include "sim/report/json.hpp"
#include "sim/scenario/diagnostics.hpp"

namespace slsim {

struct Scenario;

// The result JSON of the scenario's model as built, before any event (its
// numbers mean nothing yet), merged as a batch when there are several replications:
// every key a run reports. Needs every service type to have a factory.
Json result_shape(const Scenario& scenario);

// Each expectation's metric must name a number (or a yes/no) of the result:
// errors with did-you-mean go to `diags`. Skipped when there is nothing to
// check or a service type cannot be built (test registries).
void check_expectation_metrics(const Scenario& scenario, Diagnostics& diags);

}  // namespace slsim
