// `slsim sweep`: a scenario run over the grid of its --vary values (or a
// bisection with --search), each point with its replications; goals, the best
// point, and shards for running a sweep on several machines
// (docs/capacity-planning.md). The work itself is in sim/analysis/sweep.*.
#include <algorithm>
#include <iostream>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "sim/analysis/html_reports.hpp"
#include "sim/analysis/sweep.hpp"
#include "sim/cli/commands.hpp"
#include "sim/cli/sweep_output.hpp"
#include "sim/scenario/input_file.hpp"

namespace slsim::cli {

namespace {

struct SweepArgs {
  std::string file;
  std::vector<std::string> vary, goals, sets;
  std::string search, minimize, maximize, shard;
  RunFlags flags;
  SweepOutputs outputs;
};

// The scenario's text (read once: every point loads it with its own values).
std::string scenario_text(const std::string& file, const LoadOptions& options) {
  if (file == "-") {
    std::string text;
    char buffer[65536];
    while (std::cin.read(buffer, sizeof buffer) || std::cin.gcount() > 0) {
      text.append(buffer, static_cast<std::size_t>(std::cin.gcount()));
      if (text.size() > kMaxScenarioBytes)
        input_error("<stdin>", fmt::format("the scenario on standard input is longer than the limit of {}",
                                           byte_limit_text(kMaxScenarioBytes)));
    }
    return text;
  }
  FileText f = read_input_file(file, kMaxScenarioBytes);
  if (!f.text) {
    load_input(file, options);  // says why, in the loader's words
    input_error(file, "cannot read the file");
  }
  return *f.text;
}

void check_combinations(const SweepArgs& a) {
  if (a.vary.empty() && a.search.empty())
    input_error("slsim sweep", "nothing to vary: give --vary PATH=V1,V2,... (or --search PATH=LO..HI with --goal)",
                "e.g. slsim sweep FILE --vary services.fn.memory=128MB..3008MB:x2");
  if (!a.vary.empty() && !a.search.empty())
    input_error("--search " + a.search, "--search bisects one value, and cannot be combined with --vary",
                "run one --search per fixed value of the other parameters");
  if (!a.search.empty() && a.goals.empty())
    input_error("--search " + a.search, "a search looks for the smallest value that meets the goals, and none was given",
                "add --goal, e.g. --goal 'workloads.api.throttled<=0'");
  if (!a.minimize.empty() && !a.maximize.empty())
    input_error("--maximize " + a.maximize, "--minimize and --maximize both given", "give one of them");
  if (!a.search.empty() && (!a.minimize.empty() || !a.maximize.empty()))
    input_error("--search " + a.search, "a search recommends the smallest value that meets the goals: it takes no "
                "--minimize or --maximize");
  if (!a.shard.empty()) {
    if (!a.search.empty())
      input_error("--shard " + a.shard, "a search runs one point after another and cannot be sharded");
    if (a.flags.json_out.empty() || a.flags.json_out == "-")
      input_error("--shard " + a.shard, "a shard writes a part file: give it with --json FILE",
                  "then join the parts with: slsim merge PART... --json OUT");
    if (!a.outputs.csv_out.empty())
      input_error("--shard " + a.shard, "a shard has only part of the points: write the CSV with slsim merge --csv");
  }
}

int run_sweep(SweepArgs& a) {
  check_combinations(a);
  const Shard shard = a.shard.empty() ? Shard{} : parse_shard(a.shard);
  const std::string file = scenario_files({a.file}, "sweep", false).front();
  const LoadOptions base_options = load_options(a.sets, a.flags);
  const std::string text = scenario_text(file, base_options);
  const std::string origin = shown_name(file);
  const Scenario base = load_scenario_text(text, origin, builtin_services(), base_options);
  print_warnings(base);

  SweepHeader header;
  header.scenario = base.name;
  header.seed = base.seed;
  header.replications = base.replications;
  for (const auto& v : a.vary) header.vary.push_back(parse_vary(v));
  if (!a.search.empty()) header.search = parse_search(a.search);
  std::set<std::string> goal_texts;
  for (const auto& g : a.goals) {
    if (!goal_texts.insert(g).second) input_error("--goal " + g, "this goal is given twice");
    header.goals.push_back(parse_goal(g));
  }
  Objective objective = default_objective(base);
  if (!a.maximize.empty()) objective = {a.maximize, true};
  if (!a.minimize.empty()) objective.path = a.minimize;
  if (header.search == std::nullopt && (!a.goals.empty() || !a.minimize.empty() || !a.maximize.empty()))
    header.objective = objective;
  check_result_paths(base, header.goals, objective, a.maximize.empty() ? "--minimize" : "--maximize");

  // A varied path may not also be set by --set or by an option of its own.
  std::vector<std::pair<std::string, std::string>> varied;  // path, the option that varies it
  for (const auto& axis : header.vary) varied.emplace_back(axis.path, "--vary " + axis.path + "=" + axis.spec);
  if (header.search) varied.emplace_back(header.search->path, "--search " + header.search->path + "=" + header.search->spec);
  for (const auto& [path, option] : varied) {
    for (const auto& s : a.sets)
      if (s.substr(0, s.find('=')) == path)
        input_error(option, fmt::format("'{}' is also given by --set {}", path, s), "give it in one place");
    for (const auto& o : base_options.options)
      if (o.key == path) input_error(option, fmt::format("'{}' is also given by {}", path, o.option), "give it in one place");
  }

  // Each point: the base options plus its values, named after their --vary in
  // messages. A warning is printed once, however many points give it.
  std::set<std::string> warnings_seen;
  for (const auto& d : base.warnings.all()) warnings_seen.insert(d.str());
  const auto load_point = [&](const PointSet& set) {
    LoadOptions options = base_options;
    options.override_origins.assign(options.overrides.size(), std::string{});
    for (const auto& assignment : set) {
      options.overrides.push_back(assignment.first + "=" + assignment.second);
      const auto it = std::find_if(varied.begin(), varied.end(),
                                   [&](const auto& v) { return v.first == assignment.first; });
      options.override_origins.push_back(fmt::format("{} (the value {})", it->second, assignment.second));
    }
    Scenario sc = load_scenario_text(text, origin, builtin_services(), options);
    for (const auto& d : sc.warnings.all())
      if (warnings_seen.insert(d.str()).second) std::cerr << d.str() << "\n";
    return sc;
  };
  const unsigned threads = a.flags.threads == 0 ? default_threads() : a.flags.threads;

  if (header.search) return emit_sweep(run_search(header, load_point, threads), a.outputs);

  const std::vector<PointSet> sets = sweep_grid(header.vary);
  std::vector<Scenario> scenarios;
  scenarios.reserve(sets.size());
  for (const auto& set : sets) scenarios.push_back(load_point(set));

  if (a.shard.empty()) return emit_sweep(run_grid(header, sets, scenarios, threads), a.outputs);

  PartContext context;
  context.header = header;
  context.shard = shard;
  std::vector<std::string> fingerprinted = a.sets;
  fingerprinted.push_back("--duration=" + a.flags.duration);
  context.scenario_hash = scenario_fingerprint(text, fingerprinted);
  const Json part = run_shard(context, sets, scenarios, threads);
  if (!write_text(a.flags.json_out, part.dump(-1) + "\n"))
    input_error(a.flags.json_out, "cannot write the part file here");
  if (!a.outputs.quiet)
    std::cerr << fmt::format("shard {}/{}: ran {} of the sweep's (point, replication) pairs; wrote {}\n"
                             "join every part with: slsim merge PART... --json OUT\n",
                             shard.index, shard.count, part.find("runs")->size(), a.flags.json_out);
  return kExitOk;
}

}  // namespace

Command add_sweep_command(CLI::App& app) {
  auto a = std::make_shared<SweepArgs>();
  CLI::App* cmd = app.add_subcommand(
      "sweep", "run a scenario over a grid of values (--vary) or bisect one (--search); goals pick the best point");
  cmd->add_option("file", a->file, "scenario YAML file, or - for standard input")->required();
  cmd->add_option("--vary", a->vary,
                  "PATH=V1,V2,... or a range A..B:xF (geometric) / A..B:+S (linear); repeatable: the grid of all "
                  "combinations")
      ->allow_extra_args(false);
  cmd->add_option("--search", a->search,
                  "PATH=LO..HI[:+S]: the smallest value that meets every --goal, by bisection (the goals must "
                  "get easier as the value grows)");
  cmd->add_option("--goal", a->goals,
                  "'PATH<VALUE' (<, <=, >, >=) on a result path; a point meets it when its whole 95% interval does "
                  "(repeatable)")
      ->allow_extra_args(false);
  cmd->add_option("--minimize", a->minimize, "the result path the best point has lowest (default cost.monthly_usd)");
  cmd->add_option("--maximize", a->maximize, "the result path the best point has highest");
  cmd->add_option("--shard", a->shard,
                  "K/N: run only shard K of N of the (point, replication) pairs and write a part file with --json "
                  "(join the parts with slsim merge)");
  cmd->add_option("--seed", a->flags.seed, "random seed (overrides the scenario's)");
  cmd->add_option("--duration", a->flags.duration, "measured simulated time, e.g. 10min (overrides the scenario's)");
  cmd->add_option("--replications", a->flags.replications,
                  "independent replications of every point; >1 gives means and 95% confidence half-widths");
  cmd->add_option("--threads", a->flags.threads, "threads over all points and replications (default: one per core)")
      ->check(CLI::Range(1u, 1024u));
  cmd->add_option("--set", a->sets, "override a value of every point: PATH=VALUE (repeatable)")->allow_extra_args(false);
  cmd->add_option("--json", a->flags.json_out, "write the sweep JSON (a part file with --shard) to this file, or -");
  cmd->add_option("--csv", a->outputs.csv_out, "write one row per point with the table's figures to this file");
  cmd->add_option("--report", a->outputs.report_out,
                  "write a self-contained HTML report (each figure against the varied value, the points) to this file");
  cmd->add_flag("--quiet,-q", a->outputs.quiet, "do not print the table");
  return {cmd, [a] {
            a->outputs.json_out = a->flags.json_out;
            if (!a->shard.empty() && !a->outputs.report_out.empty())
              input_error("--shard " + a->shard, "a shard has only part of the points: write the report with slsim merge --report");
            return run_sweep(*a);
          }};
}

int emit_sweep(const Json& sweep, const SweepOutputs& outputs) {
  if (!outputs.json_out.empty() && !write_text(outputs.json_out, sweep.dump(2)))
    input_error(outputs.json_out, "cannot write the sweep JSON here");
  if (!outputs.csv_out.empty() && !write_text(outputs.csv_out, format_sweep_csv(sweep)))
    input_error(outputs.csv_out, "cannot write the CSV here");
  if (!outputs.report_out.empty() && !write_text(outputs.report_out, html_sweep_report(sweep)))
    input_error(outputs.report_out, "cannot write the HTML report here", "check that the directory exists and is writable");
  if (!outputs.quiet)
    (outputs.json_out == "-" || outputs.report_out == "-" ? std::cerr : std::cout) << format_sweep_table(sweep);
  const Json* goals = sweep.find("sweep")->find("goals");
  return goals != nullptr && best_point(sweep) == nullptr ? kExitExpectationFailed : kExitOk;
}

}  // namespace slsim::cli
