#pragma once
// Portable, reproducible random numbers.
//
// Everything here is our own code and uses only integer arithmetic plus
// <cmath>, so a given seed yields the same sequence on every platform and
// standard library (no std:: distributions, whose outputs are unspecified).
//
//   Rng           xoshiro256** (Blackman & Vigna), seeded through splitmix64.
//   for_stream    one independent stream per (seed, replication, component).
#include <bit>
#include <cassert>
#include <cmath>
#include <cstdint>
#include <string_view>

namespace slsim {

// splitmix64 (Steele, Lea & Flood): advances `state` by the golden-ratio
// increment and returns the mixed value. Used for seeding and hashing.
inline std::uint64_t splitmix64_next(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// The splitmix64 output function alone (a bijective 64-bit mixer).
inline std::uint64_t mix64(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// FNV-1a 64-bit over the bytes of `name`, then the splitmix64 finalizer so
// that similar names give unrelated values in every bit.
inline std::uint64_t hash_name(std::string_view name) {
  std::uint64_t h = 0xCBF29CE484222325ULL;  // FNV offset basis
  for (const char ch : name) {
    h ^= static_cast<std::uint64_t>(static_cast<unsigned char>(ch));
    h *= 0x100000001B3ULL;  // FNV prime
  }
  return mix64(h);
}

namespace detail {

// High and low 64-bit halves of the full 128-bit product a*b.
struct U128 {
  std::uint64_t hi;
  std::uint64_t lo;
};

inline U128 mul_64x64(std::uint64_t a, std::uint64_t b) {
#if defined(__SIZEOF_INT128__)
  __extension__ using u128 = unsigned __int128;
  const u128 p = static_cast<u128>(a) * static_cast<u128>(b);
  return {static_cast<std::uint64_t>(p >> 64), static_cast<std::uint64_t>(p)};
#else
  // Portable fallback: schoolbook multiplication on 32-bit halves.
  const std::uint64_t a_lo = a & 0xFFFFFFFFULL, a_hi = a >> 32;
  const std::uint64_t b_lo = b & 0xFFFFFFFFULL, b_hi = b >> 32;
  const std::uint64_t ll = a_lo * b_lo;
  const std::uint64_t lh = a_lo * b_hi;
  const std::uint64_t hl = a_hi * b_lo;
  const std::uint64_t hh = a_hi * b_hi;
  const std::uint64_t mid = (ll >> 32) + (lh & 0xFFFFFFFFULL) + (hl & 0xFFFFFFFFULL);
  return {hh + (lh >> 32) + (hl >> 32) + (mid >> 32), (mid << 32) | (ll & 0xFFFFFFFFULL)};
#endif
}

}  // namespace detail

// xoshiro256** 1.0. Copyable value type; copying forks an identical stream.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) {
    std::uint64_t sm = seed;
    for (auto& word : s_) word = splitmix64_next(sm);
    // splitmix64 is a bijection of a counter, so four consecutive outputs
    // cannot all be zero; the all-zero state (a fixed point) is unreachable.
  }

  // A per-component stream. The same (seed, replication, name) triple always
  // yields the same sequence; changing any of the three yields an unrelated
  // one. Each input is folded in and re-mixed in turn, so e.g. (seed=1,
  // replication=2) and (seed=2, replication=1) do not collide.
  static Rng for_stream(std::uint64_t seed, std::uint64_t replication,
                        std::string_view stream_name) {
    std::uint64_t k = mix64(seed ^ 0x5EED5EED5EED5EEDULL);
    k = mix64(k ^ mix64(replication + 0x9E3779B97F4A7C15ULL));
    k = mix64(k ^ hash_name(stream_name));
    return Rng(k);
  }

  std::uint64_t next_u64() {
    const std::uint64_t result = std::rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = std::rotl(s_[3], 45);
    return result;
  }

  // Uniform in [0, 1): the top 53 bits scaled by 2^-53 (every value is an
  // exact multiple of 2^-53).
  double uniform01() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }

  // Uniform in (0, 1) strictly: (top 52 bits + 1/2) * 2^-52. Smallest value
  // 2^-53, largest 1 - 2^-53, both exact, so log() and division are safe.
  double uniform_open01() {
    return (static_cast<double>(next_u64() >> 12) + 0.5) * 0x1.0p-52;
  }

  // Unbiased integer in [0, n) (Lemire 2019, multiply-shift with rejection).
  // n must be > 0 (n == 0 returns 0 in release builds).
  std::uint64_t below(std::uint64_t n) {
    assert(n > 0);
    if (n == 0) return 0;
    detail::U128 m = detail::mul_64x64(next_u64(), n);
    if (m.lo < n) {
      const std::uint64_t threshold = (std::uint64_t{0} - n) % n;  // 2^64 mod n
      while (m.lo < threshold) m = detail::mul_64x64(next_u64(), n);
    }
    return m.hi;
  }

  // Uniform in [a, b) (for a < b).
  double uniform(double a, double b) { return a + (b - a) * uniform01(); }

  // Exponential with the given mean, by inversion.
  double exponential(double mean) { return -mean * std::log(uniform_open01()); }

  // Standard normal by the Marsaglia polar method; the second value of each
  // pair is cached in this object (so copies carry it along).
  double standard_normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    double u = 0.0, v = 0.0, r2 = 0.0;
    do {
      u = 2.0 * uniform01() - 1.0;
      v = 2.0 * uniform01() - 1.0;
      r2 = u * u + v * v;
    } while (r2 >= 1.0 || r2 == 0.0);
    const double f = std::sqrt(-2.0 * std::log(r2) / r2);
    spare_ = v * f;
    has_spare_ = true;
    return u * f;
  }

  // True with probability p. Always consumes exactly one draw, whatever p is
  // (p <= 0 is never true, p >= 1 always true), so the stream position does
  // not depend on p.
  bool bernoulli(double p) { return uniform01() < p; }

 private:
  std::uint64_t s_[4];
  double spare_ = 0.0;
  bool has_spare_ = false;
};

}  // namespace slsim
