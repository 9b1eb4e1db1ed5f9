#pragma once
// A token bucket (capacity `burst` tokens, refilled continuously at `rate`
// tokens per second, full at time 0), in exact integer arithmetic.
//
// Why integers: the bucket is refilled lazily, once per request, from the
// elapsed int64-ns time. Adding rate * dt in floating point would round at
// every refill, and a run of 10^9 requests would accumulate that error. Here:
//   - the level is an int64 count of nanotokens (1e-9 token);
//   - the rate is an integer number of nanotokens per second, i.e. the
//     configured rate rounded to 1e-9 token/s (a fixed quantisation of the
//     parameter, not an error that grows);
//   - a refill over dt ns adds rate * dt / 1e9 nanotokens, computed in 128
//     bits, and the division's remainder is carried to the next refill.
// So over any interval during which the bucket is not full, the credited
// amount is exactly floor(rate * elapsed / 1e9) nanotokens whatever the
// number of refills: no drift. (When the bucket is full the overflow,
// remainder included, is discarded, as a real bucket does.)
#include <cstdint>

#include "sim/core/time.hpp"

namespace slsim {

class TokenBucket {
 public:
  static constexpr std::int64_t kUnit = 1'000'000'000;  // nanotokens per token

  TokenBucket() = default;
  // rate in tokens per second (clamped to [0, 1e9]); burst in tokens (clamped to [0, 1e9]).
  TokenBucket(double rate_per_s, std::int64_t burst) {
    const double r = rate_per_s > 0 ? (rate_per_s < 1e9 ? rate_per_s : 1e9) : 0.0;
    rate_ = static_cast<std::uint64_t>(r * 1e9 + 0.5);
    const std::int64_t b = burst > 0 ? (burst < 1'000'000'000 ? burst : 1'000'000'000) : 0;
    capacity_ = b * kUnit;
    level_ = capacity_;
  }

  // Refills up to `now` (never backwards) and tells whether a whole token is there.
  bool has_token(SimTime now) {
    refill(now);
    return level_ >= kUnit;
  }
  // Takes one token. Precondition: has_token(now) just returned true.
  void take() { level_ -= kUnit; }
  // Several tokens at once (a bucket of bytes, say).
  bool has_tokens(SimTime now, std::uint64_t n) {
    refill(now);
    return n <= static_cast<std::uint64_t>(level_ / kUnit);
  }
  void take(std::uint64_t n) { level_ -= static_cast<std::int64_t>(n) * kUnit; }
  // Takes a token if there is one.
  bool try_take(SimTime now) {
    if (!has_token(now)) return false;
    take();
    return true;
  }

  // A new rate and capacity from `now` on (a table's capacity changed): the
  // time before `now` is credited at the old rate; a level above the new
  // capacity is cut to it.
  void reconfigure(SimTime now, double rate_per_s, std::int64_t burst) {
    refill(now);
    const std::int64_t level = level_;
    const SimTime last = last_;
    *this = TokenBucket(rate_per_s, burst);
    level_ = level < capacity_ ? level : capacity_;
    last_ = last;
  }

  // The level in tokens after refilling to `now` (reporting and tests).
  double tokens(SimTime now) {
    refill(now);
    return static_cast<double>(level_) / static_cast<double>(kUnit);
  }
  std::int64_t nanotokens() const { return level_; }

 private:
  void refill(SimTime now) {
    if (now <= last_) return;
    const SimTime dt = now - last_;
    last_ = now;
    if (level_ >= capacity_) {
      remainder_ = 0;
      return;
    }
    __extension__ using u128 = unsigned __int128;
    // rate_ <= 1e18 and dt < 2^63: the product fits in 128 bits.
    const u128 credit = static_cast<u128>(rate_) * static_cast<u128>(dt) + remainder_;
    const u128 added = credit / static_cast<u128>(kUnit);
    const auto room = static_cast<u128>(capacity_ - level_);
    if (added >= room) {
      level_ = capacity_;
      remainder_ = 0;
    } else {
      level_ += static_cast<std::int64_t>(added);
      remainder_ = static_cast<std::uint64_t>(credit % static_cast<u128>(kUnit));
    }
  }

  std::uint64_t rate_ = 0;       // nanotokens per second (= tokens/s * 1e9)
  std::int64_t capacity_ = 0;    // nanotokens
  std::int64_t level_ = 0;       // nanotokens
  std::uint64_t remainder_ = 0;  // credit below one nanotoken, in units of 1e-9 nanotoken
  SimTime last_ = 0;
};

}  // namespace slsim
