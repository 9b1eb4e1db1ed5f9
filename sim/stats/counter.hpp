#pragma once
// A plain event counter. Trivial on purpose: one uint64, no allocation.
#include <cstdint>

namespace slsim {

struct Counter {
  std::uint64_t value = 0;

  void add(std::uint64_t n = 1) noexcept { value += n; }
  void reset() noexcept { value = 0; }
};

}  // namespace slsim
