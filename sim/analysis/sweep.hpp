#pragma once
// Parameter sweeps (docs/capacity-planning.md): the grid of --vary values,
// every (point, replication) pair run on threads, goals checked against each
// point's 95% interval, the recommended point, the power-tuning verdict of a
// Lambda memory sweep, the bisection of --search, and the part files of a
// sharded sweep with their merge. Every output is a function of the pairs'
// results taken in grid order, so neither the thread count nor the shard
// split changes a byte (apart from the wall-clock fields).
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sim/report/json.hpp"
#include "sim/scenario/scenario.hpp"

namespace slsim {

inline constexpr std::size_t kMaxSweepPoints = 10000;

// Bad input in a sweep's options (--vary, --goal, --shard, --search...), in
// the loader's format, naming the option as its origin (exit 2).
[[noreturn]] void option_error(const std::string& origin, std::string path, std::string message,
                               std::string hint = {});

// One --vary: a scenario path and its values, in the order given.
struct VaryAxis {
  std::string path;
  std::string spec;  // the text after '=', as given
  std::vector<std::string> values;
};

// "PATH=V1,V2,...": each comma-separated item (commas inside {}, [] or quotes
// do not split) is a value, or a range "A..B:xF" (geometric) or "A..B:+S"
// (linear) whose values keep A's unit and include B when a step reaches it.
// Throws InputError naming "--vary ARG".
VaryAxis parse_vary(const std::string& arg, std::size_t max_values = kMaxSweepPoints);

// The assignments of one point, in --vary order: (path, value).
using PointSet = std::vector<std::pair<std::string, std::string>>;

// Every combination, the first --vary varying slowest. Throws InputError when
// a path is given twice or the grid has more than `max_points` points.
std::vector<PointSet> sweep_grid(const std::vector<VaryAxis>& axes, std::size_t max_points = kMaxSweepPoints);

// --search PATH=LO..HI or PATH=LO..HI:+S: the values LO, LO+S, ... up to HI
// (S is 1 in LO's unit when not given), never listed in full.
struct SearchRange {
  std::string path;
  std::string spec;
  double first = 0, step = 1;
  std::uint64_t count = 0;
  std::string unit;
  std::string value(std::uint64_t i) const;
};
SearchRange parse_search(const std::string& arg);

// The smallest i in [0, n) for which `meets(i)` holds, assuming that once it
// holds it holds for every larger i; nullopt when it does not hold at n - 1.
// Tries n - 1 first, then bisects: about log2(n) + 1 calls.
std::optional<std::uint64_t> bisect_smallest(std::uint64_t n, const std::function<bool(std::uint64_t)>& meets);

// --goal 'PATH<VALUE' (also <=, >, >=): PATH is a result path.
struct Goal {
  std::string text;  // as given
  std::string path;
  std::string op;
  double value = 0;
};
Goal parse_goal(const std::string& text);

// --minimize PATH / --maximize PATH.
struct Objective {
  std::string path = "cost.monthly_usd";
  bool maximize = false;
};

// What the best point minimizes when neither --minimize nor --maximize is
// given: cost.monthly_usd, or cost.total_usd when the scenario's cost has no
// monthly projection.
Objective default_objective(const Scenario& base);

// --shard K/N: this process runs the pairs whose index in grid order is
// K - 1 modulo N (1 <= K <= N).
struct Shard {
  unsigned index = 1, count = 1;
};
Shard parse_shard(const std::string& text);

// Each goal's and the objective's path must name a number of the result
// (the shape of `base`'s result): InputError with a did-you-mean otherwise.
void check_result_paths(const Scenario& base, const std::vector<Goal>& goals, const Objective& objective,
                        const std::string& objective_option);

// How a point (its sweep entry) stands against a goal: met only when its
// whole 95% interval (mean ± ci95 with replications; the value itself with
// one) is on the right side. A path under derived. names a figure of the
// entry's "derived" object (cost per million requests, throttled and failed
// fractions of each workload), any other one a figure of its result.
struct GoalCheck {
  bool met = false;
  double mean = 0, half_width = 0;  // half_width 0 without replications
  std::string why;                  // when not met
};
GoalCheck check_goal(const Goal& goal, const Json& point);

// What a sweep was asked for: becomes the "sweep" object of the JSON.
struct SweepHeader {
  std::string scenario;  // its name
  std::uint64_t seed = 1;
  std::uint32_t replications = 1;
  std::vector<VaryAxis> vary;
  std::optional<SearchRange> search;
  std::vector<Goal> goals;
  std::optional<Objective> objective;  // set when the best point is asked for
  Json to_json() const;
};

// One point's replications, run: each its own result (in replication order).
struct PointRuns {
  PointSet set;
  std::vector<Expectation> expect;
  std::vector<Json> replications;
};

// Runs (point, replication) pairs on `threads` threads: those of `shard`
// (every pair when shard.count is 1). `done(point, replication, result)` is
// called from worker threads, once per pair, with a result whose non-finite
// numbers are already null (as they read back from a part file).
// A run that reaches max_events throws InputError.
void run_pairs(const std::vector<const Scenario*>& points, const Shard& shard, unsigned threads,
               const std::function<void(std::size_t, std::uint32_t, Json&&)>& done);

// The point's entry of the sweep JSON: {"set", "result", "derived"}, where
// result is what `run --json` gives for it (expect evaluated) and derived
// holds the cost per million requests and each workload's throttled_ratio
// and failed_ratio, computed per replication and merged like the result
// (means, and a ci95 object with replications).
Json point_entry(const PointRuns& runs);

// The sweep JSON: {"sweep": header, "points": [...]} with, when an objective
// is set, "best" ({"point", "set", "result"} or null), and for each --vary of
// a Lambda function's memory a "power_tuning" verdict.
Json assemble_sweep(const SweepHeader& header, std::vector<Json> points);

// The "best" of a sweep JSON, or nullptr.
const Json* best_point(const Json& sweep);

// A copy without the wall-clock fields of any point: what must be
// byte-identical whatever the threads and shards.
Json sweep_without_wall_clock(const Json& sweep);

// Runs every pair of the grid (`scenarios[p]` loaded with `sets[p]`) on
// `threads` threads and returns the sweep JSON.
Json run_grid(const SweepHeader& header, const std::vector<PointSet>& sets, const std::vector<Scenario>& scenarios,
              unsigned threads);

// Bisects header.search for the smallest value that meets every goal,
// loading each value it tries with `load`; the JSON lists the tried points in
// the order tried, each with its "index" in the range.
using PointLoader = std::function<Scenario(const PointSet&)>;
Json run_search(const SweepHeader& header, const PointLoader& load, unsigned threads);

// The human table (points, goals, best, verdicts) and the CSV (one row per point).
std::string format_sweep_table(const Json& sweep);
std::string format_sweep_csv(const Json& sweep);

// Part files of a sharded sweep.
struct PartContext {
  SweepHeader header;
  std::string scenario_hash;  // of the scenario text and the options that change it
  Shard shard;
};
// A fingerprint of the scenario text and the options (FNV-1a, 64-bit, hex).
std::string scenario_fingerprint(const std::string& text, const std::vector<std::string>& parts);
// The part file of `shard`: the header, every point's set and expectations,
// and the results of the pairs this shard ran (runs[p].replications[r] is
// null for the pairs of other shards).
Json part_json(const PartContext& context, const std::vector<PointRuns>& runs);
// Runs the shard's pairs of the grid and returns its part file.
Json run_shard(const PartContext& context, const std::vector<PointSet>& sets, const std::vector<Scenario>& scenarios,
               unsigned threads);
// Joins part files (name, parsed JSON) into the sweep JSON one process gives;
// throws InputError naming the file when they do not belong together.
Json merge_parts(const std::vector<std::pair<std::string, Json>>& parts);

}  // namespace slsim
