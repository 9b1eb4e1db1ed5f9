#include "sim/analysis/replications.hpp"

#include <atomic>
#include <chrono>
#include <cmath>
#include <limits>
#include <map>
#include <string>
#include <utility>
#include <mutex>
#include <optional>
#include <thread>

#include <Eigen/Core>
#include <fmt/format.h>

#include "sim/report/result.hpp"
#include "sim/scenario/build.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/scenario/units.hpp"
#include "sim/workload/workload.hpp"

namespace slsim {

double student_t_975(unsigned df) {
  // Exact table for small df; beyond it a Cornish-Fisher expansion around the
  // normal quantile (error below 1e-5 for df > 30).
  static constexpr double kTable[] = {0,      12.7062, 4.30265, 3.18245, 2.77645, 2.57058, 2.44691, 2.36462,
                                      2.306,  2.26216, 2.22814, 2.20099, 2.17881, 2.16037, 2.14479, 2.13145,
                                      2.11991, 2.10982, 2.10092, 2.09302, 2.08596, 2.07961, 2.07387, 2.06866,
                                      2.0639, 2.05954, 2.05553, 2.05183, 2.04841, 2.04523, 2.04227};
  if (df == 0) return std::nan("");
  if (df <= 30) return kTable[df];
  const double z = 1.959963984540054, n = df;
  const double z3 = z * z * z, z5 = z3 * z * z, z7 = z5 * z * z;
  return z + (z3 + z) / (4 * n) + (5 * z5 + 16 * z3 + 3 * z) / (96 * n * n) +
         (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / (384 * n * n * n);
}

namespace {

// Collects the numeric leaves of a run with their paths, in the order of its
// structure. Runs are matched by path, not position: a leaf that one
// replication reports as null (a ratio of nothing) must not shift the others.
void collect_leaves(const Json& node, const std::string& path, std::vector<std::pair<std::string, double>>& out) {
  if (node.is_number()) {
    out.emplace_back(path, node.as_double());
  } else if (node.is_object()) {
    for (const auto& [k, v] : node.items()) collect_leaves(v, path + "." + k, out);
  } else if (node.is_array()) {
    std::size_t i = 0;
    for (const auto& e : node.elements()) collect_leaves(e, path + "." + std::to_string(i++), out);
  }
}

// Rebuilds `shape` with each numeric leaf replaced by the next value of
// `values`; booleans become the AND over `runs`.
Json rebuild(const Json& shape, const Eigen::VectorXd& values, std::size_t& next,
             const std::vector<const Json*>& bool_sources, std::size_t& next_bool, bool ci) {
  if (shape.is_number()) return Json(values[static_cast<Eigen::Index>(next++)]);
  if (shape.is_bool()) return ci ? Json() : Json(bool_sources[next_bool++]->as_bool());
  if (shape.is_object()) {
    Json out = Json::object();
    for (const auto& [k, v] : shape.items()) {
      Json child = rebuild(v, values, next, bool_sources, next_bool, ci);
      if (ci && child.is_null()) continue;  // ci95 mirrors numbers only
      out[k] = std::move(child);
    }
    return out;
  }
  if (shape.is_array()) {
    Json out = Json::array();
    for (const auto& e : shape.elements()) out.push_back(rebuild(e, values, next, bool_sources, next_bool, ci));
    return out;
  }
  return ci ? Json() : shape;
}

void collect_bools_and(const Json& node, std::vector<bool>& out, std::size_t& i, bool first) {
  if (node.is_bool()) {
    if (first) out.push_back(node.as_bool());
    else if (i < out.size()) out[i] = out[i] && node.as_bool();
    ++i;
  } else if (node.is_object()) {
    for (const auto& [k, v] : node.items()) collect_bools_and(v, out, i, first);
  } else if (node.is_array()) {
    for (const auto& e : node.elements()) collect_bools_and(e, out, i, first);
  }
}

}  // namespace

Json merge_replications(const std::vector<Json>& runs) {
  if (runs.empty()) return Json::object();
  if (runs.size() == 1) return runs[0];
  std::vector<std::pair<std::string, double>> first;
  collect_leaves(runs[0], "", first);
  const auto leaves = static_cast<Eigen::Index>(first.size());
  const auto reps = static_cast<Eigen::Index>(runs.size());
  Eigen::MatrixXd m(reps, leaves);  // one row per replication, one column per metric (NaN: absent or null)
  for (Eigen::Index r = 0; r < reps; ++r) {
    std::vector<std::pair<std::string, double>> leaf;
    collect_leaves(runs[static_cast<std::size_t>(r)], "", leaf);
    const std::map<std::string, double> by_path(leaf.begin(), leaf.end());
    for (Eigen::Index c = 0; c < leaves; ++c) {
      const auto it = by_path.find(first[static_cast<std::size_t>(c)].first);
      m(r, c) = it != by_path.end() ? it->second : std::nan("");
    }
  }
  // Mean and 95% half-width of each column over the replications that have it.
  Eigen::VectorXd mean(leaves), half_width(leaves);
  for (Eigen::Index c = 0; c < leaves; ++c) {
    double sum = 0;
    Eigen::Index n = 0;
    for (Eigen::Index r = 0; r < reps; ++r)
      if (!std::isnan(m(r, c))) sum += m(r, c), ++n;
    mean[c] = n > 0 ? sum / static_cast<double>(n) : std::nan("");
    double ss = 0;
    for (Eigen::Index r = 0; r < reps; ++r)
      if (!std::isnan(m(r, c))) ss += (m(r, c) - mean[c]) * (m(r, c) - mean[c]);
    // Equal values whose mean rounded in its last bit are equal: no spread.
    const double ulp_spread = 4 * std::numeric_limits<double>::epsilon() * std::abs(mean[c]);
    if (ss <= static_cast<double>(n) * ulp_spread * ulp_spread) ss = 0;
    half_width[c] = n > 1 ? std::sqrt(ss / static_cast<double>(n - 1)) * student_t_975(static_cast<unsigned>(n - 1)) /
                                std::sqrt(static_cast<double>(n))
                          : std::nan("");
  }

  std::vector<bool> bools;
  for (std::size_t r = 0; r < runs.size(); ++r) {
    std::size_t i = 0;
    collect_bools_and(runs[r], bools, i, r == 0);
  }
  std::vector<Json> bool_values;
  for (const bool b : bools) bool_values.emplace_back(b);
  std::vector<const Json*> bool_ptrs;
  for (const auto& b : bool_values) bool_ptrs.push_back(&b);

  std::size_t next = 0, next_bool = 0;
  Json merged = rebuild(runs[0], mean, next, bool_ptrs, next_bool, false);
  next = 0;
  next_bool = 0;
  Json ci = rebuild(runs[0], half_width, next, bool_ptrs, next_bool, true);
  // Counts stay readable: the scenario block is identical across replications.
  for (auto& [k, v] : merged.items())
    if (k == "scenario" || k == "version") v = *runs[0].find(k);
  std::erase_if(ci.items(), [](const auto& kv) { return kv.first == "scenario" || kv.first == "version"; });
  merged["ci95"] = std::move(ci);
  return merged;
}

std::vector<LatencyHistogram> merge_latency(const std::vector<std::vector<LatencyHistogram>>& runs) {
  std::vector<LatencyHistogram> out;
  for (const auto& run : runs) {
    if (out.size() < run.size()) out.resize(run.size());
    for (std::size_t w = 0; w < run.size(); ++w) out[w].merge(run[w]);
  }
  return out;
}

Diagnostics event_limit_diagnostic(const Scenario& scenario, const EventLimitReached& e) {
  SourceLoc loc = scenario.max_events_loc;
  if (!loc.origin) loc.origin = std::make_shared<const std::string>(scenario.file);
  const std::uint64_t raised = e.limit() > std::numeric_limits<std::uint64_t>::max() / 10 ? e.limit() : e.limit() * 10;
  Diagnostics d;
  d.error(loc, "max_events",
          fmt::format("the run stopped after {} events, at {} of its {} of simulated time (warm-up included): "
                      "the event limit",
                      e.limit(), fmt::format("{:.3f}s", to_seconds(e.at())),
                      format_duration(static_cast<double>(scenario.warmup + scenario.duration))),
          fmt::format("if the scenario needs more events, raise the limit (max_events: {} in the scenario, or "
                      "--set max_events={}); otherwise look for a runaway: a rate far too high, a retry loop, "
                      "services that call each other",
                      raised, raised));
  return d;
}

Json run_replications(const Scenario& scenario, const ReplicationOptions& options) {
  const unsigned total = scenario.replications;
  std::vector<Json> results(total);
  if (options.series != nullptr) options.series->assign(total, TimeSeries{});
  if (options.latency != nullptr) options.latency->assign(total, {});
  std::atomic<unsigned> next{0};
  // Progress: each replication's own fraction, in percent, summed on report.
  std::vector<std::atomic<int>> percent(total);
  const auto batch_start = std::chrono::steady_clock::now();
  std::mutex error_mutex;
  std::exception_ptr error;
  std::atomic<bool> failed{false};  // once one replication fails, the others start no new one
  const auto worker = [&] {
    for (unsigned r = next++; r < total && !failed; r = next++) {
      try {
        const auto start = std::chrono::steady_clock::now();
        BuiltModel model = build_model(scenario, r);
        std::optional<TimeSeriesSampler> sampler;
        if (options.series != nullptr && options.series_interval > 0) sampler.emplace(model, options.series_interval);
        if (options.on_progress) {
          model.sim->set_progress([&, r](double fraction) {
            percent[r] = static_cast<int>(fraction * 100);
            long sum = 0;
            for (const auto& p : percent) sum += p;
            options.on_progress(static_cast<double>(sum) / (100.0 * total));
          });
        }
        model.sim->run();
        const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        results[r] = collect_result(scenario, model, wall);
        if (sampler) (*options.series)[r] = sampler->take();
        if (options.latency != nullptr)
          for (const Workload* w : model.workloads) (*options.latency)[r].push_back(w->latency());
      } catch (...) {
        failed = true;
        const std::lock_guard lock(error_mutex);
        if (!error) error = std::current_exception();
      }
    }
  };
  const unsigned threads = std::max(1u, std::min(options.threads, total));
  std::vector<std::thread> pool;
  for (unsigned i = 1; i < threads; ++i) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  if (error) {
    try {
      std::rethrow_exception(error);
    } catch (const EventLimitReached& e) {
      throw InputError(event_limit_diagnostic(scenario, e));
    }
  }
  if (error) std::rethrow_exception(error);
  return merge_batch(results, std::chrono::duration<double>(std::chrono::steady_clock::now() - batch_start).count());
}

Json merge_batch(const std::vector<Json>& results, double wall_s) {
  Json merged = merge_replications(results);
  if (results.size() > 1) {
    // Wall-clock fields: the whole batch, not a mean (they are not statistics).
    double events = 0;
    for (const auto& r : results) events += r.find_path("run.events")->as_double();
    Json& run = merged["run"];
    run["events"] = events;
    run["wall_s"] = wall_s;
    run["events_per_s"] = wall_s > 0 ? events / wall_s : 0.0;
    std::erase_if(merged["ci95"].items(), [](const auto& kv) { return kv.first == "run"; });
  }
  return merged;
}

}  // namespace slsim
