#include "sim/stats/histogram.hpp"

#include <algorithm>
#include <cmath>

namespace slsim {

double LatencyHistogram::mean() const noexcept {
  if (count_ == 0) return 0.0;
  return static_cast<double>(static_cast<long double>(sum_) /
                             static_cast<long double>(count_));
}

double LatencyHistogram::percentile(double q) const noexcept {
  if (count_ == 0) return 0.0;
  if (!(q > 0.0)) return static_cast<double>(min_);
  if (q >= 1.0) return static_cast<double>(max_);

  // rank = ceil(q * n). q is usually a decimal (0.9, 0.999) that binary cannot
  // represent, so q * n may land a hair above an integer it should equal
  // (0.9 * n). The representation error of q plus the rounding of the product
  // is < 2^-52 relative; a slack of 2^-50 relative absorbs it. It could only
  // misplace a genuinely fractional q * n whose fraction is below
  // q * n * 2^-50 (< 1e-6 for n = 1e9).
  const double x = q * static_cast<double>(count_);
  const double r = std::ceil(x - x * 0x1p-50);
  std::uint64_t rank = r < 1.0 ? 1u : static_cast<std::uint64_t>(r);
  if (rank <= 1) return static_cast<double>(min_);
  if (rank >= count_) return static_cast<double>(max_);

  const std::size_t first = bucket_index(min_);
  const std::size_t last = bucket_index(max_);
  std::size_t i = first;
  std::uint64_t seen = 0;
  for (; i < last; ++i) {
    seen += counts_[i];
    if (seen >= rank) break;
  }
  const std::uint64_t lo = bucket_lower(i);
  const std::uint64_t hi = bucket_upper(i);
  // Midpoint lo + (hi - lo) / 2, computed without overflow in double.
  const double mid = static_cast<double>(lo) + static_cast<double>(hi - lo) * 0.5;
  return std::clamp(mid, static_cast<double>(min_), static_cast<double>(max_));
}

void LatencyHistogram::merge(const LatencyHistogram& other) noexcept {
  if (other.count_ == 0) return;
  const std::size_t first = bucket_index(other.min_);
  const std::size_t last = bucket_index(other.max_);
  for (std::size_t i = first; i <= last; ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

void LatencyHistogram::reset() noexcept {
  std::fill(counts_.begin(), counts_.end(), std::uint64_t{0});
  count_ = 0;
  sum_ = 0;
  min_ = std::numeric_limits<std::uint64_t>::max();
  max_ = 0;
}

}  // namespace slsim
