#include "sim/scenario/scenario.hpp"

#include <algorithm>
#include <filesystem>
#include <functional>
#include <memory>
#include <set>

#include <fmt/format.h>

#include "sim/analysis/result_shape.hpp"
#include "sim/scenario/document.hpp"
#include "sim/scenario/merge_keys.hpp"
#include "sim/scenario/topology.hpp"
#include "sim/cache/cache_params.hpp"
#include "sim/workload/arrival.hpp"

namespace slsim {

const ServiceType* ServiceRegistry::find(std::string_view name) const {
  for (const auto& t : types)
    if (t.name == name) return &t;
  return nullptr;
}

bool ServiceType::forwards_along(std::string_view op, std::string_view edge) const {
  for (const auto& f : forwards)
    if (f.op == op)
      for (const auto& e : f.edges)
        if (e == edge) return true;
  return false;
}

std::string ServiceType::op_hint(std::string_view op) const {
  if (const Alias* alias = find_alias(op_aliases, op)) return alias->hint;
  for (const auto& o : ops)
    if (same_name(o, op)) return fmt::format("did you mean '{}'?", o);
  return did_you_mean(op, ops);
}

std::vector<std::string> ServiceRegistry::type_names() const {
  std::vector<std::string> out;
  for (const auto& t : types) out.push_back(t.name);
  return out;
}

const ServiceDecl* Scenario::find_service(std::string_view n) const {
  for (const auto& s : services)
    if (s.name == n) return &s;
  return nullptr;
}

std::string LessonTry::set_text() const {
  std::string out;
  for (const auto& s : sets) out += (out.empty() ? "" : "; ") + s.assignment;
  return out;
}

std::size_t Scenario::service_index(std::string_view n) const {
  for (std::size_t i = 0; i < services.size(); ++i)
    if (services[i].name == n) return i;
  return static_cast<std::size_t>(-1);
}

namespace {

ParamSpec spec(std::string name, ParamType type, std::string help) {
  ParamSpec p;
  p.name = std::move(name);
  p.type = type;
  p.help = std::move(help);
  return p;
}

const std::vector<std::string>& comparison_ops() {
  static const std::vector<std::string> ops{"<", "<=", ">", ">=", "==", "between"};
  return ops;
}

// A lesson try's `why:` text split into literal text and placeholders
// {base:PATH}, {now:PATH}, {change:PATH}; {{ and }} are literal braces. Each
// placeholder's metric goes to `metrics` (checked against the result's shape
// once the scenario loads), located at its brace when the text sits on one line.
std::vector<WhyPart> parse_why(const Value& why, Diagnostics& diags, std::vector<Expectation>& metrics) {
  static const std::vector<std::string> forms{"base", "now", "change"};
  const std::string& s = why.text;
  const bool one_line = why.loc.line > 0 && s.find('\n') == std::string::npos;
  const auto at = [&](std::size_t offset) {
    SourceLoc loc = why.loc;
    if (one_line) loc.column += static_cast<int>(offset) + (why.quoted ? 1 : 0);
    return loc;
  };
  const std::string form_list = "{base:PATH}, {now:PATH} or {change:PATH}";
  std::vector<WhyPart> parts;
  std::string literal;
  bool ok = true;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '}') {
      if (i + 1 < s.size() && s[i + 1] == '}') {
        literal += '}';
        ++i;
        continue;
      }
      diags.error(at(i), why.path, "a '}' without its '{'", "write '}}' for a literal brace");
      ok = false;
      continue;
    }
    if (s[i] != '{') {
      literal += s[i];
      continue;
    }
    if (i + 1 < s.size() && s[i + 1] == '{') {
      literal += '{';
      ++i;
      continue;
    }
    const std::size_t close = s.find_first_of("{}", i + 1);
    if (close == std::string::npos || s[close] == '{') {
      diags.error(at(i), why.path,
                  fmt::format("the '{{' of '{}' is not closed: a placeholder is {}",
                              echo(s.substr(i, std::min<std::size_t>(close == std::string::npos ? s.size() - i : close - i, 40))),
                              form_list),
                  "write '{{' for a literal brace");
      ok = false;
      i = close == std::string::npos ? s.size() : close - 1;
      continue;
    }
    const std::string inside = s.substr(i + 1, close - i - 1);
    const std::size_t colon = inside.find(':');
    const std::string form = inside.substr(0, colon);
    WhyPart p;
    if (form == "base") p.kind = WhyPart::Kind::base;
    else if (form == "now") p.kind = WhyPart::Kind::now;
    else if (form == "change") p.kind = WhyPart::Kind::change;
    if (colon == std::string::npos || p.kind == WhyPart::Kind::text) {
      std::string hint = did_you_mean(form, forms);
      if (hint.empty()) hint = "write '{{' for a literal brace";
      diags.error(at(i), why.path, fmt::format("unknown placeholder '{{{}}}': expected {}", echo(inside), form_list),
                  hint);
      ok = false;
      i = close;
      continue;
    }
    p.text = inside.substr(colon + 1);
    if (p.text.empty()) {
      diags.error(at(i), why.path, fmt::format("the placeholder '{{{}}}' names no metric", echo(inside)),
                  fmt::format("e.g. {{{}:workloads.api.throttled}}", form));
      ok = false;
      i = close;
      continue;
    }
    if (!literal.empty()) parts.push_back({WhyPart::Kind::text, std::move(literal)});
    literal.clear();
    Expectation x;
    x.metric = p.text;
    x.path = why.path;
    x.metric_key = why.path;
    x.loc = why.loc;
    x.metric_loc = at(i);
    metrics.push_back(std::move(x));
    parts.push_back(std::move(p));
    i = close;
  }
  if (!literal.empty()) parts.push_back({WhyPart::Kind::text, std::move(literal)});
  if (!ok) {
    metrics.clear();
    return {};
  }
  return parts;
}

}  // namespace

const Schema& expectation_schema() {
  static const Schema s = [] {
    Schema sc;
    sc.name = "expectation";
    sc.help = "An assertion on the result: `metric` and exactly one comparison.";
    ParamSpec metric = spec("metric", ParamType::text, "dotted path into the result JSON");
    metric.required = true;
    sc.params.push_back(metric);
    for (const auto& op : comparison_ops()) {
      if (op == "between") {
        ParamSpec b = spec(op, ParamType::list, "inclusive range [low, high]");
        b.element.push_back(spec("bound", ParamType::number, "a bound"));
        sc.params.push_back(b);
      } else {
        sc.params.push_back(spec(op, ParamType::number, "compare the metric with this number"));
      }
    }
    return sc;
  }();
  return s;
}

const Schema& lesson_check_schema() {
  static const Schema s = [] {
    Schema sc;
    sc.name = "lesson check";
    sc.help = "A machine check of a what-if: `metric` with exactly one comparison against a number (as in "
              "`expect:`), or `than_base` (with `by`) against the base run.";
    sc.params = expectation_schema().params;
    ParamSpec than_base = spec("than_base", ParamType::choice, "the variation's value against the base run's");
    than_base.choices = {"lower", "higher", "same"};
    sc.params.push_back(than_base);
    ParamSpec by = spec("by", ParamType::number,
                        "with than_base: lower/higher by at least this fraction of the base value (0.2 = 20%); "
                        "same: within it");
    by.default_text = "0";
    by.min = 0;
    sc.params.push_back(by);
    return sc;
  }();
  return s;
}

const Schema& lesson_schema() {
  static const Schema s = [] {
    static const Schema try_schema = [] {
      Schema t;
      t.name = "lesson try";
      t.help = "A what-if for the student to run: `slsim lesson` runs the base and the variation and checks them.";
      // One override, or a list of them (a single one is read as a list of one).
      ParamSpec set = spec("set", ParamType::list, "an override PATH=VALUE, or a list of them applied in order");
      set.required = true;
      set.element.push_back(spec("override", ParamType::text, "PATH=VALUE"));
      ParamSpec checks = spec("check", ParamType::list, "machine checks of the effect (`slsim lesson` exits 1 when one fails)");
      ParamSpec check_item = spec("check", ParamType::record, "a check");
      check_item.record = &lesson_check_schema();
      checks.element.push_back(check_item);
      checks.record = &lesson_check_schema();
      ParamSpec why = spec("why", ParamType::text,
                           "the cause in plain words, printed after the figures; {base:PATH}, {now:PATH} and "
                           "{change:PATH} are replaced by the metric PATH of the base run, of the what-if, and its "
                           "relative change; {{ and }} are literal braces");
      t.params = {set, spec("expect", ParamType::text, "what the student should see, in a sentence"), checks, why};
      return t;
    }();
    Schema sc;
    sc.name = "lesson";
    sc.help = "Teaching notes kept with the scenario: the concept, why the run shows it, what-ifs to try.";
    ParamSpec concept_spec = spec("concept", ParamType::text, "the concept in one line");
    concept_spec.required = true;
    ParamSpec exam = spec("exam", ParamType::list, "certification exams the concept belongs to");
    exam.element.push_back(spec("exam", ParamType::text, "an exam code"));
    ParamSpec tries = spec("try", ParamType::list, "what-ifs to run");
    ParamSpec try_item = spec("try", ParamType::record, "a what-if");
    try_item.record = &try_schema;
    tries.element.push_back(try_item);
    tries.record = &try_schema;
    sc.params = {concept_spec, exam, spec("story", ParamType::text, "what the run shows and why"), tries};
    return sc;
  }();
  return s;
}

Schema top_level_schema(const ServiceRegistry& registry) {
  Schema s;
  s.name = "scenario";
  s.help = "The top level of a scenario file.";
  ParamSpec name = spec("name", ParamType::text, "the scenario's name");
  name.required = true;
  ParamSpec duration = spec("duration", ParamType::duration, "simulated time measured after warm-up");
  duration.required = true;
  duration.min = 1;
  duration.max = static_cast<double>(kMaxDuration);
  ParamSpec warmup = spec("warmup", ParamType::duration, "simulated time before measuring; nothing in it counts");
  warmup.default_text = "0s";
  warmup.min = 0;
  warmup.max = static_cast<double>(kMaxDuration);
  ParamSpec seed = spec("seed", ParamType::integer, "random seed");
  seed.default_text = "1";
  seed.min = 0;
  seed.max = 9007199254740992.0;  // 2^53: exact in a double
  ParamSpec replications = spec("replications", ParamType::integer,
                                "independent runs; >1 gives 95% confidence intervals (at most 10000: each one's "
                                "result is kept until they are merged)");
  replications.default_text = "1";
  replications.min = 1;
  replications.max = 10000;
  ParamSpec max_events = spec("max_events", ParamType::integer,
                              "a run (each replication) that would process more events than this stops with an "
                              "error (exit 2) instead of running on: a guard against runaways. The default takes "
                              "about a minute at 20 million events/s");
  max_events.default_text = "1000000000";
  max_events.min = 1;
  max_events.max = 9007199254740992.0;  // 2^53: exact in a double
  ParamSpec region = spec("region", ParamType::text, "selects the price catalog");
  region.default_text = "us-east-1";
  ParamSpec account = spec("account", ParamType::record, "account-wide quotas and settings");
  account.record = registry.account;
  ParamSpec pricing = spec("pricing", ParamType::map, "overrides of price catalog entries (USD)");
  pricing.element.push_back(spec("price", ParamType::number, "a price in USD"));
  pricing.element[0].min = 0;
  pricing.element[0].max = 1e6;  // no AWS price comes near; keeps every cost finite
  ParamSpec workloads = spec("workloads", ParamType::list, "sources of requests (at least one)");
  workloads.required = true;
  ParamSpec workload_item = spec("workload", ParamType::record, "a workload");
  workload_item.record = &workload_schema();
  workloads.element.push_back(workload_item);
  workloads.record = &workload_schema();
  ParamSpec services = spec("services", ParamType::map, "the services, by name");
  services.required = true;
  ParamSpec service_item = spec("service", ParamType::variant, "a service");
  service_item.discriminator = "type";
  for (const auto& t : registry.types) service_item.variants.emplace_back(t.name, t.schema);
  services.element.push_back(service_item);
  ParamSpec expect = spec("expect", ParamType::list, "assertions checked by `slsim check`");
  ParamSpec expect_item = spec("expectation", ParamType::record, "an assertion");
  expect_item.record = &expectation_schema();
  expect.element.push_back(expect_item);
  ParamSpec lesson = spec("lesson", ParamType::record, "teaching notes");
  lesson.record = &lesson_schema();
  ParamSpec description = spec("description", ParamType::text, "what the scenario is about");
  s.params = {name, description, duration, warmup, seed, replications, max_events, region, account, pricing,
              workloads, services, expect, lesson};
  const std::string not_a_template =
      "slsim reads a scenario, not a CloudFormation or SAM template: write each resource under services: "
      "(`slsim docs` lists the types and their keys)";
  s.aliases = {{"AWSTemplateFormatVersion", not_a_template}, {"Resources", not_a_template},
               {"Transform", not_a_template},                {"Globals", not_a_template},
               {"Parameters", not_a_template},               {"Outputs", not_a_template}};
  return s;
}

namespace {

std::string keys_hint_for(const std::string& word, const std::vector<std::string>& names) {
  std::string hint = did_you_mean(word, names);
  return hint.empty() ? "expected one of: " + quoted_list(names) : hint;
}

bool valid_name(std::string_view n) {
  if (n.empty() || n.size() > 64) return false;
  const auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  if (!alpha(n[0])) return false;
  for (const char c : n)
    if (!alpha(c) && !(c >= '0' && c <= '9') && c != '_' && c != '-') return false;
  return true;
}

using ReferenceVisitor = std::function<void(const Value&, const ParamSpec&, const Record&)>;

// Calls f(value, spec, record holding it) for every service reference inside a record, however deep.
void visit_references(const Record& rec, const ReferenceVisitor& f) {
  if (rec.schema == nullptr) return;
  std::function<void(const Value&, const ParamSpec&)> visit = [&](const Value& v, const ParamSpec& s) {
    if (!v.present) return;
    switch (s.type) {
      case ParamType::reference: f(v, s, rec); break;
      case ParamType::record:
      case ParamType::variant:
        if (v.record) visit_references(*v.record, f);
        break;
      case ParamType::list:
        for (const auto& item : v.items) visit(item, s.element.at(0));
        break;
      case ParamType::map:
        for (const auto& [k, item] : v.entries) visit(item, s.element.at(0));
        break;
      default: break;
    }
  };
  for (const auto& p : rec.schema->params) visit(rec.get(p.name), p);
}

// The operation a reference sends to its target, as its declaration says.
std::string edge_operation(const ParamSpec& s, const ServiceType& target, const Record* holder) {
  const std::string fallback = target.ops.empty() ? std::string{} : target.ops.front();
  switch (s.edge_op) {
    case EdgeOp::target_default: return fallback;
    case EdgeOp::target_async: return target.async_op.empty() ? fallback : target.async_op;
    case EdgeOp::fixed: return s.edge_op_name;
    case EdgeOp::from_key:
      if (holder != nullptr && holder->schema != nullptr && holder->schema->find(s.edge_op_name) != nullptr &&
          holder->has(s.edge_op_name))
        return holder->text(s.edge_op_name);
      for (const std::string& op : s.edge_op_prefer)
        if (std::find(target.ops.begin(), target.ops.end(), op) != target.ops.end()) return op;
      return fallback;
  }
  return fallback;
}

std::string types_text(const std::vector<std::string>& types) {
  std::string out;
  for (std::size_t i = 0; i < types.size(); ++i) {
    if (i > 0) out += i + 1 == types.size() ? " or " : ", ";
    out += types[i];
  }
  return out;
}

// Sets a top-level scalar from its own command-line option; messages about it
// name the option ("--duration 10"), not a --set.
void apply_option(DocNode& root, const OptionOverride& o, const std::vector<std::string>& sets, Diagnostics& diags) {
  SourceLoc loc;
  loc.origin = std::make_shared<const std::string>(o.option + " " + o.value);
  loc.from_override = true;
  for (const auto& set : sets) {
    if (set.substr(0, set.find('=')) != o.key) continue;
    diags.error(loc, o.key, fmt::format("both {} and --set {} give '{}'", o.option, set, o.key), "give one of them");
    return;
  }
  if (!root.is_map()) return;  // reported with the document
  DocNode value;
  value.kind = DocNode::Kind::scalar;
  value.scalar = o.value;
  value.loc = loc;
  if (DocNode* existing = root.find(o.key)) {
    *existing = std::move(value);
    return;
  }
  root.entries.emplace_back(o.key, std::move(value));
  root.key_locs.push_back(loc);
}

// Which parts hold a value the schema check rejected (a wrong kind, out of
// range, an unknown service...), from the paths of the errors so far. Such a
// part would give its cross-field checks wrong inputs. Unknown keys do not
// count: they leave every declared value as written.
class RejectedValues {
 public:
  RejectedValues(const Diagnostics& diags, const Scenario& sc, const Schema& top) {
    for (const auto& d : diags.all()) {
      if (d.severity != Severity::error) continue;
      const auto [section, rest] = split(d.path);
      if (section == "account") {
        const ParamSpec* account = top.find("account");
        if (names_a_value(account != nullptr ? account->record : nullptr, rest)) account_ = true;
      } else if (section == "services" && !rest.empty()) {
        const auto [name, inside] = split(rest);
        const ServiceDecl* decl = sc.find_service(name);
        if (names_a_value(decl != nullptr && decl->type != nullptr ? decl->type->schema : nullptr, inside))
          services_.insert(name);
      }
    }
  }
  bool in_account() const { return account_; }
  bool in_service(std::string_view name) const { return services_.find(name) != services_.end(); }

 private:
  static std::pair<std::string, std::string> split(const std::string& path) {
    const auto dot = path.find('.');
    if (dot == std::string::npos) return {path, {}};
    return {path.substr(0, dot), path.substr(dot + 1)};
  }
  // False when `path` (inside a record of `schema`) ends at a key the schemas do
  // not declare: an unknown key, not a rejected value.
  static bool names_a_value(const Schema* schema, std::string path) {
    while (schema != nullptr && !path.empty()) {
      auto [key, rest] = split(path);
      const ParamSpec* p = schema->find(key);
      if (p == nullptr) return false;
      if (rest.empty() || p->record == nullptr) return true;
      if (p->type == ParamType::list || p->type == ParamType::map) rest = split(rest).second;  // the item's label
      schema = p->record;
      path = rest;
    }
    return true;
  }
  bool account_ = false;
  std::set<std::string, std::less<>> services_;
};

Scenario check_document(DocNode root, const std::string& file, const ServiceRegistry& registry,
                        const LoadOptions& options, Diagnostics& diags) {
  resolve_merge_keys(root, diags);
  for (std::size_t i = 0; i < options.overrides.size(); ++i)
    apply_override(root, options.overrides[i], diags,
                   i < options.override_origins.size() ? options.override_origins[i] : std::string{});
  for (const auto& o : options.options) apply_option(root, o, options.overrides, diags);
  Scenario sc;
  sc.file = file;
  sc.registry = &registry;
  const auto parent = std::filesystem::path(file).parent_path();
  sc.base_dir = parent.empty() ? std::string(".") : parent.string();
  // A rejected override leaves the document as written: check it all the same.
  if (!root.is_map()) {
    diags.error(root.loc, "", fmt::format("expected a scenario (a mapping with name, duration, workloads and services), found {}",
                                          root.describe()));
    return sc;
  }
  // A lesson try's `set` is one override or a list of them: one is a list of one.
  if (DocNode* lesson = root.find("lesson"); lesson != nullptr && lesson->is_map())
    if (DocNode* tries = lesson->find("try"); tries != nullptr && tries->is_seq())
      for (auto& t : tries->items)
        if (DocNode* set = t.is_map() ? t.find("set") : nullptr; set != nullptr && set->is_scalar()) {
          DocNode list;
          list.kind = DocNode::Kind::seq;
          list.loc = set->loc;
          list.items.push_back(std::move(*set));
          *set = std::move(list);
        }
  const Schema top = top_level_schema(registry);
  SchemaChecker checker(diags, sc.base_dir);
  const Record r = checker.check_record(root, top, "");

  sc.name = r.text("name");
  sc.description = r.text("description");
  sc.duration = r.duration("duration");
  sc.warmup = r.duration("warmup");
  sc.seed = static_cast<std::uint64_t>(r.integer("seed"));
  sc.replications = static_cast<std::uint32_t>(r.integer("replications"));
  sc.max_events = static_cast<std::uint64_t>(r.integer("max_events"));
  if (r.get("max_events").given) sc.max_events_loc = r.get("max_events").loc;
  sc.region = r.text("region");
  if (!registry.regions.empty()) {
    bool known = false;
    for (const auto& region : registry.regions) known = known || region == sc.region;
    const Value& v = r.get("region");
    if (!known)
      diags.error(v.loc, "region", fmt::format("no price catalog for region '{}' (available: {})", echo(sc.region),
                                               quoted_list(registry.regions)),
                  did_you_mean(sc.region, registry.regions));
  }
  sc.account = r.record("account");
  for (const auto& [k, v] : r.get("pricing").entries) {
    bool known = false;
    for (const auto& item : registry.price_items) known = known || item == k;
    if (!known) {
      diags.error(v.loc, v.path, fmt::format("unknown price item '{}'", echo(k)),
                  registry.price_items.empty() ? std::string("this build's price catalog has no items yet")
                                               : keys_hint_for(k, registry.price_items));
      continue;
    }
    sc.pricing.emplace_back(k, v.number);
  }

  // Services, in file order; their ids follow this order.
  std::vector<std::string> service_names;
  for (const auto& [name, v] : r.get("services").entries) {
    ServiceDecl d;
    d.name = name;
    d.loc = v.loc;
    if (!valid_name(name))
      diags.error(v.loc, "services." + name,
                  fmt::format("'{}' is not a valid service name (letters, digits, '_' and '-', starting with a letter)", echo(name)));
    if (v.record) {
      d.type = registry.find(v.record->variant);
      d.params = *v.record;
    }
    service_names.push_back(name);
    sc.services.push_back(std::move(d));
  }
  if (r.get("services").present && r.get("services").entries.empty())
    diags.error(r.get("services").loc, "services", "expected at least one service");

  // Service references: they must exist and be of a type the parameter accepts.
  const auto check_reference = [&](const std::string& from, const Value& v, const ParamSpec& s, const Record* holder) {
    const ServiceDecl* target = sc.find_service(v.text);
    if (target == nullptr) {
      diags.error(v.loc, v.path, fmt::format("unknown service '{}'", echo(v.text)), did_you_mean(v.text, service_names));
      return;
    }
    if (target->type != nullptr && !s.ref_types.empty()) {
      bool ok = false;
      for (const auto& t : s.ref_types) ok = ok || t == target->type->name;
      if (!ok) {
        diags.error(v.loc, v.path,
                    fmt::format("'{}' is {}, but {} must be {} {}", v.text, a_or_an(target->type->name), s.name,
                                s.ref_types.size() > 1 ? "one of" : "a", types_text(s.ref_types)));
        return;
      }
    }
    sc.edges.push_back({from, v.text, s.edge.empty() ? s.name : s.edge,
                        target->type != nullptr ? edge_operation(s, *target->type, holder) : std::string{}});
  };
  for (const auto& d : sc.services)
    visit_references(d.params,
                     [&](const Value& v, const ParamSpec& s, const Record& holder) { check_reference(d.name, v, s, &holder); });

  // Workloads.
  std::set<std::string, std::less<>> workload_names;
  const Value& workloads = r.get("workloads");
  if (workloads.present && workloads.items.empty())
    diags.error(workloads.loc, "workloads", "expected at least one workload");
  for (const auto& item : workloads.items) {
    if (!item.record) continue;
    WorkloadDecl w;
    w.params = *item.record;
    w.name = w.params.text("name");
    w.loc = item.loc;
    const Value& name_value = w.params.get("name");
    if (name_value.present) {
      if (!valid_name(w.name))
        diags.error(name_value.loc, item.path + ".name",
                    fmt::format("'{}' is not a valid workload name (letters, digits, '_' and '-', starting with a letter)", echo(w.name)));
      else if (!workload_names.insert(w.name).second)
        diags.error(name_value.loc, item.path + ".name", fmt::format("duplicate workload name '{}'", echo(w.name)));
    }
    const Value& target = w.params.get("target");
    if (target.present) {
      const std::size_t errors_before = diags.error_count();
      check_reference("workload:" + w.name, target, *workload_schema().find("target"), nullptr);
      const ServiceDecl* t = sc.find_service(target.text);
      if (diags.error_count() == errors_before && t != nullptr && t->type != nullptr) {
        w.target = sc.service_index(target.text);
        const ServiceType& type = *t->type;
        const Value& op = w.params.get("op");
        if (type.ops.empty()) {
          diags.error(target.loc, target.path,
                      fmt::format("'{}' ({}) does not take requests from a workload", t->name, type.name));
        } else if (op.present) {
          bool ok = false;
          for (const auto& o : type.ops) ok = ok || o == op.text;
          if (!ok)
            diags.error(op.loc, op.path,
                        fmt::format("'{}' ({}) has no operation '{}' (it has {})", t->name, type.name, echo(op.text), quoted_list(type.ops)),
                        type.op_hint(op.text));
          w.op = op.text;
        } else {
          w.op = type.ops.front();
        }
        const Value& route = w.params.get("route");
        if (route.present && !type.routes) {
          diags.error(route.loc, route.path, fmt::format("'{}' ({}) has no routes", t->name, type.name));
        } else if (route.present && type.route_names != nullptr) {
          const auto names = type.route_names(*t);
          bool found = false;
          for (std::size_t i = 0; i < names.size(); ++i)
            if (names[i] == route.text) {
              found = true;
              w.route = static_cast<std::uint16_t>(i + 1);
            }
          if (!found)
            diags.error(route.loc, route.path,
                        fmt::format("'{}' has no route '{}' (it has {})", t->name, echo(route.text), quoted_list(names)),
                        did_you_mean(route.text, names));
        }
        const Value& invoke = w.params.get("invoke");
        if (!invoke.defaulted && invoke.text == "async") {
          if (type.async_op.empty())
            diags.error(invoke.loc, invoke.path, fmt::format("'{}' ({}) cannot be invoked asynchronously", t->name, type.name));
          else if (op.present && op.text != type.async_op)
            diags.error(op.loc, op.path,
                        fmt::format("'invoke: async' uses the operation '{}', but 'op' says '{}'", type.async_op, echo(op.text)));
          else
            w.op = type.async_op;
        }
        // EventBridge schedules hand their target an event: a function is invoked asynchronously.
        const Value& arrival = w.params.get("arrival");
        if (arrival.record != nullptr && arrival.record->variant == "schedule" && !type.async_op.empty() &&
            w.op != type.async_op && !(op.present && !op.defaulted))
          sc.warnings.warning(w.loc, item.path + ".invoke",
                              fmt::format("'{}' is fired by a schedule, but invoked synchronously: EventBridge Scheduler "
                                          "invokes {} asynchronously (its retries and on_failure apply)",
                                          w.name, t->name),
                              "add 'invoke: async' to the workload");
        if (!sc.edges.empty() && sc.edges.back().from == "workload:" + w.name) sc.edges.back().op = w.op;
      }
    }
    // Arrival details that the schema alone cannot check (rate vs schedule, trace files).
    const Value& arrival = w.params.get("arrival");
    if (arrival.record) ArrivalProcess::from_record(*arrival.record, sc.base_dir, diags);
    sc.workloads.push_back(std::move(w));
  }

  // Expectations, and the checks of the lesson's what-ifs (the same comparisons).
  std::vector<std::string> workload_list(workload_names.begin(), workload_names.end());
  // Reads `metric` and the comparison of `e` into `x`; returns how many comparisons it has.
  const auto read_comparison = [&](const Record& e, const Value& item, Expectation& x) {
    x.metric = e.text("metric");
    x.loc = item.loc;
    x.path = item.path;
    x.metric_key = item.path + ".metric";
    x.metric_loc = e.get("metric").loc;
    int ops = 0;
    for (const auto& op : comparison_ops()) {
      if (!e.has(op)) continue;
      ++ops;
      x.op = op;
      if (op == "between") {
        const auto& bounds = e.list(op);
        if (bounds.size() != 2 || !bounds[0].present || !bounds[1].present || bounds[0].number > bounds[1].number) {
          diags.error(e.get(op).loc, item.path + ".between", "expected [low, high] with low <= high");
          continue;
        }
        x.value = bounds[0].number;
        x.upper = bounds[1].number;
      } else {
        x.value = e.number(op);
      }
    }
    return ops;
  };
  // The metric's path is checked against the result's shape once the whole
  // scenario loads (check_expectation_metrics); the names of workloads and
  // services in it can be checked now, with the other errors.
  const auto check_owner = [&](const Expectation& x) {
    std::string_view metric = x.metric;
    if (metric.substr(0, 5) == "ci95.") metric.remove_prefix(5);
    const auto dot = metric.find('.');
    const std::string_view section = metric.substr(0, dot);
    if ((section == "workloads" || section == "services") && dot != std::string::npos) {
      const auto rest = metric.substr(dot + 1);
      const std::string owner(rest.substr(0, rest.find('.')));
      const auto& names = section == "workloads" ? workload_list : service_names;
      bool found = false;
      for (const auto& n : names) found = found || n == owner;
      if (!found)
        diags.error(x.metric_loc, x.metric_key,
                    fmt::format("there is no {} named '{}'", section == "workloads" ? "workload" : "service", echo(owner)),
                    did_you_mean(owner, names));
    }
  };
  for (const auto& item : r.get("expect").items) {
    if (!item.record) continue;
    Expectation x;
    const int ops = read_comparison(*item.record, item, x);
    if (ops != 1) {
      diags.error(item.loc, item.path,
                  fmt::format("expected exactly one comparison ({}), found {}", quoted_list(comparison_ops()), ops));
      continue;
    }
    check_owner(x);
    sc.expect.push_back(std::move(x));
  }
  if (r.has("lesson")) {
    for (const auto& t : r.record("lesson").list("try")) {
      if (!t.record) continue;
      LessonTry lt;
      const Value& sets = t.record->get("set");
      for (const auto& v : sets.items)
        if (v.present) lt.sets.push_back({v.text, v.loc, sets.items.size() == 1 ? sets.path : v.path});
      if (sets.given && sets.items.empty())
        diags.error(sets.loc, sets.path, "expected an override PATH=VALUE, or a list of them, found nothing",
                    "e.g. set: services.fn.memory=1024MB");
      lt.expect = t.record->text("expect");
      lt.path = t.path;
      for (const auto& item : t.record->list("check")) {
        if (!item.record) continue;
        const Record& e = *item.record;
        LessonCheck c;
        const int ops = read_comparison(e, item, c.x);
        // Given counts even when its value was rejected (reported already).
        const bool relative = e.get("than_base").given;
        if (ops + (relative ? 1 : 0) != 1) {
          diags.error(item.loc, item.path,
                      fmt::format("expected exactly one comparison ({}) or 'than_base', found {}",
                                  quoted_list(comparison_ops()), ops + (relative ? 1 : 0)),
                      "e.g. {metric: workloads.api.throttled, than_base: lower, by: 0.5}");
          continue;
        }
        if (e.get("by").given && !relative) {
          diags.error(e.get("by").loc, item.path + ".by", "'by' qualifies 'than_base', which is not given",
                      "e.g. {metric: workloads.api.throttled, than_base: lower, by: 0.5}");
          continue;
        }
        if (relative) {
          c.x.op.clear();
          c.than_base = e.text("than_base");
          c.by = e.number("by");
        }
        check_owner(c.x);
        lt.checks.push_back(std::move(c));
      }
      if (const Value& why = t.record->get("why"); why.present) {
        lt.why = parse_why(why, diags, lt.why_metrics);
        for (const auto& x : lt.why_metrics) check_owner(x);
      }
      sc.lesson_tries.push_back(std::move(lt));
    }
  }
  if (r.has("lesson")) sc.lesson = r.record("lesson");

  // Type-specific checks, once the whole scenario is known, in the same pass as
  // the schema errors: for every service whose values (and those of the
  // services it references, and the account's) all passed the schema check.
  const RejectedValues rejected(diags, sc, top);
  for (const auto& d : sc.services) {
    if (d.type == nullptr || d.type->check == nullptr || rejected.in_account() || rejected.in_service(d.name)) continue;
    bool references_ok = true;
    for (const auto& e : sc.edges) references_ok = references_ok && !(e.from == d.name && rejected.in_service(e.to));
    if (references_ok) d.type->check(d, sc, diags);
  }

  // Topology: warn about cycles (possible recursive loops).
  {
    const Topology topo(sc);
    for (const auto& cycle : topo.cycles()) {
      diags.warning(sc.find_service(cycle.start)->loc, "services",
                    fmt::format("the services {} form a cycle: requests may loop ({})", quoted_list(cycle.services),
                                cycle.path));
    }
  }
  warn_caches_without_keys(sc, diags);
  return sc;
}

Scenario finish(Scenario sc, Diagnostics& diags, const LoadOptions& options) {
  // A run that checks no expectations (an insight's confirming run) leaves them out: a fix
  // may change the result's shape (a table's capacity mode) under a metric they name.
  if (!options.expectations) sc.expect.clear();
  // Needs a scenario that loads: its model is built to learn the result's shape.
  if (!diags.has_errors()) check_expectation_metrics(sc, diags);
  if (diags.has_errors()) throw InputError(diags);
  for (const auto& d : diags.all())
    if (d.severity == Severity::warning) sc.warnings.warning(d.loc, d.path, d.message, d.hint);
  return sc;
}

}  // namespace

Scenario load_scenario(const std::string& file, const ServiceRegistry& registry, const LoadOptions& options) {
  Diagnostics diags;
  DocNode root = load_yaml_file(file, diags);
  if (diags.has_errors()) throw InputError(diags);
  Scenario sc = check_document(std::move(root), file, registry, options, diags);
  return finish(std::move(sc), diags, options);
}

Scenario load_scenario_text(const std::string& text, const std::string& origin, const ServiceRegistry& registry,
                            const LoadOptions& options) {
  Diagnostics diags;
  DocNode root = parse_yaml(text, origin, diags);
  if (diags.has_errors()) throw InputError(diags);
  Scenario sc = check_document(std::move(root), origin, registry, options, diags);
  return finish(std::move(sc), diags, options);
}

}  // namespace slsim
