// `slsim merge PART...`: joins the part files of a sharded sweep into the
// sweep's JSON, table and CSV, the same as one process gives.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "sim/analysis/sweep.hpp"
#include "sim/cli/commands.hpp"
#include "sim/cli/sweep_output.hpp"
#include "sim/report/json_read.hpp"
#include "sim/scenario/input_file.hpp"

namespace slsim::cli {

namespace {

// A part holds every result of its shard: far larger than a scenario.
constexpr std::size_t kMaxPartBytes = std::size_t{4} << 30;

struct MergeArgs {
  std::vector<std::string> parts;
  SweepOutputs outputs;
};

int run_merge(const MergeArgs& a) {
  std::vector<std::pair<std::string, Json>> parts;
  for (const auto& file : a.parts) {
    FileText f = read_input_file(file, kMaxPartBytes);
    if (!f.text) input_error(file, f.missing ? "cannot read the file (does it exist?)" : "this path " + f.error);
    JsonParseResult parsed = parse_json(*f.text);
    if (!parsed.error.empty())
      input_error(file, "not a sweep part file: it is not JSON (" + parsed.error + ")",
                  "part files are written by slsim sweep ... --shard K/N --json FILE");
    f.text.reset();
    parts.emplace_back(file, std::move(parsed.value));
  }
  return emit_sweep(merge_parts(parts), a.outputs);
}

}  // namespace

Command add_merge_command(CLI::App& app) {
  auto a = std::make_shared<MergeArgs>();
  CLI::App* cmd = app.add_subcommand("merge", "join the part files of a sharded sweep (slsim sweep --shard K/N)");
  cmd->add_option("parts", a->parts, "the part files, one per shard, in any order")->required();
  cmd->add_option("--json", a->outputs.json_out, "write the sweep JSON to this file, or - for stdout");
  cmd->add_option("--csv", a->outputs.csv_out, "write one row per point with the table's figures to this file");
  cmd->add_option("--report", a->outputs.report_out, "write the sweep's self-contained HTML report to this file");
  cmd->add_flag("--quiet,-q", a->outputs.quiet, "do not print the table");
  return {cmd, [a] { return run_merge(*a); }};
}

}  // namespace slsim::cli
