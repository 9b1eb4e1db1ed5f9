#include "sim/report/result.hpp"

#include <cmath>

#include <fmt/format.h>

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
  CostLedger ledger;
  for (const Service* s : model.services) {
    Json j = Json::object();
    j["type"] = s->type();
    s->report(j, measured_s);
    services[s->name()] = std::move(j);
    s->bill(ledger, measured_s);
  }
  // What workloads cost by themselves (schedule firings): priced in models/, through the registry.
  if (scenario.registry != nullptr && scenario.registry->bill_workloads != nullptr) {
    std::vector<std::uint64_t> arrivals;
    for (const Workload* w : model.workloads) arrivals.push_back(w->arrived());
    scenario.registry->bill_workloads(scenario, arrivals, ledger, measured_s);
  }
  out["cost"] = ledger.to_json(measured_s);

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
      std::string why = actual == nullptr ? "no such metric in the result" : "the metric is not a number";
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

namespace {

std::string human_count(double v) {
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    std::string digits = fmt::format("{}", static_cast<long long>(v));
    std::string out;
    const std::size_t first = digits[0] == '-' ? 1 : 0;
    for (std::size_t i = 0; i < digits.size(); ++i) {
      if (i > first && (digits.size() - i) % 3 == 0) out += ',';
      out += digits[i];
    }
    return out;
  }
  if (std::fabs(v) >= 100) return fmt::format("{:.1f}", v);
  return fmt::format("{:.4g}", v);
}

std::string scalar_text(const Json& v) {
  if (v.is_bool()) return v.as_bool() ? "yes" : "no";
  if (v.is_string()) return v.as_string();
  if (v.is_number()) return human_count(v.as_double());
  return "-";
}

// "key value  key.sub value ..." for every scalar of a service's metrics.
void flatten(const Json& node, const std::string& prefix, std::vector<std::pair<std::string, std::string>>& out) {
  for (const auto& [k, v] : node.items()) {
    if (k == "type") continue;
    const std::string key = prefix.empty() ? k : prefix + "." + k;
    if (v.is_object()) flatten(v, key, out);
    else if (!v.is_array()) out.emplace_back(key, scalar_text(v));
  }
}

double num(const Json& j, std::string_view path) {
  const Json* v = j.find_path(path);
  return v != nullptr && v->is_number() ? v->as_double() : 0.0;
}

}  // namespace

std::string format_table(const Scenario& scenario, const Json& r) {
  std::string out;
  out += fmt::format("slsim {} | {} | seed {} | {} measured", kSlsimVersion, scenario.name, scenario.seed,
                     fmt::format("{:g} s", to_seconds(scenario.duration)));
  if (scenario.warmup > 0) out += fmt::format(" after {:g} s warm-up", to_seconds(scenario.warmup));
  if (scenario.replications > 1)
    out += fmt::format("\nmeans over {} replications; 95% confidence half-widths under \"ci95\" in the JSON",
                       scenario.replications);
  out += fmt::format("\n{} events in {:.3f} s ({} events/s)\n\n", human_count(num(r, "run.events")), num(r, "run.wall_s"),
                     human_count(std::round(num(r, "run.events_per_s"))));

  out += fmt::format("{:<18} {:>11} {:>11} {:>9} {:>10} {:>9} {:>9} {:>9} {:>9} {:>9}\n", "workload", "arrived",
                     "succeeded", "failed", "throttled", "mean ms", "p50 ms", "p99 ms", "p99.9 ms", "max ms");
  if (const Json* ws = r.find("workloads")) {
    for (const auto& [name, w] : ws->items()) {
      out += fmt::format("{:<18} {:>11} {:>11} {:>9} {:>10} {:>9.2f} {:>9.2f} {:>9.2f} {:>9.2f} {:>9.2f}\n", name,
                         human_count(num(w, "arrived")), human_count(num(w, "succeeded")), human_count(num(w, "failed")),
                         human_count(num(w, "throttled")), num(w, "latency_ms.mean"), num(w, "latency_ms.p50"),
                         num(w, "latency_ms.p99"), num(w, "latency_ms.p999"), num(w, "latency_ms.max"));
    }
  }
  out += "\nservices\n";
  if (const Json* ss = r.find("services")) {
    for (const auto& [name, s] : ss->items()) {
      const Json* type = s.find("type");
      out += fmt::format("  {} ({})\n", name, type != nullptr ? type->as_string() : "?");
      std::vector<std::pair<std::string, std::string>> fields;
      flatten(s, "", fields);
      std::string line = "   ";
      for (const auto& [k, v] : fields) {
        const std::string cell = fmt::format(" {}={}", k, v);
        if (line.size() + cell.size() > 100) {
          out += line + "\n";
          line = "   ";
        }
        line += cell;
      }
      if (line.size() > 3) out += line + "\n";
    }
  }
  out += fmt::format("\ncost: ${:.6f} for the run, ${:.2f} projected to 30 days\n", num(r, "cost.total_usd"),
                     num(r, "cost.monthly_usd"));
  if (const Json* items = r.find_path("cost.items"); items != nullptr && items->is_array()) {
    for (const auto& i : items->elements())
      out += fmt::format("  {:<16} {:<18} {:>16} {:<10} ${:.6f}\n", i.find("service")->as_string(),
                         i.find("item")->as_string(), human_count(num(i, "quantity")), i.find("unit")->as_string(),
                         num(i, "usd"));
  }
  const Json* acc = r.find("accounting");
  if (acc != nullptr) {
    const Json* balanced = acc->find("balanced");
    out += fmt::format(
        "\naccounting: {} arrived = {} succeeded + {} failed + {} throttled + {} dead-lettered + {} expired + "
        "{} dropped + {} in flight: {}\n",
        human_count(num(*acc, "arrived")), human_count(num(*acc, "succeeded")), human_count(num(*acc, "failed")),
        human_count(num(*acc, "throttled")), human_count(num(*acc, "dead_lettered")), human_count(num(*acc, "expired")),
        human_count(num(*acc, "dropped")), human_count(num(*acc, "in_flight")),
        balanced != nullptr && balanced->as_bool() ? "balanced" : "NOT BALANCED (a model lost or double-counted requests)");
  }
  if (acc != nullptr && num(*acc, "messages.sent") > 0) {
    out += fmt::format(
        "messages: {} sent = {} processed + {} failed + {} dead-lettered + {} expired + {} dropped + {} in flight\n",
        human_count(num(*acc, "messages.sent")), human_count(num(*acc, "messages.processed")),
        human_count(num(*acc, "messages.failed")), human_count(num(*acc, "messages.dead_lettered")),
        human_count(num(*acc, "messages.expired")), human_count(num(*acc, "messages.dropped")),
        human_count(num(*acc, "messages.in_flight")));
  }
  if (const Json* ex = r.find("expect"); ex != nullptr && ex->is_array() && ex->size() > 0) {
    out += "\nexpectations\n";
    for (const auto& e : ex->elements()) {
      const bool pass = e.find("pass")->as_bool();
      std::string value = e.find("value")->is_array()
                              ? fmt::format("[{}, {}]", scalar_text(e.find("value")->elements()[0]),
                                            scalar_text(e.find("value")->elements()[1]))
                              : scalar_text(*e.find("value"));
      out += fmt::format("  {} {} {} {} (actual {})", pass ? "PASS" : "FAIL", e.find("metric")->as_string(),
                         e.find("op")->as_string(), value, scalar_text(*e.find("actual")));
      if (const Json* err = e.find("error")) out += " - " + err->as_string();
      out += "\n";
    }
  }
  return out;
}

}  // namespace slsim
