#include "sim/cli/cli.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "sim/analysis/insights.hpp"
#include "sim/analysis/replications.hpp"
#include "sim/cli/commands.hpp"
#include "sim/report/html_report.hpp"
#include "sim/report/result.hpp"
#include "sim/scenario/build.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/scenario/topology.hpp"
#include "sim/workload/arrival.hpp"

namespace slsim {

using namespace cli;

namespace {

int cmd_run(const std::string& arg, const std::vector<std::string>& sets, const RunFlags& flags) {
  const std::string file = scenario_files({arg}, "run", false).front();
  // Standard input is read once: the confirming runs of the insights load its text again.
  const std::string stdin_text = file == "-" ? read_standard_input() : std::string{};
  const auto load = [&](const std::vector<std::string>& more_sets) {
    std::vector<std::string> all = sets;
    all.insert(all.end(), more_sets.begin(), more_sets.end());
    LoadOptions options = load_options(all, flags);
    options.expectations = more_sets.empty();  // a fix may change the result's shape under them
    return file == "-" ? load_scenario_text(stdin_text, "<stdin>", builtin_services(), options)
                       : load_scenario(file, builtin_services(), options);
  };
  const Scenario sc = load({});
  print_warnings(sc);
  const std::string& json_out = flags.json_out;
  const bool quiet = flags.quiet;
  const bool report = !flags.report_out.empty();
  if (report && flags.report_out == "-" && (json_out == "-" || flags.csv_out == "-"))
    input_error("--report -", "standard output already takes the JSON or the time series", "write one of them to a file");
  // The report draws the time series too: with --csv its interval, else a readable default.
  if (!flags.interval.empty() && flags.csv_out.empty() && !report)
    input_error("--interval " + flags.interval, "an interval for the time series, and none is recorded",
                "add --csv FILE (the series as CSV) or --report FILE.html (its charts)");
  const SimTime interval = !flags.csv_out.empty() || report ? series_interval(sc, flags) : 0;
  RunOutcome out = run_loaded(sc, flags.threads == 0 ? default_threads() : flags.threads, interval, report);
  if (!flags.no_insights) {
    // Each fix is confirmed by a short rerun of the same scenario and seed with it applied.
    InsightOptions options;
    options.reload = load;
    out.result["insights"] = find_insights(sc, out.result, options);
  }
  const std::string table = format_table(sc, out.result);
  if (!json_out.empty()) {
    if (!write_text(json_out, out.result.dump(2))) {
      std::cerr << fmt::format("slsim: error: cannot write '{}'\n", json_out);
      return kExitBadInput;
    }
  }
  if (!flags.csv_out.empty() && !write_text(flags.csv_out, time_series_csv(out.series)))
    input_error(flags.csv_out, "cannot write the time series here");
  if (report && !write_text(flags.report_out, html_run_report({sc, out.result, out.series, out.latency})))
    input_error(flags.report_out, "cannot write the HTML report here", "check that the directory exists and is writable");
  const bool stdout_taken = json_out == "-" || flags.csv_out == "-" || flags.report_out == "-";
  if (!quiet) (stdout_taken ? std::cerr : std::cout) << table;
  return out.expectations_pass ? kExitOk : kExitExpectationFailed;
}

int cmd_validate(const std::vector<std::string>& args, const std::vector<std::string>& sets, const RunFlags& flags) {
  int status = kExitOk;
  for (const auto& arg : scenario_files(args, "validate", true)) {
    const std::string f = shown_name(arg);
    try {
      const Scenario sc = load_input(arg, load_options(sets, flags));
      print_warnings(sc);
      // A lesson's what-ifs must load too (standard input cannot be read twice).
      if (arg != "-")
        for (const auto& t : sc.lesson_tries) load_input(arg, lesson_try_options(load_options(sets, flags), t));
      std::cout << fmt::format("{}: ok: '{}' with {} service{}, {} workload{}, {} expectation{}\n", f, sc.name,
                               sc.services.size(), sc.services.size() == 1 ? "" : "s", sc.workloads.size(),
                               sc.workloads.size() == 1 ? "" : "s", sc.expect.size(), sc.expect.size() == 1 ? "" : "s");
    } catch (const InputError& e) {
      std::cerr << e.what();
      status = kExitBadInput;
    }
  }
  return status;
}

int cmd_check(const std::vector<std::string>& args, const std::vector<std::string>& sets, const RunFlags& flags) {
  const std::vector<std::string> files = scenario_files(args, "check", true);
  if (!flags.json_out.empty() && files.size() != 1)
    input_error("--json", fmt::format("the result JSON is written for one scenario, and {} were given", files.size()),
                "check one scenario at a time with --json");
  // With the JSON on standard output, the verdicts go to standard error.
  std::ostream& out = flags.json_out == "-" ? std::cerr : std::cout;
  int status = kExitOk;
  for (const auto& arg : files) {
    const std::string f = shown_name(arg);
    try {
      const Scenario sc = load_input(arg, load_options(sets, flags));
      print_warnings(sc);
      const RunOutcome run = run_loaded(sc, flags.threads == 0 ? default_threads() : flags.threads);
      const Json& ex = *run.result.find("expect");
      std::size_t failed = 0;
      for (const auto& e : ex.elements()) {
        if (e.find("pass")->as_bool()) continue;
        ++failed;
        std::string detail = fmt::format("actual {}", e.find("actual")->dump(-1));
        if (const Json* err = e.find("error")) detail += " - " + err->as_string();
        out << fmt::format("{}: FAIL {} {} {} ({})\n", f, e.find("metric")->as_string(), e.find("op")->as_string(),
                           e.find("value")->dump(-1), detail);
      }
      const Json* balanced = run.result.find_path("accounting.balanced");
      const bool accounting_ok = balanced != nullptr && balanced->as_bool();
      if (!accounting_ok) out << fmt::format("{}: FAIL accounting is not balanced\n", f);
      if (ex.size() == 0)
        out << fmt::format("{}: {} (no expect: block, so only the accounting was checked: {})\n", f,
                           accounting_ok ? "ok" : "FAILED", accounting_ok ? "balanced" : "not balanced");
      else
        out << fmt::format("{}: {} ({} of {} expectations hold{})\n", f,
                           failed == 0 && accounting_ok ? "ok" : "FAILED", ex.size() - failed, ex.size(),
                           accounting_ok ? "" : "; the accounting is not balanced");
      if (!flags.json_out.empty() && !write_text(flags.json_out, run.result.dump(2)))
        input_error(flags.json_out, "cannot write the result JSON here");
      if ((failed > 0 || !accounting_ok) && status == kExitOk) status = kExitExpectationFailed;
    } catch (const InputError& e) {
      std::cerr << e.what();
      status = kExitBadInput;
    }
  }
  return status;
}

int cmd_graph(const std::string& arg, const std::vector<std::string>& sets) {
  const std::string file = scenario_files({arg}, "graph", false).front();
  LoadOptions options;
  options.overrides = sets;
  const Scenario sc = load_input(file, options);
  print_warnings(sc);
  std::cout << Topology(sc).dot(sc.name);
  return kExitOk;
}

// What `slsim docs TOPIC` accepts besides the service types: the parts of a
// scenario, each with its declared schema(s).
std::vector<std::pair<std::string, std::vector<const Schema*>>> docs_topics(const Schema& top) {
  std::vector<const Schema*> arrivals;
  for (const auto& [name, schema] : workload_schema().find("arrival")->variants) arrivals.push_back(schema);
  return {{"scenario", {&top}},
          {"account", {builtin_services().account}},
          {"workload", {&workload_schema()}},
          {"arrival", arrivals},
          {"distribution", {&distribution_schema()}},
          {"expect", {&expectation_schema()}},
          {"lesson", {&lesson_schema()}}};
}

std::string docs_text(const std::string& topic) {
  const ServiceRegistry& reg = builtin_services();
  if (!topic.empty()) {
    const Schema top = top_level_schema(reg);
    std::vector<std::string> names;
    for (const auto& [name, schemas] : docs_topics(top)) {
      names.push_back(name);
      if (name != topic) continue;
      std::string out;
      for (const Schema* schema : schemas) out += schema_markdown(*schema, 2);
      return out;
    }
    if (const ServiceType* t = reg.find(topic)) return schema_markdown(*t->schema, 2);
    const std::vector<std::string> types = reg.type_names();
    names.insert(names.end(), types.begin(), types.end());
    input_error("slsim docs", fmt::format("unknown topic '{}' (expected one of {})", topic, quoted_list(names)),
                did_you_mean(topic, names));
  }
  std::string out = "# slsim scenario parameters\n\n"
                    "Generated by `slsim docs` from the parameters each part declares; do not edit by hand.\n"
                    "Durations, rates and sizes carry units; docs/scenario-format.md explains the values and\n"
                    "shows an example of every part.\n\n";
  // The top level's table already holds account, workloads (with the arrival
  // processes) and lesson: only the parts it does not expand get their own section.
  out += schema_markdown(top_level_schema(reg), 2);
  out += schema_markdown(distribution_schema(), 2);
  out += schema_markdown(expectation_schema(), 2);
  out += "## Service types\n\n";
  for (const auto& t : reg.types) {
    out += fmt::format("`{}`: {}. Operations: {}.\n\n", t.name, t.summary, t.ops.empty() ? "none" : quoted_list(t.ops));
    out += schema_markdown(*t.schema, 3);
  }
  return out;
}

}  // namespace

int slsim_main(int argc, char** argv) {
  CLI::App app{"slsim: a discrete-event simulator of serverless architectures"};
  app.set_version_flag("--version", std::string("slsim ") + kSlsimVersion);
  app.require_subcommand(1);

  std::string file, format = "dot", doc_type;
  std::vector<std::string> files, sets;
  RunFlags flags;

  const auto add_set = [&sets](CLI::App* cmd) {
    cmd->add_option("--set", sets, "override a value by its dotted path: PATH=VALUE (repeatable)");
  };
  const auto add_values = [&flags](CLI::App* cmd) {
    cmd->add_option("--seed", flags.seed, "random seed (overrides the scenario's)");
    cmd->add_option("--duration", flags.duration, "measured simulated time, e.g. 10min (overrides the scenario's)");
    cmd->add_option("--replications", flags.replications,
                    "independent replications; >1 reports means and 95% confidence half-widths (ci95)");
  };
  const auto add_running = [&flags](CLI::App* cmd) {
    cmd->add_option("--threads", flags.threads, "threads for replications (default: one per core)")
        ->check(CLI::Range(1u, 1024u));
    cmd->add_option("--json", flags.json_out, "write the result JSON to this file, or - for stdout");
  };
  const std::string one_file = "scenario YAML file, or - for standard input";
  const std::string many_files =
      "scenario files; a directory stands for the *.yaml and *.yml files in it, - for standard input";

  CLI::App* run = app.add_subcommand("run", "run a scenario and print its results");
  run->add_option("file", file, one_file)->required();
  add_values(run);
  add_running(run);
  add_set(run);
  run->add_flag("--quiet,-q", flags.quiet, "do not print the table");
  run->add_flag("--no-insights", flags.no_insights,
                "find no insights (and so make no confirming runs); the JSON then has no insights key");
  run->add_option("--csv", flags.csv_out,
                                     "write a time series (time_s,service,metric,value) to this file, or - for stdout");
  run->add_option("--interval", flags.interval,
                  "the time series' interval (--csv, --report), e.g. 10s (default: a readable size giving 80 to 200 "
                  "intervals)");
  run->add_option("--report", flags.report_out,
                  "write a self-contained HTML report (charts as inline SVG) to this file, or - for stdout");

  CLI::App* validate = app.add_subcommand("validate", "load and check scenarios without running them");
  validate->add_option("files", files, many_files)->required();
  add_values(validate);
  add_set(validate);

  CLI::App* check = app.add_subcommand(
      "check", "run scenarios and verify their expect: blocks and accounting (exit 1 on failure)");
  check->add_option("files", files, many_files)->required();
  add_values(check);
  add_running(check);
  add_set(check);

  CLI::App* graph = app.add_subcommand("graph", "print the service topology as Graphviz DOT");
  graph->add_option("file", file, one_file)->required();
  graph->add_option("--format", format, "output format")->check(CLI::IsMember({"dot"}));
  add_set(graph);

  std::string topics;
  for (const auto& [name, schemas] : docs_topics(top_level_schema(builtin_services()))) topics += name + ", ";
  CLI::App* docs = app.add_subcommand("docs", "print the parameter reference (Markdown), generated from the declarations");
  docs->add_option("topic", doc_type,
                   "only this part: " + topics + "or a service type (" +
                       fmt::format("{}", fmt::join(builtin_services().type_names(), ", ")) + ")");

  // Subcommands in files of their own (commands.hpp), in help order.
  const std::vector<Command> commands = {add_sweep_command(app), add_merge_command(app), add_analyze_command(app),
                                         add_compare_command(app), add_import_command(app),
                                         add_lesson_command(app)};

  // An unknown subcommand, said as such (CLI11 would call it an unexpected argument).
  if (argc > 1 && argv[1][0] != '-') {
    const std::string first = argv[1];
    std::vector<std::string> names;
    for (const CLI::App* sub : app.get_subcommands({})) names.push_back(sub->get_name());
    if (std::find(names.begin(), names.end(), first) == names.end()) {
      Diagnostics d;
      SourceLoc loc;
      loc.origin = std::make_shared<const std::string>("slsim");
      d.error(loc, "", fmt::format("unknown subcommand '{}' (expected one of {})", first, quoted_list(names)),
              did_you_mean(first, names));
      std::cerr << d.str();
      return kExitBadInput;
    }
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? kExitOk : kExitBadInput;
  }

  try {
    if (*run) return cmd_run(file, sets, flags);
    if (*validate) return cmd_validate(files, sets, flags);
    if (*check) return cmd_check(files, sets, flags);
    if (*graph) return cmd_graph(file, sets);
    for (const Command& c : commands)
      if (*c.app) return c.run();
    if (*docs) {
      std::cout << docs_text(doc_type);
      return kExitOk;
    }
  } catch (const InputError& e) {
    std::cerr << e.what();
    return kExitBadInput;
  }
  return kExitOk;
}

}  // namespace slsim
