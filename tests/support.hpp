#pragma once
// Test helpers: run a scenario given as text and return its result JSON.
#include <cmath>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "sim/report/json.hpp"
#include "sim/report/result.hpp"
#include "sim/scenario/build.hpp"
#include "sim/scenario/scenario.hpp"

namespace slsim::testing {

inline Json run_scenario_text(const std::string& yaml, std::uint64_t replication = 0,
                              const std::vector<std::string>& overrides = {}) {
  LoadOptions o;
  o.overrides = overrides;
  const Scenario sc = load_scenario_text(yaml, "test.yaml", builtin_services(), o);
  BuiltModel m = build_model(sc, replication);
  m.sim->run();
  Json r = collect_result(sc, m, 0.0);
  evaluate_expectations(sc, r);
  return r;
}

// The full diagnostic text of a load that must fail, or "(no error)".
inline std::string load_error(const std::string& text, const LoadOptions& options = {}) {
  try {
    load_scenario_text(text, "t.yaml", builtin_services(), options);
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no error)";
}

// The path of the bundled scenario scenarios/**/STEM.yaml (the library is
// grouped in folders; stems are unique, which tests/CMakeLists.txt checks).
inline std::string bundled_scenario(std::string_view stem) {
  namespace fs = std::filesystem;
  const std::string file = std::string(stem) + ".yaml";
  for (const auto& entry : fs::recursive_directory_iterator(fs::path(SLSIM_SOURCE_DIR) / "scenarios"))
    if (entry.is_regular_file() && entry.path().filename() == file) return entry.path().string();
  return std::string(SLSIM_SOURCE_DIR) + "/scenarios/(no " + file + ")";
}

inline double metric(const Json& r, const std::string& path) {
  const Json* v = r.find_path(path);
  return v != nullptr && v->is_number() ? v->as_double() : std::nan("");
}

inline bool balanced(const Json& r) {
  const Json* b = r.find_path("accounting.balanced");
  return b != nullptr && b->is_bool() && b->as_bool();
}

// Erlang-B blocking probability B(c, A) by the stable recursion.
inline double erlang_b(int servers, double offered_erlangs) {
  double b = 1.0;
  for (int k = 1; k <= servers; ++k) b = offered_erlangs * b / (k + offered_erlangs * b);
  return b;
}

// Erlang-C: the probability that an arrival waits in an M/M/c queue offered
// A < c erlangs, from Erlang-B: C = c B / (c - A (1 - B)).
inline double erlang_c(int servers, double offered_erlangs) {
  const double b = erlang_b(servers, offered_erlangs);
  return servers * b / (servers - offered_erlangs * (1 - b));
}

// Mean and the half-width of a two-sided 99.9% Student-t interval over
// independent replications (t quantiles for 7 and 9 degrees of freedom).
struct Interval {
  double mean = 0;
  double half_width = 0;
};
inline Interval t_interval(const std::vector<double>& xs) {
  const double n = static_cast<double>(xs.size());
  double mean = 0;
  for (double x : xs) mean += x;
  mean /= n;
  double ss = 0;
  for (double x : xs) ss += (x - mean) * (x - mean);
  const double sd = std::sqrt(ss / (n - 1));
  const double t = xs.size() == 8 ? 5.408 : xs.size() == 10 ? 4.781 : 6.0;  // t_{0.9995, n-1}
  return {mean, t * sd / std::sqrt(n)};
}

}  // namespace slsim::testing
