#pragma once
// Parametric and empirical distributions for workload and service times.
//
// Distribution is a small tagged value (kind + a few doubles + an optional
// shared, immutable sample list), cheap to copy and sampled by a switch: no
// virtual calls and no allocation per draw. Values are in the caller's unit;
// durations are nanoseconds held as double (see sample_ns).
//
// Parameter validation (mean > 0, cv > 0, min <= max, alpha > 0,
// p99 > median > 0, non-empty values) belongs to the scenario loader; the
// factories here only assert in debug builds.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sim/core/random.hpp"
#include "sim/core/time.hpp"

namespace slsim {

enum class DistKind { constant, exponential, uniform, lognormal, gamma, pareto, empirical };

// Standard normal quantile function Phi^-1(p) for p in (0, 1); -inf at 0,
// +inf at 1, NaN outside [0, 1]. Accurate to a few ulps.
double normal_quantile(double p);

// z such that Phi(z) = 0.99.
inline constexpr double kNormalZ99 = 2.3263478740408408;

class Distribution {
 public:
  Distribution() = default;  // constant 0

  static Distribution constant(double value);
  static Distribution exponential(double mean);
  static Distribution uniform(double min, double max);
  // sigma^2 = ln(1 + cv^2), mu = ln(mean) - sigma^2 / 2.
  static Distribution lognormal_mean_cv(double mean, double cv);
  // mu = ln(median), sigma = ln(p99 / median) / z_0.99.
  static Distribution lognormal_median_p99(double median, double p99);
  // Gamma with shape k = 1/cv^2 and scale = mean/k.
  static Distribution gamma_mean_cv(double mean, double cv);
  // Pareto type I: min * U^(-1/alpha), support [min, inf).
  static Distribution pareto(double min, double alpha);
  // Uniform choice among `values` (duplicates count with their multiplicity).
  static Distribution empirical(std::vector<double> values);

  double sample(Rng& rng) const {
    switch (kind_) {
      case DistKind::constant:
        return p_[0];
      case DistKind::exponential:
        return rng.exponential(p_[0]);
      case DistKind::uniform:
        return rng.uniform(p_[0], p_[1]);
      case DistKind::lognormal:
        return std::exp(p_[0] + p_[1] * rng.standard_normal());
      case DistKind::gamma:
        return sample_gamma(rng);
      case DistKind::pareto:
        return p_[0] * std::pow(rng.uniform_open01(), p_[2]);
      case DistKind::empirical:
        return (*values_)[rng.below(values_->size())];
    }
    return 0.0;
  }

  // For durations held in nanoseconds: rounded, negative (and NaN) -> 0, and
  // at most kMaxDuration: the tails of pareto, lognormal and gamma are
  // unbounded, and a draw must never push the clock past its range.
  SimTime sample_ns(Rng& rng) const { return std::min(round_ns(sample(rng)), kMaxDuration); }

  double mean() const;      // +inf for pareto with alpha <= 1
  double variance() const;  // +inf where undefined (pareto alpha <= 2)
  // Closed-form quantile for q in [0, 1]; empirical uses nearest rank on the
  // sorted values; gamma has no closed form and returns NaN.
  double quantile(double q) const;

  DistKind kind() const { return kind_; }
  // E.g. "lognormal(mu=2.5, sigma=0.5)"; numbers in shortest round-trip form.
  std::string describe() const;

 private:
  // Marsaglia & Tsang (2000) for shape d + 1/3 >= 1; for the original shape
  // k < 1 the result is multiplied by U^(1/k) (p_[3] holds 1/k, else 0).
  double sample_gamma(Rng& rng) const {
    // p_[0] = scale, p_[1] = d, p_[2] = c = 1/sqrt(9d), p_[3] = 1/k or 0.
    const double d = p_[1], c = p_[2];
    double g = 0.0;
    for (;;) {
      double x = 0.0, v = 0.0;
      do {
        x = rng.standard_normal();
        v = 1.0 + c * x;
      } while (v <= 0.0);
      v = v * v * v;
      const double u = rng.uniform_open01();
      const double x2 = x * x;
      if (u < 1.0 - 0.0331 * x2 * x2 || std::log(u) < 0.5 * x2 + d * (1.0 - v + std::log(v))) {
        g = d * v;
        break;
      }
    }
    if (p_[3] != 0.0) g *= std::pow(rng.uniform_open01(), p_[3]);
    return g * p_[0];
  }

  DistKind kind_ = DistKind::constant;
  // Per kind:
  //   constant:    value
  //   exponential: mean
  //   uniform:     min, max
  //   lognormal:   mu, sigma
  //   gamma:       scale, d, c, 1/k (k < 1) or 0; shape kept in shape_
  //   pareto:      min, alpha, -1/alpha
  double p_[4] = {0.0, 0.0, 0.0, 0.0};
  double shape_ = 0.0;  // gamma shape k
  std::shared_ptr<const std::vector<double>> values_;  // empirical, sorted
};

// Zipf over ranks [0, n): P(k) proportional to 1/(k+1)^s, rank 0 the most
// popular. Rejection-inversion (Hoermann & Derflinger 1996): O(1) expected
// time per draw and O(1) memory for any n (tested up to 1e9), s in (0, 10],
// including s == 1.
class ZipfSampler {
 public:
  ZipfSampler(std::uint64_t n, double s);
  std::uint64_t sample(Rng& rng) const {
    // Work on k in [1, n] with weight h(k) = k^-s; return k - 1.
    for (;;) {
      const double u = h_integral_n_ + rng.uniform01() * (h_integral_x1_ - h_integral_n_);
      const double x = h_integral_inverse(u);
      double kd = std::floor(x + 0.5);
      if (kd < 1.0) kd = 1.0;
      if (kd > n_d_) kd = n_d_;
      if (kd - x <= squeeze_ || u >= h_integral(kd + 0.5) - h(kd)) {
        return static_cast<std::uint64_t>(kd) - 1;
      }
    }
  }
  std::uint64_t n() const { return n_; }
  double s() const { return s_; }

 private:
  double h(double x) const { return std::exp(-s_ * std::log(x)); }
  // H(x) = (x^(1-s) - 1) / (1-s), or ln x when s == 1: an antiderivative of h.
  double h_integral(double x) const;
  double h_integral_inverse(double y) const;

  std::uint64_t n_;
  double n_d_;
  double s_;
  double h_integral_x1_;  // H(1.5) - h(1)
  double h_integral_n_;   // H(n + 0.5)
  double squeeze_;        // 2 - H^-1(H(2.5) - h(2))
};

namespace detail {
// log1p(x)/x and expm1(x)/x, continuous at 0.
inline double log1p_over_x(double x) {
  if (std::fabs(x) > 1e-8) return std::log1p(x) / x;
  return 1.0 - x * (0.5 - x * (1.0 / 3.0 - 0.25 * x));
}
inline double expm1_over_x(double x) {
  if (std::fabs(x) > 1e-8) return std::expm1(x) / x;
  return 1.0 + x * 0.5 * (1.0 + x / 3.0 * (1.0 + 0.25 * x));
}
}  // namespace detail

inline double ZipfSampler::h_integral(double x) const {
  const double log_x = std::log(x);
  return detail::expm1_over_x((1.0 - s_) * log_x) * log_x;
}

inline double ZipfSampler::h_integral_inverse(double y) const {
  double t = y * (1.0 - s_);
  if (t < -1.0) t = -1.0;  // guards rounding at the far end of the range
  return std::exp(detail::log1p_over_x(t) * y);
}

}  // namespace slsim
