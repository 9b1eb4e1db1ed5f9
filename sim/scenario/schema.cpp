#include "sim/scenario/schema.hpp"

#include <cmath>
#include <algorithm>
#include <filesystem>
#include <map>
#include <stdexcept>

#include <fmt/format.h>

#include "sim/scenario/input_file.hpp"
#include "sim/scenario/units.hpp"

namespace slsim {

std::string_view param_type_name(ParamType t) {
  switch (t) {
    case ParamType::text: return "text";
    case ParamType::boolean: return "boolean";
    case ParamType::integer: return "integer";
    case ParamType::number: return "number";
    case ParamType::probability: return "probability";
    case ParamType::duration: return "duration";
    case ParamType::distribution: return "distribution";
    case ParamType::rate: return "rate";
    case ParamType::size: return "size";
    case ParamType::choice: return "choice";
    case ParamType::reference: return "service";
    case ParamType::record: return "mapping";
    case ParamType::list: return "list";
    case ParamType::map: return "mapping";
    case ParamType::variant: return "mapping";
  }
  return "?";
}

const ParamSpec* Schema::find(std::string_view n) const {
  for (const auto& p : params)
    if (p.name == n) return &p;
  return nullptr;
}

namespace {
std::string folded(std::string_view s) {
  std::string out;
  for (const char c : s)
    if (c != '_' && c != '-') out += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return out;
}
}  // namespace

bool same_name(std::string_view a, std::string_view b) { return folded(a) == folded(b); }

std::string a_or_an(std::string_view word) {
  const bool vowel = !word.empty() && std::string_view("aeiouAEIOU").find(word[0]) != std::string_view::npos;
  return (vowel ? "an " : "a ") + std::string(word);
}

const Alias* find_alias(const std::vector<Alias>& aliases, std::string_view name) {
  for (const auto& a : aliases)
    if (same_name(a.name, name)) return &a;
  return nullptr;
}

std::vector<std::string> Schema::names() const {
  std::vector<std::string> out;
  for (const auto& p : params) out.push_back(p.name);
  return out;
}

ParamSpec param(std::string name, ParamType type, std::string unit, std::string default_text, std::string help) {
  ParamSpec p;
  p.name = std::move(name);
  p.type = type;
  p.unit = std::move(unit);
  p.default_text = std::move(default_text);
  p.help = std::move(help);
  return p;
}

ParamSpec bounded(ParamSpec p, double min, double max) {
  p.min = min;
  p.max = max;
  return p;
}

Value::Value() = default;
Value::~Value() = default;
Value::Value(const Value&) = default;
Value::Value(Value&&) noexcept = default;
Value& Value::operator=(const Value&) = default;
Value& Value::operator=(Value&&) noexcept = default;

const Value& Record::get(std::string_view name) const {
  for (const auto& [k, v] : fields)
    if (k == name) return v;
  throw std::logic_error(fmt::format("parameter '{}' is not declared in schema '{}'", name,
                                     schema != nullptr ? schema->name : std::string("?")));
}

std::int64_t Record::integer(std::string_view name) const {
  const double v = get(name).number;
  constexpr double kLimit = 9.2e18;  // just inside the int64 range
  if (!(v == v)) return 0;
  if (v >= kLimit) return static_cast<std::int64_t>(kLimit);
  if (v <= -kLimit) return -static_cast<std::int64_t>(kLimit);
  return static_cast<std::int64_t>(v);
}

double effective_min(const ParamSpec& spec) { return spec.min; }

double effective_max(const ParamSpec& spec) {
  if (spec.type == ParamType::duration || spec.type == ParamType::distribution)
    return std::min(spec.max, static_cast<double>(kMaxDuration));
  return spec.max;
}

const Record& Record::record(std::string_view name) const {
  const Value& v = get(name);
  if (!v.record) throw std::logic_error(fmt::format("parameter '{}' holds no record", name));
  return *v.record;
}

namespace {

// A size exactly, in the declared unit when the value is a whole number of it,
// else in the largest unit that gives a whole number (bytes at worst):
// 10240MB, 1024KB, 1B, 4294967295B (never 4194303.9990234375KB).
std::string format_exact_size(double bytes, const std::string& declared_unit) {
  if (bytes == 0.0) return "0" + (declared_unit.empty() ? std::string("B") : declared_unit);
  std::vector<std::string> units;
  if (!declared_unit.empty()) units.push_back(declared_unit);
  for (const char* u : {"TB", "GB", "MB", "KB", "B"}) units.emplace_back(u);
  for (const auto& unit : units) {
    const auto factor = parse_size("1" + unit).value;
    if (!factor) continue;
    const double q = bytes / *factor;
    if (q >= 1.0 && q == std::floor(q)) return format_number(q) + unit;
  }
  return format_size(bytes, declared_unit);
}

}  // namespace

std::string format_value(const ParamSpec& spec, double v) {
  switch (spec.type) {
    case ParamType::duration:
    case ParamType::distribution: return format_duration(v);
    case ParamType::rate: return format_rate(v);
    case ParamType::size: return format_exact_size(v, spec.unit);
    default: return format_number(v);
  }
}

namespace {

std::string_view what_of(ParamType t) {
  switch (t) {
    case ParamType::text: return "a text value";
    case ParamType::boolean: return "true or false";
    case ParamType::integer: return "a whole number";
    case ParamType::number: return "a number";
    case ParamType::probability: return "a probability";
    case ParamType::duration: return "a duration";
    case ParamType::distribution: return "a duration or a distribution";
    case ParamType::rate: return "a rate";
    case ParamType::size: return "a size";
    case ParamType::choice: return "one of the choices";
    case ParamType::reference: return "a service name";
    case ParamType::record:
    case ParamType::map:
    case ParamType::variant: return "a mapping";
    case ParamType::list: return "a list";
  }
  return "a value";
}

std::string child_path(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

// For a key the schema does not declare: its alias's hint, the declared key it
// spells differently (memorySize), a close match, or the keys there are.
std::string keys_hint(const std::string& unknown, const Schema& schema) {
  if (const Alias* alias = find_alias(schema.aliases, unknown)) return alias->hint;
  const std::vector<std::string> names = schema.names();
  for (const auto& n : names)
    if (same_name(n, unknown)) return fmt::format("did you mean '{}'?", n);
  std::string hint = did_you_mean(unknown, names);
  if (hint.empty()) hint = "expected one of: " + quoted_list(names);
  return hint;
}

// --- distribution schemas ------------------------------------------------------

ParamSpec dur(std::string name, std::string help, bool required = false) {
  ParamSpec p;
  p.name = std::move(name);
  p.type = ParamType::duration;
  p.required = required;
  p.min = 0;
  p.help = std::move(help);
  return p;
}
// A duration that must be above 0 (a mean, a median, a scale).
ParamSpec positive_dur(std::string name, std::string help, bool required = false) {
  ParamSpec p = dur(std::move(name), std::move(help), required);
  p.min_exclusive = true;
  return p;
}
ParamSpec positive(std::string name, std::string help, bool required = false) {
  ParamSpec p;
  p.name = std::move(name);
  p.type = ParamType::number;
  p.required = required;
  p.min = 0;
  p.min_exclusive = true;
  p.help = std::move(help);
  return p;
}

struct DistributionSchemas {
  Schema constant{"constant", "always the same value", {dur("value", "the value", true)}};
  Schema exponential{"exponential", "memoryless; cv = 1", {positive_dur("mean", "the mean", true)}};
  Schema uniform{"uniform", "every value in [min, max] equally likely",
                 {dur("min", "lower bound", true), dur("max", "upper bound", true)}};
  Schema lognormal{"lognormal",
                   "right-skewed; give mean and cv, or median and p99",
                   {positive_dur("mean", "the mean (with cv)"), positive("cv", "coefficient of variation (with mean)"),
                    positive_dur("median", "the median (with p99)"),
                    positive_dur("p99", "the 99th percentile (with median; above the median)")}};
  Schema gamma{"gamma", "shape set by cv (cv > 1: more small values and a longer tail)",
               {positive_dur("mean", "the mean", true), positive("cv", "coefficient of variation", true)}};
  Schema pareto{"pareto", "heavy tail: P(X > x) = (min/x)^alpha",
                {positive_dur("min", "the smallest value", true), positive("alpha", "tail index (smaller: heavier)", true)}};
  Schema empirical{"empirical",
                   "picks uniformly among observed values, from a list or a file",
                   {[] {
                      ParamSpec p;
                      p.name = "values";
                      p.type = ParamType::list;
                      p.element.push_back(dur("value", "an observed value"));
                      p.help = "observed values, each a duration";
                      return p;
                    }(),
                    [] {
                      ParamSpec p;
                      p.name = "file";
                      p.help = "CSV file (relative to the scenario) with one observed value per line; "
                               "the first column is used";
                      return p;
                    }(),
                    [] {
                      ParamSpec p;
                      p.name = "unit";
                      p.type = ParamType::choice;
                      p.choices = {"ns", "us", "ms", "s", "min", "h", "d"};
                      p.help = "unit of bare numbers in the file";
                      return p;
                    }()}};
  std::vector<std::pair<std::string, const Schema*>> all() const {
    return {{"constant", &constant}, {"exponential", &exponential}, {"uniform", &uniform},
            {"lognormal", &lognormal}, {"gamma", &gamma}, {"pareto", &pareto},
            {"empirical", &empirical}};
  }
};

const DistributionSchemas& dist_schemas() {
  static const DistributionSchemas schemas;
  return schemas;
}

}  // namespace

const Schema& distribution_schema() {
  static const Schema schema = [] {
    Schema s;
    s.name = "distribution";
    s.help = "A duration (constant) or a mapping with `dist:` and its parameters.";
    ParamSpec p;
    p.name = "dist";
    p.type = ParamType::variant;
    p.discriminator = "dist";
    p.variants = dist_schemas().all();
    p.help = "the family";
    s.params.push_back(p);
    return s;
  }();
  return schema;
}

// --- the checker ----------------------------------------------------------------

std::string SchemaChecker::bounds_text(const ParamSpec& spec) const {
  const double lo = effective_min(spec), hi = effective_max(spec);
  const std::string low = fmt::format("{} {}", spec.min_exclusive ? "above" : "at least", format_value(spec, lo));
  if (std::isinf(hi)) return low;
  if (std::isinf(lo)) return fmt::format("at most {}", format_value(spec, hi));
  if (spec.min_exclusive) return fmt::format("{} and at most {}", low, format_value(spec, hi));
  return fmt::format("between {} and {}", format_value(spec, lo), format_value(spec, hi));
}

namespace {

constexpr const char* kMaxDurationHint =
    "every duration is at most 3650d (about 10 years), so that sums of times stay inside the simulator's "
    "64-bit nanosecond clock";

// The hint for a value outside [min, max]: the declaration's reason, or the global duration limit.
std::string range_hint_of(const ParamSpec& spec, double v) {
  if (!spec.range_hint.empty()) return spec.range_hint;
  const bool timed = spec.type == ParamType::duration || spec.type == ParamType::distribution;
  if (timed && v > static_cast<double>(kMaxDuration) && spec.max > static_cast<double>(kMaxDuration))
    return kMaxDurationHint;
  return {};
}

// A variant mapping without its discriminator: another key that names one of
// the variants ("type: poisson" in an arrival) was most likely meant as it.
std::string discriminator_hint(const DocNode& node, const ParamSpec& spec, const std::vector<std::string>& names) {
  for (const auto& [key, value] : node.entries)
    for (const auto& n : names)
      if (value.is_scalar() && value.scalar == n)
        return fmt::format("did you mean '{}: {}' instead of '{}: {}'?", spec.discriminator, n, key, n);
  for (const auto& [key, value] : node.entries)
    if (key == "type" || key == "kind")
      return fmt::format("did you mean '{}' instead of '{}'?", spec.discriminator, key);
  return {};
}

}  // namespace

bool SchemaChecker::check_range(const DocNode& node, const ParamSpec& spec, const std::string& path, double v,
                                std::string_view what) {
  const double lo = effective_min(spec);
  const bool above_min = spec.min_exclusive ? v > lo : v >= lo;
  if (above_min && v <= effective_max(spec)) return true;
  diags_.error(node.loc, path, fmt::format("expected {} {}, found {}", what, bounds_text(spec), node.describe()),
               range_hint_of(spec, v));
  return false;
}

Value SchemaChecker::default_value(const ParamSpec& spec, const std::string& path) {
  Value v;
  v.type = spec.type;
  v.path = path;
  if (spec.default_text.empty()) {
    // Records and lists with no default are still usable: empty record / empty list.
    if (spec.type == ParamType::record && spec.record != nullptr) {
      Diagnostics ignored;
      SchemaChecker inner(ignored, base_dir_);
      DocNode empty;
      empty.kind = DocNode::Kind::map;
      auto rec = std::make_shared<Record>(inner.check_record(empty, *spec.record, path));
      v.record = rec;
    }
    return v;
  }
  Diagnostics default_diags;
  const DocNode node = parse_yaml(spec.default_text, "<default of " + path + ">", default_diags);
  SchemaChecker inner(default_diags, base_dir_);
  v = inner.check_value(node, spec, path);
  if (default_diags.has_errors())
    throw std::logic_error("bad declared default for " + path + ": " + default_diags.str());
  v.defaulted = true;
  return v;
}

Record SchemaChecker::check_record(const DocNode& node, const Schema& schema, const std::string& path,
                                   const std::vector<std::string>& allowed_extra) {
  Record rec;
  rec.schema = &schema;
  rec.loc = node.loc;
  rec.path = path;
  std::map<std::string, std::size_t, std::less<>> given;  // key -> index of its first entry
  if (!node.is_map() && !node.is_null()) {
    diags_.error(node.loc, path,
                 fmt::format("expected a mapping with keys {}, found {}", quoted_list(schema.names()), node.describe()));
  } else {
    for (std::size_t i = 0; i < node.entries.size(); ++i) {
      const auto& key = node.entries[i].first;
      const SourceLoc& key_loc = i < node.key_locs.size() ? node.key_locs[i] : node.loc;
      const std::string key_path = child_path(path, key);
      if (const auto it = given.find(key); it != given.end()) {
        const SourceLoc& first = node.key_locs[it->second];
        diags_.error(key_loc, key_path,
                     first.line > 0 ? fmt::format("duplicate key '{}' (first given at line {})", echo(key), first.line)
                                    : fmt::format("duplicate key '{}'", echo(key)));
        continue;
      }
      given.emplace(key, i);
      bool extra = false;
      for (const auto& e : allowed_extra) extra = extra || e == key;
      if (extra) continue;
      if (schema.find(key) == nullptr)
        diags_.error(key_loc, key_path, fmt::format("unknown key '{}'", echo(key)), keys_hint(key, schema));
    }
  }
  for (const auto& spec : schema.params) {
    const std::string p = child_path(path, spec.name);
    const auto it = given.find(spec.name);
    if (it != given.end()) {
      Value v = check_value(node.entries[it->second].second, spec, p);
      v.given = true;
      rec.fields.emplace_back(spec.name, std::move(v));
    } else {
      if (spec.required && (node.is_map() || node.is_null()))
        diags_.error(node.loc, path.empty() ? spec.name : path,
                     fmt::format("missing required key '{}' ({})", spec.name, spec.help));
      rec.fields.emplace_back(spec.name, default_value(spec, p));
    }
  }
  return rec;
}

Value SchemaChecker::check_value(const DocNode& node, const ParamSpec& spec, const std::string& path) {
  switch (spec.type) {
    case ParamType::distribution:
      return check_distribution(node, spec, path);
    case ParamType::record: {
      Value v;
      v.type = spec.type;
      v.present = true;
      v.loc = node.loc;
      v.path = path;
      v.record = std::make_shared<Record>(check_record(node, *spec.record, path));
      return v;
    }
    case ParamType::variant: {
      Value v;
      v.type = spec.type;
      v.present = true;
      v.loc = node.loc;
      v.path = path;
      std::vector<std::string> names;
      for (const auto& [n, s] : spec.variants) names.push_back(n);
      const DocNode* which = node.is_map() ? node.find(spec.discriminator) : nullptr;
      if (!node.is_map()) {
        diags_.error(node.loc, path,
                     fmt::format("expected a mapping with '{}: {}', found {}", spec.discriminator,
                                 fmt::join(names, "|"), node.describe()));
        return v;
      }
      if (which == nullptr || !which->is_scalar()) {
        diags_.error(node.loc, path,
                     fmt::format("missing required key '{}' (one of {})", spec.discriminator, quoted_list(names)),
                     discriminator_hint(node, spec, names));
        return v;
      }
      const Schema* chosen = nullptr;
      for (const auto& [n, s] : spec.variants)
        if (n == which->scalar) chosen = s;
      if (chosen == nullptr) {
        diags_.error(which->loc, child_path(path, spec.discriminator),
                     fmt::format("expected one of {}, found '{}'", quoted_list(names), echo(which->scalar)),
                     did_you_mean(which->scalar, names));
        return v;
      }
      auto rec = std::make_shared<Record>(check_record(node, *chosen, path, {spec.discriminator}));
      rec->variant = which->scalar;
      v.record = rec;
      return v;
    }
    case ParamType::list: {
      Value v;
      v.type = spec.type;
      v.present = true;
      v.loc = node.loc;
      v.path = path;
      if (node.is_null()) return v;
      if (!node.is_seq()) {
        diags_.error(node.loc, path, fmt::format("expected a list, found {}", node.describe()));
        return v;
      }
      for (std::size_t i = 0; i < node.items.size(); ++i) {
        const DocNode& item = node.items[i];
        const DocNode* name = item.is_map() ? item.find("name") : nullptr;
        const std::string label = (name != nullptr && name->is_scalar()) ? name->scalar : std::to_string(i);
        v.items.push_back(check_value(item, spec.element.at(0), child_path(path, label)));
      }
      return v;
    }
    case ParamType::map: {
      Value v;
      v.type = spec.type;
      v.present = true;
      v.loc = node.loc;
      v.path = path;
      if (node.is_null()) return v;
      if (!node.is_map()) {
        diags_.error(node.loc, path, fmt::format("expected a mapping, found {}", node.describe()));
        return v;
      }
      std::map<std::string, int, std::less<>> seen;
      for (std::size_t i = 0; i < node.entries.size(); ++i) {
        const auto& [key, child] = node.entries[i];
        if (const auto it = seen.find(key); it != seen.end()) {
          diags_.error(node.key_locs[i], child_path(path, key),
                       fmt::format("duplicate key '{}' (first given at line {})", echo(key), it->second));
          continue;
        }
        seen.emplace(key, node.key_locs[i].line);
        v.entries.emplace_back(key, check_value(child, spec.element.at(0), child_path(path, key)));
      }
      return v;
    }
    default:
      return check_scalar(node, spec, path);
  }
}

Value SchemaChecker::check_scalar(const DocNode& node, const ParamSpec& spec, const std::string& path) {
  Value v;
  v.type = spec.type;
  v.loc = node.loc;
  v.path = path;
  const std::string_view what = what_of(spec.type);
  if (!node.is_scalar()) {
    std::string expected(what);
    if (spec.type == ParamType::choice) expected = "one of " + quoted_list(spec.choices);
    diags_.error(node.loc, path, fmt::format("expected {}, found {}", expected, node.describe()));
    return v;
  }
  const std::string& s = node.scalar;
  v.text = s;
  v.quoted = node.quoted;
  switch (spec.type) {
    case ParamType::text:
      v.present = true;
      return v;
    case ParamType::reference:
      if (s.empty()) {
        diags_.error(node.loc, path, "expected a service name, found an empty value");
        return v;
      }
      v.present = true;
      return v;
    case ParamType::boolean:
      if (s == "true" || s == "false") {
        v.flag = s == "true";
        v.present = true;
      } else {
        diags_.error(node.loc, path, fmt::format("expected true or false, found '{}'", echo(s)));
      }
      return v;
    case ParamType::choice: {
      for (const auto& c : spec.choices)
        if (c == s) {
          v.present = true;
          return v;
        }
      diags_.error(node.loc, path, fmt::format("expected one of {}, found '{}'", quoted_list(spec.choices), echo(s)),
                   did_you_mean(s, spec.choices));
      return v;
    }
    case ParamType::integer:
    case ParamType::number:
    case ParamType::probability: {
      const auto n = node.quoted ? std::nullopt : parse_plain_number(s);
      const auto probability_bounds = [&] {
        ParamSpec bounded = spec;
        if (spec.type == ParamType::probability) {
          bounded.min = std::max(spec.min, 0.0);
          bounded.max = std::min(spec.max, 1.0);
        }
        return bounded;
      };
      if (!n) {
        if (!node.quoted && number_overflows(s)) {
          diags_.error(node.loc, path, fmt::format("expected {} {}, found '{}', a number too large to represent", what,
                                                   bounds_text(probability_bounds()), echo(s)));
          return v;
        }
        std::string hint;
        if (spec.type == ParamType::probability && !suggest_probability(s).empty())
          hint = fmt::format("did you mean {}? (a probability is a number from 0 to 1)", suggest_probability(s));
        else if (parse_duration(s).value || parse_size(s).value || parse_rate(s).value)
          hint = "this value takes a plain number, without a unit";
        diags_.error(node.loc, path, fmt::format("expected {}, found '{}'", what, echo(s)), hint);
        return v;
      }
      if (spec.type == ParamType::integer && *n != std::floor(*n)) {
        diags_.error(node.loc, path, fmt::format("expected a whole number, found '{}'", echo(s)));
        return v;
      }
      v.number = *n;
      check_range(node, probability_bounds(), path, *n, what);
      v.present = true;
      return v;
    }
    case ParamType::duration:
    case ParamType::rate:
    case ParamType::size: {
      const ParsedNumber parsed = spec.type == ParamType::duration ? parse_duration(s)
                                  : spec.type == ParamType::rate   ? parse_rate(s)
                                                                   : parse_size(s);
      if (!parsed.value) {
        if (parsed.overflow) {
          diags_.error(node.loc, path, fmt::format("expected {} {}, found '{}', a number too large to represent", what,
                                                   bounds_text(spec), echo(s)),
                       range_hint_of(spec, kUnbounded));
          return v;
        }
        std::string hint;
        if (parse_plain_number(s)) {
          hint = spec.type == ParamType::duration ? fmt::format("write the unit, e.g. {}ms or {}s", s, s)
                 : spec.type == ParamType::rate   ? fmt::format("write the unit, e.g. {}/s", s)
                                                  : fmt::format("write the unit, e.g. {}{}", s,
                                                                spec.unit.empty() ? "MB" : spec.unit);
        } else {
          const std::string fixed = spec.type == ParamType::duration ? suggest_duration(s)
                                    : spec.type == ParamType::rate   ? suggest_rate(s)
                                                                     : suggest_size(s);
          if (!fixed.empty()) hint = fmt::format("did you mean {}?", fixed);
          // slsim's KB, MB, GB are binary already: say so to someone who wrote MiB.
          if (!fixed.empty() && spec.type == ParamType::size && s.find("iB") != std::string::npos)
            hint += " (slsim's sizes are binary: 1 MB = 1024 KB)";
        }
        diags_.error(node.loc, path, fmt::format("expected {}, found '{}'", parsed.expected, echo(s)), hint);
        return v;
      }
      v.number = *parsed.value;
      check_range(node, spec, path, v.number, what);
      v.present = true;
      return v;
    }
    default:
      diags_.error(node.loc, path, fmt::format("expected {}, found {}", what, node.describe()));
      return v;
  }
}

Value SchemaChecker::check_distribution(const DocNode& node, const ParamSpec& spec, const std::string& path) {
  Value v;
  v.type = ParamType::distribution;
  v.loc = node.loc;
  v.path = path;
  if (node.is_scalar()) {
    ParamSpec as_duration = spec;
    as_duration.type = ParamType::duration;
    Value d = check_scalar(node, as_duration, path);
    if (!d.present) return v;
    v.dist = Distribution::constant(d.number);
    v.number = d.number;
    v.present = true;
    return v;
  }
  ParamSpec variant;
  variant.name = spec.name;
  variant.type = ParamType::variant;
  variant.discriminator = "dist";
  variant.variants = dist_schemas().all();
  const std::size_t errors_before = diags_.error_count();
  const Value rec_value = check_value(node, variant, path);
  if (!rec_value.record || diags_.error_count() != errors_before) return v;
  const Record& r = *rec_value.record;
  const std::string& kind = r.variant;
  // Means, medians, scales and shapes are declared above 0 (min_exclusive): a
  // zero was reported by the schema check and returned above.
  if (kind == "constant") {
    v.dist = Distribution::constant(r.number("value"));
  } else if (kind == "exponential") {
    v.dist = Distribution::exponential(r.number("mean"));
  } else if (kind == "uniform") {
    if (r.number("min") > r.number("max")) {
      diags_.error(node.loc, path, fmt::format("expected min <= max, found min '{}' and max '{}'",
                                               echo(r.get("min").text), echo(r.get("max").text)));
      return v;
    }
    v.dist = Distribution::uniform(r.number("min"), r.number("max"));
  } else if (kind == "lognormal") {
    const bool mean_cv = r.has("mean") || r.has("cv");
    const bool median_p99 = r.has("median") || r.has("p99");
    if (mean_cv == median_p99 || (mean_cv && !(r.has("mean") && r.has("cv"))) ||
        (median_p99 && !(r.has("median") && r.has("p99")))) {
      diags_.error(node.loc, path, "expected either 'mean' and 'cv', or 'median' and 'p99'");
      return v;
    }
    if (mean_cv) {
      v.dist = Distribution::lognormal_mean_cv(r.number("mean"), r.number("cv"));
    } else {
      if (r.number("p99") <= r.number("median")) {
        diags_.error(r.get("p99").loc, child_path(path, "p99"),
                     fmt::format("expected p99 above the median '{}', found '{}'", echo(r.get("median").text),
                                 echo(r.get("p99").text)));
        return v;
      }
      v.dist = Distribution::lognormal_median_p99(r.number("median"), r.number("p99"));
    }
  } else if (kind == "gamma") {
    v.dist = Distribution::gamma_mean_cv(r.number("mean"), r.number("cv"));
  } else if (kind == "pareto") {
    v.dist = Distribution::pareto(r.number("min"), r.number("alpha"));
  } else if (kind == "empirical") {
    std::vector<double> values;
    if (r.has("values") == r.has("file")) {
      diags_.error(node.loc, path, "expected either 'values' (a list) or 'file' (a CSV file)");
      return v;
    }
    if (r.has("values")) {
      for (const auto& item : r.list("values"))
        if (item.present) values.push_back(item.number);
      if (values.empty()) {
        diags_.error(r.get("values").loc, child_path(path, "values"), "expected at least one value");
        return v;
      }
    } else {
      const Value& file = r.get("file");
      const std::filesystem::path full = std::filesystem::path(base_dir_) / file.text;
      const FileText content = read_input_file(full.string(), kMaxDataFileBytes);
      if (!content.text) {
        diags_.error(file.loc, child_path(path, "file"), fmt::format("'{}' {}", echo(full.string()), content.error));
        return v;
      }
      const std::string unit = r.has("unit") ? r.text("unit") : std::string{};
      const std::string error = for_each_data_line(*content.text, [&](std::size_t line_no, std::string_view line) {
        std::string trimmed;
        for (const char c : line.substr(0, line.find(',')))
          if (c != ' ' && c != '\t' && c != '\r') trimmed += c;
        if (trimmed.empty() || trimmed[0] == '#') return std::string{};
        const auto with_unit = parse_duration(unit.empty() ? trimmed : trimmed + unit);
        if (!with_unit.value) {
          if (line_no == 1 && !parse_plain_number(trimmed)) return std::string{};  // a header line
          if (with_unit.overflow) return fmt::format("found '{}', a number too large to represent", echo(trimmed));
          return fmt::format("expected {}, found '{}'",
                             unit.empty() ? with_unit.expected + " (or set 'unit' for bare numbers)"
                                          : std::string("a number"),
                             echo(trimmed));
        }
        if (*with_unit.value > static_cast<double>(kMaxDuration))
          return fmt::format("expected a duration of at most 3650d, found '{}'", echo(trimmed));
        values.push_back(*with_unit.value);
        return std::string{};
      });
      if (!error.empty()) {
        diags_.error(file.loc, child_path(path, "file"), fmt::format("{}:{}", echo(full.string()), error));
        return v;
      }
      if (values.empty()) {
        diags_.error(file.loc, child_path(path, "file"), fmt::format("'{}' holds no values", echo(full.string())));
        return v;
      }
    }
    v.dist = Distribution::empirical(std::move(values));
  }
  v.present = true;
  return v;
}

// --- docs --------------------------------------------------------------------------

namespace {

std::string range_text(const ParamSpec& p) {
  if (p.type == ParamType::choice) return fmt::format("{}", fmt::join(p.choices, " \\| "));
  if (p.type == ParamType::reference)
    return p.ref_types.empty() ? std::string("any service") : fmt::format("{}", fmt::join(p.ref_types, " \\| "));
  if (p.type == ParamType::probability)
    return fmt::format("{} to {}", format_number(std::isinf(p.min) ? 0.0 : std::max(0.0, p.min)),
                       format_number(std::isinf(p.max) ? 1.0 : std::min(1.0, p.max)));
  if (p.type == ParamType::variant && !p.variants.empty()) {
    std::vector<std::string> names;
    for (const auto& [n, schema] : p.variants) names.push_back(n);
    return fmt::format("{}: {}", p.discriminator, fmt::join(names, " \\| "));
  }
  const double min = effective_min(p), max = effective_max(p);
  const bool lo = !std::isinf(min), hi = !std::isinf(max);
  if (lo && p.min_exclusive) return "> " + format_value(p, min) + (hi ? ", ≤ " + format_value(p, max) : "");
  if (lo && hi) return format_value(p, min) + " to " + format_value(p, max);
  if (lo) return "≥ " + format_value(p, min);
  if (hi) return "≤ " + format_value(p, max);
  return "";
}

void markdown_rows(const Schema& s, const std::string& prefix, std::string& out,
                   std::vector<const Schema*>& nested) {
  for (const auto& p : s.params) {
    std::string type(param_type_name(p.type));
    if (p.type == ParamType::list && !p.element.empty()) type = "list of " + std::string(param_type_name(p.element[0].type));
    const std::string def = p.required ? "**required**" : (p.default_text.empty() ? "" : "`" + p.default_text + "`");
    out += fmt::format("| `{}{}` | {} | {} | {} | {} | {} |\n", prefix, p.name, type, p.unit, def, range_text(p), p.help);
    const Schema* sub = p.record;
    if (sub != nullptr && (p.type == ParamType::record || p.type == ParamType::list || p.type == ParamType::map))
      markdown_rows(*sub, prefix + p.name + (p.type == ParamType::record ? "." : "[]."), out, nested);
    for (const auto& [n, vs] : p.variants) nested.push_back(vs);
    // A list or map of variants (the states of a state machine): each variant's own table.
    if (!p.element.empty())
      for (const auto& [n, vs] : p.element[0].variants) nested.push_back(vs);
  }
}

}  // namespace

std::string schema_markdown(const Schema& schema, int heading_level) {
  std::string out = fmt::format("{} {}\n\n", std::string(static_cast<std::size_t>(heading_level), '#'), schema.name);
  if (!schema.help.empty()) out += schema.help + "\n\n";
  out += "| key | type | unit | default | range | meaning |\n|---|---|---|---|---|---|\n";
  std::vector<const Schema*> nested;
  markdown_rows(schema, "", out, nested);
  out += "\n";
  for (const Schema* n : nested) out += schema_markdown(*n, heading_level + 1);
  return out;
}

}  // namespace slsim
