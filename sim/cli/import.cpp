// `slsim import TEMPLATE [-o SCENARIO]`: a scenario from an AWS SAM or
// CloudFormation template (the translation is in models/import/).
#include <iostream>
#include <memory>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "sim/cli/commands.hpp"
#include "sim/scenario/template_import.hpp"

namespace slsim::cli {

namespace {

struct ImportOptions {
  std::string file;
  std::string output;
};

void print_list(std::ostream& out, const std::string& title, const std::vector<std::string>& items) {
  if (items.empty()) return;
  out << title << "\n";
  for (const auto& item : items) out << "  - " << item << "\n";
}

int run_import(const ImportOptions& o) {
  const bool to_stdout = o.output.empty() || o.output == "-";
  const ImportedScenario sc = import_aws_template(o.file, to_stdout ? "<stdout>" : o.output);
  std::cerr << sc.warnings.str();
  if (!write_text(to_stdout ? "-" : o.output, sc.yaml)) input_error(o.output, "cannot write the scenario here");
  // With the scenario on standard output, the report goes to standard error.
  std::ostream& report = to_stdout ? std::cerr : std::cout;
  report << fmt::format("slsim import: wrote {} from {}: {} service{} and {} workload{} from {} resource{}\n",
                        to_stdout ? "the scenario" : o.output, o.file, sc.services, sc.services == 1 ? "" : "s",
                        sc.workloads, sc.workloads == 1 ? "" : "s", sc.resources, sc.resources == 1 ? "" : "s");
  print_list(report, "To fill in (each is marked TODO in the scenario):", sc.todo);
  print_list(report, "Not imported:", sc.skipped);
  print_list(report, "Assumed:", sc.assumed);
  if (!to_stdout) report << fmt::format("Then: slsim validate {0} && slsim run {0}\n", o.output);
  return kExitOk;
}

}  // namespace

Command add_import_command(CLI::App& app) {
  auto options = std::make_shared<ImportOptions>();
  CLI::App* cmd = app.add_subcommand("import", "write a scenario from an AWS SAM or CloudFormation template (YAML)");
  cmd->add_option("template", options->file, "the template: YAML, with the short forms !Ref, !GetAtt, !Sub...")
      ->required();
  cmd->add_option("-o,--output", options->output, "write the scenario to this file (default: standard output)");
  return {cmd, [options] { return run_import(*options); }};
}

}  // namespace slsim::cli
