// The analytic estimate beside a simulation: which figures disagree, the JSON
// with both side by side, and the human table (see analytic.hpp).
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "sim/analysis/analytic.hpp"
#include "sim/report/number_text.hpp"
#include "sim/report/result.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/scenario/units.hpp"
#include "sim/workload/arrival.hpp"

namespace slsim {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// Beyond the simulation's interval, an estimate may be off by this share of
// the larger value (the approximations' own error, e.g. Allen-Cunneen's).
constexpr double kRelativeTolerance = 0.02;
// And levels (means of gauges, ratios, milliseconds) by this much at least.
constexpr double kLevelTolerance = 0.01;

double number_at(const Json& r, const std::string& path) {
  const Json* v = r.find_path(path);
  return v != nullptr && v->is_number() ? v->as_double() : kNaN;
}

// Why every figure may drift when the workloads are not a steady rate.
std::string unsteady_workload(const Scenario& sc) {
  for (const WorkloadDecl& w : sc.workloads) {
    Diagnostics diags;
    const auto r = ArrivalProcess::from_record(w.params.record("arrival"), sc.base_dir, diags).recurrence();
    if (r.kind != ArrivalProcess::Recurrence::Kind::steady || r.what == "recorded traffic")
      return fmt::format("'{}' is {}: the estimate uses its mean rate over the window", w.name, r.what);
  }
  return {};
}

FigureComparison compare_one(const std::string& service, const std::string& type, const AnalyticFigure& f,
                             double seconds, const std::string& sim_path, const Json& simulated,
                             const std::string& unsteady) {
  FigureComparison c;
  c.service = service;
  c.type = type;
  c.path = f.path;
  c.count = f.count;
  c.how = f.how;
  c.analytic = f.count ? f.value * seconds : f.value;
  c.simulated = number_at(simulated, sim_path);
  c.ci95 = number_at(simulated, "ci95." + sim_path);
  if (std::isnan(c.analytic) || std::isnan(c.simulated)) return c;
  double allowed = comparison_tolerance(c.analytic, c.simulated, c.count);
  if (!std::isnan(c.ci95)) allowed += c.ci95;
  else if (c.count) allowed += 3.0 * std::sqrt(std::max(1.0, std::fabs(c.analytic)));  // one run: Poisson noise
  c.disagree = std::fabs(c.analytic - c.simulated) > allowed;
  if (!c.disagree) return c;
  if (!unsteady.empty()) {
    c.reason = ReasonClass::bursts;
    c.reason_detail = unsteady;
  } else {
    c.reason = f.reason;
    c.reason_detail = f.reason_detail;
  }
  return c;
}

}  // namespace

double comparison_tolerance(double analytic, double simulated, bool count) {
  return kRelativeTolerance * std::max(std::fabs(analytic), std::fabs(simulated)) + (count ? 1.0 : kLevelTolerance);
}

std::vector<FigureComparison> compare_with_simulation(const Scenario& scenario, const AnalyticResult& estimate,
                                                      const Json& simulated) {
  const std::string unsteady = unsteady_workload(scenario);
  std::vector<FigureComparison> rows;
  for (const auto& w : estimate.workloads)
    for (const AnalyticFigure& f : w.figures)
      rows.push_back(compare_one("workload:" + w.name, "workload", f, estimate.seconds,
                                 "workloads." + w.name + "." + f.path, simulated, unsteady));
  for (const auto& s : estimate.services) {
    if (!s.estimate.unavailable_reason.empty()) continue;
    for (const AnalyticFigure& f : s.estimate.figures)
      rows.push_back(compare_one(s.name, s.type, f, estimate.seconds, "services." + s.name + "." + f.path, simulated,
                                 unsteady));
  }
  // Cost: each estimated service's window, the total and the month.
  for (const auto& s : estimate.services) {
    if (!s.estimate.unavailable_reason.empty() || s.estimate.costs.empty()) continue;
    AnalyticFigure f;
    f.path = "by_service." + s.name;
    f.value = 0;
    for (const AnalyticCost& c : s.estimate.costs) f.value += c.usd;
    f.how = "the estimated quantities at the catalog's prices";
    rows.push_back(compare_one("cost", "cost", f, estimate.seconds, "cost." + f.path, simulated, unsteady));
  }
  AnalyticFigure total;
  total.path = "total_usd";
  total.value = estimate.problem.empty() ? estimate.total_usd : kNaN;
  total.how = "the sum of the estimated services' cost";
  rows.push_back(compare_one("cost", "cost", total, estimate.seconds, "cost.total_usd", simulated, unsteady));
  AnalyticFigure monthly;
  monthly.path = "monthly_usd";
  monthly.value = estimate.monthly_usd;
  monthly.how = estimate.monthly_note;
  rows.push_back(compare_one("cost", "cost", monthly, estimate.seconds, "cost.monthly_usd", simulated, unsteady));
  return rows;
}

Json comparison_json(const Scenario& scenario, const AnalyticResult& estimate,
                     const std::vector<FigureComparison>& rows, const Json& simulated) {
  Json out = Json::object();
  out["version"] = kSlsimVersion;
  Json& a = out["analyze"];
  a["scenario"] = scenario.name;
  a["duration_s"] = estimate.seconds;
  a["replications"] = scenario.replications;
  a["iterations"] = estimate.iterations;
  a["converged"] = estimate.converged;
  a["problem"] = estimate.problem.empty() ? Json(nullptr) : Json(estimate.problem);
  a["relative_tolerance"] = kRelativeTolerance;
  std::size_t disagreements = 0;
  for (const FigureComparison& r : rows) disagreements += r.disagree ? 1 : 0;
  a["disagreements"] = disagreements;
  const auto figure_json = [](const FigureComparison& r) {
    Json f = Json::object();
    f["analytic"] = std::isnan(r.analytic) ? Json(nullptr) : Json(r.analytic);
    f["simulated"] = std::isnan(r.simulated) ? Json(nullptr) : Json(r.simulated);
    f["ci95"] = std::isnan(r.ci95) ? Json(nullptr) : Json(r.ci95);
    f["agree"] = std::isnan(r.analytic) || std::isnan(r.simulated) ? Json(nullptr) : Json(!r.disagree);
    f["kind"] = r.count ? "count" : "level";
    f["how"] = r.how;
    if (r.disagree) {
      f["reason"] = r.reason == ReasonClass::none ? Json(nullptr) : Json(std::string(reason_class_name(r.reason)));
      f["reason_detail"] = r.reason_detail;
    }
    return f;
  };
  Json& workloads = out["workloads"];
  workloads = Json::object();
  for (const auto& w : estimate.workloads) {
    Json& j = workloads[w.name];
    j["figures"] = Json::object();
    for (const FigureComparison& r : rows)
      if (r.service == "workload:" + w.name) j["figures"][r.path] = figure_json(r);
  }
  Json& services = out["services"];
  services = Json::object();
  for (const auto& s : estimate.services) {
    Json& j = services[s.name];
    j["type"] = s.type;
    j["estimated"] = s.estimate.unavailable_reason.empty();
    if (!s.estimate.unavailable_reason.empty()) j["why"] = s.estimate.unavailable_reason;
    Json& figures = j["figures"];
    figures = Json::object();
    for (const FigureComparison& r : rows)
      if (r.service == s.name) figures[r.path] = figure_json(r);
    Json notes = Json::array();
    for (const std::string& n : s.estimate.notes) notes.push_back(n);
    j["notes"] = std::move(notes);
  }
  Json& cost = out["cost"];
  Json& est = cost["analytic"];
  est["total_usd"] = estimate.problem.empty() ? Json(estimate.total_usd) : Json(nullptr);
  est["monthly_usd"] = std::isnan(estimate.monthly_usd) ? Json(nullptr) : Json(estimate.monthly_usd);
  est["monthly_note"] = estimate.monthly_note;
  Json items = Json::array();
  for (const auto& s : estimate.services) {
    for (const AnalyticCost& c : s.estimate.costs) {
      Json item = Json::object();
      item["service"] = s.name;
      item["item"] = c.item;
      item["quantity"] = c.quantity;
      item["unit"] = c.unit;
      item["usd"] = c.usd;
      item["basis"] = c.time_based ? "time" : "usage";
      items.push_back(std::move(item));
    }
  }
  est["items"] = std::move(items);
  Json& cost_figures = cost["figures"];
  cost_figures = Json::object();
  for (const FigureComparison& r : rows)
    if (r.service == "cost") cost_figures[r.path] = figure_json(r);
  out["simulated"] = simulated;
  return out;
}

namespace {

// Whole numbers grouped by thousands; others with 4 significant digits.
std::string number_text(double v, bool money = false) {
  if (std::isnan(v)) return "-";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  const std::string sign = v < 0 ? "-" : "";
  const std::string dollar = money ? "$" : "";
  const double a = std::fabs(v);
  if (a > 0 && a < 1e-3) return sign + dollar + fmt::format("{:.2g}", a);
  if (a == std::floor(a) && a < 1e15) return sign + dollar + group_thousands(fmt::format("{}", static_cast<long long>(a)));
  const int magnitude = a > 0 ? static_cast<int>(std::floor(std::log10(a))) : 0;
  const int decimals = std::clamp(3 - magnitude, 0, 12);
  std::string text = fmt::format("{:.{}f}", a, decimals);
  const auto dot = text.find('.');
  text = dot == std::string::npos ? group_thousands(text) : group_thousands(text.substr(0, dot)) + text.substr(dot);
  return sign + dollar + text;
}

std::string half_width_text(double h, bool money) {
  if (std::isnan(h)) return "";
  if (h < 1e-12) return " ±0";
  if (h < 1e-3) return fmt::format(" ±{}{:.2g}", money ? "$" : "", h);
  const int magnitude = static_cast<int>(std::floor(std::log10(h)));
  const int decimals = std::clamp(1 - magnitude, 0, 12);
  return fmt::format(" ±{}{}", money ? "$" : "", fmt::format("{:.{}f}", h, decimals));
}

}  // namespace

std::string comparison_table(const Scenario& scenario, const AnalyticResult& estimate,
                             const std::vector<FigureComparison>& rows) {
  std::string out = fmt::format("slsim {} | analyze | {} | {} measured | {} replication{}\n", kSlsimVersion,
                                scenario.name, format_duration(static_cast<double>(scenario.duration)),
                                scenario.replications, scenario.replications == 1 ? "" : "s");
  if (!estimate.problem.empty()) {
    out += fmt::format("analytic: not estimated: {}\n", estimate.problem);
  } else {
    out += fmt::format("analytic: the traffic equations solved in {} iteration{}{}\n", estimate.iterations,
                       estimate.iterations == 1 ? "" : "s",
                       estimate.converged ? "" : fmt::format(" (NOT converged: stopped at the bound of {})", kMaxAnalyticIterations));
  }
  out += fmt::format("simulated: means{}; DIFFERS: further apart than the 95% half-width + {}% (+1 for counts, +0.01 for levels)\n\n",
                     scenario.replications > 1 ? " ±95% confidence half-widths" : " of one replication (no interval)",
                     static_cast<int>(kRelativeTolerance * 100));
  struct Line {
    std::string service, figure, analytic, simulated, verdict;
  };
  std::vector<Line> lines;
  for (const FigureComparison& r : rows) {
    const bool money = r.service == "cost";
    Line l;
    l.service = r.service;
    l.figure = r.path;
    // A count below half a hundredth is nothing to count.
    const double shown = r.count && std::fabs(r.analytic) < 0.005 ? 0.0 : r.analytic;
    l.analytic = std::isnan(r.analytic) ? "not estimated" : number_text(shown, money);
    l.simulated = std::isnan(r.simulated) ? "-" : number_text(r.simulated, money) + half_width_text(r.ci95, money);
    if (std::isnan(r.analytic)) {
      l.verdict = r.how;
    } else if (r.disagree) {
      l.verdict = "DIFFERS";
      if (r.reason != ReasonClass::none)
        l.verdict += fmt::format(" ({}{}{})", reason_class_name(r.reason), r.reason_detail.empty() ? "" : ": ", r.reason_detail);
    }
    lines.push_back(std::move(l));
  }
  std::size_t w_service = 7, w_figure = 6, w_analytic = 8, w_simulated = 9;
  for (const Line& l : lines) {
    w_service = std::max(w_service, l.service.size());
    w_figure = std::max(w_figure, l.figure.size());
    w_analytic = std::max(w_analytic, l.analytic.size());
    w_simulated = std::max(w_simulated, l.simulated.size());
  }
  out += fmt::format("{:<{}}  {:<{}}  {:>{}}  {:>{}}\n", "service", w_service, "figure", w_figure, "analytic",
                     w_analytic, "simulated", w_simulated);
  std::string previous;
  for (const Line& l : lines) {
    const std::string shown = l.service == previous ? "" : l.service;
    previous = l.service;
    std::string row = fmt::format("{:<{}}  {:<{}}  {:>{}}  {:>{}}", shown, w_service, l.figure, w_figure, l.analytic,
                                  w_analytic, l.simulated, w_simulated);
    if (!l.verdict.empty()) row += "  " + l.verdict;
    out += row + "\n";
  }
  bool header = false;
  for (const auto& s : estimate.services) {
    const bool unavailable = !s.estimate.unavailable_reason.empty();
    if (!unavailable && s.estimate.notes.empty()) continue;
    if (!header) out += "\nnot in the estimate\n";
    header = true;
    if (unavailable && estimate.problem.empty())
      out += fmt::format("  {} ({}): not estimated: {}\n", s.name, s.type, s.estimate.unavailable_reason);
    for (const std::string& n : s.estimate.notes) out += fmt::format("  {} ({}): {}\n", s.name, s.type, n);
  }
  std::size_t differ = 0;
  for (const FigureComparison& r : rows) differ += r.disagree ? 1 : 0;
  out += fmt::format("\n{} figure{} differ{}; analytic cost of the window {} ({}; free tiers are not subtracted)\n",
                     differ, differ == 1 ? "" : "s", differ == 1 ? "s" : "", number_text(estimate.total_usd, true),
                     std::isnan(estimate.monthly_usd) ? "30 days " + estimate.monthly_note
                                                      : fmt::format("{} for 30 days", number_text(estimate.monthly_usd, true)));
  return out;
}

}  // namespace slsim
