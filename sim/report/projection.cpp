#include "sim/report/projection.hpp"

#include <cmath>
#include <deque>
#include <map>
#include <set>
#include <string>

#include <fmt/format.h>

#include "sim/scenario/scenario.hpp"
#include "sim/scenario/units.hpp"
#include "sim/workload/workload.hpp"

namespace slsim {

namespace {

using RKind = ArrivalProcess::Recurrence::Kind;

struct WorkloadFactor {
  std::string name;
  RKind kind = RKind::steady;
  double arrivals = 0;     // measured arrivals (firings) in the window
  double to_month = 1;     // 30-day usage / window usage
  bool projectable = true;
  std::string text;        // its part of the note
};

// Services each workload's requests can reach, following every edge of the wiring.
std::set<std::string> reachable_services(const Scenario& sc, const std::string& workload) {
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& e : sc.edges) out[e.from].push_back(e.to);
  std::set<std::string> seen;
  std::deque<std::string> frontier{"workload:" + workload};
  while (!frontier.empty()) {
    const std::string v = frontier.front();
    frontier.pop_front();
    for (const auto& next : out[v])
      if (seen.insert(next).second) frontier.push_back(next);
  }
  return seen;
}

std::string times(double x) { return fmt::format("x{}", format_number(std::round(x * 100) / 100)); }

}  // namespace

ProjectionPlan plan_projection(const Scenario& sc, const std::vector<Workload*>& workloads, double measured_seconds) {
  const double month_by_time = kSecondsPer30Days / measured_seconds;
  const std::string window = format_duration(measured_seconds * 1e9);
  std::vector<WorkloadFactor> factors;
  for (const Workload* w : workloads) {
    const auto rec = w->arrivals().recurrence();
    WorkloadFactor f;
    f.name = w->name();
    f.kind = rec.kind;
    f.arrivals = static_cast<double>(w->arrived());
    switch (rec.kind) {
      case RKind::steady:
        f.to_month = month_by_time;
        f.text = fmt::format("'{}' ({}) repeats the {} window {}", f.name, rec.what, window, times(month_by_time));
        break;
      case RKind::per_firing:
        if (f.arrivals > 0) {
          f.to_month = rec.firings_per_30_days / f.arrivals;
          f.text = fmt::format("'{}' ({}) fires {} times in 30 days, {} in this run", f.name, rec.what,
                               format_number(rec.firings_per_30_days), format_number(f.arrivals));
        } else {
          f.projectable = false;
          f.to_month = month_by_time;
          f.text = fmt::format("'{}' ({}) did not fire in the measured window (measure a window that holds a firing)",
                               f.name, rec.what);
        }
        break;
      case RKind::one_off:
        // Priced as the month's only occurrence.
        f.projectable = false;
        f.to_month = 1;
        f.text = fmt::format("'{}' is {} that does not repeat", f.name, rec.what);
        break;
      case RKind::profile:
        // Priced as if its rates continued; not projected.
        f.projectable = false;
        f.to_month = month_by_time;
        f.text = fmt::format("'{}' follows {} that does not repeat", f.name, rec.what);
        break;
    }
    factors.push_back(std::move(f));
  }

  ProjectionPlan plan{BillingPeriod(measured_seconds, month_by_time), {}};
  // What a workload bills by itself (a schedule's invocations) follows its own factor.
  for (const auto& f : factors) plan.period.set_usage_to_month("workload:" + f.name, f.to_month);
  // Per service: the factor of the workloads that reach it.
  bool shared_mixed = false;
  std::vector<std::set<std::string>> reach;
  for (const auto& f : factors) reach.push_back(reachable_services(sc, f.name));
  for (const auto& s : sc.services) {
    double weighted = 0, arrivals = 0, first = 0;
    bool any = false, differ = false;
    for (std::size_t i = 0; i < factors.size(); ++i) {
      if (reach[i].count(s.name) == 0) continue;
      const auto& f = factors[i];
      if (!any) first = f.to_month;
      else if (std::fabs(f.to_month - first) > 1e-9 * first) differ = true;
      any = true;
      weighted += f.to_month * f.arrivals;
      arrivals += f.arrivals;
    }
    if (!any) continue;  // nothing reaches it: time-based charges only; usage scales with time
    const double factor = differ && arrivals > 0 ? weighted / arrivals : first;
    shared_mixed = shared_mixed || differ;
    plan.period.set_usage_to_month(s.name, factor);
  }

  bool all_projectable = true;
  std::set<RKind> kinds;
  std::vector<std::string> why_not, parts;
  for (const auto& f : factors) {
    kinds.insert(f.kind);
    if (!f.projectable) {
      all_projectable = false;
      why_not.push_back(f.text);
    }
    parts.push_back(f.text);
  }
  const auto join = [](const std::vector<std::string>& xs) {
    std::string out;
    for (const auto& x : xs) out += (out.empty() ? "" : "; ") + x;
    return out;
  };
  CostProjection& p = plan.projection;
  if (!all_projectable) {
    p.available = false;
    p.basis = "none";
    p.note = "no 30-day projection: " + join(why_not);
  } else if (kinds.size() == 1 && *kinds.begin() == RKind::steady) {
    p.basis = "steady";
    p.note = fmt::format("30 days = the {} window repeated {} (steady traffic)", window, times(month_by_time));
  } else if (kinds.size() == 1 && *kinds.begin() == RKind::per_firing) {
    p.basis = "per_firing";
    p.note = "30 days: " + join(parts);
  } else {
    p.basis = "mixed";
    p.note = "30 days: " + join(parts);
  }
  if (p.available && shared_mixed) p.note += "; services several of them reach are scaled by their arrivals";
  return plan;
}

}  // namespace slsim
