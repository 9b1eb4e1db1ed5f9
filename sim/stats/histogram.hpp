#pragma once
// Log-linear (HDR-style) latency histogram over non-negative int64 values
// (nanoseconds).
//
// Layout: values below 256 each have their own bucket (exact). Above that,
// every power-of-two range [2^k, 2^(k+1)), k >= 8, is split into 128 equal
// sub-buckets of width 2^(k-7). This covers the whole int64 range (everything
// up to 2^63 - 1, so well past 2^62) with 256 + 55 * 128 = 7296 buckets.
//
// Memory: 7296 uint64 counts = 58,368 bytes (57 KiB) in one vector allocated
// at construction, plus ~56 bytes of scalars. Recording never allocates.
//
// Accuracy: a bucket with lower bound L and width w has L >= 128 w, and
// percentiles report its midpoint L + (w - 1) / 2 (clamped to [min, max]),
// so the relative error is at most (w - 1) / (2 L) < 1/256 ~ 0.39% (0 below
// 256). min, max, count and mean are exact (the sum is an unsigned __int128).
#include <bit>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

namespace slsim {

class LatencyHistogram {
 public:
  static constexpr unsigned kSubBucketBits = 7;  // 128 sub-buckets per octave
  static constexpr std::int64_t kExactBelow = 256;
  static constexpr std::size_t kBucketCount = 7296;

  LatencyHistogram() : counts_(kBucketCount, 0) {}

  // Bucket of a value: shift = 0 for u < 256, else bit_width(u) - 8; the index
  // is shift * 128 + (u >> shift), where u >> shift is in [128, 256) whenever
  // shift > 0. Branch-free, loop-free, integer-only.
  static constexpr std::size_t bucket_index(std::uint64_t u) noexcept {
    const auto shift = static_cast<unsigned>(std::bit_width(u | 255u)) - 8u;
    return (static_cast<std::size_t>(shift) << kSubBucketBits) +
           static_cast<std::size_t>(u >> shift);
  }
  // Smallest and largest value mapping to bucket `index` (< kBucketCount).
  static constexpr std::uint64_t bucket_lower(std::size_t index) noexcept {
    if (index < 256) return index;
    const auto shift = static_cast<unsigned>(index >> kSubBucketBits) - 1u;
    const std::uint64_t sub = (index & 127u) + 128u;
    return sub << shift;
  }
  static constexpr std::uint64_t bucket_upper(std::size_t index) noexcept {
    if (index < 256) return index;
    const auto shift = static_cast<unsigned>(index >> kSubBucketBits) - 1u;
    return bucket_lower(index) + ((std::uint64_t{1} << shift) - 1u);
  }

  void record(std::int64_t v) noexcept {
    const std::uint64_t u = v < 0 ? 0u : static_cast<std::uint64_t>(v);
    ++counts_[bucket_index(u)];
    ++count_;
    sum_ += u;
    if (u < min_) min_ = u;
    if (u > max_) max_ = u;
  }

  void record_n(std::int64_t v, std::uint64_t n) noexcept {
    if (n == 0) return;
    const std::uint64_t u = v < 0 ? 0u : static_cast<std::uint64_t>(v);
    counts_[bucket_index(u)] += n;
    count_ += n;
    sum_ += static_cast<U128>(u) * n;
    if (u < min_) min_ = u;
    if (u > max_) max_ = u;
  }

  std::uint64_t count() const noexcept { return count_; }
  bool empty() const noexcept { return count_ == 0; }
  double mean() const noexcept;         // 0 when empty
  std::int64_t min() const noexcept {   // 0 when empty
    return count_ == 0 ? 0 : static_cast<std::int64_t>(min_);
  }
  std::int64_t max() const noexcept {   // 0 when empty
    return static_cast<std::int64_t>(max_);
  }

  // Nearest-rank percentile, q in [0, 1] (clamped; NaN counts as 0): the
  // smallest recorded value v with count(<= v) >= ceil(q * n), reported as
  // its bucket's midpoint clamped to [min, max]. q = 0 (rank 1) gives min,
  // q = 1 (rank n) gives max, both exact. Returns 0 when empty.
  double percentile(double q) const noexcept;

  // The count of bucket `index` (< kBucketCount): for a difference of two
  // states of one histogram (a time series' per-interval percentiles).
  std::uint64_t bucket_count(std::size_t index) const noexcept { return counts_[index]; }

  void merge(const LatencyHistogram& other) noexcept;
  void reset() noexcept;

  bool operator==(const LatencyHistogram&) const = default;

 private:
  __extension__ typedef unsigned __int128 U128;

  std::vector<std::uint64_t> counts_;
  std::uint64_t count_ = 0;
  U128 sum_ = 0;  // < 2^63 * 2^64: cannot overflow
  std::uint64_t min_ = std::numeric_limits<std::uint64_t>::max();
  std::uint64_t max_ = 0;
};

}  // namespace slsim
