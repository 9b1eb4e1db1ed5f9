// `slsim analyze FILE`: the analytic estimate (sim/analysis/analytic.hpp)
// beside a short simulation of the same scenario, figure by figure.
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "sim/analysis/analytic.hpp"
#include "sim/cli/commands.hpp"

namespace slsim::cli {

namespace {

// Replications when neither the scenario nor the command line asks for more
// than one: enough for a 95% interval.
constexpr std::uint32_t kDefaultReplications = 5;

struct AnalyzeOptions {
  std::string file;
  std::vector<std::string> sets;
  RunFlags flags;
};

int run_analyze(const AnalyzeOptions& o) {
  const std::string file = scenario_files({o.file}, "analyze", false).front();
  Scenario sc = load_input(file, load_options(o.sets, o.flags));
  if (o.flags.replications.empty() && sc.replications == 1) sc.replications = kDefaultReplications;
  print_warnings(sc);
  const AnalyticResult estimate = estimate_scenario(sc);
  const RunOutcome run = run_loaded(sc, o.flags.threads == 0 ? default_threads() : o.flags.threads);
  const std::vector<FigureComparison> rows = compare_with_simulation(sc, estimate, run.result);
  const std::string& json_out = o.flags.json_out;
  if (!json_out.empty() && !write_text(json_out, comparison_json(sc, estimate, rows, run.result).dump(2))) {
    std::cerr << fmt::format("slsim: error: cannot write '{}'\n", json_out);
    return kExitBadInput;
  }
  (json_out == "-" ? std::cerr : std::cout) << comparison_table(sc, estimate, rows);
  return kExitOk;
}

}  // namespace

Command add_analyze_command(CLI::App& app) {
  auto o = std::make_shared<AnalyzeOptions>();
  CLI::App* cmd = app.add_subcommand(
      "analyze", "an analytic estimate (traffic equations, Erlang-B/C, Little's law) beside a short simulation");
  cmd->add_option("file", o->file, "scenario YAML file, or - for standard input")->required();
  cmd->add_option("--seed", o->flags.seed, "random seed (overrides the scenario's)");
  cmd->add_option("--duration", o->flags.duration, "measured simulated time, e.g. 10min (overrides the scenario's)");
  cmd->add_option("--replications", o->flags.replications,
                  fmt::format("replications of the simulation (default: the scenario's, or {} when it runs one)",
                              kDefaultReplications));
  cmd->add_option("--threads", o->flags.threads, "threads for replications (default: one per core)")
      ->check(CLI::Range(1u, 1024u));
  cmd->add_option("--set", o->sets, "override a value by its dotted path: PATH=VALUE (repeatable)");
  cmd->add_option("--json", o->flags.json_out,
                  "write the estimate and the simulated figures side by side as JSON to this file, or - for stdout");
  return {cmd, [o] { return run_analyze(*o); }};
}

}  // namespace slsim::cli
