#pragma once
// Declared parameters. Each service (and the top level, workloads, arrivals)
// declares its parameters once: name, type, unit, default, range, help. The
// loader, its error messages, `slsim validate` and the generated docs
// (`slsim docs`) all come from these declarations.
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sim/core/distribution.hpp"
#include "sim/core/time.hpp"
#include "sim/scenario/diagnostics.hpp"
#include "sim/scenario/document.hpp"

namespace slsim {

enum class ParamType {
  text,          // any string
  boolean,       // true | false
  integer,       // whole number, range in plain units
  number,        // real number
  probability,   // real number in [0, 1]
  duration,      // "250ms" -> ns
  distribution,  // a duration or {dist: ...}; values in ns
  rate,          // "50/s" -> per second
  size,          // "512MB" -> bytes
  choice,        // one of `choices`
  reference,     // the name of another service (checked against `ref_types`)
  record,        // a mapping with its own schema (`record`)
  list,          // a list of `element`
  map,           // a mapping from free-form keys to `element`
  variant,       // a mapping whose `discriminator` key selects one of `variants`
};
std::string_view param_type_name(ParamType);

struct Schema;

// Which operation a reference sends to the service it names (shown on the
// topology edge and used to tell loops that can carry messages).
enum class EdgeOp {
  target_default,  // the target's default (first) operation
  target_async,    // the target's asynchronous operation when it has one, else its default
  fixed,           // `edge_op_name`
  from_key,        // named by the sibling key `edge_op_name` (the target's default when absent)
};

inline constexpr double kUnbounded = std::numeric_limits<double>::infinity();

struct ParamSpec {
  std::string name;
  ParamType type = ParamType::text;
  std::string unit;          // display unit for messages and docs: "ms", "MB", "/s", "USD"
  std::string default_text;  // scenario syntax; empty: no default (see `required`)
  bool required = false;
  double min = -kUnbounded;  // range in base units: ns, bytes, per second, plain numbers
  double max = kUnbounded;
  bool min_exclusive = false;  // the minimum itself is out of range (a mean must be above 0)
  std::vector<std::string> choices;    // choice
  std::vector<std::string> ref_types;  // reference: allowed service types (empty: any)
  std::string edge;                    // reference: the topology edge label ("integration", "dlq", ...)
  EdgeOp edge_op = EdgeOp::target_default;  // reference: the operation sent along the edge
  std::string edge_op_name;            // EdgeOp::fixed: the operation; EdgeOp::from_key: the sibling key
  std::vector<std::string> edge_op_prefer;  // EdgeOp::from_key without the key: the first of these the target has, else its default
  const Schema* record = nullptr;      // record, and the element schema of list/map of records
  std::vector<ParamSpec> element;      // list/map: exactly one element spec
  std::string discriminator;           // variant: e.g. "process"
  std::vector<std::pair<std::string, const Schema*>> variants;
  std::string help;
  std::string range_hint;  // why the range is what it is: the hint of an out-of-range error
};

// Another name for a key or an operation (AWS's own: a CloudFormation, SAM or
// Terraform property, an API action) with the hint that says how slsim writes
// it. Names match ignoring case, '_' and '-': MemorySize is memory_size.
struct Alias {
  std::string name;
  std::string hint;
};
// Whether two names are the same ignoring case, '_' and '-'.
bool same_name(std::string_view a, std::string_view b);
// "a lambda", "an external": the word with its indefinite article.
std::string a_or_an(std::string_view word);
// The alias of `name` in `aliases`, or nullptr.
const Alias* find_alias(const std::vector<Alias>& aliases, std::string_view name);
// Every duration (and every value of a distribution) is at most kMaxDuration,
// whatever its declaration says; these are the bounds the checker applies.
double effective_min(const ParamSpec& spec);
double effective_max(const ParamSpec& spec);

struct Schema {
  std::string name;
  std::string help;
  std::vector<ParamSpec> params;
  std::vector<Alias> aliases = {};  // keys users write from AWS habits, with how to write them here
  const ParamSpec* find(std::string_view name) const;
  std::vector<std::string> names() const;
};

struct Record;

// A checked value. Numbers are in base units (ns, bytes, per second).
struct Value {
  // Declared here and defaulted in schema.cpp: Value contains vectors of
  // itself, which clang 14 with libstdc++ 12 only accepts this way.
  Value();
  ~Value();
  Value(const Value&);
  Value(Value&&) noexcept;
  Value& operator=(const Value&);
  Value& operator=(Value&&) noexcept;

  ParamType type = ParamType::text;
  bool present = false;    // given in the scenario or filled from a default
  bool defaulted = false;  // filled from the declared default
  bool given = false;      // the key was written (even if its value was rejected)
  bool quoted = false;     // a scalar written in quotes (its text starts one column after `loc`)
  bool flag = false;
  double number = 0.0;
  std::string text;
  Distribution dist;
  std::shared_ptr<const Record> record;
  std::vector<Value> items;                            // list
  std::vector<std::pair<std::string, Value>> entries;  // map
  SourceLoc loc;
  std::string path;
};

// The checked contents of a mapping: one field per declared parameter, in
// declaration order (absent optional ones have present == false).
struct Record {
  const Schema* schema = nullptr;
  std::string variant;  // the discriminator's value, for variant records
  std::vector<std::pair<std::string, Value>> fields;
  SourceLoc loc;
  std::string path;

  // Throws std::logic_error for a name the schema does not declare (a model bug).
  const Value& get(std::string_view name) const;
  bool has(std::string_view name) const { return get(name).present; }
  double number(std::string_view name) const { return get(name).number; }
  // Saturates (NaN gives 0): a value outside its declared range has been
  // reported, but load-time checks may still read it.
  std::int64_t integer(std::string_view name) const;
  SimTime duration(std::string_view name) const { return round_ns(get(name).number); }
  double rate(std::string_view name) const { return get(name).number; }
  double size(std::string_view name) const { return get(name).number; }
  bool flag(std::string_view name) const { return get(name).flag; }
  const std::string& text(std::string_view name) const { return get(name).text; }
  const Distribution& dist(std::string_view name) const { return get(name).dist; }
  const Record& record(std::string_view name) const;
  const std::vector<Value>& list(std::string_view name) const { return get(name).items; }
};

// Shorthand for declarations: a parameter with its unit, default (scenario
// syntax; empty for none) and help; set ranges and the rest on the result.
ParamSpec param(std::string name, ParamType type, std::string unit, std::string default_text, std::string help);

// `p` with the inclusive range [min, max] (in the parameter's base unit).
ParamSpec bounded(ParamSpec p, double min, double max);

// Checks document nodes against schemas, reporting every problem to `diags`.
class SchemaChecker {
 public:
  // base_dir resolves relative file names (empirical distributions, traces).
  SchemaChecker(Diagnostics& diags, std::string base_dir) : diags_(diags), base_dir_(std::move(base_dir)) {}

  // `allowed_extra` are keys handled by the caller (e.g. a service's `type`).
  Record check_record(const DocNode& node, const Schema& schema, const std::string& path,
                      const std::vector<std::string>& allowed_extra = {});
  Value check_value(const DocNode& node, const ParamSpec& spec, const std::string& path);
  // The declared default of `spec` as a checked value (present == false if none).
  Value default_value(const ParamSpec& spec, const std::string& path);

 private:
  Value check_scalar(const DocNode& node, const ParamSpec& spec, const std::string& path);
  Value check_distribution(const DocNode& node, const ParamSpec& spec, const std::string& path);
  bool check_range(const DocNode& node, const ParamSpec& spec, const std::string& path, double v,
                   std::string_view what);
  std::string bounds_text(const ParamSpec& spec) const;

  Diagnostics& diags_;
  std::string base_dir_;
};

// Renders a value in base units back to scenario syntax for the spec's type.
std::string format_value(const ParamSpec& spec, double v);
// Markdown reference of a schema (used by `slsim docs`).
std::string schema_markdown(const Schema& schema, int heading_level = 3);

// The schemas of the distribution maps ({dist: exponential, mean: ...}), for docs.
const Schema& distribution_schema();

}  // namespace slsim
