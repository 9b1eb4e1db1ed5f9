// API Gateway authorizers (Cognito user-pool and Lambda), the workloads'
// auth tokens, and Cognito user pools: the authorizer's result cache against
// the renewal closed form, denies against the binomial, failures, the
// account's Cognito quotas against the token bucket, and MAU prices by plan.
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include <catch2/catch.hpp>

#include "models/cognito/cognito.hpp"
#include "models/pricing/catalog.hpp"
#include "checks.hpp"
#include "support.hpp"

using namespace slsim;
using namespace slsim::testing;

namespace {

// One API with an authorizer in front of an `external` backend; the workload
// `w` calls the API.
std::string authorizer_scenario(const std::string& duration, const std::string& workload_extra,
                                const std::string& authorizer, const std::string& more_services,
                                const std::string& top_extra = "") {
  return fmt::format(
      "name: auth\nduration: {}\n{}"
      "workloads: [{{name: w, target: api{}}}]\n"
      "services:\n"
      "  api: {{type: apigateway, integration: backend, latency: 0ms, authorizer: {}}}\n"
      "  backend: {{type: external, latency: 1ms}}\n"
      "{}",
      duration, top_extra, workload_extra, authorizer, more_services);
}

// Sign-ins (or another operation) into user pools.
std::string pool_scenario(const std::string& duration, const std::string& workloads, const std::string& pools,
                          const std::string& top_extra = "") {
  return fmt::format("name: pool\nduration: {}\n{}workloads:\n{}services:\n{}", duration, top_extra, workloads, pools);
}

}  // namespace

TEST_CASE("authorizer: a Lambda authorizer's cache turns per-token reuse into T / (ttl + 1/r) invocations",
          "[authorizer]") {
  // T = 200 tokens, each used at Poisson rate r = 0.5/s (the workload's
  // 100/s spread uniformly). A token's result is stored when the function
  // answers (d = 1 ms after the miss) and reused for ttl = 10 s; the next
  // miss is the token's first request after that: an exponential wait of
  // mean 1/r. Each token's misses are a renewal process of cycle
  // mu = d + ttl + 1/r = 12.001 s, sd sigma = 1/r = 2 s; the invocations in
  // W = 600 s number T W / mu = 9999 on average with variance
  // T W sigma^2 / mu^3 (renewal CLT): sd ~ 16.7. A 60 s warm-up (5 cycles)
  // leaves the tokens' phases stationary. Without the cache every one of the
  // ~60,000 requests would invoke the function.
  const Json r = run_scenario_text(authorizer_scenario(
      "10min", ", arrival: {process: poisson, rate: 100/s}, tokens: {count: 200}", "{to: fn, cache_ttl: 10s}",
      "  fn: {type: lambda, duration: 1ms}\n", "warmup: 60s\n"));
  REQUIRE(balanced(r));
  const double mu = 0.001 + 10.0 + 2.0;
  const double expected = 200.0 * 600.0 / mu;
  const double sd = std::sqrt(200.0 * 600.0 * 4.0 / (mu * mu * mu));
  const double calls = required_metric(r, "services.api.authorizer.calls");
  INFO(fmt::format("invocations {} expected {:.1f} sd {:.1f}", calls, expected, sd));
  REQUIRE(std::fabs(calls - expected) <= 5 * sd);
  // Every evaluation is one invocation of the function; the rest are cache hits.
  REQUIRE(required_metric(r, "services.fn.invocations") == calls);
  REQUIRE(required_metric(r, "services.api.authorizer.cache.misses") == calls);
  REQUIRE(required_metric(r, "services.api.authorizer.cache.hits") + calls == required_metric(r, "services.api.requests"));
  REQUIRE(required_metric(r, "services.backend.requests") == required_metric(r, "services.api.requests"));
}

TEST_CASE("authorizer: cache_ttl 0 and requests without tokens evaluate every request", "[authorizer]") {
  // cache_ttl: 0s turns the cache off; a workload without `tokens:` gives each
  // request a token of its own, so a cache never hits it either.
  for (const char* setup : {", tokens: {count: 5}|cache_ttl: 0s", "|cache_ttl: 300s"}) {
    const std::string s = setup;
    const std::string workload = ", arrival: {process: poisson, rate: 50/s}" + s.substr(0, s.find('|'));
    const std::string authorizer = "{to: fn, " + s.substr(s.find('|') + 1) + "}";
    const Json r = run_scenario_text(
        authorizer_scenario("60s", workload, authorizer, "  fn: {type: lambda, duration: 1ms}\n"));
    INFO(setup);
    REQUIRE(balanced(r));
    REQUIRE(required_metric(r, "services.api.requests") > 2500);
    REQUIRE(required_metric(r, "services.api.authorizer.calls") == required_metric(r, "services.api.requests"));
    REQUIRE(required_metric(r, "services.api.authorizer.cache.hits") == 0);
    REQUIRE(required_metric(r, "services.fn.invocations") == required_metric(r, "services.api.requests"));
  }
}

TEST_CASE("authorizer: a workload without tokens in front of a caching authorizer is warned about", "[authorizer]") {
  const std::string text = authorizer_scenario("60s", ", arrival: {process: poisson, rate: 50/s}",
                                               "{to: fn, cache_ttl: 300s}", "  fn: {type: lambda, duration: 1ms}\n");
  const Scenario sc = load_scenario_text(text, "t.yaml", builtin_services());
  REQUIRE(sc.warnings.str() ==
          "t.yaml:5:95: warning: services.api.authorizer.cache_ttl: workload 'w' reaches this authorizer without "
          "`tokens:`: each of its requests carries a token of its own, so the authorizer's cache never hits\n"
          "    hint: give the workload its users' tokens, e.g. tokens: {count: 5000, zipf: 1.0}\n");
  const std::string with_tokens =
      authorizer_scenario("60s", ", arrival: {process: poisson, rate: 50/s}, tokens: {count: 10}",
                          "{to: fn, cache_ttl: 300s}", "  fn: {type: lambda, duration: 1ms}\n");
  REQUIRE(load_scenario_text(with_tokens, "t.yaml", builtin_services()).warnings.str().empty());
}

TEST_CASE("authorizer: denied requests are binomial, answered 401/403, never forwarded nor billed", "[authorizer]") {
  // A Cognito authorizer without a cache evaluates every request; each is
  // refused with probability p = 0.2 independently: the denied count is
  // Binomial(n, p), within 5 standard deviations.
  const Json r = run_scenario_text(authorizer_scenario(
      "100s", ", arrival: {process: poisson, rate: 100/s}, tokens: {count: 1000}", "{to: pool, cache_ttl: 0s, deny: 0.2}",
      "  pool: {type: cognito, verify_latency: 0ms}\n"));
  REQUIRE(balanced(r));
  const double n = required_metric(r, "services.api.requests");
  const double denied = required_metric(r, "services.api.authorizer.denied");
  INFO(fmt::format("n {} denied {}", n, denied));
  REQUIRE(n > 9000);
  REQUIRE(std::fabs(denied - 0.2 * n) <= 5 * std::sqrt(n * 0.2 * 0.8));
  // The integration sees exactly the allowed requests; the client sees the denies as failures.
  REQUIRE(required_metric(r, "services.backend.requests") == n - denied);
  REQUIRE(required_metric(r, "workloads.w.failed") == denied);
  REQUIRE(required_metric(r, "workloads.w.succeeded") == n - denied);
  // Every request was checked against the pool (no quota, no throttle).
  REQUIRE(required_metric(r, "services.api.authorizer.calls") == n);
  REQUIRE(required_metric(r, "services.pool.operations.verify") == n);
  REQUIRE(required_metric(r, "services.pool.throttles") == 0);
  // Authorizer refusals are not billed as API calls.
  REQUIRE(cost_item(r, "api", "requests")->find("quantity")->as_double() == n - denied);
}

TEST_CASE("authorizer: a cached deny refuses the token's later requests without a new evaluation", "[authorizer]") {
  // One token, deny 1, a Cognito check that takes no time: the first
  // evaluation refuses the token and the refusal is reused for 10 s, so 30 s
  // of requests every 100 ms give 3 evaluations (the first request's, then
  // the first after each expiry), and every request is denied.
  const Json r = run_scenario_text(authorizer_scenario(
      "30s", ", arrival: {process: constant, rate: 10/s}, tokens: {count: 1}", "{to: pool, cache_ttl: 10s, deny: 1}",
      "  pool: {type: cognito, verify_latency: 0ms}\n"));
  REQUIRE(balanced(r));
  REQUIRE(required_metric(r, "services.api.authorizer.calls") == 3);
  REQUIRE(required_metric(r, "services.api.authorizer.denied") == required_metric(r, "services.api.requests"));
  REQUIRE(required_metric(r, "services.backend.requests") == 0);
}

TEST_CASE("authorizer: a failing, timing-out or throttled Lambda authorizer gets the client a 500", "[authorizer]") {
  struct Case {
    const char* fn;
    const char* counter;
  };
  for (const Case& c : {Case{"duration: 1ms, errors: 1", "errors"}, Case{"duration: 5s, timeout: 3s", "timeouts"},
                        Case{"duration: 1ms, reserved_concurrency: 0", "throttles"}}) {
    const Json r = run_scenario_text(authorizer_scenario(
        "30s", ", arrival: {process: poisson, rate: 20/s}, tokens: {count: 10}", "{to: fn}",
        fmt::format("  fn: {{type: lambda, {}}}\n", c.fn)));
    INFO(c.fn);
    REQUIRE(balanced(r));
    const double n = required_metric(r, "services.api.requests");
    const double in_flight = required_metric(r, "workloads.w.end_to_end.in_flight");
    REQUIRE(n > 400);
    // A failure is not cached: every request is evaluated, fails and is answered 500 (an error).
    REQUIRE(required_metric(r, std::string("services.api.authorizer.") + c.counter) == n - in_flight);
    REQUIRE(required_metric(r, "workloads.w.failed") == n - in_flight);
    REQUIRE(required_metric(r, "workloads.w.throttled") == 0);
    REQUIRE(required_metric(r, "services.backend.requests") == 0);
    const Json* billed = cost_item(r, "api", "requests");
    REQUIRE((billed == nullptr || billed->find("quantity")->as_double() == 0));
  }
}

TEST_CASE("authorizer: load errors", "[authorizer][validation]") {
  const std::string head =
      "name: t\nduration: 10s\n"
      "workloads: [{name: w, target: api, arrival: {process: poisson, rate: 10/s}, tokens: {count: 10}}]\n"
      "services:\n"
      "  b: {type: external}\n";
  CHECK(load_error(head + "  api: {type: apigateway, integration: b, authorizer: {to: b}}\n") ==
        "t.yaml:6:60: error: services.api.authorizer.to: 'b' is an external service; an authorizer is a cognito user "
        "pool or a lambda function\n"
        "    hint: name a cognito service (a user-pool authorizer) or a lambda service (a Lambda authorizer)\n");
  CHECK(load_error(head + "  api: {type: apigateway, integration: b, authorizer: {to: b, cache_ttl: 2h}}\n") ==
        "t.yaml:6:74: error: services.api.authorizer.cache_ttl: expected a duration between 0s and 1h, found '2h'\n"
        "    hint: API Gateway caches authorizer results for 0 to 3600 seconds\n");
  CHECK(load_error(head + "  api: {type: apigateway, integration: b, authorizer: {to: b, deny: 1.5}}\n") ==
        "t.yaml:6:69: error: services.api.authorizer.deny: expected a probability between 0 and 1, found '1.5'\n");
  std::string no_tokens = head + "  api: {type: apigateway, integration: b}\n";
  no_tokens.replace(no_tokens.find("count: 10"), 9, "count: 0");
  CHECK(load_error(no_tokens) ==
        "t.yaml:3:93: error: workloads.w.tokens.count: expected a whole number between 1 and 1000000000, found '0'\n");
}

TEST_CASE("cognito: sign-ins above the quota are throttled as the account's token bucket says", "[cognito]") {
  // UserAuthentication: 120/s with a bucket of one second's worth (120),
  // full at t = 0. Constant arrivals at 200/s for 10 s (n = 2000, the last at
  // t <= 10 s) outrun the refill, so the bucket never holds a whole spare
  // token after it first empties: accepted A = 120 + floor(120 t_last) or one
  // less, i.e. 1318 <= A <= 1320. Two pools at 100/s each share the same
  // account bucket: the same total.
  const std::string one = pool_scenario(
      "10s", "  - {name: s, target: p, op: sign_in, arrival: {process: constant, rate: 200/s}, tokens: {count: 100}}\n",
      "  p: {type: cognito}\n");
  const std::string two = pool_scenario(
      "10s",
      "  - {name: s, target: p, op: sign_in, arrival: {process: constant, rate: 100/s}, tokens: {count: 100}}\n"
      "  - {name: t, target: q, op: refresh, arrival: {process: constant, rate: 100/s}, tokens: {count: 100}}\n",
      "  p: {type: cognito}\n  q: {type: cognito}\n");
  for (const std::string& text : {one, two}) {
    const Json r = run_scenario_text(text);
    REQUIRE(balanced(r));
    double n = 0, throttles = 0, by_category = 0;
    for (const char* pool : {"p", "q"}) {
      if (r.find_path(fmt::format("services.{}", pool)) == nullptr) continue;
      n += required_metric(r, fmt::format("services.{}.requests", pool));
      throttles += required_metric(r, fmt::format("services.{}.throttles", pool));
      by_category += required_metric(r, fmt::format("services.{}.throttled_by.user_authentication", pool));
    }
    INFO(fmt::format("n {} throttled {}", n, throttles));
    REQUIRE(n == 2000);
    REQUIRE(by_category == throttles);
    REQUIRE(n - throttles >= 1318);
    REQUIRE(n - throttles <= 1320);
  }
  // The quota is the account's to set: 50/s (bucket 50) accepts 50 + 500.
  const Json r = run_scenario_text(one, 0, {"account.cognito_auth_rate=50/s"});
  REQUIRE(required_metric(r, "services.p.requests") - required_metric(r, "services.p.throttles") >= 548);
  REQUIRE(required_metric(r, "services.p.requests") - required_metric(r, "services.p.throttles") <= 550);
  REQUIRE(required_metric(r, "workloads.s.throttled") == required_metric(r, "services.p.throttles"));
}

TEST_CASE("cognito: sign-ups and reads have quotas of their own, verify has none", "[cognito]") {
  // UserCreation 50/s: sign_up at 100/s for 10 s accepts 50 + 500 (or one less);
  // UserRead 120/s: get_user at 100/s is never throttled; verify at 1000/s neither.
  const Json r = run_scenario_text(pool_scenario(
      "10s",
      "  - {name: up, target: p, op: sign_up, arrival: {process: constant, rate: 100/s}}\n"
      "  - {name: get, target: p, op: get_user, arrival: {process: constant, rate: 100/s}}\n"
      "  - {name: check, target: p, op: verify, arrival: {process: constant, rate: 1000/s}}\n",
      "  p: {type: cognito}\n"));
  REQUIRE(balanced(r));
  const double accepted = required_metric(r, "workloads.up.arrived") - required_metric(r, "workloads.up.throttled");
  REQUIRE(accepted >= 549);
  REQUIRE(accepted <= 550);
  REQUIRE(required_metric(r, "services.p.throttled_by.user_creation") == required_metric(r, "workloads.up.throttled"));
  REQUIRE(required_metric(r, "workloads.get.throttled") == 0);
  REQUIRE(required_metric(r, "workloads.check.throttled") == 0);
  REQUIRE(required_metric(r, "services.p.throttles") == required_metric(r, "workloads.up.throttled"));
}

TEST_CASE("cognito: MAU prices by plan and tier are exact", "[cognito][cost]") {
  const Scenario sc = load_scenario_text(
      pool_scenario("10s", "  - {name: s, target: p, arrival: {process: constant, rate: 1/s}}\n", "  p: {type: cognito}\n"),
      "t.yaml", builtin_services());
  const models::PriceCatalog prices(sc);
  using models::cognito_monthly_usd;
  // Essentials: $0.015 per MAU after 10,000 free.
  CHECK(cognito_monthly_usd(prices, "essentials", 25000, 10000) == Approx(15000 * 0.015));
  CHECK(cognito_monthly_usd(prices, "essentials", 25000, 0) == Approx(25000 * 0.015));
  CHECK(cognito_monthly_usd(prices, "essentials", 8000, 10000) == 0);
  // Plus: $0.020, no free tier (the caller passes 0).
  CHECK(cognito_monthly_usd(prices, "plus", 25000, 0) == Approx(500));
  // Lite: the free 10,000, then $0.0055 up to 100,000, $0.0046 up to 1M,
  // $0.00325 up to 10M, $0.0025 beyond; AWS's example: 850,000 MAUs.
  CHECK(cognito_monthly_usd(prices, "lite", 850000, 10000) == Approx(90000 * 0.0055 + 750000 * 0.0046));
  CHECK(cognito_monthly_usd(prices, "lite", 12e6, 10000) ==
        Approx(90000 * 0.0055 + 900000 * 0.0046 + 9e6 * 0.00325 + 2e6 * 0.0025));
  CHECK(cognito_monthly_usd(prices, "lite", 100000, 0) == Approx(100000 * 0.0055));
}

TEST_CASE("cognito: the MAU line is the month's charge prorated to the window", "[cognito][cost]") {
  // Declared 25,000 MAUs on Essentials with the free tier: $225 a month; a
  // 10-minute window carries 600 / 2,592,000 of it, and the 30-day projection is $225.
  const Json r = run_scenario_text(pool_scenario(
      "10min", "  - {name: s, target: p, op: sign_in, arrival: {process: poisson, rate: 5/s}, tokens: {count: 50}}\n",
      "  p: {type: cognito, mau: 25000}\n", "account: {free_tier: true}\n"));
  const Json* line = cost_item(r, "p", "monthly active users");
  REQUIRE(line != nullptr);
  REQUIRE(line->find("usd")->as_double() == Approx(225.0 * 600 / 2592000));
  REQUIRE(line->find("basis")->as_string() == "time");
  REQUIRE(required_metric(r, "cost.monthly_usd") == Approx(225.0));
  // Users seen: the 50 tokens (3,000 sign-ins make every one appear); billed: the declared 25,000.
  REQUIRE(required_metric(r, "services.p.users") == 50);
  REQUIRE(required_metric(r, "services.p.mau") == 25000);
  // Without `mau:` the users seen are billed: 50 MAUs, under the free 10,000.
  const Json seen = run_scenario_text(pool_scenario(
      "10min", "  - {name: s, target: p, op: sign_in, arrival: {process: poisson, rate: 5/s}, tokens: {count: 50}}\n",
      "  p: {type: cognito, plan: plus}\n", "account: {free_tier: true}\n"));
  REQUIRE(required_metric(seen, "services.p.mau") == 50);
  REQUIRE(cost_item(seen, "p", "monthly active users")->find("usd")->as_double() == Approx(50 * 0.02 * 600 / 2592000.0));
}

TEST_CASE("authorizer: the topology edge carries the operation the API sends", "[authorizer]") {
  // A user pool is sent `verify` (not its default `sign_in`); a function its default `invoke`.
  for (const auto& [service, op] : std::vector<std::pair<std::string, std::string>>{
           {"  pool: {type: cognito}\n", "verify"}, {"  pool: {type: lambda, duration: 1ms}\n", "invoke"}}) {
    const Scenario sc = load_scenario_text(
        authorizer_scenario("10s", ", arrival: {process: poisson, rate: 5/s}, tokens: {count: 5}", "{to: pool}", service),
        "t.yaml", builtin_services());
    int found = 0;
    for (const TopologyEdge& e : sc.edges) {
      if (e.from != "api" || e.label != "authorizer") continue;
      ++found;
      CHECK(e.to == "pool");
      CHECK(e.op == op);
    }
    CHECK(found == 1);
  }
}
