#pragma once
// A loaded, checked scenario: the top level, its workloads and services as
// checked records, its expectations and lesson. Loading reports every problem
// it finds (InputError), never a silent default.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sim/core/time.hpp"
#include "sim/scenario/diagnostics.hpp"
#include "sim/scenario/registry.hpp"
#include "sim/scenario/schema.hpp"

namespace slsim {

struct ServiceDecl {
  std::string name;
  const ServiceType* type = nullptr;
  Record params;
  SourceLoc loc;
};

struct WorkloadDecl {
  std::string name;
  Record params;  // target, route, invoke, op, arrival, payload, keys
  std::size_t target = 0;  // index into Scenario::services
  std::string op;          // resolved operation (the target's default when not given)
  std::uint16_t route = 0; // the target's route index + 1; 0 when none was named
  SourceLoc loc;
};

struct Expectation {
  std::string metric;  // dotted path into the result JSON
  std::string op;      // <, <=, >, >=, ==, between
  double value = 0;
  double upper = 0;    // between: [value, upper]
  SourceLoc loc;
  SourceLoc metric_loc;
  std::string path;        // expect.N
  std::string metric_key;  // the key path of errors about the metric: expect.N.metric, lesson.try.N.why
};

// A check of a lesson's what-if (lesson.try.N.check): an expectation on the
// variation's result (`x`, op one of the comparisons), or, with `than_base`,
// its change against the base run: lower | higher by at least `by` (a
// fraction of the base value), or the same within `by`.
struct LessonCheck {
  Expectation x;  // x.op is empty for a relative check
  std::string than_base;
  double by = 0;
};

// One override of a lesson's what-if: PATH=VALUE, and where it is written.
struct LessonSet {
  std::string assignment;
  SourceLoc loc;
  std::string path;  // lesson.try.N.set, or lesson.try.N.set.K in a list
};

// A piece of a what-if's `why:` text: literal text, or a measured figure
// ({base:PATH}, {now:PATH}, {change:PATH}) with `text` its metric path.
struct WhyPart {
  enum class Kind { text, base, now, change };
  Kind kind = Kind::text;
  std::string text;
};

// A what-if of a lesson: the base scenario plus its overrides (`set`).
struct LessonTry {
  std::vector<LessonSet> sets;
  std::string expect;  // the sentence the student should see come true
  std::vector<LessonCheck> checks;
  std::vector<WhyPart> why;             // the cause in words; empty when not given
  std::vector<Expectation> why_metrics;  // its placeholders' metrics, checked against the result's shape
  std::string path;  // lesson.try.N
  std::string set_text() const;  // the overrides as shown: "a=1; b=2"
};

// A directed edge of the service graph (workload -> service, service -> service).
struct TopologyEdge {
  std::string from;  // a service, or "workload:NAME"
  std::string to;
  std::string label;  // integration, calls, dlq, ...
  std::string op;     // the operation sent to `to` along the edge
};

struct Scenario {
  std::string file;
  std::string base_dir;
  std::string name;
  std::string description;
  SimTime duration = 0;
  SimTime warmup = 0;
  std::uint64_t seed = 1;
  std::uint32_t replications = 1;
  std::uint64_t max_events = 1'000'000'000;  // per replication (see SimulationOptions::max_events)
  SourceLoc max_events_loc;                   // where it was set, for the message when a run reaches it
  std::string region;
  Record account;
  std::vector<std::pair<std::string, double>> pricing;
  std::vector<WorkloadDecl> workloads;
  std::vector<ServiceDecl> services;
  std::vector<Expectation> expect;
  std::optional<Record> lesson;
  std::vector<LessonTry> lesson_tries;  // lesson.try, with the checks parsed
  std::vector<TopologyEdge> edges;
  Diagnostics warnings;
  const ServiceRegistry* registry = nullptr;  // the service types it was loaded with

  const ServiceDecl* find_service(std::string_view name) const;
  std::size_t service_index(std::string_view name) const;  // npos when absent
};

// A top-level value given by a command-line option of its own (--duration 10min).
struct OptionOverride {
  std::string option;  // "--duration": messages name it
  std::string key;     // "duration"
  std::string value;   // "10min"
};

struct LoadOptions {
  std::vector<std::string> overrides;  // --set PATH=VALUE, applied in order
  // How messages name each override when it did not come from --set (a sweep's
  // --vary): origins[i] replaces "--set overrides[i]"; missing or empty: --set.
  std::vector<std::string> override_origins;
  // Applied after the --set overrides; a --set of the same key is an error.
  std::vector<OptionOverride> options;
  // False: the expect: block is left out (Scenario::expect empty, its metrics unchecked).
  bool expectations = true;
};

// Throws InputError with every problem found.
Scenario load_scenario(const std::string& file, const ServiceRegistry& registry, const LoadOptions& options = {});
// The same from text (tests); `origin` names it in messages.
Scenario load_scenario_text(const std::string& text, const std::string& origin, const ServiceRegistry& registry,
                            const LoadOptions& options = {});

// The schemas of the top level and its parts (for docs).
Schema top_level_schema(const ServiceRegistry& registry);
const Schema& expectation_schema();
const Schema& lesson_schema();
const Schema& lesson_check_schema();

}  // namespace slsim
