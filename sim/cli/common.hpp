#pragma once
// What the subcommands of `slsim` share: exit codes, reading scenario files
// (and standard input), bad input said in the loader's format, running a
// loaded scenario with its replications, writing output. Each subcommand
// lives in its own file and registers itself with a Command (commands.hpp).
#include <functional>
#include <string>
#include <vector>

#include "sim/report/json.hpp"
#include "sim/report/time_series.hpp"
#include "sim/scenario/scenario.hpp"

namespace CLI {
class App;
}

namespace slsim::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitExpectationFailed = 1;  // an expectation or a comparison failed
inline constexpr int kExitBadInput = 2;

// Bad input found by the command line itself, in the loader's format (exit 2).
[[noreturn]] void input_error(const std::string& origin, std::string message, std::string hint = {});

// `-` is standard input (relative file names in it resolve from the current directory).
Scenario load_input(const std::string& file, const LoadOptions& options);
std::string shown_name(const std::string& file);
// Standard input, whole (at most 16 MB; longer is bad input).
std::string read_standard_input();
// The scenario files named on the command line: a directory stands for the
// .yaml and .yml files in it (sorted) when the command takes several, and is
// an error otherwise; `-` (standard input) may appear once.
std::vector<std::string> scenario_files(const std::vector<std::string>& args, const std::string& command,
                                        bool several);
void print_warnings(const Scenario& sc);

struct RunOutcome {
  Json result;
  bool expectations_pass = true;
  TimeSeries series;  // with a series interval: the mean over the replications
  // With `latency`: each workload's succeeded latencies over all replications (scenario order).
  std::vector<LatencyHistogram> latency;
};
// Runs the scenario's replications on `threads` threads (a progress bar on a
// terminal); with `series_interval` > 0 each also records a time series, and
// with `latency` the workloads' latency histograms are kept (the HTML report).
RunOutcome run_loaded(const Scenario& sc, unsigned threads, SimTime series_interval = 0, bool latency = false);
unsigned default_threads();
// `path` "-" is standard output. False if the file cannot be written.
bool write_text(const std::string& path, const std::string& text);

// The options of `run` that set one top-level value each, and the output flags.
struct RunFlags {
  std::string seed, duration, replications, json_out;
  std::string csv_out, interval;  // run: the time series (--csv, --interval)
  std::string report_out;         // run, sweep, lesson: the HTML report (--report)
  unsigned threads = 0;  // 0: one per core
  bool quiet = false;
  bool no_insights = false;  // run: no insights (and so no confirming runs)
};
// --set overrides, then the options that set one top-level value each.
LoadOptions load_options(const std::vector<std::string>& sets, const RunFlags& flags);
// The options of a lesson's what-if: `base` plus its overrides (`set`), each
// named after the try in messages ("FILE:12:10 (lesson.try.0.set)").
LoadOptions lesson_try_options(const LoadOptions& base, const LessonTry& t);
// The interval of `run --csv`: --interval, or one chosen from the window's length.
SimTime series_interval(const Scenario& sc, const RunFlags& flags);

// A subcommand defined in its own file: `add` declares it and its options on
// the application and returns it with the function that runs it once parsed.
struct Command {
  CLI::App* app = nullptr;
  std::function<int()> run;
};

}  // namespace slsim::cli
