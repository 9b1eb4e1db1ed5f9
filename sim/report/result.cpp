#include "sim/report/result.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "sim/report/projection.hpp"
#include "sim/scenario/build.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/workload/workload.hpp"

namespace slsim {

Json collect_result(const Scenario& scenario, const BuiltModel& model, double wall_s) {
  const Simulation& sim = *model.sim;
  const double measured_s = to_seconds(scenario.duration);
  Json out = Json::object();
  out["version"] = kSlsimVersion;
  Json& sc = out["scenario"];
  sc["name"] = scenario.name;
  sc["seed"] = scenario.seed;
  sc["replications"] = scenario.replications;
  sc["duration_s"] = to_seconds(scenario.duration);
  sc["warmup_s"] = to_seconds(scenario.warmup);
  Json& run = out["run"];
  run["events"] = sim.events_processed();
  run["wall_s"] = wall_s;
  run["events_per_s"] = wall_s > 0 ? static_cast<double>(sim.events_processed()) / wall_s : 0.0;

  Json& workloads = out["workloads"];
  workloads = Json::object();
  for (const Workload* w : model.workloads) workloads[w->name()] = w->report();

  Json& services = out["services"];
  services = Json::object();
  ProjectionPlan plan = plan_projection(scenario, model.workloads, measured_s);
  CostLedger ledger;
  for (const Service* s : model.services) {
    Json j = Json::object();
    j["type"] = s->type();
    s->report(j, measured_s);
    services[s->name()] = std::move(j);
    s->bill(ledger, plan.period);
  }
  // What workloads cost by themselves (schedule firings): priced in models/, through the registry.
  if (scenario.registry != nullptr && scenario.registry->bill_workloads != nullptr) {
    std::vector<std::uint64_t> arrivals;
    for (const Workload* w : model.workloads) arrivals.push_back(w->arrived());
    scenario.registry->bill_workloads(scenario, arrivals, ledger, plan.period);
  }
  const bool time_based = std::any_of(ledger.items().begin(), ledger.items().end(),
                                      [](const CostItem& i) { return i.basis == CostBasis::time && i.usd != 0; });
  if (plan.projection.available && time_based) plan.projection.note += "; capacity billed by the hour scales with time";
  out["cost"] = ledger.to_json(plan.period, plan.projection);
  // Every service has its line in by_service (0 when it billed nothing), so the
  // keys do not depend on what happened in the run.
  Json by_service = Json::object();
  for (const Service* s : model.services) by_service[s->name()] = 0.0;
  for (const auto& [name, usd] : out["cost"]["by_service"].items()) by_service[name] = usd;
  out["cost"]["by_service"] = std::move(by_service);

  const Accounting& a = sim.accounting();
  Json& acc = out["accounting"];
  acc["arrived"] = a.arrived;
  acc["succeeded"] = a.count(Outcome::succeeded);
  acc["failed"] = a.count(Outcome::failed) + a.count(Outcome::timed_out);  // failed includes timeouts
  acc["throttled"] = a.count(Outcome::throttled);
  acc["dead_lettered"] = a.count(Outcome::dead_lettered);
  acc["expired"] = a.count(Outcome::expired);
  acc["dropped"] = a.count(Outcome::dropped);
  acc["in_flight"] = a.count(Outcome::in_flight);
  Json& messages = acc["messages"];
  messages["sent"] = a.messages;
  messages["processed"] = a.message_count(Outcome::succeeded);
  messages["failed"] = a.message_count(Outcome::failed) + a.message_count(Outcome::timed_out);
  messages["dead_lettered"] = a.message_count(Outcome::dead_lettered);
  messages["expired"] = a.message_count(Outcome::expired);
  messages["dropped"] = a.message_count(Outcome::dropped);
  messages["in_flight"] = a.message_count(Outcome::in_flight);
  acc["balanced"] = a.balanced();
  if (a.released_without_outcome > 0) acc["lost"] = a.released_without_outcome;
  if (a.repeated_outcome > 0) acc["repeated_outcomes"] = a.repeated_outcome;
  return out;
}

namespace {

bool compare(const std::string& op, double actual, double value, double upper) {
  if (op == "<") return actual < value;
  if (op == "<=") return actual <= value;
  if (op == ">") return actual > value;
  if (op == ">=") return actual >= value;
  if (op == "==") return actual == value;
  if (op == "between") return actual >= value && actual <= upper;
  return false;
}

// Closest existing key at the point where the path stops matching.
std::string missing_metric_hint(const Json& result, const std::string& metric) {
  const Json* node = &result;
  std::string_view rest = metric;
  while (!rest.empty() && node != nullptr && node->is_object()) {
    const auto dot = rest.find('.');
    const std::string part(rest.substr(0, dot));
    const Json* next = node->find(part);
    if (next == nullptr) {
      std::vector<std::string> keys;
      for (const auto& [k, v] : node->items()) keys.push_back(k);
      return did_you_mean(part, keys);
    }
    node = next;
    rest = dot == std::string_view::npos ? std::string_view{} : rest.substr(dot + 1);
  }
  return {};
}

}  // namespace

bool evaluate_expectations(const Scenario& scenario, Json& result) {
  bool all = true;
  Json list = Json::array();
  for (const auto& x : scenario.expect) {
    Json e = Json::object();
    e["metric"] = x.metric;
    e["op"] = x.op;
    if (x.op == "between") {
      Json bounds = Json::array();
      bounds.push_back(x.value);
      bounds.push_back(x.upper);
      e["value"] = std::move(bounds);
    } else {
      e["value"] = x.value;
    }
    const Json* actual = result.find_path(x.metric);
    bool pass = false;
    if (actual == nullptr || !(actual->is_number() || actual->is_bool())) {
      e["actual"] = nullptr;
      std::string why = actual == nullptr    ? "no such metric in the result"
                        : actual->is_null() ? "the metric has no value in this run"
                                            : "the metric is not a number";
      const std::string hint = actual == nullptr ? missing_metric_hint(result, x.metric) : std::string{};
      if (!hint.empty()) why += " (" + hint + ")";
      e["error"] = why;
    } else {
      const double v = actual->is_bool() ? (actual->as_bool() ? 1.0 : 0.0) : actual->as_double();
      e["actual"] = *actual;
      pass = compare(x.op, v, x.value, x.upper);
    }
    e["pass"] = pass;
    all = all && pass;
    list.push_back(std::move(e));
  }
  result["expect"] = std::move(list);
  return all;
}

Json without_wall_clock(const Json& result) {
  Json copy = result;
  for (auto& [k, v] : copy.items()) {
    if (k != "run") continue;
    auto& items = v.items();
    std::erase_if(items, [](const auto& kv) { return kv.first == "wall_s" || kv.first == "events_per_s"; });
  }
  return copy;
}

}  // namespace slsim
