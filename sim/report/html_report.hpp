#pragma once
// The HTML report of a run (`slsim run FILE --report OUT.html`): one
// self-contained HTML5 file (inline CSS and SVG; no script, no external URL,
// no web font) with the scenario's header, the headline figures per workload,
// the topology, each workload's latency distribution, the time series grouped
// by metric family, the cost, the insights and the expectations. The page
// parts are shared with the sweep and lesson reports (sim/analysis, sim/cli).
// Byte-identical for the same scenario and seed apart from the element with
// the `data-wall-clock` attribute.
#include <string>
#include <vector>

#include "sim/report/json.hpp"
#include "sim/report/time_series.hpp"
#include "sim/stats/histogram.hpp"

namespace slsim {

struct Scenario;

struct RunReportInput {
  const Scenario& scenario;
  const Json& result;                          // with expect (and insights when found)
  const TimeSeries& series;                    // the mean over replications (may be empty)
  const std::vector<LatencyHistogram>& latency;  // per workload, scenario order (may be empty)
};
std::string html_run_report(const RunReportInput& input);

namespace html {

// The page around `body`: doctype, title, the report's inline style sheet.
std::string page(const std::string& title, const std::string& body);
// A table: the header cells and the rows are HTML already (escape scenario text with svg::escape).
// `numeric` columns are right-aligned.
std::string table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows,
                  const std::vector<bool>& numeric = {});
// "<section id=...><h2>title</h2>body</section>".
std::string section(const std::string& id, const std::string& title, const std::string& body);
// A number as the run's table shows it, with the 95% half-width of `path` in `ci95` when there is one.
std::string figure(const Json& result, const std::string& path, bool money = false);

}  // namespace html

}  // namespace slsim
