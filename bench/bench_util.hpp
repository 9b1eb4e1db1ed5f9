#pragma once
// Small helpers shared by the benchmarks in bench/: a wall clock, peak RSS,
// flag parsing and table formatting. Header-only; benchmarks only.
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <initializer_list>
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace slsim::bench {

using Clock = std::chrono::steady_clock;

inline double seconds_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

// Peak resident set size of this process so far, in MiB (Linux: ru_maxrss is KiB).
inline double peak_rss_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;
}

// Current resident set size of this process, in MiB (Linux /proc/self/statm;
// 0 if unavailable). Sampled while a structure is still alive, it shows that
// structure's footprint plus whatever the allocator kept from earlier runs.
inline double current_rss_mib() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0.0;
  unsigned long size = 0, resident = 0;
  const int got = std::fscanf(f, "%lu %lu", &size, &resident);
  std::fclose(f);
  if (got != 2) return 0.0;
  return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE)) / (1024.0 * 1024.0);
}

// True if `flag` appears among the arguments.
inline bool has_flag(int argc, char** argv, std::string_view flag) {
  for (int i = 1; i < argc; ++i)
    if (flag == argv[i]) return true;
  return false;
}

// Rejects anything but the known flags; prints usage and returns false.
inline bool check_flags(int argc, char** argv, std::initializer_list<std::string_view> known,
                        std::string_view usage) {
  for (int i = 1; i < argc; ++i) {
    bool ok = false;
    for (const auto k : known) ok = ok || k == argv[i];
    if (!ok) {
      fmt::print(stderr, "unknown argument '{}'\nusage: {}\n", argv[i], usage);
      return false;
    }
  }
  return true;
}

// "1e3", "1e6", "16": compact labels for powers of ten.
inline std::string count_label(std::uint64_t n) {
  int e = 0;
  std::uint64_t m = n;
  while (m >= 10 && m % 10 == 0) {
    m /= 10;
    ++e;
  }
  if (e >= 3 && m < 10) return m == 1 ? fmt::format("1e{}", e) : fmt::format("{}e{}", m, e);
  return fmt::format("{}", n);
}

// One measured figure: `events` processed in `seconds` of wall-clock time.
struct Rate {
  std::uint64_t events = 0;
  double seconds = 0.0;
  double rss_mib = 0.0;  // resident memory sampled at the end of the measurement
  double ns_per_event() const { return events ? seconds * 1e9 / static_cast<double>(events) : 0.0; }
  double mevents_per_s() const { return seconds > 0 ? static_cast<double>(events) / seconds / 1e6 : 0.0; }
};

}  // namespace slsim::bench
