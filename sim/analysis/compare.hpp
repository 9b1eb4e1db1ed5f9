#pragma once
// Comparing two results (`slsim compare`): every leaf both have, matched by
// its path, gets a verdict. Numbers: the same, within the relative tolerance,
// within the combined 95% interval of both sides (when both carry `ci95`),
// or beyond both, where a metric for which more is worse (latency, cost,
// throttles, errors, ...) makes a regression or an improvement and any other
// a plain change. Sweep results are compared point by point when their grids
// match. See docs/regression.md.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "sim/report/json.hpp"

namespace slsim {

enum class Verdict { same, within_tolerance, within_ci95, changed, regression, improvement };
std::string_view verdict_name(Verdict v);

struct CompareOptions {
  double tolerance = 0;              // relative to the base value: 0.05 allows 5%
  std::vector<std::string> metrics;  // globs; empty: every metric
  bool strict = false;               // any difference (and any missing or added metric) fails
};

struct MetricComparison {
  std::string metric;      // the path in the result (array elements by name where they have one)
  std::string point;       // sweeps: the point's settings ("PATH=VALUE, ..."); "" for a run
  Json base, now;          // the two leaves (numbers, booleans, strings or null)
  double change = 0;       // now - base (numbers only; NaN otherwise)
  double relative = 0;     // change / |base| (NaN when not numeric, inf when base is 0)
  double ci95 = 0;         // combined half-width sqrt(a^2 + b^2); NaN without both
  bool higher_is_worse = false;
  Verdict verdict = Verdict::same;
};

struct Comparison {
  bool sweep = false;
  std::vector<MetricComparison> metrics;  // differences first (worst verdict, then largest), then the rest
  std::vector<std::string> missing;       // in the base only (sweeps: "{point} metric")
  std::vector<std::string> added;         // in the new result only
  std::vector<std::string> notes;         // context: different scenarios, seeds, recommended points
  std::size_t count(Verdict v) const;
  // A regression; with `strict`, any difference beyond the tolerance and intervals, or a missing or added metric.
  bool failed(const CompareOptions& options) const;
};

// A bad pair of inputs (not slsim results, sweep grids that differ, a glob
// that matches nothing): the message says which side and what was expected.
struct CompareInputError {
  std::string origin;  // the file it is about ("" for both)
  std::string message;
  std::string hint;
};

// Throws CompareInputError. `base_name`/`new_name` name the sides in messages.
Comparison compare_results(const Json& base, const Json& now, const CompareOptions& options,
                           const std::string& base_name, const std::string& new_name);

// The human report: the table of differences, what is missing or added, the counts, the verdict.
std::string format_comparison(const Comparison& c, const CompareOptions& options, const std::string& base_name,
                              const std::string& new_name);
Json comparison_json(const Comparison& c, const CompareOptions& options, const std::string& base_name,
                     const std::string& new_name);

// `*` matches any run of characters (dots too), `?` one; a pattern that
// matches a leading part of the path up to a dot selects that whole subtree.
bool metric_glob_match(std::string_view pattern, std::string_view path);
// Whether an increase of this metric is a change for the worse.
bool higher_is_worse(std::string_view path);

}  // namespace slsim
