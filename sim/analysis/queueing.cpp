#include "sim/analysis/queueing.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace slsim {

double erlang_b(std::int64_t servers, double offered) {
  if (servers <= 0) return 1.0;
  if (!(offered > 0)) return 0.0;
  // The stable recursion B(k) = A B(k-1) / (k + A B(k-1)), B(0) = 1.
  double b = 1.0;
  for (std::int64_t k = 1; k <= servers; ++k) b = offered * b / (static_cast<double>(k) + offered * b);
  return b;
}

double erlang_c(std::int64_t servers, double offered) {
  if (servers <= 0 || offered >= static_cast<double>(servers)) return 1.0;
  if (!(offered > 0)) return 0.0;
  const double b = erlang_b(servers, offered);
  const double c = static_cast<double>(servers);
  return c * b / (c - offered * (1.0 - b));
}

double mgc_wait_s(std::int64_t servers, double rate, double service_s, double service_cv2) {
  if (!(rate > 0) || !(service_s > 0)) return 0.0;
  const double offered = rate * service_s;
  if (servers <= 0 || offered >= static_cast<double>(servers)) return std::numeric_limits<double>::infinity();
  const double spare = static_cast<double>(servers) / service_s - rate;  // c mu - lambda
  return erlang_c(servers, offered) / spare * (1.0 + service_cv2) / 2.0;
}

namespace {

// Ranks of one law, grouped: every rank below kExactRanks alone, then
// geometric groups (each 1% wider than the last) weighed at their middle, so
// that a law over 10^12 keys costs a few thousand terms.
struct RankGroup {
  double count;
  double rate;  // lookups per second of each key of the group
};
constexpr std::uint64_t kExactRanks = 20000;

std::vector<RankGroup> rank_groups(const KeyPopularity& law) {
  std::vector<RankGroup> groups;
  const std::uint64_t n = std::max<std::uint64_t>(1, law.keys);
  double total = 0;
  for (std::uint64_t a = 1; a <= n;) {
    const std::uint64_t b = a < kExactRanks ? a + 1 : std::min(n + 1, std::max(a + 1, static_cast<std::uint64_t>(std::ceil(static_cast<double>(a) * 1.01))));
    const double count = static_cast<double>(b - a);
    const double middle = std::sqrt(static_cast<double>(a) * static_cast<double>(b - 1));
    const double weight = law.zipf == 0 ? 1.0 : std::pow(middle, -law.zipf);
    groups.push_back({count, weight});
    total += count * weight;
    a = b;
  }
  for (RankGroup& g : groups) {
    g.rate = law.rate * g.rate / total;
    g.count *= law.copies;
  }
  return groups;
}

}  // namespace

double che_characteristic_time(const std::vector<KeyPopularity>& laws, double capacity) {
  std::vector<RankGroup> groups;
  double keys = 0;
  for (const KeyPopularity& law : laws) {
    if (!(law.rate > 0)) continue;
    const std::vector<RankGroup> g = rank_groups(law);
    groups.insert(groups.end(), g.begin(), g.end());
    keys += static_cast<double>(std::max<std::uint64_t>(1, law.keys)) * law.copies;
  }
  if (!(capacity >= 1)) return 0.0;
  if (keys <= capacity) return std::numeric_limits<double>::infinity();
  const auto occupancy = [&](double time) {
    double held = 0;
    for (const RankGroup& g : groups) held += g.count * -std::expm1(-g.rate * time);
    return held;
  };
  double lo = 0, hi = 1;
  while (occupancy(hi) < capacity && hi < 1e300) hi *= 2;
  for (int i = 0; i < 200 && hi - lo > 1e-12 * hi; ++i) {
    const double mid = (lo + hi) / 2;
    (occupancy(mid) < capacity ? lo : hi) = mid;
  }
  return (lo + hi) / 2;
}

namespace {
// The hit probability of a key looked up `rate` times per second.
double key_hit(double rate, double t, double ttl_s) {
  // Hits per miss: e^(rT) - 1 from the LRU alone, r ttl from the TTL alone.
  double per_miss = std::isinf(t) ? std::numeric_limits<double>::infinity() : std::expm1(rate * t);
  if (ttl_s > 0) per_miss = std::min(per_miss, rate * ttl_s);
  return std::isinf(per_miss) ? 1.0 : per_miss / (1.0 + per_miss);
}
}  // namespace

double che_hit_moment(const KeyPopularity& law, double t, double ttl_s, double power) {
  if (!(law.rate > 0) || !(t > 0)) return 0.0;
  double sum = 0;
  for (const RankGroup& g : rank_groups(law)) sum += g.count * g.rate * std::pow(key_hit(g.rate, t, ttl_s), power);
  return std::clamp(sum / (law.rate * law.copies), 0.0, 1.0);
}

double che_hit_ratio(const std::vector<KeyPopularity>& laws, double capacity, double ttl_s) {
  const double t = che_characteristic_time(laws, capacity);
  double hits = 0, lookups = 0;
  for (const KeyPopularity& law : laws) {
    if (!(law.rate > 0)) continue;
    hits += law.rate * law.copies * che_hit_moment(law, t, ttl_s);
    lookups += law.rate * law.copies;
  }
  return lookups > 0 ? hits / lookups : 0.0;
}

double tail_probability(const Distribution& d, double t) {
  if (d.kind() == DistKind::constant) return d.mean() >= t ? 1.0 : 0.0;
  if (d.kind() == DistKind::gamma) return std::nan("");
  if (t <= d.quantile(0.0)) return 1.0;
  if (t > d.quantile(1.0)) return 0.0;
  // The quantile function is non-decreasing: find the level at which it reaches t.
  double lo = 0, hi = 1;
  for (int i = 0; i < 80; ++i) {
    const double mid = (lo + hi) / 2;
    (d.quantile(mid) < t ? lo : hi) = mid;
  }
  return 1.0 - lo;
}

double truncated_mean(const Distribution& d, double t) {
  const double tail = tail_probability(d, t);
  if (std::isnan(tail) || tail < 1e-12) return d.mean();
  if (d.kind() == DistKind::constant) return std::min(d.mean(), t);
  // E[min(X, t)] = the integral over u in (0, 1) of min(Q(u), t), by the midpoint rule.
  constexpr int kSteps = 4000;
  double sum = 0;
  for (int i = 0; i < kSteps; ++i) sum += std::min(d.quantile((i + 0.5) / kSteps), t);
  return sum / kSteps;
}

double sum_tail_probability(const Distribution& d, std::uint32_t n, double t) {
  if (n <= 1) return tail_probability(d, t);
  if (d.kind() == DistKind::constant) return static_cast<double>(n) * d.mean() >= t ? 1.0 : 0.0;
  const double mean = static_cast<double>(n) * d.mean();
  const double sd = std::sqrt(static_cast<double>(n) * d.variance());
  if (!std::isfinite(mean) || !std::isfinite(sd)) return std::nan("");
  if (sd == 0) return mean >= t ? 1.0 : 0.0;
  return 0.5 * std::erfc((t - mean) / sd / std::sqrt(2.0));
}

}  // namespace slsim
