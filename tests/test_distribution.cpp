// Tests for sim/core/distribution.hpp.
//
// Every statistical check uses a fixed seed (deterministic) and a tolerance
// derived from the sample size n, at 5 standard errors:
//   sample mean:      |m - mu|      <= 5 * sqrt(sigma^2 / n)
//   sample variance:  |s2 - sigma2| <= 5 * sqrt((mu4 - sigma^4) / n)
//       (the asymptotic variance of s2; mu4 is the analytic 4th central
//       moment, given per distribution below, which requires mu4 < inf)
//   empirical q-quantile (nearest rank) must lie between the true quantiles
//       at q -/+ 5 * sqrt(q (1 - q) / n) (normal bound on the binomial count
//       of samples below the true quantile)
//   chi-square goodness of fit: statistic below the 1 - 1e-4 quantile of
//       chi2(df), computed once from the regularized incomplete gamma function.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "sim/core/distribution.hpp"

using slsim::Distribution;
using slsim::DistKind;
using slsim::Rng;
using slsim::ZipfSampler;

namespace {

constexpr int kN = 1'000'000;
constexpr double kChi2Crit19 = 50.79548966558877;  // chi2(19), 1 - 1e-4

std::vector<double> draw(const Distribution& d, std::uint64_t seed, int n = kN) {
  Rng rng(seed);
  std::vector<double> xs(static_cast<std::size_t>(n));
  for (auto& x : xs) x = d.sample(rng);
  return xs;
}

struct SampleMoments {
  double mean = 0.0, var = 0.0;
};

SampleMoments moments(const std::vector<double>& xs) {
  const double n = static_cast<double>(xs.size());
  double sum = 0.0;
  for (const double x : xs) sum += x;
  const double mean = sum / n;
  double ss = 0.0;
  for (const double x : xs) ss += (x - mean) * (x - mean);
  return {mean, ss / (n - 1.0)};
}

// Sample mean and variance of xs against the analytic values (5 SE each).
void check_moments(const std::vector<double>& xs, double mean, double var, double mu4) {
  const double n = static_cast<double>(xs.size());
  const auto m = moments(xs);
  const double mean_tol = 5.0 * std::sqrt(var / n);
  const double var_tol = 5.0 * std::sqrt((mu4 - var * var) / n);
  INFO("sample mean " << m.mean << " vs " << mean << " (tol " << mean_tol << ")");
  CHECK(std::fabs(m.mean - mean) <= mean_tol);
  INFO("sample variance " << m.var << " vs " << var << " (tol " << var_tol << ")");
  CHECK(std::fabs(m.var - var) <= var_tol);
}

// Empirical (nearest-rank) q-quantile against the binomial bound.
void check_quantile(std::vector<double> xs, const Distribution& d, double q) {
  const double n = static_cast<double>(xs.size());
  const double delta = 5.0 * std::sqrt(q * (1.0 - q) / n);
  const auto idx = static_cast<std::size_t>(std::ceil(q * n)) - 1;
  std::nth_element(xs.begin(), xs.begin() + static_cast<std::ptrdiff_t>(idx), xs.end());
  const double emp = xs[idx];
  const double lo = d.quantile(std::max(0.0, q - delta));
  const double hi = d.quantile(std::min(1.0, q + delta));
  INFO("q=" << q << " empirical " << emp << " bounds [" << lo << ", " << hi << "]");
  CHECK(emp >= lo);
  CHECK(emp <= hi);
}

// 4th central moment from raw moments r1..r4.
double central4(double r1, double r2, double r3, double r4) {
  return r4 - 4.0 * r3 * r1 + 6.0 * r2 * r1 * r1 - 3.0 * r1 * r1 * r1 * r1;
}

}  // namespace

TEST_CASE("distribution: default and constant") {
  const Distribution def;
  CHECK(def.kind() == DistKind::constant);
  Rng rng(1);
  CHECK(def.sample(rng) == 0.0);
  CHECK(def.mean() == 0.0);
  CHECK(def.variance() == 0.0);

  const auto c = Distribution::constant(2.5e6);
  for (int i = 0; i < 100; ++i) REQUIRE(c.sample(rng) == 2.5e6);
  CHECK(c.mean() == 2.5e6);
  CHECK(c.variance() == 0.0);
  CHECK(c.quantile(0.99) == 2.5e6);
  CHECK(c.sample_ns(rng) == 2'500'000);
}

TEST_CASE("distribution: exponential mean / variance and quantiles") {
  const double m = 2.0e6;  // 2 ms in ns
  const auto d = Distribution::exponential(m);
  CHECK(d.kind() == DistKind::exponential);
  CHECK(d.mean() == Approx(m));
  CHECK(d.variance() == Approx(m * m));
  CHECK(d.quantile(0.5) == Approx(m * std::log(2.0)));
  const auto xs = draw(d, 101);
  check_moments(xs, m, m * m, 9.0 * m * m * m * m);  // mu4 = 9 m^4
  check_quantile(xs, d, 0.5);
  check_quantile(xs, d, 0.99);
}

TEST_CASE("distribution: uniform mean and variance") {
  const double a = 10.0, b = 50.0, w = b - a;
  const auto d = Distribution::uniform(a, b);
  CHECK(d.kind() == DistKind::uniform);
  CHECK(d.mean() == Approx(30.0));
  CHECK(d.variance() == Approx(w * w / 12.0));
  CHECK(d.quantile(0.25) == Approx(20.0));
  const auto xs = draw(d, 102);
  CHECK(*std::min_element(xs.begin(), xs.end()) >= a);
  CHECK(*std::max_element(xs.begin(), xs.end()) < b);
  check_moments(xs, 30.0, w * w / 12.0, w * w * w * w / 80.0);  // mu4 = w^4 / 80
}

TEST_CASE("distribution: lognormal by mean/cv mean and variance") {
  const double mean = 5.0e6, cv = 0.5;
  const auto d = Distribution::lognormal_mean_cv(mean, cv);
  CHECK(d.kind() == DistKind::lognormal);
  const double var = (cv * mean) * (cv * mean);
  CHECK(d.mean() == Approx(mean));
  CHECK(d.variance() == Approx(var));
  // mu4 = var^2 * (e^{4s2} + 2 e^{3s2} + 3 e^{2s2} - 3), s2 = ln(1 + cv^2).
  const double s2 = std::log1p(cv * cv);
  const double mu4 =
      var * var * (std::exp(4 * s2) + 2 * std::exp(3 * s2) + 3 * std::exp(2 * s2) - 3);
  check_moments(draw(d, 103), mean, var, mu4);
}

TEST_CASE("distribution: lognormal by median/p99 quantiles and mean") {
  const double median = 10.0e6, p99 = 50.0e6;
  const auto d = Distribution::lognormal_median_p99(median, p99);
  CHECK(d.quantile(0.5) == Approx(median).epsilon(1e-12));
  CHECK(d.quantile(0.99) == Approx(p99).epsilon(1e-12));
  const double sigma = std::log(p99 / median) / 2.3263478740408408;
  const double expected_mean = median * std::exp(0.5 * sigma * sigma);
  CHECK(d.mean() == Approx(expected_mean));
  const auto xs = draw(d, 104);
  check_quantile(xs, d, 0.5);
  check_quantile(xs, d, 0.99);
  // Mean at 5 SE using the analytic variance.
  const double n = static_cast<double>(xs.size());
  CHECK(std::fabs(moments(xs).mean - expected_mean) <= 5.0 * std::sqrt(d.variance() / n));
  CHECK(d.describe().rfind("lognormal(mu=", 0) == 0);
}

TEST_CASE("distribution: gamma cv=2 (shape 0.25 < 1 / boosted path) mean and variance") {
  const double mean = 1.0e6, cv = 2.0;
  const double k = 1.0 / (cv * cv), theta = mean / k;
  const auto d = Distribution::gamma_mean_cv(mean, cv);
  CHECK(d.kind() == DistKind::gamma);
  CHECK(d.mean() == Approx(mean));
  CHECK(d.variance() == Approx(k * theta * theta));
  CHECK(std::isnan(d.quantile(0.5)));
  const auto xs = draw(d, 105);
  CHECK(*std::min_element(xs.begin(), xs.end()) >= 0.0);
  // mu4 = 3 k (k + 2) theta^4.
  check_moments(xs, mean, k * theta * theta, 3.0 * k * (k + 2.0) * std::pow(theta, 4));
}

TEST_CASE("distribution: gamma cv=0.5 (shape 4 > 1) mean and variance") {
  const double mean = 3.0, cv = 0.5;
  const double k = 1.0 / (cv * cv), theta = mean / k;
  const auto d = Distribution::gamma_mean_cv(mean, cv);
  CHECK(d.variance() == Approx((cv * mean) * (cv * mean)));
  check_moments(draw(d, 106), mean, k * theta * theta, 3.0 * k * (k + 2.0) * std::pow(theta, 4));
}

TEST_CASE("distribution: pareto alpha=6 mean and variance") {
  // alpha > 4 so mu4 exists and the variance tolerance is defined.
  const double xm = 2.0, a = 6.0;
  const auto d = Distribution::pareto(xm, a);
  CHECK(d.kind() == DistKind::pareto);
  auto raw = [&](double j) { return a * std::pow(xm, j) / (a - j); };  // E[X^j], j < alpha
  const double mean = raw(1), var = raw(2) - mean * mean;
  CHECK(d.mean() == Approx(mean));
  CHECK(d.variance() == Approx(var));
  const auto xs = draw(d, 107);
  CHECK(*std::min_element(xs.begin(), xs.end()) >= xm);
  check_moments(xs, mean, var, central4(raw(1), raw(2), raw(3), raw(4)));
}

TEST_CASE("distribution: pareto alpha=1.5 heavy tail quantiles") {
  const double xm = 1.0e5, a = 1.5;
  const auto d = Distribution::pareto(xm, a);
  CHECK(d.mean() == Approx(a * xm / (a - 1.0)));
  CHECK(std::isinf(d.variance()));
  CHECK(d.quantile(0.5) == Approx(xm * std::pow(2.0, 1.0 / a)));
  CHECK(d.quantile(0.99) == Approx(xm * std::pow(100.0, 1.0 / a)));
  const auto xs = draw(d, 108);
  check_quantile(xs, d, 0.5);
  check_quantile(xs, d, 0.99);
  check_quantile(xs, d, 0.999);
  CHECK(std::isinf(Distribution::pareto(1.0, 1.0).mean()));
  CHECK(std::isinf(Distribution::pareto(1.0, 0.7).mean()));
}

TEST_CASE("distribution: empirical frequencies / mean / variance and quantiles") {
  const std::vector<double> values = {3.0, 10.0, 2.0, 1.0, 2.0};
  const auto d = Distribution::empirical(values);
  CHECK(d.kind() == DistKind::empirical);
  // Population moments of the list (each entry has probability 1/5).
  double mean = 0, var = 0, mu4 = 0;
  for (const double v : values) mean += v / 5.0;
  for (const double v : values) var += std::pow(v - mean, 2) / 5.0;
  for (const double v : values) mu4 += std::pow(v - mean, 4) / 5.0;
  CHECK(d.mean() == Approx(3.6));
  CHECK(d.variance() == Approx(var));
  // Nearest-rank quantiles on the sorted list {1, 2, 2, 3, 10}.
  CHECK(d.quantile(0.0) == 1.0);
  CHECK(d.quantile(0.2) == 1.0);
  CHECK(d.quantile(0.5) == 2.0);
  CHECK(d.quantile(0.8) == 3.0);
  CHECK(d.quantile(1.0) == 10.0);

  const auto xs = draw(d, 109);
  check_moments(xs, mean, var, mu4);
  // Frequencies: chi-square over the distinct values {1, 2, 3, 10} with
  // probabilities {.2, .4, .2, .2}; df = 3.
  double c1 = 0, c2 = 0, c3 = 0, c10 = 0, other = 0;
  for (const double x : xs) {
    if (x == 1.0) ++c1;
    else if (x == 2.0) ++c2;
    else if (x == 3.0) ++c3;
    else if (x == 10.0) ++c10;
    else ++other;
  }
  CHECK(other == 0);
  const double n = static_cast<double>(xs.size());
  double chi2 = 0;
  for (const auto& [c, p] : {std::pair{c1, 0.2}, {c2, 0.4}, {c3, 0.2}, {c10, 0.2}}) {
    chi2 += (c - n * p) * (c - n * p) / (n * p);
  }
  CHECK(chi2 < 21.107513466157616);  // chi2(3), 1 - 1e-4

  // Copies share the same sample list and give the same stream.
  const Distribution copy = d;  // NOLINT(performance-unnecessary-copy-initialization)
  Rng r1(5), r2(5);
  for (int i = 0; i < 100; ++i) REQUIRE(copy.sample(r1) == d.sample(r2));
}

TEST_CASE("distribution: same seed gives the same samples for every kind") {
  const Distribution all[] = {
      Distribution::constant(1), Distribution::exponential(2),
      Distribution::uniform(0, 1), Distribution::lognormal_mean_cv(1, 1),
      Distribution::gamma_mean_cv(1, 2), Distribution::pareto(1, 2),
      Distribution::empirical({1, 2, 3})};
  for (const auto& d : all) {
    INFO(d.describe());
    CHECK(draw(d, 77, 1000) == draw(d, 77, 1000));
  }
}

TEST_CASE("distribution: sample_ns rounds and clamps negatives to 0") {
  Rng rng(3);
  CHECK(Distribution::constant(2.6).sample_ns(rng) == 3);
  CHECK(Distribution::constant(-5.0).sample_ns(rng) == 0);
  const auto neg = Distribution::uniform(-10.0, -5.0);
  for (int i = 0; i < 100; ++i) REQUIRE(neg.sample_ns(rng) == 0);
}

TEST_CASE("distribution: describe uses plain numbers") {
  CHECK(Distribution().describe() == "constant(value=0)");
  CHECK(Distribution::exponential(1500).describe() == "exponential(mean=1500)");
  CHECK(Distribution::uniform(1, 2.5).describe() == "uniform(min=1, max=2.5)");
  CHECK(Distribution::gamma_mean_cv(8, 0.5).describe() == "gamma(shape=4, scale=2)");
  CHECK(Distribution::pareto(3, 1.5).describe() == "pareto(min=3, alpha=1.5)");
  CHECK(Distribution::empirical({4, 1, 9}).describe() == "empirical(n=3, min=1, max=9)");
}

TEST_CASE("distribution: normal_quantile matches reference values") {
  CHECK(slsim::normal_quantile(0.5) == 0.0);
  CHECK(slsim::normal_quantile(0.99) == Approx(2.3263478740408408).epsilon(1e-14));
  CHECK(slsim::normal_quantile(0.975) == Approx(1.959963984540054).epsilon(1e-14));
  CHECK(slsim::normal_quantile(0.025) == Approx(-1.959963984540054).epsilon(1e-14));
  CHECK(slsim::normal_quantile(1e-10) == Approx(-6.361340902404056).epsilon(1e-13));
  CHECK(std::isinf(slsim::normal_quantile(1.0)));
  CHECK(std::isnan(slsim::normal_quantile(1.5)));
}

namespace {

// Chi-square of n_draws Zipf(n, s) samples against the exact pmf.
double zipf_chi_square(std::uint64_t n, double s, std::uint64_t seed, int n_draws) {
  const ZipfSampler z(n, s);
  Rng rng(seed);
  std::vector<double> counts(n, 0.0);
  bool in_range = true;
  for (int i = 0; i < n_draws; ++i) {
    const auto k = z.sample(rng);
    in_range = in_range && k < n;
    if (k < n) counts[k] += 1.0;
  }
  CHECK(in_range);
  double norm = 0;
  for (std::uint64_t k = 0; k < n; ++k) norm += std::pow(static_cast<double>(k + 1), -s);
  double chi2 = 0;
  for (std::uint64_t k = 0; k < n; ++k) {
    const double e = n_draws * std::pow(static_cast<double>(k + 1), -s) / norm;
    chi2 += (counts[k] - e) * (counts[k] - e) / e;
  }
  return chi2;
}

// H_{n,s} = sum_{k=1..n} k^-s: exact for the first 1e5 terms, then the
// midpoint-rule integral (error ~ s(s+1)/24 * sum k^(-s-2), negligible here).
double harmonic(double n, double s) {
  const double m = std::min(n, 1e5);
  double h = 0;
  for (double k = 1; k <= m; ++k) h += std::pow(k, -s);
  if (n > m) {
    auto prim = [s](double x) { return s == 1.0 ? std::log(x) : std::pow(x, 1.0 - s) / (1.0 - s); };
    h += prim(n + 0.5) - prim(m + 0.5);
  }
  return h;
}

}  // namespace

TEST_CASE("distribution: zipf n=20 goodness of fit (s=1.1 / 1.0 / 0.5)") {
  // 200k draws: the smallest expected count is > 1000, so chi2(19) applies.
  CHECK(zipf_chi_square(20, 1.1, 201, 200'000) < kChi2Crit19);
  CHECK(zipf_chi_square(20, 1.0, 202, 200'000) < kChi2Crit19);
  CHECK(zipf_chi_square(20, 0.5, 203, 200'000) < kChi2Crit19);
}

TEST_CASE("distribution: zipf edge cases (n=1 / n=2 / s=10)") {
  Rng rng(204);
  const ZipfSampler one(1, 1.0);
  for (int i = 0; i < 1000; ++i) REQUIRE(one.sample(rng) == 0);
  // s = 10, n = 3: P(0) = 1/(1 + 2^-10 + 3^-10). Rank 2 expects only ~3 hits
  // in 200k draws, too few for chi-square, so test rank 0 against the
  // binomial bound (5 SE).
  const ZipfSampler steep(3, 10.0);
  constexpr int n = 200'000;
  const double p0 = 1.0 / (1.0 + std::pow(2.0, -10) + std::pow(3.0, -10));
  int c0 = 0;
  bool in_range = true;
  for (int i = 0; i < n; ++i) {
    const auto k = steep.sample(rng);
    in_range = in_range && k < 3;
    c0 += (k == 0);
  }
  CHECK(in_range);
  CHECK(std::fabs(c0 / double{n} - p0) <= 5.0 * std::sqrt(p0 * (1 - p0) / n));
  // n = 2, s = 1: P(0) = 2/3, binomial bound (5 SE).
  const ZipfSampler two(2, 1.0);
  int t0 = 0;
  for (int i = 0; i < n; ++i) t0 += (two.sample(rng) == 0);
  CHECK(std::fabs(t0 / double{n} - 2.0 / 3.0) <= 5.0 * std::sqrt((2.0 / 9.0) / n));
}

TEST_CASE("distribution: zipf large n=1e9 smoke test") {
  constexpr std::uint64_t n = 1'000'000'000;
  constexpr int draws = 200'000;
  for (const double s : {1.1, 1.0}) {
    INFO("s=" << s);
    const ZipfSampler z(n, s);
    Rng rng(205);
    std::vector<int> low(100, 0);
    std::uint64_t max_seen = 0;
    bool in_range = true;
    for (int i = 0; i < draws; ++i) {
      const auto k = z.sample(rng);
      in_range = in_range && k < n;
      max_seen = std::max(max_seen, k);
      if (k < 100) ++low[k];
    }
    CHECK(in_range);
    // Rank 0 is the most frequent among the head (every other rank has
    // probability <= 2^-s of rank 0's).
    CHECK(*std::max_element(low.begin() + 1, low.end()) < low[0]);
    // P(rank 0) = 1 / H_{n,s}, binomial bound at 5 SE.
    const double p0 = 1.0 / harmonic(static_cast<double>(n), s);
    CHECK(std::fabs(low[0] / double{draws} - p0) <= 5.0 * std::sqrt(p0 * (1 - p0) / draws));
    // The tail is reached: P(rank >= 1e6) is > 0.1 for both s.
    CHECK(max_seen >= 1'000'000);
  }
}
