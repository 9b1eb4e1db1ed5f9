#pragma once
// The HTML reports of a sweep (`slsim sweep ... --report`) and of a lesson
// (`slsim lesson NAME --report`), built with the run report's page parts and
// chart writer (sim/report/html_report.hpp, sim/report/svg.hpp). Like the run
// report: one self-contained file, no script, byte-identical for the same
// input apart from the `data-wall-clock` element.
#include <string>
#include <vector>

#include "sim/report/json.hpp"
#include "sim/scenario/scenario.hpp"

namespace slsim {

// From the sweep's JSON alone (so `merge` can write it too): one chart per
// headline figure against the first varied value (one series per value of the
// others), the best point and the table of points.
std::string html_sweep_report(const Json& sweep);

// A lesson run: the base scenario (with its lesson: block and tries), its
// result, and each try's result in the order of lesson.try.
struct LessonReportInput {
  std::string name;  // the lesson's name (the file's stem)
  const Scenario& base;
  const Json& base_result;
  const std::vector<Json>& try_results;
};
// The concept and story, per checked metric a grouped bar chart of the base
// and every try that checks it, and per try its changed figures and verdicts.
std::string html_lesson_report(const LessonReportInput& input);

}  // namespace slsim
