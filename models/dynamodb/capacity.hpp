#pragma once
// DynamoDB capacity arithmetic, kept apart from the service so tests can check
// it directly: capacity units per operation, partition counts, the on-demand
// table's memory of its previous peak, and the daily budget of capacity
// decreases. Facts and sources: docs/model-assumptions.md §13.
//
// Units: reads are counted in half read units ("half-RCU", so an eventually
// consistent 4 KB read is 1 and every count is an integer); writes in WCU.
// A partition's limit is a linear mix of 3000 RCU and 1000 WCU per second, so
// in half-RCU one WCU weighs 6.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "sim/core/time.hpp"

namespace slsim::models::dynamodb {

enum class Consistency : std::uint8_t { eventual, strong, transactional };

inline constexpr std::uint64_t kReadUnitBytes = 4096;   // §13.1: reads round up to 4 KB
inline constexpr std::uint64_t kWriteUnitBytes = 1024;  // §13.1: writes round up to 1 KB
inline constexpr std::uint64_t kHalfUnitsPerWcu = 6;    // §13.2: 1 WCU = 3 RCU of a partition's mix
inline constexpr std::uint64_t kPartitionHalfRcuPerSecond = 6000;  // 3000 RCU
inline constexpr std::uint64_t kPartitionRcu = 3000;
inline constexpr std::uint64_t kPartitionWcu = 1000;

inline std::uint64_t ceil_div(std::uint64_t a, std::uint64_t b) { return (a + b - 1) / b; }

// Half-RCU for reading `bytes` as one unit (an item, or a query's whole result):
// 4 KB blocks x (eventual 1, strong 2, transactional 4). A read of 0 bytes
// still costs one block.
inline std::uint64_t read_half_units(std::uint64_t bytes, Consistency c) {
  const std::uint64_t blocks = std::max<std::uint64_t>(1, ceil_div(bytes, kReadUnitBytes));
  return blocks * (c == Consistency::eventual ? 1 : c == Consistency::strong ? 2 : 4);
}
// WCU for writing one item of `bytes`: 1 KB blocks x (1, or 2 in a transaction).
inline std::uint64_t write_units(std::uint64_t bytes, bool transactional) {
  const std::uint64_t blocks = std::max<std::uint64_t>(1, ceil_div(bytes, kWriteUnitBytes));
  return blocks * (transactional ? 2 : 1);
}

// The most partitions a simulated table gets (the `partitions` parameter's
// maximum): each costs a token bucket and two counters.
inline constexpr std::uint32_t kMaxPartitions = 100000;

// Partitions a provisioned table needs for its capacity (§13.2): each serves
// at most 3000 RCU and 1000 WCU per second, as a linear mix.
inline std::uint32_t partitions_for(double rcu, double wcu) {
  const double need = rcu / static_cast<double>(kPartitionRcu) + wcu / static_cast<double>(kPartitionWcu);
  const double n = need <= 1 ? 1.0 : std::ceil(need - 1e-9);
  return static_cast<std::uint32_t>(std::min(n, static_cast<double>(kMaxPartitions)));
}
// Partitions an on-demand table needs to serve `ready` half-RCU equivalents per second.
inline std::uint32_t partitions_for_ready(std::uint64_t ready) {
  return static_cast<std::uint32_t>(
      std::clamp<std::uint64_t>(ceil_div(ready, kPartitionHalfRcuPerSecond), 1, kMaxPartitions));
}

// The on-demand table's previous peak (§13.3). It serves at once up to twice
// the previous peak; the previous peak is the highest one-second consumption
// (half-RCU equivalents: reads + 6 x writes) of a second that began at least
// `delay` ago, or the configured starting peak if higher. So traffic that
// doubles no faster than every `delay` is served, and a faster jump is
// throttled until `delay` after it began.
class PeakMemory {
 public:
  PeakMemory(std::uint64_t initial_peak, SimTime delay)
      : peak_(initial_peak), slots_(static_cast<std::size_t>(std::max<SimTime>(1, delay / kSecond)), 0) {}

  // Moves the clock to `now` (never backwards) and adds `units` consumed now.
  // Returns true when the peak rose.
  bool consume(SimTime now, std::uint64_t units) {
    const bool rose = advance(now / kSecond);
    current_ += units;
    return rose;
  }
  // Moves the clock without consuming (true when the peak rose).
  bool advance_to(SimTime now) { return advance(now / kSecond); }
  std::uint64_t peak() const { return peak_; }
  // What the table serves at once: twice the previous peak (half-RCU per second).
  std::uint64_t ready() const { return 2 * peak_; }

 private:
  bool advance(std::int64_t second) {
    const std::uint64_t before = peak_;
    const auto n = static_cast<std::int64_t>(slots_.size());
    while (second_ < second) {
      if (second - second_ > n + 1) {
        // A gap longer than the memory: everything held is old enough, the rest is zero.
        slots_[static_cast<std::size_t>(second_ % n)] = current_;
        for (std::uint64_t v : slots_) peak_ = std::max(peak_, v);
        std::fill(slots_.begin(), slots_.end(), 0);
        current_ = 0;
        second_ = second;
        break;
      }
      slots_[static_cast<std::size_t>(second_ % n)] = current_;  // close the second
      current_ = 0;
      ++second_;
      // Entering second_: the second that began `delay` ago is now part of the peak.
      if (second_ >= n) peak_ = std::max(peak_, slots_[static_cast<std::size_t>((second_ - n) % n)]);
    }
    return peak_ > before;
  }

  std::uint64_t peak_;
  std::vector<std::uint64_t> slots_;  // one-second consumptions of the last `delay`, by second mod size
  std::int64_t second_ = 0;           // the second being counted
  std::uint64_t current_ = 0;         // its consumption so far
};

// How many times a table may lower its provisioned capacity (§13.4): per UTC
// day, 4 decreases at any time, and one more whenever the last hour had none
// (27 a day at most).
class DecreaseBudget {
 public:
  bool allowed(SimTime now) const {
    const std::int64_t day = now / (24 * kHour);
    const int used = day == day_ ? used_ : 0;
    if (used < 4) return true;
    return used < 27 && now - last_ >= kHour;
  }
  void record(SimTime now) {
    const std::int64_t day = now / (24 * kHour);
    if (day != day_) {
      day_ = day;
      used_ = 0;
    }
    ++used_;
    last_ = now;
  }

 private:
  std::int64_t day_ = -1;
  int used_ = 0;
  SimTime last_ = 0;
};

}  // namespace slsim::models::dynamodb
