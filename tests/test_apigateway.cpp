// API Gateway: stage and account token buckets (closed forms and exact
// counts), the integration timeout (504 while the backend keeps running),
// backend statuses, routes, load-time validation and request pricing.
#include <cmath>
#include <string>

#include <fmt/format.h>

#include <catch2/catch.hpp>

#include "sim/core/token_bucket.hpp"
#include "checks.hpp"
#include "support.hpp"

using namespace slsim;
using namespace slsim::testing;

namespace {

// One API in front of one `external` backend.
std::string api_scenario(const std::string& duration, const std::string& arrival, const std::string& api_extra,
                         const std::string& backend_extra, const std::string& top_extra = "") {
  return fmt::format(
      "name: api\nduration: {}\n{}"
      "workloads: [{{name: w, target: api, arrival: {}}}]\n"
      "services:\n"
      "  api: {{type: apigateway, integration: backend{}}}\n"
      "  backend: {{type: external{}}}\n",
      duration, top_extra, arrival, api_extra, backend_extra);
}

void require_balanced(const Json& r) { REQUIRE(r.find_path("accounting.balanced")->as_bool()); }

// Two routes, each to its own backend; `workload_extra` may name a route.
std::string routes_scenario(const std::string& workload_extra) {
  return "name: routes\n"                                                      // 1
         "duration: 20s\n"                                                     // 2
         "workloads:\n"                                                        // 3
         "  - name: w\n"                                                       // 4
         "    target: api\n"                                                   // 5
         "    arrival: {process: poisson, rate: 1000/s}\n" +                   // 6
         workload_extra +                                                      // 7 (when given)
         "services:\n"
         "  api:\n"
         "    type: apigateway\n"
         "    latency: 0ms\n"
         "    routes:\n"
         "      - {route: GET /todos, to: reader, weight: 0.8}\n"
         "      - {route: POST /todos, to: writer, weight: 0.2}\n"
         "  reader: {type: external, latency: 5ms}\n"
         "  writer: {type: external, latency: 5ms}\n";
}

}  // namespace

TEST_CASE("apigateway: the token bucket credits exactly without drift", "[apigateway]") {
  // 3 tokens/s is not a whole number of nanotokens per ns: a floating-point
  // refill would round at each of the 27 million refills below.
  TokenBucket b(3.0, 1000);
  for (int i = 0; i < 1000; ++i) {
    REQUIRE(b.has_token(0));
    b.take();
  }
  REQUIRE_FALSE(b.has_token(0));
  SimTime t = 0;
  while (t + 37 <= kSecond) {
    t += 37;
    (void)b.has_token(t);
  }
  (void)b.has_token(kSecond);
  REQUIRE(b.nanotokens() == 3 * TokenBucket::kUnit);  // exactly 3 tokens after exactly 1 s
  // A full bucket does not bank credit; a zero-burst bucket never has a token.
  REQUIRE(b.tokens(3600 * kSecond) == 1000.0);
  TokenBucket none(1000.0, 0);
  REQUIRE_FALSE(none.has_token(kSecond));
}

TEST_CASE("apigateway: a stage limit accepts its rate plus its burst", "[apigateway][throttle]") {
  // Poisson 2000/s into a stage of r = 1000/s, b = 500, T = 60 s.
  // Accepted A = b + r*T - wasted - level_end: the bucket is full only before
  // the first arrival (wasted < 1 token on average), and with arrivals at twice
  // the refill rate the level at the end is a few tokens at most (it exceeds 10
  // with probability ~1e-7). So rT + b - 10 <= A <= rT + b = 60500 (the upper
  // bound is exact: no bucket can give more).
  // Throttled fraction f = 1 - A/n with n ~ Poisson(2rT): f - 1/2 = (n - 2A)/(2n)
  // = (eps - 2(A - rT))/(2n) with eps = n - 2rT, so |f - 1/2| <= b/n + |eps|/(2n),
  // and 5 standard deviations of eps give the tolerance b/n + 2.5*sqrt(n)/n.
  const Json r = run_scenario_text(api_scenario("60s", "{process: poisson, rate: 2000/s}",
                                                ", throttle: {rate: 1000/s, burst: 500}, latency: 0ms",
                                                ", latency: 1ms"));
  require_balanced(r);
  const double n = required_metric(r, "services.api.requests");
  const double throttles = required_metric(r, "services.api.throttles");
  REQUIRE(n == required_metric(r, "workloads.w.arrived"));
  REQUIRE(throttles == required_metric(r, "workloads.w.throttled"));
  REQUIRE(throttles == required_metric(r, "services.api.throttled_by.stage"));
  REQUIRE(required_metric(r, "services.api.throttled_by.account") == 0);
  const double accepted = n - throttles;
  REQUIRE(accepted <= 60500);
  REQUIRE(accepted >= 60490);
  REQUIRE(required_metric(r, "services.backend.requests") == accepted);
  const double fraction = throttles / n;
  const double tolerance = 500.0 / n + 2.5 * std::sqrt(n) / n;
  INFO(fmt::format("n={} throttled fraction={:.5f} tolerance={:.5f}", n, fraction, tolerance));
  REQUIRE(std::fabs(fraction - 0.5) <= tolerance);
  // Throttled answers take no time; those that passed take the backend's 1 ms (no overhead here).
  REQUIRE(required_metric(r, "services.api.latency_ms.max") == 1);
}

TEST_CASE("apigateway: constant arrivals at or below the stage rate are never throttled", "[apigateway][throttle]") {
  // Burst 1: each gap must refill a whole token. At exactly the rate (gaps of
  // exactly 1 ms at 1000/s) only exact arithmetic never comes up short.
  for (const char* rate : {"1000/s", "800/s"}) {
    const Json r = run_scenario_text(api_scenario("300s", fmt::format("{{process: constant, rate: {}}}", rate),
                                                  ", throttle: {rate: 1000/s, burst: 1}", ", latency: 1ms"));
    INFO(rate);
    require_balanced(r);
    REQUIRE(required_metric(r, "services.api.requests") >= 240000);
    REQUIRE(required_metric(r, "services.api.throttles") == 0);
  }
}

TEST_CASE("apigateway: a burst of 800 into a bucket of 500 throttles exactly 300", "[apigateway][throttle]") {
  const Json r = run_scenario_text(api_scenario("10s", "{process: burst, at: 1s, count: 800}",
                                                ", throttle: {rate: 1/s, burst: 500}", ", latency: 1ms"));
  require_balanced(r);
  REQUIRE(required_metric(r, "services.api.requests") == 800);
  REQUIRE(required_metric(r, "services.api.throttles") == 300);
  REQUIRE(required_metric(r, "workloads.w.throttled") == 300);
  REQUIRE(required_metric(r, "workloads.w.succeeded") == 500);
}

TEST_CASE("apigateway: the account limit is shared by every API", "[apigateway][throttle]") {
  // Two APIs with generous stage limits, 200/s each, account 100/s burst 10
  // for 60 s: together they get at most 10 + 100*60 = 6010 tokens, and with
  // 400 arrivals/s the account bucket never sits full, so at least 6000 - 10.
  // Symmetric traffic: each API gets half, within 5 SE of a fair coin (5*sqrt(6000/4) ~ 194).
  const std::string yaml =
      "name: shared\nduration: 60s\n"
      "account: {api_rate: 100/s, api_burst: 10}\n"
      "workloads:\n"
      "  - {name: a, target: api_a, arrival: {process: poisson, rate: 200/s}}\n"
      "  - {name: b, target: api_b, arrival: {process: poisson, rate: 200/s}}\n"
      "services:\n"
      "  api_a: {type: apigateway, integration: backend}\n"
      "  api_b: {type: apigateway, integration: backend, kind: http}\n"
      "  backend: {type: external, latency: 1ms}\n";
  const Json r = run_scenario_text(yaml);
  require_balanced(r);
  const double acc_a = required_metric(r, "services.api_a.requests") - required_metric(r, "services.api_a.throttles");
  const double acc_b = required_metric(r, "services.api_b.requests") - required_metric(r, "services.api_b.throttles");
  INFO(fmt::format("accepted a={} b={}", acc_a, acc_b));
  REQUIRE(acc_a + acc_b <= 6010);
  REQUIRE(acc_a + acc_b >= 5990);
  REQUIRE(std::fabs(acc_a - acc_b) / 2 <= 194);
  REQUIRE(required_metric(r, "services.api_a.throttled_by.stage") == 0);
  REQUIRE(required_metric(r, "services.api_a.throttled_by.account") == required_metric(r, "services.api_a.throttles"));
  REQUIRE(required_metric(r, "services.api_b.throttled_by.account") == required_metric(r, "services.api_b.throttles"));
}

TEST_CASE("apigateway: a slow backend gets the client a 504 at the timeout and keeps running", "[apigateway][timeout]") {
  // Arrivals at 1, 2, ..., 60 s; the backend takes 3 s; the timeout is 1 s and
  // the overhead 0, so every answer is a 504 exactly 1 s after arrival. The one
  // that arrives at 60 s is still in flight at the end.
  // The backend keeps running: its calls occupy [k, k+3] s, so its mean
  // concurrency over the 60 s is (57*3 + 2 + 1 + 0)/60 = 2.9 (Little: 1/s x 3 s,
  // less the edge), 57 calls complete, and each of them is a late reply.
  const Json r = run_scenario_text(api_scenario("60s", "{process: constant, rate: 1/s}", ", timeout: 1s, latency: 0ms",
                                                ", latency: 3s, concurrency: 5"));
  require_balanced(r);
  REQUIRE(required_metric(r, "workloads.w.arrived") == 60);
  REQUIRE(required_metric(r, "workloads.w.timed_out") == 59);
  REQUIRE(required_metric(r, "workloads.w.succeeded") == 0);
  REQUIRE(required_metric(r, "accounting.in_flight") == 1);
  REQUIRE(required_metric(r, "services.api.timeouts") == 59);
  REQUIRE(required_metric(r, "workloads.w.latency_failed_ms.max") == 1000);
  REQUIRE(required_metric(r, "workloads.w.latency_failed_ms.mean") == 1000);
  REQUIRE(required_metric(r, "workloads.w.latency_ms.count") == 0);  // 504s are not successes
  REQUIRE(required_metric(r, "services.api.latency_failed_ms.max") == 1000);
  REQUIRE(required_metric(r, "services.api.latency_ms.count") == 0);
  REQUIRE(required_metric(r, "services.backend.throttles") == 0);
  REQUIRE(required_metric(r, "services.backend.completed") == 57);
  REQUIRE(required_metric(r, "services.backend.concurrency.mean") == Approx(2.9).epsilon(1e-12));
  REQUIRE(required_metric(r, "services.api.late_replies") == 57);
}

TEST_CASE("apigateway: backend errors and throttles reach the client", "[apigateway]") {
  SECTION("errors") {
    const Json r = run_scenario_text(api_scenario("10s", "{process: constant, rate: 10/s}", "", ", errors: 1"));
    require_balanced(r);
    const double arrived = required_metric(r, "workloads.w.arrived");
    const double in_flight = required_metric(r, "accounting.in_flight");
    REQUIRE(required_metric(r, "workloads.w.failed") == arrived - in_flight);
    REQUIRE(required_metric(r, "workloads.w.succeeded") == 0);
    REQUIRE(required_metric(r, "services.api.errors") == arrived - in_flight);
  }
  SECTION("a backend concurrency limit throttles at the workload") {
    // Concurrency 1, 1 s per call, 10 arrivals/s: about 9 in 10 get 429 from the backend.
    const Json r = run_scenario_text(api_scenario("10s", "{process: constant, rate: 10/s}", "",
                                                  ", latency: 1s, concurrency: 1"));
    require_balanced(r);
    const double backend_throttles = required_metric(r, "services.backend.throttles");
    REQUIRE(backend_throttles > 50);
    REQUIRE(required_metric(r, "services.api.throttles") == 0);
    REQUIRE(required_metric(r, "services.api.backend_throttles") == backend_throttles);
    REQUIRE(required_metric(r, "workloads.w.throttled") == backend_throttles);
  }
}

TEST_CASE("apigateway: requests without a route split by weight", "[apigateway][routes]") {
  const Json r = run_scenario_text(routes_scenario(""));
  require_balanced(r);
  const double n = required_metric(r, "services.api.requests");
  const double get = required_metric(r, "services.api.routes.GET /todos");
  const double post = required_metric(r, "services.api.routes.POST /todos");
  REQUIRE(get + post == n);
  REQUIRE(required_metric(r, "services.reader.requests") == get);
  REQUIRE(required_metric(r, "services.writer.requests") == post);
  const double se = std::sqrt(n * 0.8 * 0.2);  // binomial standard error of the count
  INFO(fmt::format("n={} GET={} expected {} SE {:.1f}", n, get, 0.8 * n, se));
  REQUIRE(std::fabs(get - 0.8 * n) <= 5 * se);
}

TEST_CASE("apigateway: a workload route goes only to that route", "[apigateway][routes]") {
  const Json r = run_scenario_text(routes_scenario("    route: POST /todos\n"));
  require_balanced(r);
  const double n = required_metric(r, "services.api.requests");
  REQUIRE(n > 0);
  REQUIRE(required_metric(r, "services.api.routes.POST /todos") == n);
  REQUIRE(required_metric(r, "services.api.routes.GET /todos") == 0);
  REQUIRE(required_metric(r, "services.reader.requests") == 0);
}

TEST_CASE("apigateway: an unknown route is a load error with a did-you-mean", "[apigateway][routes]") {
  REQUIRE(load_error(routes_scenario("    route: GET /todo\n")) ==
          "t.yaml:7:12: error: workloads.w.route: 'api' has no route 'GET /todo' (it has 'GET /todos', 'POST /todos')\n"
          "    hint: did you mean 'GET /todos'?\n");
}

TEST_CASE("apigateway: load-time checks of timeout and backend", "[apigateway][validation]") {
  const std::string head =
      "name: t\nduration: 1min\n"                                          // 1-2
      "workloads: [{name: w, target: api, arrival: {process: poisson, rate: 5/s}}]\n"  // 3
      "services:\n"                                                        // 4
      "  backend: {type: external}\n"                                      // 5
      "  api:\n"                                                           // 6
      "    type: apigateway\n";                                            // 7
  SECTION("an HTTP API timeout above 30s") {
    REQUIRE(load_error(head + "    kind: http\n    integration: backend\n    timeout: 31s\n") ==
            "t.yaml:10:14: error: services.api.timeout: an HTTP API's integration timeout is at most 30s, found 31s\n"
            "    hint: HTTP APIs cannot raise it; a REST API (kind: rest) allows up to 300s through a quota increase\n");
    // 30s is allowed for HTTP, 31s for REST (a warning about the quota only).
    REQUIRE(load_error(head + "    kind: http\n    integration: backend\n    timeout: 30s\n") == "(no error)");
    REQUIRE(load_error(head + "    integration: backend\n    timeout: 31s\n") == "(no error)");
  }
  SECTION("neither integration nor routes") {
    REQUIRE(load_error(head + "    kind: rest\n") ==
            "t.yaml:7:5: error: services.api: missing 'integration' or 'routes' (an apigateway needs a backend)\n"
            "    hint: write 'integration: SERVICE' for one backend, or 'routes: [{route: GET /x, to: SERVICE}]'\n");
  }
  SECTION("both integration and routes") {
    REQUIRE(load_error(head + "    integration: backend\n    routes: [{route: GET /, to: backend}]\n") ==
            "t.yaml:9:13: error: services.api.routes: give 'integration' or 'routes', not both\n"
            "    hint: 'integration' sends every request to one backend; 'routes' picks a backend per route\n");
  }
  SECTION("duplicate routes") {
    REQUIRE(load_error(head + "    routes:\n      - {route: GET /, to: backend}\n      - {route: GET /, to: backend}\n") ==
            "t.yaml:10:17: error: services.api.routes.1.route: duplicate route 'GET /'\n");
  }
  SECTION("a zero weight (the declared range excludes 0)") {
    REQUIRE(load_error(head + "    routes:\n      - {route: GET /, to: backend}\n      - {route: POST /, to: backend, weight: 0}\n") ==
            "t.yaml:10:46: error: services.api.routes.1.weight: expected a number above 0 and at most 1000000000, found '0'\n");
  }
}

TEST_CASE("apigateway: request prices are exact", "[apigateway][cost]") {
  // 10/s for 100 s = 1000 requests. Projected to a 30-day month: 2.592e7,
  // inside the first tier of either kind, so the cost is 1000 x the tier-1 price.
  const std::string arrival = "{process: constant, rate: 10/s}";
  SECTION("REST") {
    const Json r = run_scenario_text(api_scenario("100s", arrival, "", ", latency: 1ms"));
    REQUIRE(required_metric(r, "services.api.requests") == 1000);
    REQUIRE(std::fabs(required_metric(r, "cost.total_usd") - 0.0035) < 1e-12);
    REQUIRE(std::fabs(required_metric(r, "cost.by_service.api") - 0.0035) < 1e-12);
  }
  SECTION("HTTP") {
    const Json r = run_scenario_text(api_scenario("100s", arrival, ", kind: http", ", latency: 1ms"));
    REQUIRE(std::fabs(required_metric(r, "cost.total_usd") - 0.001) < 1e-12);
  }
  SECTION("REST with the free tier") {
    // (2.592e7 - 1e6 free) x $3.5e-6 per month, scaled back by 100 s / 30 days.
    const Json r = run_scenario_text(api_scenario("100s", arrival, "", ", latency: 1ms", "account: {free_tier: true}\n"));
    const double expected = (2.592e7 - 1e6) * 3.5e-6 * 100.0 / (30 * 86400.0);
    REQUIRE(std::fabs(required_metric(r, "cost.total_usd") - expected) < 1e-12);
  }
  SECTION("two REST APIs share the account tiers and free tier") {
    const std::string yaml =
        "name: two\nduration: 100s\naccount: {free_tier: true}\n"
        "workloads:\n"
        "  - {name: a, target: api_a, arrival: {process: constant, rate: 10/s}}\n"
        "  - {name: b, target: api_b, arrival: {process: constant, rate: 30/s}}\n"
        "services:\n"
        "  api_a: {type: apigateway, integration: backend}\n"
        "  api_b: {type: apigateway, integration: backend}\n"
        "  backend: {type: external, latency: 1ms}\n";
    const Json r = run_scenario_text(yaml);
    // 4000 requests -> 1.0368e8 per month, less one free 1e6, in tier 1; a pays 1/4.
    const double total = (4000 * 25920.0 - 1e6) * 3.5e-6 / 25920.0;
    REQUIRE(std::fabs(required_metric(r, "cost.total_usd") - total) < 1e-12);
    REQUIRE(std::fabs(required_metric(r, "cost.by_service.api_a") - total / 4) < 1e-12);
  }
}
