#pragma once
// A state machine of a `stepfunctions` service, compiled from its checked
// parameters: states by index, names resolved once (the check hook has
// reported unknown names, so compile() may assume they exist).
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "sim/core/distribution.hpp"
#include "sim/core/time.hpp"
#include "sim/scenario/schema.hpp"

namespace slsim {
struct Scenario;
}

namespace slsim::models {

enum class StateKind : std::uint8_t { task, choice, parallel, map, wait, pass, succeed, fail };

// What a failed step failed with, as retry and catch `errors:` match it.
enum SfnError : std::uint8_t { kSfnError = 1, kSfnThrottled = 2, kSfnTimeout = 4, kSfnAll = 7 };
std::uint8_t sfn_error_mask(const std::string& errors);  // "all" | "error" | "throttled" | "timeout"

// Retries kept per state (each retrier counts its own attempts, as AWS does).
inline constexpr std::size_t kMaxRetriers = 8;
// A state machine never has more states than this (limits the check's work).
inline constexpr std::size_t kMaxStates = 1000;

struct Retrier {
  std::uint8_t errors = kSfnAll;
  SimTime interval = 0;
  int max_attempts = 3;
  double backoff_rate = 2.0;
  SimTime max_delay = 0;  // 0: no cap
  bool full_jitter = false;
  // The delay before retry `n` (1-based) of this retrier, before jitter (ns):
  // interval x backoff_rate^(n-1), capped by max_delay (docs/model-assumptions.md §20).
  double delay_ns(int n) const;
};

struct Catcher {
  std::uint8_t errors = kSfnAll;
  int next = -1;
};

struct StateDef {
  std::string name;
  StateKind kind = StateKind::pass;
  int next = -1;  // -1: the branch (or execution) ends here
  // task
  std::string resource;
  std::string op;  // resolved: the resource type's default when not given
  bool wait = true;
  SimTime timeout = 0;  // 0: none
  // task, parallel, map
  std::vector<Retrier> retry;
  std::vector<Catcher> catches;
  // choice: (next, probability) in order, then `default_next` (-1: none, the choice fails)
  std::vector<std::pair<int, double>> choices;
  int default_next = -1;
  // parallel: each branch's first state; map: the iteration's first state
  std::vector<int> branches;
  // map
  std::int64_t items_min = 1;
  std::int64_t items_max = 1;
  std::int64_t max_concurrency = 0;  // 0: up to the service's map_concurrency_bound
  // wait
  Distribution seconds;
};

struct Definition {
  bool express = false;
  int start = 0;
  std::vector<StateDef> states;
  int index_of(const std::string& name) const;  // -1 when absent
};

// The schema of the service and the compiled definition of its checked parameters.
const Schema& stepfunctions_schema();
Definition compile_definition(const Record& params, const Scenario& scenario);

}  // namespace slsim::models
