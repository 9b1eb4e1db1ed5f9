// `slsim import`: template -> evaluated template -> draft -> scenario text,
// which is then loaded like any scenario; what the loader refuses is reported
// at the template's line the value came from.
#include <filesystem>

#include <fmt/format.h>

#include "models/import/builder.hpp"
#include "sim/scenario/input_file.hpp"
#include "sim/scenario/registry.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/scenario/template_import.hpp"

namespace slsim {

namespace {

// A diagnostic about the generated scenario, said where its value came from in the template.
Diagnostic relocated(const Diagnostic& d, const cfn::Written& w) {
  if (d.loc.line <= 0 || static_cast<std::size_t>(d.loc.line) >= w.origins.size()) return d;
  const cfn::Origin& o = w.origins[static_cast<std::size_t>(d.loc.line)];
  if (!o.loc.origin) return d;
  Diagnostic out = d;
  out.loc = o.loc;
  out.path = o.path;
  if (!d.path.empty()) out.message += fmt::format(" (imported as {})", d.path);
  return out;
}

void add(Diagnostics& to, const Diagnostic& d) {
  if (d.severity == Severity::error)
    to.error(d.loc, d.path, d.message, d.hint);
  else
    to.warning(d.loc, d.path, d.message, d.hint);
}

std::vector<std::string> listed(const std::string& title, const std::vector<std::string>& items) {
  if (items.empty()) return {};
  std::vector<std::string> out = {title};
  for (const auto& i : items) out.push_back("  - " + i);
  return out;
}

}  // namespace

ImportedScenario import_aws_template_text(const std::string& text, const std::string& origin,
                                          const std::string& output_name) {
  const cfn::Template t = cfn::read_template(text, origin);
  Diagnostics diags;
  cfn::Builder builder(t, diags);
  const bool to_file = !output_name.empty() && output_name.front() != '<';
  cfn::Draft draft = builder.build(std::filesystem::path(to_file ? output_name : origin).stem().string());
  if (diags.has_errors()) throw InputError(diags);
  ImportedScenario out;
  out.resources = t.resources.size();
  out.services = builder.service_count();
  out.workloads = builder.workload_count();
  out.todo = builder.notes().todo;
  out.skipped = builder.notes().skipped;
  out.assumed = t.assumptions;
  out.assumed.insert(out.assumed.end(), builder.notes().assumed.begin(), builder.notes().assumed.end());
  if (out.services == 0) {
    SourceLoc loc;
    loc.origin = std::make_shared<const std::string>(origin);
    diags.error(loc, "",
                fmt::format("none of the template's {} resource{} is a service slsim models (functions, queues, "
                            "topics, tables, buckets, streams, APIs)",
                            out.resources, out.resources == 1 ? "" : "s"),
                out.skipped.empty() ? std::string{} : out.skipped.front());
    throw InputError(diags);
  }
  draft.header = {
      fmt::format("Imported from {} by slsim import ({} template).", origin, t.sam ? "an AWS SAM" : "a CloudFormation"),
      "A template tells how the services are configured and wired, not how much traffic they get",
      "nor how long their handlers run: each value marked TODO is a placeholder to replace."};
  for (auto* part : {&out.skipped, &out.assumed}) {
    const auto lines = listed(part == &out.skipped ? "Not imported:" : "Assumed:", *part);
    draft.header.insert(draft.header.end(), lines.begin(), lines.end());
  }
  const cfn::Written written = cfn::write_draft(draft);
  out.yaml = written.text;
  try {
    const Scenario sc = load_scenario_text(written.text, output_name, builtin_services());
    for (const Diagnostic& d : sc.warnings.all()) add(out.warnings, relocated(d, written));
  } catch (const InputError& e) {
    // Nothing is written: what does not come from the template has no line to point at.
    Diagnostics mapped;
    for (const Diagnostic& d : e.diagnostics().all()) {
      Diagnostic r = relocated(d, written);
      if (r.loc.origin == d.loc.origin) r.loc.line = r.loc.column = 0;
      add(mapped, r);
    }
    throw InputError(mapped);
  }
  return out;
}

ImportedScenario import_aws_template(const std::string& path, const std::string& output_name) {
  const FileText file = read_input_file(path, kMaxScenarioBytes);
  if (!file.text) {
    Diagnostics d;
    SourceLoc loc;
    loc.origin = std::make_shared<const std::string>(path);
    d.error(loc, "", file.missing ? "cannot read the file (does it exist?)" : "this path " + file.error);
    throw InputError(d);
  }
  return import_aws_template_text(*file.text, path, output_name);
}

}  // namespace slsim
