// `slsim compare BASE.json NEW.json`: reads two results and prints the verdict
// of every metric (sim/analysis/compare.hpp); exit 1 on a regression.
#include <charconv>
#include <cmath>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "sim/analysis/compare.hpp"
#include "sim/cli/commands.hpp"
#include "sim/report/json_read.hpp"
#include "sim/scenario/input_file.hpp"

namespace slsim::cli {

namespace {

struct CompareArgs {
  std::string base, now, tolerance, json_out;
  std::vector<std::string> metrics;
  bool strict = false, quiet = false;
};

Json load_result(const std::string& path) {
  const FileText file = read_input_file(path, kMaxDataFileBytes);
  if (!file.text) input_error(path, "cannot read the result: " + file.error);
  Json out;
  JsonReadError error;
  if (!read_json(*file.text, out, error)) {
    Diagnostics d;
    SourceLoc loc;
    loc.origin = std::make_shared<const std::string>(path);
    loc.line = error.line;
    loc.column = error.column;
    d.error(loc, "", "not valid JSON: " + error.message,
            "compare the files that `slsim run --json` or `slsim sweep --json` writes");
    throw InputError(d);
  }
  return out;
}

// "5%" or a fraction (0.05); a bare number above 1 is most likely a percentage without its sign.
double parse_tolerance(const std::string& text) {
  std::string_view t = text;
  const bool percent = t.ends_with('%');
  if (percent) t.remove_suffix(1);
  double v = 0;
  const auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (t.empty() || ec != std::errc{} || ptr != t.data() + t.size() || !(v >= 0) || !std::isfinite(v))
    input_error("--tolerance " + text,
                fmt::format("expected a relative tolerance, a fraction (0.05) or a percentage (5%), found '{}'", text));
  if (!percent && v > 1)
    input_error("--tolerance " + text,
                fmt::format("a fraction above 1 allows more than 100%: {} would allow {:g}%", text, v * 100),
                fmt::format("for {} percent write {}%", text, text));
  return percent ? v / 100 : v;
}

int run_compare(const CompareArgs& args) {
  CompareOptions options;
  if (!args.tolerance.empty()) options.tolerance = parse_tolerance(args.tolerance);
  options.metrics = args.metrics;
  options.strict = args.strict;
  const Json base = load_result(args.base);
  const Json now = load_result(args.now);
  Comparison c;
  try {
    c = compare_results(base, now, options, args.base, args.now);
  } catch (const CompareInputError& e) {
    input_error(e.origin.empty() ? "slsim compare" : e.origin, e.message, e.hint);
  }
  if (!args.json_out.empty() && !write_text(args.json_out, comparison_json(c, options, args.base, args.now).dump(2)))
    input_error(args.json_out, "cannot write the comparison JSON here");
  if (!args.quiet) (args.json_out == "-" ? std::cerr : std::cout) << format_comparison(c, options, args.base, args.now);
  return c.failed(options) ? kExitExpectationFailed : kExitOk;
}

}  // namespace

Command add_compare_command(CLI::App& app) {
  auto args = std::make_shared<CompareArgs>();
  CLI::App* cmd = app.add_subcommand(
      "compare", "compare two results metric by metric (exit 1 on a regression, 2 on bad input)");
  cmd->add_option("base", args->base, "the reference result JSON (slsim run --json, or a sweep's)")->required();
  cmd->add_option("new", args->now, "the result JSON to judge against it")->required();
  cmd->add_option("--tolerance", args->tolerance,
                  "relative difference that still counts as the same: 5% or 0.05 (default 0: exact)");
  cmd->add_option("--metrics", args->metrics,
                  "compare only metrics matching this glob, e.g. 'workloads.*.latency_ms.p99' or cost (repeatable)");
  cmd->add_flag("--strict", args->strict,
                "fail on any difference beyond the tolerance and intervals, and on missing or added metrics");
  cmd->add_option("--json", args->json_out, "write the verdicts as JSON to this file, or - for stdout");
  cmd->add_flag("--quiet,-q", args->quiet, "do not print the table");
  return {cmd, [args] { return run_compare(*args); }};
}

}  // namespace slsim::cli
