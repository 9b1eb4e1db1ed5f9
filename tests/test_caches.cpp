// Caches: the shared item cache against closed forms (Che's approximation for
// LRU under Zipf keys, the renewal argument for a TTL cache), its LRU
// bookkeeping, and the two services built on it: ElastiCache (cache-aside in
// front of a backend) and the API Gateway stage cache.
#include <cmath>
#include <string>
#include <vector>

#include <fmt/format.h>

#include <catch2/catch.hpp>

#include "sim/cache/item_cache.hpp"
#include "sim/core/distribution.hpp"
#include "sim/core/random.hpp"
#include "checks.hpp"
#include "support.hpp"

using namespace slsim;
using namespace slsim::testing;

namespace {

// Che's approximation of an LRU cache of `capacity` items under independent
// requests with Zipf(s) popularity over n keys: the characteristic time T
// solves sum_i (1 - exp(-p_i T)) = capacity, and the hit ratio is
// sum_i p_i (1 - exp(-p_i T)).
double che_hit_ratio(std::size_t n, double s, double capacity) {
  std::vector<double> p(n);
  double total = 0;
  for (std::size_t i = 0; i < n; ++i) total += p[i] = std::pow(static_cast<double>(i + 1), -s);
  for (double& x : p) x /= total;
  const auto occupancy = [&](double t) {
    double sum = 0;
    for (double x : p) sum += 1 - std::exp(-x * t);
    return sum;
  };
  double lo = 0, hi = 1;
  while (occupancy(hi) < capacity) hi *= 2;
  for (int i = 0; i < 200; ++i) {
    const double mid = (lo + hi) / 2;
    (occupancy(mid) < capacity ? lo : hi) = mid;
  }
  double hits = 0;
  for (double x : p) hits += x * (1 - std::exp(-x * lo));
  return hits;
}

CacheConfig lru(std::uint64_t capacity, SimTime ttl = 0) {
  CacheConfig c;
  c.capacity_items = capacity;
  c.ttl = ttl;
  return c;
}

// An elasticache `sessions` in front of an external `db` (10 ms), called by
// one workload at 500/s that stops 1 s before the end (so that every request
// has ended); `cache` and `workload_extra` fill in the rest.
std::string elasticache_scenario(const std::string& cache, const std::string& workload_extra,
                                 const std::string& duration = "60s") {
  return fmt::format(
      "name: ec\nduration: {}\n"
      "workloads: [{{name: w, target: sessions, arrival: {{process: poisson, schedule: [{{at: 0s, rate: 500/s}}, "
      "{{at: 59s, rate: 0/s}}]}}{}}}]\n"
      "services:\n"
      "  sessions: {{type: elasticache, backend: db{}}}\n"
      "  db: {{type: external, latency: 10ms}}\n",
      duration, workload_extra, cache);
}

// A REST API with a stage cache in front of one function.
std::string api_cache_scenario(const std::string& cache, const std::string& top_extra = "") {
  return fmt::format(
      "name: api-cache\nduration: 30min\n{}"
      "workloads: [{{name: w, target: api, arrival: {{process: poisson, rate: 20/s}}, keys: {{count: 2000, zipf: 1.1}}}}]\n"
      "services:\n"
      "  api: {{type: apigateway, integration: fn, cache: {}}}\n"
      "  fn: {{type: lambda, duration: 20ms}}\n",
      top_extra, cache);
}

}  // namespace

TEST_CASE("cache: LRU under Zipf keys matches Che's approximation", "[cache]") {
  // Independent requests (the model behind Che's approximation), cache-aside:
  // a miss loads the item at once. 300,000 warm-up lookups fill the cache
  // well past its steady state; 1,000,000 are then counted.
  // Tolerance: 1% of Che's value (the approximation's own error, known to be
  // well under that at these sizes: C >= 100, N = 10^4) plus 5 binomial
  // standard errors sqrt(h(1-h)/n) of a ratio over n = 10^6 lookups (at most
  // 0.0025): between 0.0034 (h = 0.16) and 0.0104 (h = 0.86).
  constexpr std::size_t kKeys = 10000;
  for (const double s : {0.8, 1.2}) {
    const ZipfSampler zipf(kKeys, s);
    for (const std::uint64_t capacity : {100u, 1000u}) {
      ItemCache cache(lru(capacity), Rng(1));
      Rng keys(42);
      const auto lookup = [&](SimTime t) {
        const std::uint64_t k = zipf.sample(keys);
        if (!cache.lookup(k, t)) cache.fill(k, t);
      };
      SimTime t = 0;
      for (int i = 0; i < 300000; ++i) lookup(++t);
      REQUIRE(cache.size() == capacity);
      cache.reset_statistics();
      for (int i = 0; i < 1000000; ++i) lookup(++t);
      const double measured = static_cast<double>(cache.hits()) / 1e6;
      const double che = che_hit_ratio(kKeys, s, static_cast<double>(capacity));
      INFO(fmt::format("s={} C={} measured={:.4f} che={:.4f}", s, capacity, measured, che));
      REQUIRE(cache.hits() + cache.misses() == 1000000);
      REQUIRE(std::fabs(measured - che) <= 0.01 * che + 5 * std::sqrt(che * (1 - che) / 1e6));
      // Every miss loaded an item, and a full cache evicts one per load.
      REQUIRE(cache.evictions() == cache.misses());
    }
  }
}

TEST_CASE("cache: a TTL cache under Poisson arrivals hits r*ttl/(1 + r*ttl)", "[cache]") {
  // 1,000 keys, each requested as a Poisson process of rate r = 1/s (a merged
  // process of 1,000/s with uniform keys), capacity for all of them. A miss
  // loads the key; it then hits until it expires ttl later: a renewal cycle of
  // one miss and Poisson(r*ttl) hits on average, so h = r*ttl / (1 + r*ttl).
  // 10^6 counted lookups after 20 TTLs of warm-up. The miss count is a renewal
  // count whose standard error (delta method) is 1/sqrt(n (1 + r ttl)^3) in
  // ratio, below the binomial sqrt(h(1-h)/n); the tolerance is 5 binomial SEs.
  for (const double r_ttl : {1.0, 4.0}) {
    const SimTime ttl = static_cast<SimTime>(r_ttl * 1e9);
    ItemCache cache(lru(1000, ttl), Rng(1));
    Rng rng(7);
    double t = 0;
    const auto lookup = [&] {
      t += rng.exponential(1e6);  // ns: 1,000 lookups per second in all
      const std::uint64_t k = rng.below(1000);
      const SimTime now = static_cast<SimTime>(t);
      if (!cache.lookup(k, now)) cache.fill(k, now);
    };
    while (t < 20 * static_cast<double>(ttl)) lookup();
    cache.reset_statistics();
    constexpr double n = 1e6;
    for (int i = 0; i < 1000000; ++i) lookup();
    const double expected = r_ttl / (1 + r_ttl);
    const double measured = static_cast<double>(cache.hits()) / n;
    const double tolerance = 5 * std::sqrt(expected * (1 - expected) / n);
    INFO(fmt::format("r*ttl={} measured={:.5f} expected={:.5f} tolerance={:.5f}", r_ttl, measured, expected, tolerance));
    REQUIRE(std::fabs(measured - expected) <= tolerance);
    REQUIRE(cache.evictions() == 0);  // room for every key: only expiry makes misses
  }
}

TEST_CASE("cache: LRU bookkeeping: capacity, eviction order, erase, determinism", "[cache]") {
  SECTION("the least recently used item is evicted, a lookup refreshes") {
    ItemCache c(lru(3), Rng(1));
    for (std::uint64_t k : {1u, 2u, 3u}) c.fill(k, 0);
    REQUIRE(c.lookup(1, 1));  // 1 is now the most recently used: 2 is the least
    c.fill(4, 2);
    REQUIRE(c.evictions() == 1);
    REQUIRE(c.size() == 3);
    REQUIRE_FALSE(c.lookup(2, 3));
    REQUIRE(c.lookup(1, 3));
    REQUIRE(c.lookup(3, 3));
    REQUIRE(c.lookup(4, 3));
    REQUIRE(c.hits() == 4);
    REQUIRE(c.misses() == 1);
  }
  SECTION("erase removes one item and frees its place") {
    ItemCache c(lru(3), Rng(1));
    for (std::uint64_t k : {1u, 2u, 3u}) c.fill(k, 0);
    c.erase(2);
    c.erase(99);  // not held: nothing happens
    REQUIRE(c.size() == 2);
    REQUIRE_FALSE(c.lookup(2, 1));
    c.fill(5, 1);  // the freed place: no eviction
    REQUIRE(c.evictions() == 0);
    REQUIRE(c.size() == 3);
    REQUIRE(c.lookup(1, 2));
    REQUIRE(c.lookup(5, 2));
  }
  SECTION("size never exceeds the capacity; every load beyond it evicts one") {
    ItemCache c(lru(50), Rng(1));
    Rng keys(3);
    std::uint64_t loads_when_full = 0;
    for (int i = 0; i < 20000; ++i) {
      const std::uint64_t k = keys.below(200);
      if (i % 7 == 0) c.erase(keys.below(200));
      if (c.lookup(k, i)) continue;
      if (c.size() == 50) ++loads_when_full;
      c.fill(k, i);
      REQUIRE(c.size() <= 50);
    }
    REQUIRE(c.size() == 50);
    REQUIRE(c.evictions() == loads_when_full);
    REQUIRE(c.evictions() > 1000);
  }
  SECTION("the same sequence gives the same hits, in both modes") {
    for (const bool configured : {false, true}) {
      CacheConfig config = lru(100);
      if (configured) config.hit_ratio = 0.3;
      const auto run = [&] {
        ItemCache c(config, Rng(9));
        Rng keys(5);
        std::vector<bool> hits;
        for (int i = 0; i < 5000; ++i) {
          const std::uint64_t k = keys.below(300);
          hits.push_back(c.lookup(k, i));
          if (!hits.back()) c.fill(k, i);
        }
        return hits;
      };
      INFO("configured: " << configured);
      REQUIRE(run() == run());
    }
  }
}

TEST_CASE("elasticache: a configured hit ratio, and the backend sees exactly the misses", "[cache][elasticache]") {
  // h = 0.7 over ~29,500 lookups (Poisson 500/s for 59 s): the measured ratio
  // is binomial, within 5 standard errors sqrt(h(1-h)/n).
  const Json r = run_scenario_text(elasticache_scenario(", hit_ratio: 0.7", ""));
  REQUIRE(balanced(r));
  const double hits = required_metric(r, "services.sessions.cache.hits");
  const double misses = required_metric(r, "services.sessions.cache.misses");
  const double n = hits + misses;
  REQUIRE(n == required_metric(r, "services.sessions.requests"));
  REQUIRE(n == required_metric(r, "workloads.w.arrived"));
  const double se = std::sqrt(0.7 * 0.3 / n);
  INFO(fmt::format("n={} hit ratio={:.4f} se={:.4f}", n, hits / n, se));
  REQUIRE(std::fabs(hits / n - 0.7) <= 5 * se);
  REQUIRE(required_metric(r, "services.sessions.cache.hit_ratio") == hits / n);
  REQUIRE(required_metric(r, "services.db.requests") == misses);
  REQUIRE(required_metric(r, "services.sessions.evictions") == 0);
}

TEST_CASE("elasticache: emergent hits from keys, and hits answer at the cache latency", "[cache][elasticache]") {
  // 1,000 Zipf(1.1) keys and room for 500 of them: well over half the
  // lookups hit. A hit takes the cache's 500us; a miss 500us + the db's 10 ms.
  // The p50 is a hit: 0.5 ms within the histogram's 0.4% error.
  const Json r = run_scenario_text(
      elasticache_scenario(", capacity_items: 500, ttl: 10min", ", keys: {count: 1000, zipf: 1.1}"));
  REQUIRE(balanced(r));
  const double hits = required_metric(r, "services.sessions.cache.hits");
  const double misses = required_metric(r, "services.sessions.cache.misses");
  REQUIRE(hits / (hits + misses) > 0.5);
  REQUIRE(required_metric(r, "services.db.requests") == misses);
  REQUIRE(required_metric(r, "services.sessions.evictions") > 0);
  REQUIRE(required_metric(r, "services.sessions.latency_ms.p50") == Approx(0.5).epsilon(0.004));
  REQUIRE(required_metric(r, "workloads.w.latency_ms.p50") == Approx(0.5).epsilon(0.004));
  REQUIRE(required_metric(r, "services.sessions.latency_ms.max") == Approx(10.5).epsilon(0.004));
}

TEST_CASE("elasticache: set stores, delete invalidates, a miss without a backend answers ok", "[cache][elasticache]") {
  // One key. Gets every 100 ms (0.1 s .. 9.9 s); a set at 2.05 s and a
  // delete at 6.05 s. Without a backend nothing is loaded by a get, so exactly
  // the 40 gets between the set and the delete (2.1 s .. 6.0 s) hit.
  const Json r = run_scenario_text(
      "name: ec\nduration: 10s\n"
      "workloads:\n"
      "  - {name: reads, target: sessions, keys: {count: 1},\n"
      "     arrival: {process: constant, schedule: [{at: 0s, rate: 10/s}, {at: 9950ms, rate: 0/s}]}}\n"
      "  - {name: writes, target: sessions, op: set, arrival: {process: burst, at: 2050ms, count: 1}, keys: {count: 1}}\n"
      "  - {name: logouts, target: sessions, op: delete, arrival: {process: burst, at: 6050ms, count: 1}, keys: {count: 1}}\n"
      "services:\n"
      "  sessions: {type: elasticache, capacity_items: 10}\n");
  REQUIRE(balanced(r));
  REQUIRE(required_metric(r, "workloads.reads.arrived") == 99);
  REQUIRE(required_metric(r, "services.sessions.cache.hits") == 40);
  REQUIRE(required_metric(r, "services.sessions.cache.misses") == 59);
  REQUIRE(required_metric(r, "services.sessions.requests") == 101);
  REQUIRE(required_metric(r, "workloads.reads.succeeded") == 99);
  REQUIRE(required_metric(r, "workloads.writes.succeeded") == 1);
  REQUIRE(required_metric(r, "workloads.logouts.succeeded") == 1);
}

TEST_CASE("elasticache: a backend failure is passed on and nothing is stored", "[cache][elasticache]") {
  // One key, a backend that always fails: every get misses and fails.
  const Json r = run_scenario_text(
      "name: ec\nduration: 10s\n"
      "workloads: [{name: w, target: sessions, keys: {count: 1},\n"
      "             arrival: {process: constant, schedule: [{at: 0s, rate: 10/s}, {at: 9950ms, rate: 0/s}]}}]\n"
      "services:\n"
      "  sessions: {type: elasticache, capacity_items: 10, backend: db}\n"
      "  db: {type: external, latency: 1ms, errors: 1}\n");
  REQUIRE(balanced(r));
  const double n = required_metric(r, "workloads.w.arrived");
  REQUIRE(n == 99);
  REQUIRE(required_metric(r, "services.sessions.cache.hits") == 0);
  REQUIRE(required_metric(r, "services.sessions.backend_errors") == n);
  REQUIRE(required_metric(r, "workloads.w.failed") == n);
  REQUIRE(required_metric(r, "services.sessions.latency_failed_ms.count") == n);
}

TEST_CASE("elasticache: node hours are billed per node type and engine", "[cache][elasticache]") {
  // 3 nodes for 30 minutes = 1.5 node-hours; Redis OSS cache.r6g.large $0.206,
  // Valkey's derived price $0.165 (docs/model-assumptions.md §14.1).
  for (const auto& [engine, price] : std::vector<std::pair<std::string, double>>{{"redis", 0.206}, {"valkey", 0.165}}) {
    const Json r = run_scenario_text(elasticache_scenario(
        fmt::format(", hit_ratio: 0.9, nodes: 3, node_type: cache.r6g.large, engine: {}", engine), "", "30min"));
    const Json* line = cost_item(r, "sessions", "node hours");
    REQUIRE(line != nullptr);
    REQUIRE(line->find("quantity")->as_double() == Approx(1.5));
    REQUIRE(line->find("usd")->as_double() == Approx(1.5 * price));
    REQUIRE(line->find("basis")->as_string() == "time");
  }
}

TEST_CASE("elasticache: load errors", "[cache][elasticache]") {
  const std::string head =
      "name: t\nduration: 1s\nworkloads: [{name: w, target: c, arrival: {process: constant, rate: 1/s}, keys: {count: 9}}]\n"
      "services:\n";
  CHECK(load_error(head + "  c: {type: elasticache, backend: c, hit_ratio: 0.5}\n") ==
        "t.yaml:5:6: warning: services: the services 'c' form a cycle: requests may loop (c -[backend: get]-> c)\n"
        "t.yaml:5:35: error: services.c.backend: 'c' cannot be its own backend\n"
        "    hint: name the service a miss reads from (a function, a table, an external dependency)\n");
  CHECK(load_error(head + "  c: {type: elasticache, backend_op: call, hit_ratio: 0.5}\n") ==
        "t.yaml:5:38: error: services.c.backend_op: 'backend_op' needs a 'backend'\n"
        "    hint: name the service a miss reads from, e.g. backend: users_table\n");
  CHECK(load_error(head + "  c: {type: elasticache, backend: db, backend_op: get, capacity_items: 10}\n"
                          "  db: {type: external}\n") ==
        "t.yaml:5:51: error: services.c.backend_op: 'db' (external) has no operation 'get' (it has 'call')\n"
        "    hint: an external service stands in for this dependency; its one operation is 'call'\n");
  CHECK(load_error(head + "  c: {type: elasticache}\n") ==
        "t.yaml:5:6: error: services.c: a cache needs hit_ratio or capacity_items\n"
        "    hint: e.g. hit_ratio: 0.8, or capacity_items: 100000 with the workloads' keys: {count, zipf}\n");
  CHECK(load_error(head + "  c: {type: elasticache, hit_ratio: 0.5, NumCacheNodes: 2}\n") ==
        "t.yaml:5:42: error: services.c.NumCacheNodes: unknown key 'NumCacheNodes'\n"
        "    hint: write 'nodes', e.g. nodes: 2\n");
}

TEST_CASE("apigateway cache: hits never reach the integration and are billed as requests", "[cache][apigateway]") {
  const Json r = run_scenario_text(api_cache_scenario("{ttl: 300s, capacity_items: 500}"));
  REQUIRE(balanced(r));
  const double requests = required_metric(r, "services.api.requests");
  const double hits = required_metric(r, "services.api.cache.hits");
  const double misses = required_metric(r, "services.api.cache.misses");
  REQUIRE(hits + misses == requests);
  REQUIRE(hits > misses);
  REQUIRE(required_metric(r, "services.fn.invocations") == misses);
  // Hits are answered after the stage's latency alone (10 ms).
  REQUIRE(required_metric(r, "workloads.w.latency_ms.p50") == Approx(10).epsilon(0.004));
  // Every request is billed, hits included.
  const Json* billed = cost_item(r, "api", "requests");
  REQUIRE(billed != nullptr);
  REQUIRE(billed->find("quantity")->as_double() == requests);
}

TEST_CASE("apigateway cache: only GET routes are cached, keyed by route and key", "[cache][apigateway]") {
  const Json r = run_scenario_text(
      "name: routes\nduration: 60s\n"
      "workloads: [{name: w, target: api, keys: {count: 50},\n"
      "             arrival: {process: poisson, schedule: [{at: 0s, rate: 100/s}, {at: 59s, rate: 0/s}]}}]\n"
      "services:\n"
      "  api:\n"
      "    type: apigateway\n"
      "    cache: {capacity_items: 1000}\n"
      "    routes:\n"
      "      - {route: GET /items, to: reader, weight: 2}\n"
      "      - {route: GET /orders, to: reader, weight: 1}\n"
      "      - {route: POST /items, to: writer, weight: 1}\n"
      "  reader: {type: lambda, duration: 5ms, cold_start: 0ms}\n"
      "  writer: {type: lambda, duration: 5ms}\n");
  REQUIRE(balanced(r));
  const double gets = required_metric(r, "services.api.routes.GET /items") + required_metric(r, "services.api.routes.GET /orders");
  REQUIRE(required_metric(r, "services.api.cache.hits") + required_metric(r, "services.api.cache.misses") == gets);
  REQUIRE(required_metric(r, "services.writer.invocations") == required_metric(r, "services.api.routes.POST /items"));
  // 50 keys on each of two GET routes: each (route, key) misses once, then
  // hits (the TTL of 300s outlasts the run). A lookup of the same pair while
  // its miss is in flight (5 ms, at about 1 request/s per pair) misses too:
  // about 0.5% of the 100 first misses, so 5 more is generous.
  const double misses = required_metric(r, "services.api.cache.misses");
  REQUIRE(required_metric(r, "services.reader.invocations") == misses);
  REQUIRE(misses >= 100);
  REQUIRE(misses <= 105);
}

TEST_CASE("apigateway cache: a TTL of 0 turns caching off", "[cache][apigateway]") {
  const Json r = run_scenario_text(api_cache_scenario("{ttl: 0s, hit_ratio: 0.9}"));
  REQUIRE(required_metric(r, "services.api.cache.hits") == 0);
  REQUIRE(required_metric(r, "services.fn.invocations") == required_metric(r, "services.api.requests"));
}

TEST_CASE("apigateway cache: the cost line is hours x the price of the size", "[cache][apigateway]") {
  // 30 minutes: 0.5 cache-hours at $0.020 (0.5GB) and $0.200 (6.1GB) an hour.
  for (const auto& [size, price] : std::vector<std::pair<std::string, double>>{{"0.5GB", 0.02}, {"6.1GB", 0.2}}) {
    const Json r = run_scenario_text(api_cache_scenario(fmt::format("{{size: {}, hit_ratio: 0.5}}", size)));
    const Json* line = cost_item(r, "api", "cache hours");
    REQUIRE(line != nullptr);
    REQUIRE(line->find("quantity")->as_double() == Approx(0.5));
    REQUIRE(line->find("usd")->as_double() == Approx(0.5 * price));
    REQUIRE(line->find("basis")->as_string() == "time");
  }
  // A priced size can be overridden like any catalog entry.
  const Json r = run_scenario_text(api_cache_scenario("{hit_ratio: 0.5}", "pricing: {apigateway.cache.0.5GB: 0.1}\n"));
  REQUIRE(cost_item(r, "api", "cache hours")->find("usd")->as_double() == Approx(0.05));
}

TEST_CASE("apigateway cache: without cache: no cache metrics and no cache cost", "[cache][apigateway]") {
  const Json r = run_scenario_text(
      "name: t\nduration: 10s\nworkloads: [{name: w, target: api, arrival: {process: constant, rate: 1/s}}]\n"
      "services:\n  api: {type: apigateway, integration: fn}\n  fn: {type: lambda, duration: 5ms}\n");
  REQUIRE(r.find_path("services.api.cache") == nullptr);
  REQUIRE(cost_item(r, "api", "cache hours") == nullptr);
}

TEST_CASE("apigateway cache: load errors", "[cache][apigateway]") {
  const std::string head =
      "name: t\nduration: 1s\nworkloads: [{name: w, target: api, arrival: {process: constant, rate: 1/s}}]\n"
      "services:\n  fn: {type: lambda, duration: 5ms}\n";
  CHECK(load_error(head + "  api: {type: apigateway, kind: http, integration: fn, cache: {hit_ratio: 0.5}}\n") ==
        "t.yaml:6:63: error: services.api.cache: HTTP APIs have no stage cache (only REST APIs do)\n"
        "    hint: use kind: rest for a cached API, or leave 'cache:' out\n");
  CHECK(load_error(head + "  api: {type: apigateway, integration: fn, cache: {size: 1GB, hit_ratio: 0.5}}\n") ==
        "t.yaml:6:58: error: services.api.cache.size: expected one of the stage cache sizes API Gateway offers "
        "(0.5GB, 1.6GB, 6.1GB, 13.5GB, 28.4GB, 58.2GB, 118GB, 237GB), found '1GB'\n"
        "    hint: the smallest size that holds 1GB is 1.6GB\n");
  CHECK(load_error(head + "  api: {type: apigateway, integration: fn, cache: {ttl: 2h, hit_ratio: 0.5}}\n") ==
        "t.yaml:6:57: error: services.api.cache.ttl: expected a duration between 0s and 1h, found '2h'\n"
        "    hint: API Gateway's cache TTL is 0 to 3600 seconds\n");
  CHECK(load_error(head + "  api: {type: apigateway, integration: fn, cache: {hit_ratio: 0.5, capacity_items: 10}}\n") ==
        "t.yaml:6:84: error: services.api.cache.capacity_items: give either hit_ratio or capacity_items, not both\n"
        "    hint: hit_ratio fixes the hits; capacity_items lets them emerge from the workloads' keys\n");
}
