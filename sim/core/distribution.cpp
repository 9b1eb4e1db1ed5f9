#include "sim/core/distribution.hpp"

#include <algorithm>
#include <cassert>
#include <charconv>
#include <limits>
#include <numbers>
#include <utility>

namespace slsim {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Lower half of the normal quantile, p in (0, 0.5]. Starts from a rational
// approximation (Acklam, relative error ~1e-9) and polishes it with Halley
// steps on Phi(x) - p, where Phi(x) = erfc(-x/sqrt 2)/2 is evaluated with
// full relative accuracy for x <= 0.
double normal_quantile_lower(double p) {
  static constexpr double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                                 -2.759285104469687e+02, 1.383577518672690e+02,
                                 -3.066479806614716e+01, 2.506628277459239e+00};
  static constexpr double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                                 -1.556989798598866e+02, 6.680131188771972e+01,
                                 -1.328068155288572e+01};
  static constexpr double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                                 -2.400758277161838e+00, -2.549732539343734e+00,
                                 4.374664141464968e+00,  2.938163982698783e+00};
  static constexpr double d[] = {7.784695709041462e-03, 3.224671290700398e-01,
                                 2.445134137142996e+00, 3.754408661907416e+00};
  double x = 0.0;
  if (p >= 0.02425) {
    const double q = p - 0.5;
    const double r = q * q;
    x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
        (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1.0);
  } else {
    const double q = std::sqrt(-2.0 * std::log(p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0);
  }
  if (p < 1e-300) return x;  // exp(x^2/2) below would overflow
  const double sqrt2pi = std::sqrt(2.0 * std::numbers::pi);
  for (int i = 0; i < 2; ++i) {
    const double e = 0.5 * std::erfc(-x / std::numbers::sqrt2) - p;
    const double u = e * sqrt2pi * std::exp(0.5 * x * x);
    x = x - u / (1.0 + 0.5 * x * u);
  }
  return x;
}

std::string fmt(double v) {
  char buf[64];
  const auto res = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, res.ptr);
}

}  // namespace

double normal_quantile(double p) {
  if (!(p >= 0.0 && p <= 1.0)) return kNaN;
  if (p == 0.0) return -kInf;
  if (p == 1.0) return kInf;
  if (p > 0.5) return -normal_quantile_lower(1.0 - p);  // 1 - p is exact here
  return normal_quantile_lower(p);
}

Distribution Distribution::constant(double value) {
  Distribution d;
  d.kind_ = DistKind::constant;
  d.p_[0] = value;
  return d;
}

Distribution Distribution::exponential(double mean) {
  assert(mean > 0.0);
  Distribution d;
  d.kind_ = DistKind::exponential;
  d.p_[0] = mean;
  return d;
}

Distribution Distribution::uniform(double min, double max) {
  assert(min <= max);
  Distribution d;
  d.kind_ = DistKind::uniform;
  d.p_[0] = min;
  d.p_[1] = max;
  return d;
}

Distribution Distribution::lognormal_mean_cv(double mean, double cv) {
  assert(mean > 0.0 && cv > 0.0);
  const double sigma2 = std::log1p(cv * cv);
  Distribution d;
  d.kind_ = DistKind::lognormal;
  d.p_[0] = std::log(mean) - 0.5 * sigma2;
  d.p_[1] = std::sqrt(sigma2);
  return d;
}

Distribution Distribution::lognormal_median_p99(double median, double p99) {
  assert(median > 0.0 && p99 > median);
  Distribution d;
  d.kind_ = DistKind::lognormal;
  d.p_[0] = std::log(median);
  d.p_[1] = std::log(p99 / median) / kNormalZ99;
  return d;
}

Distribution Distribution::gamma_mean_cv(double mean, double cv) {
  assert(mean > 0.0 && cv > 0.0);
  const double k = 1.0 / (cv * cv);
  const double boosted = k < 1.0 ? k + 1.0 : k;  // sample Gamma(k+1), then * U^(1/k)
  const double dd = boosted - 1.0 / 3.0;
  Distribution d;
  d.kind_ = DistKind::gamma;
  d.shape_ = k;
  d.p_[0] = mean / k;
  d.p_[1] = dd;
  d.p_[2] = 1.0 / std::sqrt(9.0 * dd);
  d.p_[3] = k < 1.0 ? 1.0 / k : 0.0;
  return d;
}

Distribution Distribution::pareto(double min, double alpha) {
  assert(min > 0.0 && alpha > 0.0);
  Distribution d;
  d.kind_ = DistKind::pareto;
  d.p_[0] = min;
  d.p_[1] = alpha;
  d.p_[2] = -1.0 / alpha;
  return d;
}

Distribution Distribution::empirical(std::vector<double> values) {
  assert(!values.empty());
  if (values.empty()) return constant(0.0);
  std::sort(values.begin(), values.end());
  const double n = static_cast<double>(values.size());
  double sum = 0.0;
  for (const double v : values) sum += v;
  const double mean = sum / n;
  double ss = 0.0;
  for (const double v : values) ss += (v - mean) * (v - mean);
  Distribution d;
  d.kind_ = DistKind::empirical;
  d.p_[0] = mean;
  d.p_[1] = ss / n;  // population variance: each value has probability 1/n
  d.values_ = std::make_shared<const std::vector<double>>(std::move(values));
  return d;
}

double Distribution::mean() const {
  switch (kind_) {
    case DistKind::constant:
    case DistKind::exponential:
      return p_[0];
    case DistKind::uniform:
      return 0.5 * (p_[0] + p_[1]);
    case DistKind::lognormal:
      return std::exp(p_[0] + 0.5 * p_[1] * p_[1]);
    case DistKind::gamma:
      return shape_ * p_[0];
    case DistKind::pareto:
      return p_[1] <= 1.0 ? kInf : p_[1] * p_[0] / (p_[1] - 1.0);
    case DistKind::empirical:
      return p_[0];
  }
  return kNaN;
}

double Distribution::variance() const {
  switch (kind_) {
    case DistKind::constant:
      return 0.0;
    case DistKind::exponential:
      return p_[0] * p_[0];
    case DistKind::uniform: {
      const double w = p_[1] - p_[0];
      return w * w / 12.0;
    }
    case DistKind::lognormal: {
      const double s2 = p_[1] * p_[1];
      return std::expm1(s2) * std::exp(2.0 * p_[0] + s2);
    }
    case DistKind::gamma:
      return shape_ * p_[0] * p_[0];
    case DistKind::pareto: {
      const double a = p_[1], m = p_[0];
      if (a <= 2.0) return kInf;
      return m * m * a / ((a - 1.0) * (a - 1.0) * (a - 2.0));
    }
    case DistKind::empirical:
      return p_[1];
  }
  return kNaN;
}

double Distribution::quantile(double q) const {
  assert(q >= 0.0 && q <= 1.0);
  if (!(q >= 0.0 && q <= 1.0)) return kNaN;
  switch (kind_) {
    case DistKind::constant:
      return p_[0];
    case DistKind::exponential:
      return -p_[0] * std::log1p(-q);
    case DistKind::uniform:
      return p_[0] + q * (p_[1] - p_[0]);
    case DistKind::lognormal:
      return std::exp(p_[0] + p_[1] * normal_quantile(q));
    case DistKind::gamma:
      return kNaN;
    case DistKind::pareto:
      return p_[0] * std::pow(1.0 - q, p_[2]);
    case DistKind::empirical: {
      // Nearest rank: the smallest value with at least q*n values <= it.
      const std::size_t n = values_->size();
      double rank = std::ceil(q * static_cast<double>(n));
      if (rank < 1.0) rank = 1.0;
      if (rank > static_cast<double>(n)) rank = static_cast<double>(n);
      return (*values_)[static_cast<std::size_t>(rank) - 1];
    }
  }
  return kNaN;
}

std::string Distribution::describe() const {
  switch (kind_) {
    case DistKind::constant:
      return "constant(value=" + fmt(p_[0]) + ")";
    case DistKind::exponential:
      return "exponential(mean=" + fmt(p_[0]) + ")";
    case DistKind::uniform:
      return "uniform(min=" + fmt(p_[0]) + ", max=" + fmt(p_[1]) + ")";
    case DistKind::lognormal:
      return "lognormal(mu=" + fmt(p_[0]) + ", sigma=" + fmt(p_[1]) + ")";
    case DistKind::gamma:
      return "gamma(shape=" + fmt(shape_) + ", scale=" + fmt(p_[0]) + ")";
    case DistKind::pareto:
      return "pareto(min=" + fmt(p_[0]) + ", alpha=" + fmt(p_[1]) + ")";
    case DistKind::empirical:
      return "empirical(n=" + std::to_string(values_->size()) + ", min=" +
             fmt(values_->front()) + ", max=" + fmt(values_->back()) + ")";
  }
  return "unknown";
}

ZipfSampler::ZipfSampler(std::uint64_t n, double s)
    : n_(n == 0 ? 1 : n), n_d_(static_cast<double>(n_)), s_(s) {
  assert(n >= 1 && s > 0.0);  // n == 0 is treated as 1 in release builds
  h_integral_x1_ = h_integral(1.5) - 1.0;
  h_integral_n_ = h_integral(n_d_ + 0.5);
  squeeze_ = 2.0 - h_integral_inverse(h_integral(2.5) - h(2.0));
}

}  // namespace slsim
