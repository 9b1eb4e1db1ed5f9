#pragma once
// The result of a run as the JSON of docs/results.md, the evaluation of a
// scenario's expect: block against it, and the human table.
#include <string>

#include "sim/report/json.hpp"

namespace slsim {

struct Scenario;
struct BuiltModel;

inline constexpr const char* kSlsimVersion = SLSIM_VERSION;

// Everything but `expect` (see evaluate_expectations). `wall_s` is the only
// wall-clock input; it appears only under run.wall_s and run.events_per_s.
Json collect_result(const Scenario& scenario, const BuiltModel& model, double wall_s);

// Fills result["expect"] and returns true when every expectation holds.
bool evaluate_expectations(const Scenario& scenario, Json& result);

// A copy without the wall-clock fields (run.wall_s, run.events_per_s): what
// must be byte-identical between runs with the same scenario and seed.
Json without_wall_clock(const Json& result);

// The human-readable table (fmt), for stdout or stderr.
std::string format_table(const Scenario& scenario, const Json& result);

}  // namespace slsim
