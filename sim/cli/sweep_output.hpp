#pragma once
// What `sweep` and `merge` print and write for a sweep's JSON: the table
// (stdout, or stderr when the JSON goes to stdout), --json, --csv and --report.
#include <string>

#include "sim/report/json.hpp"

namespace slsim::cli {

struct SweepOutputs {
  std::string json_out, csv_out;
  std::string report_out;  // the HTML report
  bool quiet = false;
};

// Exit status: 1 when the sweep has goals and no point meets them all.
int emit_sweep(const Json& sweep, const SweepOutputs& outputs);

}  // namespace slsim::cli
