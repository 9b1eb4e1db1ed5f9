#pragma once
// One fuzz input, as the libFuzzer target and the regression test run it: a
// scenario from bytes, with leading "#set PATH=VALUE" lines (YAML comments)
// applied as --set overrides. What loads is built and run for a bounded
// simulated time and event count, and must end with balanced accounting.
#include <algorithm>
#include <cstdint>
#include <string>

#include "sim/core/simulation.hpp"
#include "sim/report/result.hpp"
#include "sim/scenario/build.hpp"
#include "sim/scenario/scenario.hpp"

namespace slsim::fuzz {

// Bounds that keep one input to milliseconds: libFuzzer wants thousands of runs a second.
inline constexpr std::size_t kMaxInputBytes = 64 * 1024;
inline constexpr SimTime kMaxWarmup = kMinute;
inline constexpr SimTime kMaxRunDuration = 10 * kMinute;
inline constexpr std::uint64_t kMaxEvents = 200'000;

// "" when the input was refused with a message or ran with balanced
// accounting; otherwise what went wrong. Any other exception propagates
// (the fuzzer reports it as a crash).
inline std::string run_input(const std::string& text) {
  if (text.size() > kMaxInputBytes) return {};
  LoadOptions options;
  for (std::size_t at = 0; at < text.size() && text.compare(at, 5, "#set ") == 0;) {
    const std::size_t end = std::min(text.find('\n', at), text.size());
    options.overrides.push_back(text.substr(at + 5, end - at - 5));
    at = end + 1;
  }
  Scenario sc;
  try {
    sc = load_scenario_text(text, "fuzz.yaml", builtin_services(), options);
  } catch (const InputError& e) {
    return std::string(e.what()).empty() ? "an input error without a message" : "";
  }
  sc.warmup = std::min(sc.warmup, kMaxWarmup);
  sc.duration = std::min(sc.duration, kMaxRunDuration);
  sc.max_events = std::min(sc.max_events, kMaxEvents);
  BuiltModel model = build_model(sc, 0);
  try {
    model.sim->run();
  } catch (const EventLimitReached&) {
    return {};  // a busy scenario: the guard did its job
  }
  Json result = collect_result(sc, model, 0.0);
  evaluate_expectations(sc, result);
  (void)format_table(sc, result);
  if (!model.sim->accounting().balanced()) return "accounting does not balance:\n" + result.dump(2);
  return {};
}

}  // namespace slsim::fuzz
