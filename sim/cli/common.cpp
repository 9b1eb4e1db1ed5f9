#include "sim/cli/common.hpp"

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

#include <fmt/format.h>

#include "sim/analysis/replications.hpp"
#include "sim/report/result.hpp"
#include "sim/scenario/units.hpp"

namespace slsim::cli {

// Bad input found by the command line itself, in the loader's format.
[[noreturn]] void input_error(const std::string& origin, std::string message, std::string hint) {
  Diagnostics d;
  SourceLoc loc;
  loc.origin = std::make_shared<const std::string>(origin);
  d.error(loc, "", std::move(message), std::move(hint));
  throw InputError(d);
}

namespace {

// A scenario read from standard input (`-`) is at most this long.
constexpr std::size_t kMaxStdinBytes = 16u << 20;

std::string read_stdin() {
  std::string text;
  char buffer[65536];
  while (std::cin.read(buffer, sizeof buffer) || std::cin.gcount() > 0) {
    text.append(buffer, static_cast<std::size_t>(std::cin.gcount()));
    if (text.size() > kMaxStdinBytes)
      input_error("<stdin>", fmt::format("the scenario on standard input is longer than the limit of {} MB",
                                         kMaxStdinBytes >> 20));
  }
  return text;
}

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

}  // namespace

// `-` is standard input (relative file names in it resolve from the current directory).
Scenario load_input(const std::string& file, const LoadOptions& options) {
  if (file == "-") return load_scenario_text(read_stdin(), "<stdin>", builtin_services(), options);
  return load_scenario(file, builtin_services(), options);
}

std::string shown_name(const std::string& file) { return file == "-" ? "<stdin>" : file; }

std::string read_standard_input() { return read_stdin(); }

// The scenario files named on the command line: a directory stands for the
// .yaml and .yml files in it (sorted) when the command takes several, and is
// an error otherwise; `-` (standard input) may appear once.
std::vector<std::string> scenario_files(const std::vector<std::string>& args, const std::string& command,
                                        bool several) {
  namespace fs = std::filesystem;
  std::vector<std::string> out;
  bool stdin_used = false;
  for (const auto& arg : args) {
    if (arg == "-") {
      if (stdin_used) input_error("-", "standard input can be read once", "give '-' once");
      stdin_used = true;
      out.push_back(arg);
      continue;
    }
    std::error_code ec;
    if (!fs::is_directory(arg, ec)) {
      out.push_back(arg);
      continue;
    }
    if (!several)
      input_error(arg, fmt::format("a directory, but {} takes one scenario file", command),
                  fmt::format("to load every scenario in it: slsim validate {}", arg));
    std::vector<std::string> found;
    // Recursive: the bundled library is grouped in folders (directory symlinks are not followed).
    for (auto it = fs::recursive_directory_iterator(arg, ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec)) {
      const auto ext = it->path().extension();
      if ((ext == ".yaml" || ext == ".yml") && it->is_regular_file(ec)) found.push_back(it->path().string());
    }
    if (ec) input_error(arg, fmt::format("cannot list the directory: {}", ec.message()));
    if (found.empty()) input_error(arg, "a directory with no scenario files (*.yaml, *.yml) in it or below it");
    std::sort(found.begin(), found.end());
    out.insert(out.end(), found.begin(), found.end());
  }
  return out;
}

void print_warnings(const Scenario& sc) {
  std::cerr << sc.warnings.str();
}

RunOutcome run_loaded(const Scenario& sc, unsigned threads, SimTime series_interval, bool latency) {
  ProgressBar bar;
  ReplicationOptions options;
  options.threads = threads;
  options.on_progress = [&bar](double f) { bar.update(f); };
  std::vector<TimeSeries> series;
  if (series_interval > 0) {
    options.series_interval = series_interval;
    options.series = &series;
  }
  std::vector<std::vector<LatencyHistogram>> histograms;
  if (latency) options.latency = &histograms;
  RunOutcome out;
  out.result = run_replications(sc, options);
  if (series_interval > 0) out.series = merge_time_series(series);
  out.latency = merge_latency(histograms);
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

// --set overrides, then the options that set one top-level value each.
LoadOptions load_options(const std::vector<std::string>& sets, const RunFlags& flags) {
  LoadOptions options;
  options.overrides = sets;
  if (!flags.seed.empty()) options.options.push_back({"--seed", "seed", flags.seed});
  if (!flags.duration.empty()) options.options.push_back({"--duration", "duration", flags.duration});
  if (!flags.replications.empty()) options.options.push_back({"--replications", "replications", flags.replications});
  return options;
}

LoadOptions lesson_try_options(const LoadOptions& base, const LessonTry& t) {
  LoadOptions options = base;
  options.override_origins.resize(options.overrides.size());
  for (const auto& s : t.sets) {
    options.overrides.push_back(s.assignment);
    options.override_origins.push_back(fmt::format("{} ({})", s.loc.str(), s.path));
  }
  return options;
}

// The interval of `run --csv`: --interval, or one chosen from the window's length.
SimTime series_interval(const Scenario& sc, const RunFlags& flags) {
  if (flags.csv_out == "-" && flags.json_out == "-")
    input_error("--csv -", "the JSON already goes to standard output (--json -)", "write one of them to a file");
  if (flags.interval.empty()) return default_interval(sc.duration);
  const std::string origin = "--interval " + flags.interval;
  const ParsedNumber parsed = parse_duration(flags.interval);
  if (!parsed.value) {
    const std::string suggestion = suggest_duration(flags.interval);
    input_error(origin, fmt::format("expected {}, found '{}'", parsed.expected, echo(flags.interval)),
                parse_plain_number(flags.interval) ? fmt::format("write the unit, e.g. {}s", flags.interval)
                : suggestion.empty()               ? std::string{}
                                                   : fmt::format("did you mean {}?", suggestion));
  }
  if (*parsed.value < 1 || *parsed.value > static_cast<double>(kMaxDuration))
    input_error(origin,
                fmt::format("expected a duration above 0s and at most 3650d, found '{}'", echo(flags.interval)));
  const auto interval = static_cast<SimTime>(*parsed.value);
  const std::uint64_t count = interval_count(sc.duration, interval);
  if (count > kMaxIntervals) {
    const auto limit = static_cast<SimTime>(kMaxIntervals);
    const SimTime shortest = readable_interval((sc.duration + limit - 1) / limit);
    input_error(origin,
                fmt::format("cuts the {} window into {} intervals, more than the limit of {}",
                            format_duration(static_cast<double>(sc.duration)), count, kMaxIntervals),
                fmt::format("use --interval {} or longer", format_duration(static_cast<double>(shortest))));
  }
  return interval;
}

}  // namespace slsim::cli
