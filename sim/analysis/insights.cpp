#include "sim/analysis/insights.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "sim/analysis/replications.hpp"
#include "sim/report/number_text.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/scenario/units.hpp"

namespace slsim {

const char* severity_name(InsightSeverity s) {
  switch (s) {
    case InsightSeverity::high: return "high";
    case InsightSeverity::medium: return "medium";
    case InsightSeverity::info: return "info";
  }
  return "info";
}

Json insight_metric(const Json& result, const std::string& metric, const std::string& per) {
  const Json* v = result.find_path(metric);
  if (v == nullptr || !v->is_number()) return nullptr;
  if (per.empty()) return *v;
  const Json* d = result.find_path(per);
  if (d == nullptr || !d->is_number() || d->as_double() == 0) return nullptr;
  return v->as_double() / d->as_double();
}

SimTime confirming_window(const Scenario& scenario, double events, const InsightOptions& options) {
  const SimTime full = scenario.duration;
  SimTime window = std::min(full, options.max_window);
  if (events > 0) {
    // The budget's share of the whole run (warm-up included), applied to the measured window.
    const double whole = static_cast<double>(scenario.duration + scenario.warmup);
    const double by_budget = whole * static_cast<double>(options.event_budget) / events;
    if (by_budget < static_cast<double>(window)) window = static_cast<SimTime>(by_budget);
  }
  window = std::max(window, std::min(full, options.min_window));
  // Whole seconds read better and stay exact in the JSON.
  if (window < full) window = std::max<SimTime>(kSecond, window / kSecond * kSecond);
  return window;
}

namespace {

int severity_rank(InsightSeverity s) { return static_cast<int>(s); }

std::string join(const std::vector<std::string>& v, const std::string& sep) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

}  // namespace

double number_at(const Json& r, std::string_view path) {
  const Json* v = r.find_path(path);
  return v != nullptr && v->is_number() ? v->as_double() : 0.0;
}

const Json* service_result(const Json& result, const std::string& name) {
  const Json* services = result.find("services");
  return services != nullptr ? services->find(name) : nullptr;
}

std::string percent_text(double share) { return fmt::format("{:.1f}%", share * 100.0); }

void dominant_cost_insights(const InsightInput& in, std::vector<InsightCandidate>& out) {
  const Json* items = in.result.find_path("cost.items");
  if (items == nullptr || !items->is_array()) return;
  // Credits (the free tier) are negative lines: shares are of the charges before credits.
  double charges = 0;
  for (const auto& item : items->elements()) charges += std::max(0.0, number_at(item, "usd"));
  if (charges <= 0) return;
  for (const auto& item : items->elements()) {
    const double usd = number_at(item, "usd");
    const double share = usd / charges;
    if (share <= 0.5) continue;
    const std::string service = item.find("service")->as_string();
    const std::string name = item.find("item")->as_string();
    const std::string window = format_duration(static_cast<double>(in.scenario.duration));
    InsightCandidate c;
    c.id = "cost-dominated-by-one-item";
    c.service = service;
    c.severity = InsightSeverity::info;
    c.title = fmt::format("'{}' of {} is {} of the cost: {} of {} charged in the {} window", name, service,
                          percent_text(share), usd_text(usd), usd_text(charges), window);
    c.evidence["item"] = name;
    c.evidence["item_usd"] = usd;
    c.evidence["charges_usd"] = charges;
    c.evidence["share"] = share;
    c.evidence["quantity"] = number_at(item, "quantity");
    c.evidence["unit"] = item.find("unit")->as_string();
    c.evidence["total_usd"] = number_at(in.result, "cost.total_usd");
    c.fix_note = "no single change fits; savings start with this item, and a sweep over its settings shows how much";
    c.weight = share;
    out.push_back(std::move(c));
  }
}

std::vector<InsightCandidate> collect_insights(const Scenario& scenario, const Json& result) {
  std::vector<InsightCandidate> out;
  for (const auto& decl : scenario.services) {
    if (decl.type == nullptr || decl.type->insights == nullptr) continue;
    decl.type->insights(InsightInput{scenario, &decl, result}, out);
  }
  dominant_cost_insights(InsightInput{scenario, nullptr, result}, out);
  std::stable_sort(out.begin(), out.end(), [](const InsightCandidate& a, const InsightCandidate& b) {
    if (a.severity != b.severity) return severity_rank(a.severity) < severity_rank(b.severity);
    if (a.weight != b.weight) return a.weight > b.weight;
    if (a.id != b.id) return a.id < b.id;
    return a.service < b.service;
  });
  return out;
}

namespace {

// One confirming run: one replication, the scenario's seed, the given window.
Json confirming_run(const InsightOptions& options, const std::vector<std::string>& fix, SimTime window) {
  Scenario sc = options.reload(fix);
  sc.duration = window;
  sc.replications = 1;
  ReplicationOptions run;
  run.threads = 1;
  return run_replications(sc, run);
}

}  // namespace

Json find_insights(const Scenario& scenario, const Json& result, const InsightOptions& options) {
  const std::vector<InsightCandidate> candidates = collect_insights(scenario, result);
  Json list = Json::array();
  const bool any_fix = std::any_of(candidates.begin(), candidates.end(), [](const auto& c) { return !c.fix.empty(); });
  const bool confirm = options.confirm && any_fix && static_cast<bool>(options.reload);
  const SimTime window = confirm ? confirming_window(scenario, number_at(result, "run.events"), options) : 0;
  // The baseline of the same window: the run itself when nothing is cut.
  Json baseline;
  std::string baseline_error;
  if (confirm) {
    if (window == scenario.duration && scenario.replications == 1) {
      baseline = result;
    } else {
      try {
        baseline = confirming_run(options, {}, window);
      } catch (const InputError& e) {
        baseline_error = e.what();
      }
    }
  }
  std::map<std::string, std::pair<Json, std::string>> runs;  // by the fix's overrides: result or error
  for (const auto& c : candidates) {
    Json j = Json::object();
    j["id"] = c.id;
    j["service"] = c.service;
    j["severity"] = severity_name(c.severity);
    j["title"] = c.title;
    j["evidence"] = c.evidence;
    Json fix = Json::array();
    for (const auto& s : c.fix) fix.push_back(s);
    j["fix"] = std::move(fix);
    if (!c.fix_note.empty()) j["fix_note"] = c.fix_note;
    if (c.fix.empty()) {
      j["effect"] = nullptr;
      list.push_back(std::move(j));
      continue;
    }
    if (!confirm) {
      j["title"] = c.title + "; the fix: " + c.fix_summary;
      j["effect"] = nullptr;
      list.push_back(std::move(j));
      continue;
    }
    Json effect = Json::object();
    effect["metric"] = c.metric_label;
    effect["path"] = c.per.empty() ? c.metric : c.metric + " / " + c.per;
    const std::string key = join(c.fix, "\n");
    auto it = runs.find(key);
    if (it == runs.end()) {
      std::pair<Json, std::string> r;
      try {
        r.first = confirming_run(options, c.fix, window);
      } catch (const InputError& e) {
        r.second = e.what();
      }
      it = runs.emplace(key, std::move(r)).first;
    }
    const std::string& error = baseline_error.empty() ? it->second.second : baseline_error;
    if (!error.empty()) {
      effect["error"] = error;
      j["title"] = c.title + "; the fix (" + c.fix_summary + ") could not be run";
    } else {
      const Json& after_run = it->second.first;
      const Json before = insight_metric(baseline, c.metric, c.per);
      const Json after = insight_metric(after_run, c.metric, c.per);
      effect["before"] = before;
      effect["after"] = after;
      if (before.is_number() && after.is_number()) {
        const double b = before.as_double(), a = after.as_double();
        effect["change"] = b != 0 ? Json((a - b) / b) : Json(nullptr);
        effect["improved"] = a < b;
        // The title says what the confirming run measured, not what the detector hoped.
        const std::string measured = fmt::format("{} -> {}", number_text(b), number_text(a));
        j["title"] = a == 0 && b == 0 ? fmt::format("{}; {}: the {} confirming window saw no {} to lower", c.title,
                                                     c.fix_summary, format_duration(static_cast<double>(window)),
                                                     c.metric_label)
                     : a == 0 && b > 0 ? fmt::format("{}; {} removes them (measured: {})", c.title, c.fix_summary, measured)
                     : a < b         ? fmt::format("{}; {} brings the {} to {} (measured: {})", c.title, c.fix_summary,
                                                   c.metric_label, number_text(a), measured)
                                     : fmt::format("{}; {} did not lower the {} in the confirming run ({})", c.title,
                                                   c.fix_summary, c.metric_label, measured);
      } else {
        effect["change"] = nullptr;
        effect["improved"] = false;
        j["title"] = fmt::format("{}; {}: the confirming run has no {} to compare", c.title, c.fix_summary,
                                 c.metric_label);
      }
      Json& cost = effect["cost_usd"];
      cost["before"] = number_at(baseline, "cost.total_usd");
      cost["after"] = number_at(after_run, "cost.total_usd");
    }
    Json& run = effect["run"];
    run["duration_s"] = to_seconds(window);
    run["warmup_s"] = to_seconds(scenario.warmup);
    run["seed"] = scenario.seed;
    run["replications"] = 1;
    j["effect"] = std::move(effect);
    list.push_back(std::move(j));
  }
  return list;
}

namespace {

std::string value_text(const Json& v) {
  if (v.is_number()) return number_text(v.as_double());
  if (v.is_string()) return v.as_string();
  if (v.is_bool()) return v.as_bool() ? "true" : "false";
  return "-";
}

// Lines no wider than the table's, continued under the label.
std::string wrapped(const std::string& label, const std::vector<std::string>& cells, const std::string& sep) {
  const std::string indent(5 + label.size() + 2, ' ');
  std::string out = "     " + label + ": ", line;
  for (const auto& c : cells) {
    if (!line.empty() && indent.size() + line.size() + sep.size() + c.size() > 110) {
      out += line + "\n" + indent;
      line.clear();
    }
    line += (line.empty() ? "" : sep) + c;
  }
  return out + line + "\n";
}

}  // namespace

std::string format_insights(const Json& result) {
  const Json* list = result.find("insights");
  if (list == nullptr || !list->is_array()) return {};
  if (list->size() == 0) return "\ninsights: none (no detector found a problem in this run)\n";
  std::string out = fmt::format("\ninsights ({}: the detectors are described in docs/insights.md)\n", list->size());
  std::size_t n = 0;
  for (const auto& i : list->elements()) {
    out += fmt::format("  {}. [{}] {}: {}\n", ++n, i.find("severity")->as_string(), i.find("id")->as_string(),
                       i.find("title")->as_string());
    std::vector<std::string> figures;
    for (const auto& [k, v] : i.find("evidence")->items()) figures.push_back(k + " " + value_text(v));
    out += wrapped("evidence", figures, " | ");
    const Json* fix = i.find("fix");
    std::vector<std::string> sets;
    for (const auto& s : fix->elements()) sets.push_back("--set " + s.as_string());
    const Json* note = i.find("fix_note");
    if (sets.empty()) {
      out += fmt::format("     fix: none{}\n", note != nullptr ? " (" + note->as_string() + ")" : "");
      continue;
    }
    out += wrapped("fix", sets, " ");
    if (note != nullptr) out += fmt::format("          ({})\n", note->as_string());
    const Json* effect = i.find("effect");
    if (effect == nullptr || !effect->is_object()) {
      out += "     effect: not measured (confirming runs are off)\n";
      continue;
    }
    const std::string run = fmt::format("{} confirming run, seed {}",
                                        format_duration(number_at(*effect, "run.duration_s") * 1e9),
                                        value_text(*effect->find_path("run.seed")));
    if (const Json* error = effect->find("error")) {
      out += fmt::format("     effect: the fix could not be run ({}): {}", run, error->as_string());
      if (out.back() != '\n') out += "\n";
      continue;
    }
    const Json* change = effect->find("change");
    const std::string change_text =
        change != nullptr && change->is_number()
            ? fmt::format(" ({}{})", change->as_double() > 0 ? "+" : "", percent_text(change->as_double()))
            : "";
    out += fmt::format("     effect: {} {} -> {}{} in a {}; cost {} -> {}\n", effect->find("metric")->as_string(),
                       value_text(*effect->find("before")), value_text(*effect->find("after")), change_text, run,
                       usd_text(number_at(*effect, "cost_usd.before")), usd_text(number_at(*effect, "cost_usd.after")));
  }
  return out;
}

}  // namespace slsim
