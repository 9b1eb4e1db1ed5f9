// CloudFront: the edge cache against the TTL closed form, CloudFront
// Functions and Lambda@Edge (the Lambda model's closed forms: Erlang-B, cold
// starts = environments created), the trigger limits, origin failures, cost.
#include <cmath>
#include <string>
#include <vector>

#include <fmt/format.h>

#include <catch2/catch.hpp>

#include "sim/analysis/analytic.hpp"
#include "checks.hpp"
#include "support.hpp"

using namespace slsim;
using namespace slsim::testing;

namespace {

// A distribution in front of an external origin; `cdn` and `workload` are appended inside their mappings.
std::string cdn_scenario(const std::string& cdn, const std::string& workload = "", const std::string& top = "",
                         const std::string& origin = "{type: external, latency: 0ms}") {
  return fmt::format(
      "name: cdn\nduration: 200s\nwarmup: 10s\nseed: 5\n{}"
      "workloads: [{{name: w, target: cdn, arrival: {{process: poisson, rate: 50/s}}{}}}]\n"
      "services:\n"
      "  cdn: {{type: cloudfront, origin: origin, edge_latency: 0ms{}}}\n"
      "  origin: {}\n",
      top, workload, cdn, origin);
}

}  // namespace

TEST_CASE("cloudfront: a TTL edge cache under Poisson per-key arrivals hits r*ttl/(1 + r*ttl)", "[cloudfront][cache]") {
  // 200 uniform keys at 200/s in all: each key is a Poisson process of rate
  // r = 1/s. The origin answers at once, so a miss fills its key at the
  // lookup's instant; the key then hits until it expires ttl later: a renewal
  // cycle of one miss and r*ttl hits on average, h = r*ttl / (1 + r*ttl).
  // About 200,000 counted lookups after 20 TTLs of warm-up; the tolerance is
  // 5 binomial standard errors (the renewal count's error is smaller).
  for (const double r_ttl : {0.5, 2.0}) {
    const Json r = run_scenario_text(fmt::format(
        "name: ttl\nduration: 1020s\nwarmup: 20s\nseed: 11\n"
        "workloads: [{{name: w, target: cdn, arrival: {{process: poisson, rate: 200/s}}, keys: {{count: 200, zipf: 0}}}}]\n"
        "services:\n"
        "  cdn: {{type: cloudfront, origin: origin, edge_latency: {{dist: exponential, mean: 20ms}}, "
        "capacity_items: 1000, ttl: {}s}}\n"
        "  origin: {{type: external, latency: 0ms}}\n",
        r_ttl));
    REQUIRE(balanced(r));
    const double hits = required_metric(r, "services.cdn.cache.hits");
    const double misses = required_metric(r, "services.cdn.cache.misses");
    const double n = hits + misses;
    const double expected = r_ttl / (1 + r_ttl);
    const double tolerance = 5 * std::sqrt(expected * (1 - expected) / n);
    INFO(fmt::format("r*ttl={} n={} measured={:.5f} expected={:.5f} tolerance={:.5f}", r_ttl, n, hits / n, expected,
                     tolerance));
    REQUIRE(n > 190000);
    REQUIRE(std::fabs(hits / n - expected) <= tolerance);
    // Only misses go to the origin, each exactly once.
    REQUIRE(required_metric(r, "services.cdn.origin_requests") == misses);
    REQUIRE(required_metric(r, "services.origin.requests") == misses);
    REQUIRE(required_metric(r, "services.cdn.evictions") == 0);
    REQUIRE(required_metric(r, "services.cdn.failures.total") == 0);
  }
}

TEST_CASE("cloudfront: Origin Shield answers some edge misses and the origin the rest", "[cloudfront][cache]") {
  // The edge never hits; the shield hits with probability 0.6 (binomial, 5 SE).
  const Json r = run_scenario_text(cdn_scenario(", hit_ratio: 0, origin_shield: {hit_ratio: 0.6, latency: 10ms}"));
  REQUIRE(balanced(r));
  const double requests = required_metric(r, "services.cdn.requests");
  REQUIRE(required_metric(r, "services.cdn.origin_shield.requests") == requests);
  const double shield_hits = required_metric(r, "services.cdn.origin_shield.hits");
  REQUIRE(std::fabs(shield_hits / requests - 0.6) <= 5 * std::sqrt(0.24 / requests));
  // (Counted when they happen: a request of the warm-up's last 10 ms reaches the origin in the window.)
  REQUIRE(required_metric(r, "services.cdn.origin_requests") == required_metric(r, "services.cdn.origin_shield.misses"));
  REQUIRE(required_metric(r, "services.origin.requests") == required_metric(r, "services.cdn.origin_shield.misses"));
  REQUIRE(std::fabs(required_metric(r, "services.cdn.origin_requests") - (requests - shield_hits)) <= 5);
  // Every answer took the shield's 10 ms (the edge and the origin take none).
  REQUIRE(required_metric(r, "services.cdn.latency_ms.p50") == Approx(10).epsilon(0.004));
  // A TTL of 0 caches nothing, even with a hit ratio: every request goes to the origin.
  const Json zero = run_scenario_text(cdn_scenario(", hit_ratio: 0.9, ttl: 0s, origin_shield: {hit_ratio: 0.6}"));
  REQUIRE(required_metric(zero, "services.cdn.cache.hits") == 0);
  REQUIRE(required_metric(zero, "services.cdn.origin_shield.hits") == 0);
  REQUIRE(required_metric(zero, "services.cdn.origin_requests") == required_metric(zero, "services.cdn.origin_shield.misses"));
  // Turned off, the shield is not asked (nor reported).
  const Json off = run_scenario_text(cdn_scenario(", hit_ratio: 0, origin_shield: {enabled: false}"));
  REQUIRE(off.find_path("services.cdn.origin_shield") == nullptr);
  REQUIRE(required_metric(off, "services.cdn.origin_requests") == required_metric(off, "services.cdn.requests"));
}

TEST_CASE("cloudfront: origin errors answer 502, a slow origin 504 at the origin timeout", "[cloudfront]") {
  SECTION("errors") {
    const Json r = run_scenario_text(cdn_scenario(", hit_ratio: 0", "", "", "{type: external, latency: 5ms, errors: 1}"));
    REQUIRE(balanced(r));
    // Failures are counted when they are answered, 5 ms after the request.
    const double errors = required_metric(r, "services.origin.errors");
    REQUIRE(required_metric(r, "services.cdn.failures.origin_error") == errors);
    REQUIRE(required_metric(r, "services.cdn.failures.total") == errors);
    REQUIRE(std::fabs(errors - required_metric(r, "services.cdn.requests")) <= 5);
    REQUIRE(required_metric(r, "workloads.w.succeeded") == 0);
    REQUIRE(required_metric(r, "services.cdn.latency_failed_ms.p50") == Approx(5).epsilon(0.004));
  }
  SECTION("timeouts") {
    const Json r = run_scenario_text(
        cdn_scenario(", hit_ratio: 0, origin_timeout: 2s", "", "", "{type: external, latency: 3s}"));
    REQUIRE(balanced(r));
    const double n = required_metric(r, "services.cdn.requests");
    // Each request fails 2 s after it came (50/s: about 100 answered after the window or before it).
    REQUIRE(std::fabs(required_metric(r, "services.cdn.failures.origin_timeout") - n) <= 200);
    REQUIRE(required_metric(r, "services.cdn.failures.total") == required_metric(r, "services.cdn.failures.origin_timeout"));
    REQUIRE(required_metric(r, "workloads.w.succeeded") == 0);
    REQUIRE(required_metric(r, "services.cdn.latency_failed_ms.p50") == Approx(2000).epsilon(0.004));
    REQUIRE(required_metric(r, "services.cdn.late_replies") > 0);
    // Nothing failed is cached: every request went to the origin.
    REQUIRE(required_metric(r, "services.cdn.origin_requests") == n);
  }
}

TEST_CASE("cloudfront: CloudFront Functions run on every request and fail past the compute limit", "[cloudfront][functions]") {
  const Json ok = run_scenario_text(cdn_scenario(
      ", hit_ratio: 0.5, functions: [{trigger: viewer_request, kind: cloudfront_function, duration: 300us}, "
      "{trigger: viewer_response, kind: cloudfront_function, duration: 200us}]"));
  REQUIRE(balanced(ok));
  const double n = required_metric(ok, "services.cdn.requests");
  REQUIRE(required_metric(ok, "services.cdn.functions.viewer_request.invocations") == n);
  REQUIRE(required_metric(ok, "services.cdn.functions.viewer_response.invocations") == n);
  REQUIRE(required_metric(ok, "services.cdn.function_invocations") == 2 * n);
  REQUIRE(required_metric(ok, "services.cdn.cold_starts") == 0);
  // A hit takes both functions' time and nothing else.
  REQUIRE(required_metric(ok, "services.cdn.latency_ms.p50") == Approx(0.5).epsilon(0.004));
  const Json slow = run_scenario_text(
      cdn_scenario(", hit_ratio: 0.5, functions: [{trigger: viewer_request, kind: cloudfront_function, duration: 2ms}]"));
  REQUIRE(balanced(slow));
  const double m = required_metric(slow, "services.cdn.requests");
  REQUIRE(required_metric(slow, "services.cdn.failures.compute_limit") == m);
  REQUIRE(required_metric(slow, "services.cdn.functions.viewer_request.compute_limit_exceeded") == m);
  REQUIRE(required_metric(slow, "services.cdn.cache.hits") + required_metric(slow, "services.cdn.cache.misses") == 0);
  REQUIRE(required_metric(slow, "workloads.w.failed") == required_metric(slow, "workloads.w.arrived"));
  // Stopped at the 1 ms limit.
  REQUIRE(required_metric(slow, "services.cdn.latency_failed_ms.p50") == Approx(1).epsilon(0.004));
}

TEST_CASE("cloudfront: CloudFront Functions cost invocations x price after the free tier", "[cloudfront][cost]") {
  // Constant 10/s for 100 s measured: N = 1001 invocations in the window (both
  // ends included), N x 25,920 in a 30-day month. After the 2M free the window
  // pays N x $0.10/1M x (1 - 2M / month). Without the free tier: N x $0.10/1M.
  const std::string yaml =
      "name: fn-cost\nduration: 100s\nwarmup: 10s\nseed: 1\naccount: {{free_tier: {}}}\n"
      "workloads: [{{name: w, target: cdn, arrival: {{process: constant, rate: 10/s}}}}]\n"
      "services:\n"
      "  cdn: {{type: cloudfront, origin: origin, edge_latency: 0ms, hit_ratio: 1, "
      "functions: [{{trigger: viewer_request, kind: cloudfront_function, duration: 300us}}]}}\n"
      "  origin: {{type: external, latency: 0ms}}\n";
  const Json with = run_scenario_text(fmt::format(fmt::runtime(yaml), "true"));
  const double n = required_metric(with, "services.cdn.functions.viewer_request.invocations");
  REQUIRE(n == 1001);
  REQUIRE(required_metric(with, "services.cdn.requests") == n);
  const Json* fn = cost_item(with, "cdn", "cloudfront functions");
  REQUIRE(fn != nullptr);
  REQUIRE(fn->find("quantity")->as_double() == n);
  const double month = n * 30 * 86400 / 100;
  REQUIRE(fn->find("usd")->as_double() == Approx(n * 1e-7 * (1 - 2e6 / month)).epsilon(1e-12));
  // Requests: 10M free of 25.92M a month.
  REQUIRE(cost_item(with, "cdn", "requests")->find("usd")->as_double() ==
          Approx(n * 1e-6 * (1 - 10e6 / month)).epsilon(1e-12));
  const Json without = run_scenario_text(fmt::format(fmt::runtime(yaml), "false"));
  REQUIRE(cost_item(without, "cdn", "cloudfront functions")->find("usd")->as_double() == Approx(n * 1e-7).epsilon(1e-12));
  REQUIRE(cost_item(without, "cdn", "requests")->find("usd")->as_double() == Approx(n * 1e-6).epsilon(1e-12));
  REQUIRE(cost_item(without, "cdn", "lambda@edge requests") == nullptr);
}

TEST_CASE("cloudfront: data transfer out is billed per GB after the free terabyte", "[cloudfront][cost]") {
  // About 1000 answers of 1 MB (2^20 bytes) in 100 s, about 25,000 GB a month:
  // 1,024 GB free, then 10,240 GB at $0.085 and the rest at $0.080.
  const std::string yaml =
      "name: dto\nduration: 100s\nwarmup: 10s\nseed: 1\naccount: {{free_tier: {}}}\n"
      "workloads: [{{name: w, target: cdn, arrival: {{process: constant, rate: 10/s}}, payload: 1MB}}]\n"
      "services:\n"
      "  cdn: {{type: cloudfront, origin: origin, edge_latency: 0ms, hit_ratio: 1}}\n"
      "  origin: {{type: external, latency: 0ms}}\n";
  for (const bool free : {false, true}) {
    const Json r = run_scenario_text(fmt::format(fmt::runtime(yaml), free ? "true" : "false"));
    const double gb = required_metric(r, "services.cdn.latency_ms.count") / 1024.0;  // ok answers
    REQUIRE(required_metric(r, "services.cdn.data_transfer_gb") == gb);
    const double month_gb = gb * 30 * 86400 / 100;
    const Json* line = cost_item(r, "cdn", "data transfer out");
    REQUIRE(line != nullptr);
    REQUIRE(line->find("quantity")->as_double() == Approx(gb).epsilon(1e-12));
    // The free allowance comes off the month's volume before the tiers (as every free tier, §11).
    const double billed = month_gb - (free ? 1024.0 : 0.0);
    const double monthly = 10240.0 * 0.085 + (billed - 10240.0) * 0.080;
    REQUIRE(line->find("usd")->as_double() == Approx(monthly * gb / month_gb).epsilon(1e-9));
  }
}

namespace {

// Every request misses and runs a Lambda@Edge origin-request function of
// exponential duration, mean 1 s, with `c` environments at most.
std::string edge_pool_scenario(double rate, int c, const std::string& extra = "") {
  return fmt::format(
      "name: edge-erlang\nduration: 2000s\nwarmup: 100s\nseed: 4\n"
      "workloads: [{{name: w, target: cdn, arrival: {{process: poisson, rate: {}/s}}}}]\n"
      "services:\n"
      "  cdn:\n    type: cloudfront\n    origin: origin\n    edge_latency: 0ms\n    hit_ratio: 0\n"
      "    functions:\n"
      "      - {{trigger: origin_request, kind: lambda_edge, duration: {{dist: exponential, mean: 1s}}, "
      "concurrency: {}, cold_start: 0ms, idle_timeout: 3650d{}}}\n"
      "  origin: {{type: external, latency: 0ms}}\n",
      rate, c, extra);
}

}  // namespace

TEST_CASE("cloudfront: Lambda@Edge concurrency blocks as Erlang-B, cold starts = environments created", "[cloudfront][erlang]") {
  // As the Lambda tests: a loss system of c environments offered A = rate x 1 s.
  for (const auto& [rate, c] : std::vector<std::pair<double, int>>{{8.0, 10}, {4.0, 4}}) {
    const double expected = erlang_b(c, rate);
    std::vector<double> blocked, busy;
    for (std::uint64_t rep = 0; rep < 8; ++rep) {
      const Json r = run_scenario_text(edge_pool_scenario(rate, c), rep);
      REQUIRE(balanced(r));
      const std::string f = "services.cdn.functions.origin_request.";
      const double requests = required_metric(r, "services.cdn.requests");
      const double throttles = required_metric(r, f + "throttles");
      REQUIRE(required_metric(r, "services.cdn.failures.function_throttled") == throttles);
      REQUIRE(required_metric(r, f + "invocations") + throttles == requests);
      blocked.push_back(throttles / requests);
      busy.push_back(required_metric(r, f + "concurrency.mean"));
      // Environments never expire here: each one was a cold start, and there are never more than c.
      REQUIRE(required_metric(r, f + "environments.max") <= c);
      REQUIRE(required_metric(r, f + "concurrency.max") <= c);
    }
    const Interval b = t_interval(blocked);
    INFO(fmt::format("c={} A={}: B={:.5f}, simulated {:.5f} +- {:.5f}", c, rate, expected, b.mean, b.half_width));
    REQUIRE(b.half_width < 0.1 * expected + 0.005);
    REQUIRE(std::fabs(b.mean - expected) <= b.half_width);
    const Interval l = t_interval(busy);
    REQUIRE(std::fabs(l.mean - rate * (1 - expected)) <= l.half_width);
  }
  // Cold starts counted from the start (no warm-up): exactly the environments created.
  const std::string whole = edge_pool_scenario(8, 10);
  const Json r = run_scenario_text(whole.substr(0, whole.find("warmup")) + whole.substr(whole.find("seed")));
  REQUIRE(required_metric(r, "services.cdn.cold_starts") == required_metric(r, "services.cdn.functions.origin_request.environments.max"));
  REQUIRE(required_metric(r, "services.cdn.cold_starts") == 10);
}

TEST_CASE("cloudfront: Lambda@Edge keep-alive: an idle environment expires and the next request cold-starts", "[cloudfront]") {
  // One request every 10 s: with a 5 s idle timeout every invocation is cold,
  // with 15 s only the first; the cold start adds its 100 ms to the latency.
  for (const auto& [idle, colds] : std::vector<std::pair<std::string, double>>{{"5s", 20}, {"15s", 1}}) {
    const Json r = run_scenario_text(fmt::format(
        "name: keep\nduration: 200s\nseed: 1\n"
        "workloads: [{{name: w, target: cdn, arrival: {{process: constant, rate: 0.1/s}}}}]\n"
        "services:\n"
        "  cdn: {{type: cloudfront, origin: origin, edge_latency: 0ms, hit_ratio: 1, functions: "
        "[{{trigger: viewer_request, kind: lambda_edge, duration: 20ms, cold_start: 100ms, idle_timeout: {}}}]}}\n"
        "  origin: {{type: external, latency: 0ms}}\n",
        idle));
    REQUIRE(required_metric(r, "services.cdn.functions.viewer_request.invocations") == 20);
    REQUIRE(required_metric(r, "services.cdn.cold_starts") == colds);
    REQUIRE(required_metric(r, "services.cdn.latency_ms.max") == Approx(120).epsilon(0.004));
    REQUIRE(required_metric(r, "services.cdn.latency_ms.p50") == Approx(colds == 20 ? 120 : 20).epsilon(0.004));
  }
}

TEST_CASE("cloudfront: a viewer-trigger Lambda@Edge run over 5 s fails the request", "[cloudfront][functions]") {
  const Json r = run_scenario_text(
      "name: slow-edge\nduration: 60s\nseed: 1\n"
      "workloads: [{name: w, target: cdn, arrival: {process: constant, rate: 1/s}}]\n"
      "services:\n"
      "  cdn: {type: cloudfront, origin: origin, edge_latency: 0ms, hit_ratio: 0, functions: "
      "[{trigger: viewer_request, kind: lambda_edge, duration: 6s, cold_start: 0ms}]}\n"
      "  origin: {type: external, latency: 0ms}\n");
  REQUIRE(balanced(r));
  const double n = required_metric(r, "services.cdn.functions.viewer_request.invocations");
  REQUIRE(n == required_metric(r, "services.cdn.requests"));
  // Every run that reached 5 s failed its request; the last few still run at the end.
  const double timeouts = required_metric(r, "services.cdn.functions.viewer_request.timeouts");
  REQUIRE(timeouts >= n - 5);
  REQUIRE(timeouts < n);
  REQUIRE(required_metric(r, "services.cdn.failures.function_timeout") == timeouts);
  REQUIRE(required_metric(r, "services.cdn.origin_requests") == 0);
  REQUIRE(required_metric(r, "workloads.w.failed") == timeouts);
  REQUIRE(required_metric(r, "workloads.w.succeeded") == 0);
  REQUIRE(required_metric(r, "services.cdn.latency_failed_ms.p50") == Approx(5000).epsilon(0.004));
  // A timeout resets the environment: every run was a cold start.
  REQUIRE(required_metric(r, "services.cdn.cold_starts") == required_metric(r, "services.cdn.functions.viewer_request.invocations"));
}

TEST_CASE("cloudfront: Lambda@Edge is billed per request and per GB-s in 1 ms steps, no free tier", "[cloudfront][cost]") {
  // About 1000 runs of 20.2 ms at 256 MB on an origin trigger (every request
  // misses): 21 ms billed for each finished run = 0.021 x 0.25 GB-s.
  const Json r = run_scenario_text(
      "name: edge-cost\nduration: 100s\nwarmup: 10s\nseed: 1\naccount: {free_tier: true}\n"
      "workloads: [{name: w, target: cdn, arrival: {process: constant, rate: 10/s}}]\n"
      "services:\n"
      "  cdn: {type: cloudfront, origin: origin, edge_latency: 0ms, hit_ratio: 0, functions: "
      "[{trigger: origin_response, kind: lambda_edge, memory: 256MB, duration: 20.2ms, cold_start: 0ms}]}\n"
      "  origin: {type: external, latency: 0ms}\n");
  const Json* requests = cost_item(r, "cdn", "lambda@edge requests");
  const Json* duration = cost_item(r, "cdn", "lambda@edge duration");
  REQUIRE(requests != nullptr);
  REQUIRE(duration != nullptr);
  const double n = required_metric(r, "services.cdn.functions.origin_response.invocations");
  const double finished = required_metric(r, "services.cdn.functions.origin_response.duration_ms.count");
  REQUIRE(n == 1001);
  REQUIRE(finished >= n - 1);  // the one started at the window's end bills nothing yet
  REQUIRE(requests->find("quantity")->as_double() == n);
  REQUIRE(requests->find("usd")->as_double() == Approx(n * 0.6e-6).epsilon(1e-12));
  REQUIRE(duration->find("quantity")->as_double() == Approx(finished * 0.021 * 0.25).epsilon(1e-12));
  REQUIRE(duration->find("usd")->as_double() == Approx(finished * 0.021 * 0.25 * 0.00005001).epsilon(1e-12));
}

TEST_CASE("cloudfront: load errors", "[cloudfront][loader]") {
  const std::string head =
      "name: t\nduration: 1s\nworkloads: [{name: w, target: c, arrival: {process: constant, rate: 1/s}}]\n"
      "services:\n  o: {type: external}\n";
  CHECK(load_error(head + "  c: {type: cloudfront, origin: o, hit_ratio: 0.5, functions: "
                          "[{trigger: origin_request, kind: cloudfront_function, duration: 300us}]}\n") ==
        "t.yaml:6:96: error: services.c.functions.0.kind: a CloudFront Function cannot run on origin_request "
        "(only viewer_request and viewer_response)\n"
        "    hint: use kind: lambda_edge for origin_request and origin_response\n");
  CHECK(load_error(head + "  c: {type: cloudfront, origin: o, hit_ratio: 0.5, functions: "
                          "[{trigger: viewer_request, kind: lambda_edge, memory: 256MB, duration: 5ms}]}\n") ==
        "t.yaml:6:117: error: services.c.functions.0.memory: a Lambda@Edge function on viewer_request has at most "
        "128MB of memory, found '256MB'\n"
        "    hint: viewer triggers allow 128 MB; origin_request and origin_response allow up to 10,240 MB\n");
  CHECK(load_error(head + "  c: {type: cloudfront, origin: o, hit_ratio: 0.5, functions: "
                          "[{trigger: viewer_response, kind: lambda_edge, timeout: 10s, duration: 5ms}]}\n") ==
        "t.yaml:6:119: error: services.c.functions.0.timeout: a Lambda@Edge function on viewer_response runs at "
        "most 5s, found '10s'\n"
        "    hint: viewer triggers allow 5 s, origin triggers 30 s\n");
  CHECK(load_error(head + "  c: {type: cloudfront, origin: o, hit_ratio: 0.5, functions: "
                          "[{trigger: viewer_request, kind: cloudfront_function, memory: 256MB, duration: 1ms}]}\n") ==
        "t.yaml:6:125: error: services.c.functions.0.memory: 'memory' applies to lambda_edge functions only\n"
        "    hint: a CloudFront Function has 2 MB of memory, no environments to keep warm, and fails past its "
        "compute_limit\n");
  CHECK(load_error(head + "  c: {type: cloudfront, origin: o, hit_ratio: 0.5, functions: "
                          "[{trigger: viewer_request, kind: cloudfront_function, duration: 1ms}, "
                          "{trigger: viewer_request, kind: lambda_edge, duration: 1ms}]}\n") ==
        "t.yaml:6:143: error: services.c.functions.1.trigger: a second function on viewer_request (one function "
        "per trigger; the first is services.c.functions.0)\n"
        "    hint: CloudFront runs at most one function per trigger: merge their work into one\n");
  CHECK(load_error(head + "  c: {type: cloudfront, origin: c, hit_ratio: 0.5}\n").find(
            "error: services.c.origin: 'c' cannot be its own origin") != std::string::npos);
  CHECK(load_error(head + "  c: {type: cloudfront, origin: o}\n") ==
        "t.yaml:6:6: error: services.c: a cache needs hit_ratio or capacity_items\n"
        "    hint: e.g. hit_ratio: 0.8, or capacity_items: 100000 with the workloads' keys: {count, zipf}\n");
  CHECK(load_error(head + "  c: {type: cloudfront, origin: o, hit_ratio: 0.5, ttl: 400d}\n").find(
            "services.c.ttl") != std::string::npos);
  // The sketch's form loads.
  CHECK(load_error(
            "name: t\nduration: 1s\n"
            "workloads: [{name: w, target: cdn, arrival: {process: constant, rate: 1/s}, keys: {count: 10}}]\n"
            "services:\n"
            "  site: {type: s3}\n"
            "  cdn:\n    type: cloudfront\n    origin: site\n    ttl: 1d\n    capacity_items: 100000\n"
            "    edge_latency: {dist: lognormal, median: 15ms, p99: 80ms}\n    functions:\n"
            "      - {trigger: viewer_request, kind: cloudfront_function, duration: 300us}\n"
            "      - {trigger: origin_request, kind: lambda_edge, memory: 128MB, duration: 20ms}\n") == "(no error)");
}

TEST_CASE("cloudfront: the analytic estimate follows the request's path", "[cloudfront][analyze]") {
  // 10/s; a viewer-request Lambda@Edge function offered 10 x 0.3 s = 3 erlangs
  // over 4 environments blocks B = Erlang-B(4, 3); the edge hits 80%, the
  // shield half of the rest, the origin fails 10% of what reaches it.
  const Scenario sc = load_scenario_text(
      "name: cdn-analytic\nduration: 100s\n"
      "workloads: [{name: w, target: cdn, arrival: {process: poisson, rate: 10/s}}]\n"
      "services:\n"
      "  cdn: {type: cloudfront, origin: origin, edge_latency: 10ms, hit_ratio: 0.8, "
      "origin_shield: {hit_ratio: 0.5, latency: 20ms}, functions: [{trigger: viewer_request, kind: lambda_edge, "
      "concurrency: 4, duration: {dist: exponential, mean: 300ms}}]}\n"
      "  origin: {type: external, latency: 50ms, errors: 0.1}\n",
      "a.yaml", builtin_services());
  const AnalyticResult r = estimate_scenario(sc);
  const ServiceEstimate* cdn = nullptr;
  for (const auto& s : r.services)
    if (s.name == "cdn") cdn = &s.estimate;
  REQUIRE(cdn != nullptr);
  const auto figure = [&](const std::string& path) {
    for (const AnalyticFigure& f : cdn->figures)
      if (f.path == path) return f.count ? f.value * r.seconds : f.value;
    FAIL("no figure " << path);
    return 0.0;
  };
  const double b = erlang_b(4, 3.0);
  const double past = 1000 * (1 - b);
  REQUIRE(figure("requests") == Approx(1000).epsilon(1e-12));
  REQUIRE(figure("function_invocations") == Approx(past).epsilon(1e-12));
  REQUIRE(figure("cache.hits") == Approx(past * 0.8).epsilon(1e-12));
  REQUIRE(figure("origin_requests") == Approx(past * 0.2 * 0.5).epsilon(1e-12));
  const double ok = past * (0.8 + 0.2 * (0.5 + 0.5 * 0.9));
  REQUIRE(figure("failures.total") == Approx(1000 - ok).epsilon(1e-12));
  // An ok answer: 10 ms + 300 ms, and a miss adds 20 ms (and the origin's 50 ms when the shield misses).
  const double mean = 0.310 + (past * 0.2 * 0.5 * 0.020 + past * 0.2 * 0.5 * 0.9 * 0.070) / ok;
  REQUIRE(figure("latency_ms.mean") == Approx(mean * 1e3).epsilon(1e-12));
}

TEST_CASE("cloudfront: a lambda service with edge: true runs as a trigger's function", "[cloudfront][functions]") {
  // The origin-request function is the lambda `rewrite` (every request misses):
  // it is invoked once per request, cold-starts like any function, and bills
  // Lambda@Edge prices: 20.2 ms at 128 MB = 21 ms billed, 0.021 x 0.125 GB-s each.
  const std::string yaml =
      "name: named-edge\nduration: 100s\nwarmup: 10s\nseed: 1\naccount: {{free_tier: true}}\n"
      "workloads: [{{name: w, target: cdn, arrival: {{process: constant, rate: 10/s}}}}]\n"
      "services:\n"
      "  cdn: {{type: cloudfront, origin: origin, edge_latency: 0ms, hit_ratio: 0, functions: "
      "[{{trigger: origin_request, kind: lambda_edge, function: rewrite}}]}}\n"
      "  rewrite: {{type: lambda, edge: true, duration: 20.2ms, cold_start: 100ms{}}}\n"
      "  origin: {{type: external, latency: 0ms}}\n";
  const Json r = run_scenario_text(fmt::format(fmt::runtime(yaml), ""));
  REQUIRE(balanced(r));
  const double n = required_metric(r, "services.cdn.functions.origin_request.invocations");
  REQUIRE(n == required_metric(r, "services.cdn.requests"));
  REQUIRE(required_metric(r, "services.rewrite.invocations") == n);
  REQUIRE(required_metric(r, "services.cdn.failures.total") == 0);
  REQUIRE(required_metric(r, "services.cdn.latency_ms.p50") == Approx(20.2).epsilon(0.004));
  const double gb_s = required_metric(r, "services.rewrite.billed_gb_s");
  REQUIRE(gb_s == Approx(required_metric(r, "services.rewrite.duration_ms.count") * 0.021 * 0.125).epsilon(1e-9));
  REQUIRE(cost_item(r, "rewrite", "lambda@edge requests")->find("usd")->as_double() == Approx(n * 0.6e-6).epsilon(1e-12));
  REQUIRE(cost_item(r, "rewrite", "lambda@edge duration")->find("usd")->as_double() ==
          Approx(gb_s * 0.00005001).epsilon(1e-12));
  REQUIRE(cost_item(r, "rewrite", "requests") == nullptr);  // no Lambda request price, no free tier
  REQUIRE(cost_item(r, "rewrite", "free tier requests") == nullptr);
  // Its failures fail the request.
  const Json failing = run_scenario_text(fmt::format(fmt::runtime(yaml), ", errors: 1"));
  REQUIRE(balanced(failing));
  REQUIRE(required_metric(failing, "services.cdn.failures.function_error") == required_metric(failing, "services.rewrite.errors"));
  REQUIRE(required_metric(failing, "services.cdn.origin_requests") == 0);
  REQUIRE(required_metric(failing, "workloads.w.succeeded") == 0);
}

TEST_CASE("cloudfront: load errors of a function named by reference", "[cloudfront][loader]") {
  const std::string head =
      "name: t\nduration: 1s\nworkloads: [{name: w, target: c, arrival: {process: constant, rate: 1/s}}]\n"
      "services:\n  o: {type: external}\n";
  CHECK(load_error(head + "  f: {type: lambda, duration: 5ms}\n"
                          "  c: {type: cloudfront, origin: o, hit_ratio: 0.5, functions: "
                          "[{trigger: origin_request, kind: lambda_edge, function: f}]}\n") ==
        "t.yaml:7:119: error: services.c.functions.0.function: 'f' is not declared as a Lambda@Edge function\n"
        "    hint: add 'edge: true' to services.f (Lambda@Edge prices and limits then apply to it)\n");
  CHECK(load_error(head + "  f: {type: lambda, edge: true, memory: 512MB, duration: 5ms}\n"
                          "  c: {type: cloudfront, origin: o, hit_ratio: 0.5, functions: "
                          "[{trigger: viewer_request, kind: lambda_edge, function: f}]}\n") ==
        "t.yaml:7:119: error: services.c.functions.0.function: 'f' has 512MB of memory, but a Lambda@Edge function "
        "on viewer_request has at most 128MB\n"
        "    hint: set services.f.memory to 128MB, or run it on an origin trigger (up to 10,240 MB)\n");
  CHECK(load_error(head + "  f: {type: lambda, edge: true, timeout: 10s, duration: 5ms}\n"
                          "  c: {type: cloudfront, origin: o, hit_ratio: 0.5, functions: "
                          "[{trigger: viewer_response, kind: lambda_edge, function: f}]}\n") ==
        "t.yaml:7:120: error: services.c.functions.0.function: 'f' has a timeout of 10s, but a Lambda@Edge function "
        "on viewer_response runs at most 5s\n"
        "    hint: set services.f.timeout within the trigger's limit\n");
  CHECK(load_error(head + "  f: {type: lambda, edge: true, duration: 5ms}\n"
                          "  c: {type: cloudfront, origin: o, hit_ratio: 0.5, functions: "
                          "[{trigger: origin_request, kind: lambda_edge, function: f, memory: 256MB}]}\n") ==
        "t.yaml:7:130: error: services.c.functions.0.memory: 'memory' belongs to the function 'f' when 'function' "
        "names it\n"
        "    hint: set it on services.f, or leave 'function' out and declare the function inline\n");
  CHECK(load_error(head + "  c: {type: cloudfront, origin: o, hit_ratio: 0.5, functions: "
                          "[{trigger: origin_request, kind: lambda_edge}]}\n") ==
        "t.yaml:6:64: error: services.c.functions.0: an edge function needs 'duration'\n"
        "    hint: give its run time, e.g. duration: 20ms, or name a lambda service with function: NAME\n");
}
