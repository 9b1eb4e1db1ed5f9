#include "sim/cli/cli.hpp"

#include <chrono>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <thread>

#include <unistd.h>
#include <iostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "sim/analysis/replications.hpp"
#include "sim/report/result.hpp"
#include "sim/scenario/build.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/scenario/topology.hpp"
#include "sim/workload/arrival.hpp"

namespace slsim {

namespace {

constexpr int kExitOk = 0;
constexpr int kExitExpectationFailed = 1;
constexpr int kExitBadInput = 2;

void print_warnings(const Scenario& sc) {
  std::cerr << sc.warnings.str();
}

struct RunOutcome {
  Json result;
  bool expectations_pass = true;
};

// A progress bar on stderr, only when stderr is a terminal and the run has
// taken more than a second; redrawn at most ten times a second.
class ProgressBar {
 public:
  ProgressBar() : enabled_(isatty(STDERR_FILENO) == 1), start_(std::chrono::steady_clock::now()) {}
  ~ProgressBar() {
    if (drawn_) std::fputs("\r\033[K", stderr);
  }
  void update(double fraction) {
    if (!enabled_) return;
    const std::lock_guard lock(mutex_);
    const auto now = std::chrono::steady_clock::now();
    if (now - start_ < std::chrono::seconds(1) || now - last_draw_ < std::chrono::milliseconds(100)) return;
    last_draw_ = now;
    drawn_ = true;
    const int width = 40;
    const int filled = static_cast<int>(fraction * width);
    std::fprintf(stderr, "\r[%s%s] %3d%%", std::string(static_cast<std::size_t>(filled), '#').c_str(),
                 std::string(static_cast<std::size_t>(width - filled), ' ').c_str(), static_cast<int>(fraction * 100));
    std::fflush(stderr);
  }

 private:
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_, last_draw_{};
  std::mutex mutex_;
};

RunOutcome run_loaded(const Scenario& sc, unsigned threads) {
  ProgressBar bar;
  ReplicationOptions options;
  options.threads = threads;
  options.on_progress = [&bar](double f) { bar.update(f); };
  RunOutcome out;
  out.result = run_replications(sc, options);
  out.expectations_pass = evaluate_expectations(sc, out.result);
  return out;
}

unsigned default_threads() { return std::max(1u, std::thread::hardware_concurrency()); }

bool write_text(const std::string& path, const std::string& text) {
  if (path == "-") {
    std::cout << text;
    return true;
  }
  std::ofstream f(path, std::ios::binary);
  if (!f) return false;
  f << text;
  return static_cast<bool>(f);
}

struct RunFlags {
  std::string seed, duration, replications, json_out;
  unsigned threads = 0;  // 0: one per core
  bool quiet = false;
};

int cmd_run(const std::string& file, const std::vector<std::string>& sets, const RunFlags& flags) {
  LoadOptions options;
  options.overrides = sets;
  if (!flags.seed.empty()) options.overrides.push_back("seed=" + flags.seed);
  if (!flags.duration.empty()) options.overrides.push_back("duration=" + flags.duration);
  if (!flags.replications.empty()) options.overrides.push_back("replications=" + flags.replications);
  const Scenario sc = load_scenario(file, builtin_services(), options);
  print_warnings(sc);
  const std::string& json_out = flags.json_out;
  const bool quiet = flags.quiet;
  const RunOutcome out = run_loaded(sc, flags.threads == 0 ? default_threads() : flags.threads);
  const std::string table = format_table(sc, out.result);
  if (!json_out.empty()) {
    if (!write_text(json_out, out.result.dump(2))) {
      std::cerr << fmt::format("slsim: error: cannot write '{}'\n", json_out);
      return kExitBadInput;
    }
  }
  if (!quiet) (json_out == "-" ? std::cerr : std::cout) << table;
  return out.expectations_pass ? kExitOk : kExitExpectationFailed;
}

int cmd_validate(const std::vector<std::string>& files, const std::vector<std::string>& sets) {
  int status = kExitOk;
  for (const auto& f : files) {
    try {
      LoadOptions options;
      options.overrides = sets;
      const Scenario sc = load_scenario(f, builtin_services(), options);
      print_warnings(sc);
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

int cmd_check(const std::vector<std::string>& files, const std::vector<std::string>& sets) {
  int status = kExitOk;
  for (const auto& f : files) {
    try {
      LoadOptions options;
      options.overrides = sets;
      const Scenario sc = load_scenario(f, builtin_services(), options);
      print_warnings(sc);
      const RunOutcome out = run_loaded(sc, default_threads());
      const Json& ex = *out.result.find("expect");
      std::size_t failed = 0;
      for (const auto& e : ex.elements()) {
        if (e.find("pass")->as_bool()) continue;
        ++failed;
        std::string detail = fmt::format("actual {}", e.find("actual")->dump(-1));
        if (const Json* err = e.find("error")) detail += " - " + err->as_string();
        std::cout << fmt::format("{}: FAIL {} {} {} ({})\n", f, e.find("metric")->as_string(),
                                 e.find("op")->as_string(), e.find("value")->dump(-1), detail);
      }
      const Json* balanced = out.result.find_path("accounting.balanced");
      if (balanced == nullptr || !balanced->as_bool()) {
        ++failed;
        std::cout << fmt::format("{}: FAIL accounting is not balanced\n", f);
      }
      std::cout << fmt::format("{}: {} ({} of {} expectations hold)\n", f, failed == 0 ? "ok" : "FAILED",
                               ex.size() - (failed > ex.size() ? ex.size() : failed), ex.size());
      if (failed > 0 && status == kExitOk) status = kExitExpectationFailed;
    } catch (const InputError& e) {
      std::cerr << e.what();
      status = kExitBadInput;
    }
  }
  return status;
}

int cmd_graph(const std::string& file, const std::vector<std::string>& sets) {
  LoadOptions options;
  options.overrides = sets;
  const Scenario sc = load_scenario(file, builtin_services(), options);
  print_warnings(sc);
  std::cout << Topology(sc).dot(sc.name);
  return kExitOk;
}

std::string docs_text(const std::string& type_name) {
  const ServiceRegistry& reg = builtin_services();
  if (!type_name.empty()) {
    const ServiceType* t = reg.find(type_name);
    if (t == nullptr) {
      Diagnostics d;
      d.error(SourceLoc{}, "", fmt::format("unknown service type '{}' (types: {})", type_name, quoted_list(reg.type_names())),
              did_you_mean(type_name, reg.type_names()));
      throw InputError(d);
    }
    return schema_markdown(*t->schema, 2);
  }
  std::string out = "# slsim scenario parameters\n\n"
                    "Generated by `slsim docs` from the parameters each part declares; do not edit by hand.\n"
                    "Durations, rates and sizes carry units (see docs/SCENARIO.md in ../shared/design).\n\n";
  out += schema_markdown(top_level_schema(reg), 2);
  out += schema_markdown(*reg.account, 2);
  out += schema_markdown(workload_schema(), 2);
  out += schema_markdown(distribution_schema(), 2);
  out += schema_markdown(expectation_schema(), 2);
  out += schema_markdown(lesson_schema(), 2);
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

  CLI::App* run = app.add_subcommand("run", "run a scenario and print its results");
  run->add_option("file", file, "scenario YAML file")->required();
  run->add_option("--seed", flags.seed, "random seed (overrides the scenario's)");
  run->add_option("--duration", flags.duration, "measured simulated time, e.g. 10min (overrides the scenario's)");
  run->add_option("--replications", flags.replications,
                  "independent replications; >1 reports means and 95% confidence half-widths (ci95)");
  run->add_option("--threads", flags.threads, "threads for replications (default: one per core)")
      ->check(CLI::Range(1u, 1024u));
  run->add_option("--set", sets, "override a value by its dotted path: PATH=VALUE (repeatable)");
  run->add_option("--json", flags.json_out, "write the result JSON to this file, or - for stdout");
  run->add_flag("--quiet,-q", flags.quiet, "do not print the table");

  CLI::App* validate = app.add_subcommand("validate", "load and check scenarios without running them");
  validate->add_option("files", files, "scenario files")->required();
  validate->add_option("--set", sets, "override a value by its dotted path: PATH=VALUE (repeatable)");

  CLI::App* check = app.add_subcommand("check", "run scenarios and verify their expect: blocks (exit 1 on failure)");
  check->add_option("files", files, "scenario files")->required();
  check->add_option("--set", sets, "override a value by its dotted path: PATH=VALUE (repeatable)");

  CLI::App* graph = app.add_subcommand("graph", "print the service topology as Graphviz DOT");
  graph->add_option("file", file, "scenario YAML file")->required();
  graph->add_option("--format", format, "output format")->check(CLI::IsMember({"dot"}));
  graph->add_option("--set", sets, "override a value by its dotted path: PATH=VALUE (repeatable)");

  CLI::App* docs = app.add_subcommand("docs", "print the parameter reference (Markdown), generated from the declarations");
  docs->add_option("type", doc_type, "only this service type");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? kExitOk : kExitBadInput;
  }

  try {
    if (*run) return cmd_run(file, sets, flags);
    if (*validate) return cmd_validate(files, sets);
    if (*check) return cmd_check(files, sets);
    if (*graph) return cmd_graph(file, sets);
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
