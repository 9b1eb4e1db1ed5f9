#pragma once
// `slsim import`: a scenario written from a description of an architecture in
// another format (today AWS SAM and CloudFormation templates). sim/ only
// declares it, as with builtin_services(): models/import/ defines it, since
// reading a template means knowing AWS.
#include <cstddef>
#include <string>
#include <vector>

#include "sim/scenario/diagnostics.hpp"

namespace slsim {

struct ImportedScenario {
  std::string yaml;  // the scenario, which loads (placeholders marked TODO)
  std::size_t resources = 0, services = 0, workloads = 0;
  std::vector<std::string> todo;     // what to fill in: "services.fn.duration: ..."
  std::vector<std::string> skipped;  // what was not imported, and why
  std::vector<std::string> assumed;  // what the import assumed
  Diagnostics warnings;              // the scenario loader's warnings, at the template's lines where they come from
};

// Reads the template at `path` (`output_name` names the scenario in messages
// about placeholders). Throws InputError (file:line:column) for a file that is
// not YAML, not a template, refers to something it does not define, or holds a
// value the scenario cannot take.
ImportedScenario import_aws_template(const std::string& path, const std::string& output_name);
// The same from text; `origin` names the template in messages.
ImportedScenario import_aws_template_text(const std::string& text, const std::string& origin,
                                          const std::string& output_name);

}  // namespace slsim
