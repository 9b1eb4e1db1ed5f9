#include "sim/analysis/result_shape.hpp"

#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "sim/analysis/replications.hpp"
#include "sim/report/result.hpp"
#include "sim/scenario/build.hpp"
#include "sim/scenario/scenario.hpp"

namespace slsim {

Json result_shape(const Scenario& scenario) {
  const BuiltModel model = build_model(scenario, 0);
  const Json one = collect_result(scenario, model, 0.0);
  if (scenario.replications <= 1) return one;
  return merge_batch({one, one}, 0.0);
}

namespace {

std::vector<std::string> keys_of(const Json& node) {
  std::vector<std::string> keys;
  for (const auto& [k, v] : node.items()) keys.push_back(k);
  return keys;
}

std::string keys_hint(const std::string& part, const Json& node, const std::string& where) {
  const std::vector<std::string> keys = keys_of(node);
  std::string hint = did_you_mean(part, keys);
  return hint.empty() ? fmt::format("{} has {}", where, quoted_list(keys)) : hint;
}

bool is_metric(const Json& v) { return v.is_number() || v.is_bool(); }

}  // namespace

void check_expectation_metrics(const Scenario& scenario, Diagnostics& diags) {
  // The expectations and the lesson's checks: a relative check compares the
  // same metric in two runs of this shape, so it is checked the same way.
  std::vector<const Expectation*> all;
  for (const auto& x : scenario.expect) all.push_back(&x);
  // The placeholders of a try's why: text read the same results.
  for (const auto& t : scenario.lesson_tries) {
    for (const auto& c : t.checks) all.push_back(&c.x);
    for (const auto& x : t.why_metrics) all.push_back(&x);
  }
  if (all.empty()) return;
  for (const auto& s : scenario.services)
    if (s.type == nullptr || s.type->build == nullptr) return;
  const Json shape = result_shape(scenario);
  const Json deterministic = without_wall_clock(shape);
  for (const Expectation* xp : all) {
    const Expectation& x = *xp;
    const std::string& path = x.metric_key;
    const auto error = [&](std::string message, std::string hint = {}) {
      diags.error(x.metric_loc, path, std::move(message), std::move(hint));
    };
    const Json* node = &shape;
    std::string walked;  // the part of the metric found so far
    std::string_view rest = x.metric;
    bool reported = false;
    while (!rest.empty()) {
      const auto dot = rest.find('.');
      const std::string part(rest.substr(0, dot));
      rest = dot == std::string_view::npos ? std::string_view{} : rest.substr(dot + 1);
      const std::string where = walked.empty() ? std::string("the result") : "'" + walked + "'";
      if (node->is_array()) {
        // Lists (cost.items) grow with what happens: only the index can be checked.
        if (part.empty() || part.find_first_not_of("0123456789") != std::string::npos) {
          error(fmt::format("no metric '{}' in the result ({} is a list: expected an index, found '{}')", x.metric,
                            where, part));
          reported = true;
        }
        node = nullptr;
        break;
      }
      if (!node->is_object()) {
        error(fmt::format("no metric '{}' in the result ({} is a single value, with nothing inside)", x.metric, where));
        reported = true;
        break;
      }
      const Json* next = node->find(part);
      if (next == nullptr) {
        if (walked.empty() && part == "ci95")
          error(fmt::format("no metric '{}' in the result: confidence intervals (ci95) come with replications > 1, "
                            "and this scenario runs {}",
                            x.metric, scenario.replications),
                "set 'replications: 2' or more, or give --replications");
        else
          error(fmt::format("no metric '{}' in the result ({} has no '{}')", x.metric, where, part),
                keys_hint(part, *node, where));
        reported = true;
        break;
      }
      walked += (walked.empty() ? "" : ".") + part;
      node = next;
    }
    if (reported || node == nullptr) continue;
    if (node->is_object()) {
      error(fmt::format("'{}' is a group of metrics, not a number", x.metric),
            fmt::format("pick one of {}", quoted_list(keys_of(*node))));
    } else if (node->is_null()) {
      // A number the run may leave empty (cost.monthly_usd without a basis for
      // a month): known, and judged after the run.
      continue;
    } else if (!is_metric(*node)) {
      error(fmt::format("'{}' is text ('{}'), not a number", x.metric, node->as_string()));
    } else if (deterministic.find_path(x.metric) == nullptr) {
      error(fmt::format("'{}' is wall-clock time, which differs from run to run: an expectation on it cannot hold "
                        "reproducibly",
                        x.metric),
            "expect on simulated results (run.events is one)");
    }
  }
}

}  // namespace slsim
