// Running a sweep's (point, replication) pairs, merging each point's
// replications into what `run --json` gives, checking goals against the 95%
// intervals, and choosing the best point and the power-tuning verdict.
#include "sim/analysis/sweep.hpp"

#include <atomic>
#include <chrono>
#include <cmath>
#include <exception>
#include <limits>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "sim/analysis/replications.hpp"
#include "sim/analysis/result_shape.hpp"
#include "sim/report/number_text.hpp"
#include "sim/report/result.hpp"
#include "sim/scenario/build.hpp"

namespace slsim {

namespace {


// Non-finite numbers print as null: make them null now, so that a result
// merges the same whether it stayed in memory or was read back from a part file.
void null_non_finite(Json& j) {
  if (j.type() == Json::Type::number && !std::isfinite(j.as_double())) j = Json();
  for (auto& [k, v] : j.items()) null_non_finite(v);
  for (auto& e : j.elements()) null_non_finite(e);
}

std::optional<double> number_at(const Json& j, std::string_view path) {
  const Json* v = j.find_path(path);
  if (v == nullptr) return std::nullopt;
  if (v->is_bool()) return v->as_bool() ? 1.0 : 0.0;
  if (v->is_number()) return v->as_double();
  return std::nullopt;
}

Json set_json(const PointSet& set) {
  Json out = Json::object();
  for (const auto& [path, value] : set) out[path] = value;
  return out;
}

bool compare(const std::string& op, double a, double b) {
  if (op == "<") return a < b;
  if (op == "<=") return a <= b;
  if (op == ">") return a > b;
  return a >= b;
}

// The figures a point adds to its result, from one replication: the cost per
// million requests and each workload's throttled and failed fractions (null
// when nothing arrived). Goals may name them (derived.PATH).
Json derived_of(const Json& result) {
  const auto ratio = [](std::optional<double> part, std::optional<double> whole, double scale) {
    return part && whole && *whole > 0 ? Json(*part / *whole * scale) : Json();
  };
  Json d = Json::object();
  d["cost_per_million_requests_usd"] =
      ratio(number_at(result, "cost.total_usd"), number_at(result, "accounting.arrived"), 1e6);
  Json workloads = Json::object();
  if (const Json* w = result.find("workloads"))
    for (const auto& [name, figures] : w->items()) {
      Json r = Json::object();
      r["throttled_ratio"] = ratio(number_at(figures, "throttled"), number_at(figures, "arrived"), 1);
      r["failed_ratio"] = ratio(number_at(figures, "failed"), number_at(figures, "arrived"), 1);
      workloads[name] = std::move(r);
    }
  d["workloads"] = std::move(workloads);
  return d;
}

// Where a goal's path points in a point's entry: derived.PATH or the result.
std::pair<const Json*, std::string> goal_base(const Json& entry, const std::string& path) {
  constexpr std::string_view derived = "derived.";
  if (path.starts_with(derived)) return {entry.find("derived"), path.substr(derived.size())};
  return {entry.find("result"), path};
}

}  // namespace

void check_result_paths(const Scenario& base, const std::vector<Goal>& goals, const Objective& objective,
                        const std::string& objective_option) {
  Json shape = without_wall_clock(result_shape(base));
  const Json derived = derived_of(shape);
  shape["derived"] = derived;  // for the did-you-mean of the first segment
  const auto check = [&](const std::string& origin, const std::string& path) {
    const Json* node = &shape;
    std::string walked;
    std::string_view rest = path;
    while (!rest.empty()) {
      const auto dot = rest.find('.');
      const std::string part(rest.substr(0, dot));
      rest = dot == std::string_view::npos ? std::string_view{} : rest.substr(dot + 1);
      const std::string where = walked.empty() ? std::string("the result") : "'" + walked + "'";
      if (node->is_array()) return;  // lists (cost.items) grow with the run: their indices are not known yet
      if (!node->is_object())
        option_error(origin, path, fmt::format("no metric '{}' in the result ({} is a single value)", path, where));
      const Json* next = node->find(part);
      if (next == nullptr) {
        std::vector<std::string> keys;
        for (const auto& [k, v] : node->items()) keys.push_back(k);
        const std::string hint = did_you_mean(part, keys);
        option_error(origin, path, fmt::format("no metric '{}' in the result ({} has no '{}')", path, where, part),
                     hint.empty() ? fmt::format("{} has {}", where, quoted_list(keys)) : hint);
      }
      walked = walked.empty() ? part : walked + "." + part;
      node = next;
    }
    if (node->is_object())
      option_error(origin, path,
                   fmt::format("'{}' is a group of metrics, not a number", path),
                   fmt::format("for example '{}.{}'", path, node->items().empty() ? "" : node->items().front().first));
    if (!node->is_number() && !node->is_bool() && !node->is_null())
      option_error(origin, path, fmt::format("'{}' is not a number", path));
  };
  for (const Goal& g : goals) check("--goal " + g.text, g.path);
  check(objective_option + " " + objective.path, objective.path);
}

Objective default_objective(const Scenario& base) {
  // A scenario whose cost has no monthly projection (a schedule that does not
  // repeat) has no monthly_usd: its window's total stands in.
  const Json shape = result_shape(base);
  const Json* monthly = shape.find_path("cost.monthly_usd");
  Objective o;
  if (monthly == nullptr || !monthly->is_number()) o.path = "cost.total_usd";
  return o;
}

GoalCheck check_goal(const Goal& goal, const Json& point) {
  GoalCheck c;
  const auto [base, path] = goal_base(point, goal.path);
  const auto value = base != nullptr ? number_at(*base, path) : std::nullopt;
  if (!value) {
    c.why = fmt::format("{} has no value", goal.path);
    return c;
  }
  c.mean = *value;
  if (base->find("ci95") != nullptr) {
    const Json* h = base->find_path("ci95." + path);
    if (h != nullptr && h->is_null()) {
      c.why = fmt::format("{} has no 95% interval (fewer than two replications gave a value)", goal.path);
      return c;
    }
    c.half_width = h != nullptr && h->is_number() ? h->as_double() : 0.0;
  }
  // The whole interval must be on the goal's side.
  const bool upper_bound = goal.op[0] == '<';
  const double edge = upper_bound ? c.mean + c.half_width : c.mean - c.half_width;
  c.met = compare(goal.op, edge, goal.value);
  if (!c.met)
    c.why = fmt::format("{} = {}{} (needs {} {})", goal.path, number_text(c.mean),
                        c.half_width > 0 ? " ±" + ci_text(c.half_width, false) : "", goal.op, goal.value);
  return c;
}

Json SweepHeader::to_json() const {
  Json j = Json::object();
  j["scenario"] = scenario;
  j["seed"] = static_cast<unsigned long long>(seed);
  j["replications"] = static_cast<unsigned long long>(replications);
  if (search) {
    Json s = Json::object();
    s["path"] = search->path;
    s["range"] = search->spec;
    s["values"] = static_cast<unsigned long long>(search->count);
    j["search"] = std::move(s);
  } else {
    Json v = Json::object();
    for (const auto& a : vary) v[a.path] = a.spec;
    j["vary"] = std::move(v);
  }
  if (!goals.empty()) {
    Json g = Json::array();
    for (const auto& goal : goals) g.push_back(goal.text);
    j["goals"] = std::move(g);
  }
  if (objective) j[objective->maximize ? "maximize" : "minimize"] = objective->path;
  return j;
}

void run_pairs(const std::vector<const Scenario*>& points, const Shard& shard, unsigned threads,
               const std::function<void(std::size_t, std::uint32_t, Json&&)>& done) {
  std::vector<std::pair<std::size_t, std::uint32_t>> pairs;  // this shard's, in grid order
  std::size_t index = 0;
  for (std::size_t p = 0; p < points.size(); ++p)
    for (std::uint32_t r = 0; r < points[p]->replications; ++r, ++index)
      if (index % shard.count == shard.index - 1) pairs.emplace_back(p, r);

  std::atomic<std::size_t> next{0};
  std::atomic<bool> failed{false};  // once one pair fails, no new one starts
  std::mutex error_mutex;
  std::exception_ptr error;
  const Scenario* error_point = nullptr;
  const auto worker = [&] {
    for (std::size_t i = next++; i < pairs.size() && !failed; i = next++) {
      const auto [p, r] = pairs[i];
      try {
        const auto start = std::chrono::steady_clock::now();
        BuiltModel model = build_model(*points[p], r);
        model.sim->run();
        const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        Json result = collect_result(*points[p], model, wall);
        null_non_finite(result);
        done(p, r, std::move(result));
      } catch (...) {
        failed = true;
        const std::lock_guard lock(error_mutex);
        if (!error) error = std::current_exception(), error_point = points[p];
      }
    }
  };
  const unsigned n = static_cast<unsigned>(std::max<std::size_t>(1, std::min<std::size_t>(threads, pairs.size())));
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < n; ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  if (!error) return;
  try {
    std::rethrow_exception(error);
  } catch (const EventLimitReached& e) {
    throw InputError(event_limit_diagnostic(*error_point, e));
  }
}


Json point_entry(const PointRuns& runs) {
  double wall = 0;  // a point's wall time: its replications' together
  for (const auto& r : runs.replications) wall += r.find_path("run.wall_s")->as_double();
  Json result = merge_batch(runs.replications, wall);
  Scenario with_expect;
  with_expect.expect = runs.expect;
  evaluate_expectations(with_expect, result);

  // Replication by replication, then merged like the result: a ratio of
  // means would have no interval.
  std::vector<Json> derived;
  for (const auto& r : runs.replications) derived.push_back(derived_of(r));

  Json entry = Json::object();
  entry["set"] = set_json(runs.set);
  entry["result"] = std::move(result);
  entry["derived"] = merge_replications(derived);
  return entry;
}

namespace {

// Whether each point meets every goal: adds "goals" ({text: met}) and "meets_goals".
std::vector<bool> mark_goals(const std::vector<Goal>& goals, std::vector<Json>& points) {
  std::vector<bool> meets(points.size(), true);
  if (goals.empty()) return meets;
  for (std::size_t p = 0; p < points.size(); ++p) {
    Json marks = Json::object();
    for (const Goal& g : goals) {
      const bool met = check_goal(g, points[p]).met;
      marks[g.text] = met;
      meets[p] = meets[p] && met;
    }
    // Goals right after the set: what a reader looks for first.
    Json entry = Json::object();
    for (auto& [k, v] : points[p].items()) {
      entry[k] = std::move(v);
      if (k == "set") {
        entry["meets_goals"] = static_cast<bool>(meets[p]);
        entry["goals"] = std::move(marks);
      }
    }
    points[p] = std::move(entry);
  }
  return meets;
}

Json point_ref(const Json& point, std::size_t index) {
  Json j = Json::object();
  j["point"] = static_cast<unsigned long long>(index);
  j["set"] = *point.find("set");
  return j;
}

// The power-tuning verdict of a --vary over a Lambda function's memory: the
// cheapest point (its own cost), the fastest (its mean duration) and the
// balance, the lowest cost x duration product (docs/capacity-planning.md says why).
Json power_tuning(const std::string& function, const std::vector<Json>& points, const std::vector<bool>& meets) {
  const std::string cost_path = "cost.by_service." + function;
  const std::string time_path = "services." + function + ".duration_ms.mean";
  std::optional<std::size_t> cheapest, fastest, balanced;
  std::vector<double> cost(points.size(), 0), time(points.size(), 0);
  for (std::size_t p = 0; p < points.size(); ++p) {
    const Json& r = *points[p].find("result");
    const auto c = number_at(r, cost_path), t = number_at(r, time_path);
    if (!meets[p] || !c || !t) continue;
    cost[p] = *c;
    time[p] = *t;
    if (!cheapest || cost[p] < cost[*cheapest]) cheapest = p;
    if (!fastest || time[p] < time[*fastest]) fastest = p;
    if (!balanced || cost[p] * time[p] < cost[*balanced] * time[*balanced]) balanced = p;
  }
  Json v = Json::object();
  v["function"] = function;
  v["rule"] = fmt::format("cheapest: lowest {}; fastest: lowest {}; balanced: lowest product of the two", cost_path,
                          time_path);
  const auto ref = [&](const std::optional<std::size_t>& p) {
    if (!p) return Json();
    Json j = point_ref(points[*p], *p);
    j["cost_usd"] = cost[*p];
    j["duration_ms"] = time[*p];
    return j;
  };
  v["cheapest"] = ref(cheapest);
  v["fastest"] = ref(fastest);
  v["balanced"] = ref(balanced);
  return v;
}

}  // namespace

Json assemble_sweep(const SweepHeader& header, std::vector<Json> points) {
  const std::vector<bool> meets = mark_goals(header.goals, points);
  Json out = Json::object();
  out["sweep"] = header.to_json();

  std::optional<std::size_t> best;
  if (header.search) {
    // The smallest value that meets every goal among those tried.
    for (std::size_t p = 0; p < points.size(); ++p) {
      if (!meets[p]) continue;
      const auto i = points[p].find("index")->as_int();
      if (!best || i < points[*best].find("index")->as_int()) best = p;
    }
  } else if (header.objective) {
    const Objective& o = *header.objective;
    std::optional<double> best_value;
    for (std::size_t p = 0; p < points.size(); ++p) {
      const auto v = number_at(*points[p].find("result"), o.path);
      if (!meets[p] || !v) continue;
      if (!best_value || (o.maximize ? *v > *best_value : *v < *best_value)) best = p, best_value = v;
    }
  }

  Json verdicts = Json::array();
  for (const auto& axis : header.vary) {
    constexpr std::string_view prefix = "services.", suffix = ".memory";
    if (!axis.path.starts_with(prefix) || !axis.path.ends_with(suffix) || points.empty()) continue;
    const std::string function = axis.path.substr(prefix.size(), axis.path.size() - prefix.size() - suffix.size());
    const Json* type = points[0].find("result")->find_path("services." + function + ".type");
    if (type == nullptr || !type->is_string() || type->as_string() != "lambda") continue;
    verdicts.push_back(power_tuning(function, points, meets));
  }

  if (header.objective || header.search) {
    if (best) {
      Json b = point_ref(points[*best], *best);
      b["result"] = *points[*best].find("result");
      out["best"] = std::move(b);
    } else {
      out["best"] = Json();
    }
  }
  if (verdicts.size() > 0) out["power_tuning"] = std::move(verdicts);
  Json list = Json::array();
  for (auto& p : points) list.push_back(std::move(p));
  out["points"] = std::move(list);
  return out;
}

Json run_grid(const SweepHeader& header, const std::vector<PointSet>& sets, const std::vector<Scenario>& scenarios,
              unsigned threads) {
  std::vector<const Scenario*> points;
  std::vector<PointRuns> runs(sets.size());
  std::vector<std::atomic<std::uint32_t>> remaining(sets.size());
  for (std::size_t p = 0; p < sets.size(); ++p) {
    points.push_back(&scenarios[p]);
    runs[p].set = sets[p];
    runs[p].expect = scenarios[p].expect;
    runs[p].replications.resize(scenarios[p].replications);
    remaining[p] = scenarios[p].replications;
  }
  // A point is merged by the thread that finishes its last replication, and
  // its per-replication results are dropped then: memory follows the points.
  std::vector<Json> entries(sets.size());
  run_pairs(points, Shard{}, threads, [&](std::size_t p, std::uint32_t r, Json&& result) {
    runs[p].replications[r] = std::move(result);
    if (--remaining[p] > 0) return;
    entries[p] = point_entry(runs[p]);
    runs[p].replications = {};
  });
  return assemble_sweep(header, std::move(entries));
}

Json run_search(const SweepHeader& header, const PointLoader& load, unsigned threads) {
  const SearchRange& range = *header.search;
  std::vector<Json> tried;
  const auto meets = [&](std::uint64_t i) {
    const PointSet set{{range.path, range.value(i)}};
    const Scenario sc = load(set);
    PointRuns runs;
    runs.set = set;
    runs.expect = sc.expect;
    runs.replications.resize(sc.replications);
    run_pairs({&sc}, Shard{}, threads,
              [&](std::size_t, std::uint32_t r, Json&& result) { runs.replications[r] = std::move(result); });
    Json entry = Json::object();
    Json merged = point_entry(runs);
    for (auto& [k, v] : merged.items()) {
      entry[k] = std::move(v);
      if (k == "set") entry["index"] = static_cast<unsigned long long>(i);
    }
    bool all = true;
    for (const Goal& g : header.goals) all = all && check_goal(g, entry).met;
    tried.push_back(std::move(entry));
    return all;
  };
  bisect_smallest(range.count, meets);
  return assemble_sweep(header, std::move(tried));
}

const Json* best_point(const Json& sweep) {
  const Json* b = sweep.find("best");
  return b != nullptr && b->is_object() ? b : nullptr;
}

Json sweep_without_wall_clock(const Json& sweep) {
  Json copy = sweep;
  for (auto& [k, v] : copy.items()) {
    if (k == "best" && v.is_object()) v["result"] = without_wall_clock(*v.find("result"));
    if (k != "points") continue;
    for (auto& p : v.elements()) p["result"] = without_wall_clock(*p.find("result"));
  }
  return copy;
}

}  // namespace slsim
