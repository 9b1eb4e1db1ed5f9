#pragma once
// A lesson's what-ifs judged on two results, the base run and a variation:
// the checks of each try (lesson.try.N.check), the figures that changed side
// by side, and the change said in words. `slsim lesson` (sim/cli/lesson.cpp)
// runs the scenarios; this part only reads their results.
#include <optional>
#include <string>
#include <vector>

#include "sim/report/json.hpp"
#include "sim/scenario/scenario.hpp"

namespace slsim {

// A headline figure changes materially when it moves by at least this
// fraction of its base value (or away from 0).
inline constexpr double kMaterialChange = 0.05;

// (now - base) / |base|; 0 when both are 0, +-infinity when only base is 0.
double relative_change(double base, double now);
// than_base lower | higher: moved that way by at least `by` of the base value
// (by 0: moved at all); same: within `by` of it.
bool relative_check_holds(const std::string& than_base, double by, double base, double now);

struct CheckVerdict {
  bool pass = false;
  std::string text;  // the check and the measured numbers, e.g. "services.fn.throttles > 0: 1234"
};
CheckVerdict evaluate_lesson_check(const LessonCheck& check, const Json& base, const Json& now);

struct ChangedFigure {
  std::string metric;
  std::optional<double> base, now;  // empty when the run has no such number
};
// The metrics the try checks, then the headline figures (per workload
// succeeded, throttled, failed, latency p50 and p99; cold starts; total cost)
// whose change is material; each metric once.
std::vector<ChangedFigure> changed_figures(const LessonTry& t, const Json& base, const Json& now);
// The table: metric | base | with the change | change.
std::string format_changed_figures(const std::vector<ChangedFigure>& rows);
// Each row in words: "checkout throttles rose from 0 to 1,234", "total cost (USD) fell from 14.83 to 9.9 (-33.2%)".
std::vector<std::string> explain_changes(const std::vector<ChangedFigure>& rows);
// A metric path in words: workloads.api.latency_ms.p99 -> "api latency p99 (ms)".
std::string metric_words(const std::string& metric);
// A try's why: text with its placeholders replaced by the measured figures:
// {base:PATH} and {now:PATH} as lesson_number shows them, {change:PATH} as
// change_words does; "n/a" for a metric a run does not have. "" without why:.
std::string lesson_why(const LessonTry& t, const Json& base, const Json& now);
// A relative change in a sentence: "-33%" (whole percent from 10% up, else one
// decimal: "+2.5%"), "0%" when equal, "new" from a base of 0.
std::string change_words(double base, double now);
// `text` as one paragraph (its line breaks are spaces) in lines of at most
// `width` columns: the first starts with `first`, the others with `indent`.
// A word longer than a line stays whole.
std::string wrap_paragraph(const std::string& text, const std::string& first, const std::string& indent,
                           std::size_t width);
// The width of `slsim lesson`'s wrapped text, in columns.
inline constexpr std::size_t kLessonWidth = 100;
// A figure as the tables show it: whole numbers and figures from 1,000 up without decimals (1,234),
// from 100 with one decimal, smaller ones with 4 significant digits.
std::string lesson_number(double v);

}  // namespace slsim
