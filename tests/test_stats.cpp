// Tests for sim/stats: Counter, TimeWeightedGauge, LatencyHistogram.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include <catch2/catch.hpp>

#include "sim/stats/counter.hpp"
#include "sim/stats/gauge.hpp"
#include "sim/stats/histogram.hpp"

using slsim::Counter;
using slsim::LatencyHistogram;
using slsim::TimeWeightedGauge;

namespace {

__extension__ typedef __int128 I128;

struct Quantile {
  double q;              // passed to percentile()
  std::uint64_t num, den;  // the same quantile as an exact fraction
};
const Quantile kQuantiles[] = {
    {0.5, 50, 100}, {0.9, 90, 100}, {0.95, 95, 100}, {0.99, 99, 100}, {0.999, 999, 1000}, {1.0, 1, 1},
};

// Exact nearest-rank percentile of sorted samples: s[ceil(n*num/den) - 1].
std::int64_t exact_percentile(const std::vector<std::int64_t>& sorted, std::uint64_t num,
                              std::uint64_t den) {
  const std::uint64_t n = sorted.size();
  std::uint64_t rank = (n * num + den - 1) / den;
  rank = std::max<std::uint64_t>(rank, 1);
  return sorted[rank - 1];
}

double exact_mean(const std::vector<std::int64_t>& v) {
  I128 sum = 0;
  for (auto x : v) sum += x;
  return static_cast<double>(static_cast<long double>(sum) / static_cast<long double>(v.size()));
}

// Records `samples` and checks percentiles (< 1%, and within the documented
// 1/256 bound), exact count/min/max/mean.
void check_against_exact(std::vector<std::int64_t> samples) {
  LatencyHistogram h;
  for (auto v : samples) h.record(v);
  std::sort(samples.begin(), samples.end());

  REQUIRE(h.count() == samples.size());
  REQUIRE(h.min() == samples.front());
  REQUIRE(h.max() == samples.back());
  REQUIRE(h.mean() == exact_mean(samples));
  REQUIRE(h.percentile(0.0) == static_cast<double>(samples.front()));
  REQUIRE(h.percentile(1.0) == static_cast<double>(samples.back()));

  for (const auto& qt : kQuantiles) {
    const auto exact = static_cast<double>(exact_percentile(samples, qt.num, qt.den));
    const double got = h.percentile(qt.q);
    const double rel = exact == 0.0 ? std::abs(got) : std::abs(got - exact) / exact;
    INFO("q=" << qt.q << " exact=" << exact << " got=" << got << " rel=" << rel);
    CHECK(rel < 0.01);
    CHECK(rel <= 1.0 / 256.0);
  }
}

std::vector<std::int64_t> lognormal_samples(std::size_t n) {
  // ln(1us) = 6.9, ln(10s) = 23.0: mean 14.97, sigma 2 covers ~1us..10s at 4 sigma.
  std::mt19937_64 rng(12345);
  std::lognormal_distribution<double> dist(14.97, 2.0);
  std::vector<std::int64_t> out(n);
  for (auto& v : out) v = std::llround(dist(rng));
  return out;
}

std::vector<std::int64_t> uniform_samples(std::size_t n) {
  std::mt19937_64 rng(23456);
  std::uniform_int_distribution<std::int64_t> dist(0, 1'000'000'000'000);
  std::vector<std::int64_t> out(n);
  for (auto& v : out) v = dist(rng);
  return out;
}

std::vector<std::int64_t> exponential_samples(std::size_t n) {
  std::mt19937_64 rng(34567);
  std::exponential_distribution<double> dist(1.0 / 1e6);  // mean 1 ms
  std::vector<std::int64_t> out(n);
  for (auto& v : out) v = std::llround(dist(rng));
  return out;
}

}  // namespace

TEST_CASE("stats: counter basics") {
  Counter c;
  REQUIRE(c.value == 0);
  c.add();
  REQUIRE(c.value == 1);
  c.add(41);
  REQUIRE(c.value == 42);
  c.reset();
  REQUIRE(c.value == 0);
}

TEST_CASE("stats: histogram bucket layout is contiguous and within 1/256") {
  REQUIRE(LatencyHistogram::bucket_lower(0) == 0);
  for (std::size_t i = 0; i < LatencyHistogram::kBucketCount; ++i) {
    const auto lo = LatencyHistogram::bucket_lower(i);
    const auto hi = LatencyHistogram::bucket_upper(i);
    REQUIRE(lo <= hi);
    if (i > 0) REQUIRE(lo == LatencyHistogram::bucket_upper(i - 1) + 1);
    REQUIRE(LatencyHistogram::bucket_index(lo) == i);
    REQUIRE(LatencyHistogram::bucket_index(hi) == i);
    if (i < 256) {
      REQUIRE(lo == i);
      REQUIRE(hi == i);
    } else {
      // Midpoint error (hi - lo) / 2 relative to lo is < 1/256, in integers.
      REQUIRE((hi - lo) * 128 < lo);
    }
  }
  REQUIRE(LatencyHistogram::bucket_upper(LatencyHistogram::kBucketCount - 1) ==
          static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()));
}

TEST_CASE("stats: histogram percentiles within 1% on lognormal 1us..10s") {
  check_against_exact(lognormal_samples(200'000));
}

TEST_CASE("stats: histogram percentiles within 1% on uniform [0 / 1e12]") {
  check_against_exact(uniform_samples(200'000));
}

TEST_CASE("stats: histogram percentiles within 1% on exponential") {
  check_against_exact(exponential_samples(200'000));
}

TEST_CASE("stats: histogram values below 256 are exact") {
  LatencyHistogram h;
  for (std::int64_t v = 0; v < 256; ++v) h.record(v);
  for (int k = 1; k <= 256; ++k) {
    // rank k of 0..255 is k - 1.
    REQUIRE(h.percentile(k / 256.0) == static_cast<double>(k - 1));
  }
  LatencyHistogram g;
  g.record_n(3, 10);
  g.record_n(200, 10);
  g.record_n(255, 0);  // no-op
  REQUIRE(g.count() == 20);
  REQUIRE(g.max() == 200);
  REQUIRE(g.percentile(0.5) == 3.0);
  REQUIRE(g.percentile(0.51) == 200.0);
  REQUIRE(g.mean() == 101.5);
}

TEST_CASE("stats: histogram q=0/q=1 / clamping / negatives") {
  LatencyHistogram h;
  h.record(1'234'567);
  h.record(987'654'321);
  h.record(5'555'555);
  REQUIRE(h.percentile(0.0) == 1'234'567.0);
  REQUIRE(h.percentile(-1.0) == 1'234'567.0);
  REQUIRE(h.percentile(std::nan("")) == 1'234'567.0);
  REQUIRE(h.percentile(1.0) == 987'654'321.0);
  REQUIRE(h.percentile(2.0) == 987'654'321.0);
  // Single value: every percentile is that value (midpoint clamped to [min, max]).
  LatencyHistogram one;
  one.record(1'000'001);
  for (double q : {0.0, 0.3, 0.5, 0.99, 1.0}) REQUIRE(one.percentile(q) == 1'000'001.0);
  LatencyHistogram neg;
  neg.record(-5);
  REQUIRE(neg.count() == 1);
  REQUIRE(neg.min() == 0);
  REQUIRE(neg.max() == 0);
  REQUIRE(neg.mean() == 0.0);
}

TEST_CASE("stats: histogram exact mean / min and max with huge values") {
  LatencyHistogram h;
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  h.record_n(kMax, 4);
  h.record(1);
  const I128 sum = static_cast<I128>(kMax) * 4 + 1;
  REQUIRE(h.mean() == static_cast<double>(static_cast<long double>(sum) / 5.0L));
  REQUIRE(h.min() == 1);
  REQUIRE(h.max() == kMax);
  REQUIRE(h.percentile(1.0) == static_cast<double>(kMax));
  REQUIRE(h.percentile(0.5) <= static_cast<double>(kMax));
  REQUIRE(h.percentile(0.5) / static_cast<double>(kMax) > 1.0 - 1.0 / 256.0);
  LatencyHistogram small;
  for (std::int64_t v : {1, 2, 4}) small.record(v);
  REQUIRE(small.mean() == Approx(7.0 / 3.0).epsilon(1e-15));
}

TEST_CASE("stats: histogram empty behaviour") {
  const LatencyHistogram h;
  REQUIRE(h.empty());
  REQUIRE(h.count() == 0);
  REQUIRE(h.mean() == 0.0);
  REQUIRE(h.min() == 0);
  REQUIRE(h.max() == 0);
  for (double q : {0.0, 0.5, 0.99, 1.0}) REQUIRE(h.percentile(q) == 0.0);
}

TEST_CASE("stats: histogram merge equals recording everything into one") {
  const auto a_samples = lognormal_samples(100'000);
  const auto b_samples = uniform_samples(100'000);
  LatencyHistogram a, b, all;
  for (auto v : a_samples) a.record(v), all.record(v);
  for (auto v : b_samples) b.record(v), all.record(v);
  a.merge(b);
  REQUIRE(a == all);
  REQUIRE(a.count() == all.count());
  REQUIRE(a.mean() == all.mean());
  REQUIRE(a.min() == all.min());
  REQUIRE(a.max() == all.max());
  for (int i = 0; i <= 1000; ++i) REQUIRE(a.percentile(i / 1000.0) == all.percentile(i / 1000.0));

  const LatencyHistogram before = a;
  a.merge(LatencyHistogram{});  // merging an empty one changes nothing
  REQUIRE(a == before);
  LatencyHistogram empty;
  empty.merge(all);  // merging into an empty one copies
  REQUIRE(empty == all);
}

TEST_CASE("stats: histogram reset clears") {
  LatencyHistogram h;
  for (auto v : exponential_samples(1000)) h.record(v);
  REQUIRE_FALSE(h.empty());
  h.reset();
  REQUIRE(h.empty());
  REQUIRE(h == LatencyHistogram{});
  REQUIRE(h.count() == 0);
  REQUIRE(h.min() == 0);
  REQUIRE(h.max() == 0);
  REQUIRE(h.percentile(0.5) == 0.0);
  h.record(500);
  h.record(700);
  REQUIRE(h.min() == 500);
  REQUIRE(h.max() == 700);
  REQUIRE(h.mean() == 600.0);
}

TEST_CASE("stats: gauge step sequence has exact time-weighted mean and max") {
  TimeWeightedGauge g;  // starts at t=0 with value 0
  g.set(10, 2.0);       // 0 over [0,10)
  g.set(30, 5.0);       // 2 over [10,30)
  g.add(40, -4.0);      // 5 over [30,40), then 1
  g.set(100, 0.0);      // 1 over [40,100)
  REQUIRE(g.current() == 0.0);
  REQUIRE(g.max() == 5.0);
  REQUIRE(g.integral(100) == 150.0L);
  REQUIRE(g.mean(100) == 1.5);   // 150 / 100
  REQUIRE(g.mean(200) == 0.75);  // 0 held until 200
  REQUIRE(g.mean(0) == 0.0);     // empty window: current value
}

TEST_CASE("stats: gauge reset at warm-up end") {
  TimeWeightedGauge g;
  g.set(10, 8.0);
  g.set(30, 3.0);
  g.reset(50);  // 3 held across the reset counts from 50 on
  REQUIRE(g.measure_start() == 50);
  REQUIRE(g.max() == 3.0);  // pre-reset max 8 forgotten; held value counts
  REQUIRE(g.current() == 3.0);
  g.set(60, 1.0);  // 3 over [50,60)
  g.set(80, 2.0);  // 1 over [60,80), 2 over [80,90)
  REQUIRE(g.mean(90) == 1.75);  // (30 + 20 + 20) / 40
  g.set(95, 0.0);
  REQUIRE(g.max() == 3.0);
}

TEST_CASE("stats: gauge mean with no change after reset is the held value") {
  TimeWeightedGauge g(0, 1.0);
  g.set(10, 7.0);
  g.set(20, 100.0);
  g.set(30, 7.0);
  g.reset(1000);
  REQUIRE(g.mean(1000) == 7.0);  // empty window
  REQUIRE(g.mean(5000) == 7.0);
  REQUIRE(g.max() == 7.0);
}

TEST_CASE("stats: gauge precision over long runs") {
  TimeWeightedGauge g;
  g.set(0, 1.0);
  g.set(1'000'000'000'000'000, 3.0);
  REQUIRE(g.mean(2'000'000'000'000'000) == 2.0);

  // 1 held for 1e18 ns, then 1e6 one-ns steps alternating 2/0 (mean 1): a
  // plain double sum (ulp 128 at 1e18) would drop every small term.
  TimeWeightedGauge h;
  h.set(0, 1.0);
  std::int64_t t = 1'000'000'000'000'000'000;
  for (int i = 0; i < 1'000'000; ++i) h.set(t++, i % 2 == 0 ? 2.0 : 0.0);
  REQUIRE(h.mean(t) == 1.0);

  // Non-integer values: 0.1 for 1e15 ns, 0.3 for 1e15 ns -> 0.2.
  TimeWeightedGauge f;
  f.set(0, 0.1);
  f.set(1'000'000'000'000'000, 0.3);
  REQUIRE(f.mean(2'000'000'000'000'000) == Approx(0.2).epsilon(1e-15));
}
