// libFuzzer target: a scenario from bytes. What loads is built and run for a
// bounded simulated time and event count; the run must end with balanced
// accounting. Bad input must end in InputError, never in a crash, a hang, a
// leak or another exception (those abort, and libFuzzer keeps the input).
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "sim/core/simulation.hpp"
#include "sim/report/result.hpp"
#include "sim/scenario/build.hpp"
#include "sim/scenario/scenario.hpp"

namespace {

// Bounds that keep one input to milliseconds: libFuzzer wants thousands of runs a second.
constexpr std::size_t kMaxInputBytes = 64 * 1024;
constexpr slsim::SimTime kMaxWarmup = slsim::kMinute;
constexpr slsim::SimTime kMaxDurationRun = 10 * slsim::kMinute;
constexpr std::uint64_t kMaxEvents = 200'000;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace slsim;
  if (size > kMaxInputBytes) return 0;
  const std::string text(reinterpret_cast<const char*>(data), size);
  Scenario sc;
  try {
    sc = load_scenario_text(text, "fuzz.yaml", builtin_services());
  } catch (const InputError& e) {
    if (std::string(e.what()).empty()) std::abort();  // an error must say something
    return 0;
  }
  sc.warmup = std::min(sc.warmup, kMaxWarmup);
  sc.duration = std::min(sc.duration, kMaxDurationRun);
  sc.max_events = std::min(sc.max_events, kMaxEvents);
  BuiltModel model = build_model(sc, 0);
  try {
    model.sim->run();
  } catch (const EventLimitReached&) {
    return 0;  // a busy scenario: the guard did its job
  }
  Json result = collect_result(sc, model, 0.0);
  evaluate_expectations(sc, result);
  (void)format_table(sc, result);
  if (!model.sim->accounting().balanced()) {
    std::fprintf(stderr, "slsim fuzz: accounting does not balance:\n%s\n", result.dump(2).c_str());
    std::abort();
  }
  return 0;
}
