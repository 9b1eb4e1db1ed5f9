#pragma once
// Insights: problems a run's result shows, each with the figures behind it, a
// fix as --set overrides, and the fix's measured effect. Detectors live with
// the services (ServiceType::insights) or here (whole-scenario ones, such as
// the dominant cost line); this file collects their candidates, ranks them,
// runs the confirming runs and renders them for the JSON and the table.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/core/time.hpp"
#include "sim/report/json.hpp"

namespace slsim {

struct Scenario;
struct ServiceDecl;

// What a detector sees: the scenario as loaded, one service's declaration
// (null for whole-scenario detectors) and the run's result JSON.
struct InsightInput {
  const Scenario& scenario;
  const ServiceDecl* decl;
  const Json& result;
};

enum class InsightSeverity { high, medium, info };
const char* severity_name(InsightSeverity s);

// One finding, before its confirming run.
struct InsightCandidate {
  std::string id;       // stable, kebab-case: account-concurrency-exhausted
  std::string service;  // the service it is about
  InsightSeverity severity = InsightSeverity::medium;
  std::string title;    // one line with the key number; the fix and its measured effect are added
  std::string fix_summary;  // the fix in words ("reserving 24 for checkout"), for the title
  Json evidence = Json::object();  // figures from the result (units in the key names)
  std::vector<std::string> fix;    // --set PATH=VALUE overrides; empty: no single change fits
  std::string fix_note;            // one line: why this value (or why no fix)
  // The evidence metric the confirming run compares: result[metric] divided by
  // result[per] when `per` is set (a share), lower is better.
  std::string metric, per, metric_label;
  double weight = 0;  // ranks candidates of the same severity: larger first
};

// Readers the detectors share: the number at a dotted path of a result (0 when
// absent or not a number), a service's part of the result (nullptr when
// absent), and a share as a percentage with one decimal ("3.1%").
double number_at(const Json& r, std::string_view path);
const Json* service_result(const Json& result, const std::string& name);
std::string percent_text(double share);

// The metric of a candidate in a result: null when absent or divided by zero.
Json insight_metric(const Json& result, const std::string& metric, const std::string& per);

struct InsightOptions {
  // Re-loads the scenario as the user ran it, with these --set overrides added
  // last (the fix) and, with a fix, without its expect: block (the fix may
  // change the result's shape under a metric it names); throws InputError like the loader.
  std::function<Scenario(const std::vector<std::string>& fix)> reload;
  bool confirm = true;  // false: no confirming runs (effect null)
  // The confirming runs' measured window: the scenario's, capped at `max_window`
  // and at what `event_budget` events take at the full run's event rate
  // (but at least `min_window`, or the full window when shorter).
  SimTime max_window = kMaxDuration;
  SimTime min_window = kMinute;
  std::uint64_t event_budget = 20'000'000;  // about 5 s of simulation on one core
};

// The confirming runs' measured window for a run of `events` events over the
// scenario's window (see InsightOptions).
SimTime confirming_window(const Scenario& scenario, double events, const InsightOptions& options);

// Every detector's candidates for this result, ranked (severity, then weight,
// then id and service for a stable order), without effects.
std::vector<InsightCandidate> collect_insights(const Scenario& scenario, const Json& result);

// The `insights` list of the result JSON: the ranked candidates, each with the
// effect of its fix measured by a confirming run (same seed, one replication,
// the confirming window); a confirming run computes no insights itself.
Json find_insights(const Scenario& scenario, const Json& result, const InsightOptions& options);

// The table's insights section ("" when the result has no `insights` key).
std::string format_insights(const Json& result);

// Whole-scenario detector: the cost line item above half the total.
void dominant_cost_insights(const InsightInput& in, std::vector<InsightCandidate>& out);

}  // namespace slsim
