// libFuzzer target: see fuzz_input.hpp. Bad input must end in InputError,
// never in a crash, a hang, a leak or another exception; a run must balance
// its accounting. A failure aborts, and libFuzzer keeps the input.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "tests/fuzz/fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string problem = slsim::fuzz::run_input(std::string(reinterpret_cast<const char*>(data), size));
  if (!problem.empty()) {
    std::fprintf(stderr, "slsim fuzz: %s\n", problem.c_str());
    std::abort();
  }
  return 0;
}
