// `slsim analyze`: the traffic equations against hand-computed rates, against
// the simulation on a Jackson-like network (fan-out through SNS with
// filters, function error retries, SQS redrive to a dead-letter queue),
// Erlang-B and Erlang-C against their closed forms and the simulation, Che's
// approximation, the comparison rule, a type without an estimate, and the
// command itself.
#include <cmath>
#include <string>
#include <vector>

#include <fmt/format.h>

#include <catch2/catch.hpp>

#include "cli_runner.hpp"
#include "sim/analysis/analytic.hpp"
#include "sim/analysis/queueing.hpp"
#include "support.hpp"

using namespace slsim;
using namespace slsim::testing;

namespace {

Scenario load(const std::string& yaml, const ServiceRegistry& registry = builtin_services()) {
  return load_scenario_text(yaml, "analyze.yaml", registry);
}

const ServiceEstimate& estimate_of(const AnalyticResult& r, const std::string& service) {
  for (const auto& s : r.services)
    if (s.name == service) return s.estimate;
  FAIL("no service " << service);
  throw std::logic_error("unreachable");
}

// The estimate of services.SERVICE.PATH as the result JSON would hold it:
// counts over the measured window, levels as they are.
double analytic(const AnalyticResult& r, const std::string& service, const std::string& path) {
  for (const AnalyticFigure& f : estimate_of(r, service).figures)
    if (f.path == path) return f.count ? f.value * r.seconds : f.value;
  FAIL("no figure " << service << "." << path);
  return 0;
}

// The same hand-computed estimate to 1e-9 of its size.
void require_exactly(const AnalyticResult& r, const std::string& service, const std::string& path, double expected) {
  const double got = analytic(r, service, path);
  INFO(fmt::format("{}.{}: analytic {} expected {}", service, path, got, expected));
  REQUIRE(std::fabs(got - expected) <= 1e-9 * std::max(1.0, std::fabs(expected)));
}

}  // namespace

TEST_CASE("analyze: the traffic equations solve a small graph exactly", "[analyze]") {
  SECTION("fan-out with filters and a call made with a probability") {
    // 10/s published; half to queue a, a quarter to function f (asynchronous),
    // which sends to queue b with probability 0.4: a 5/s, f 2.5/s, b 1/s.
    const AnalyticResult r = estimate_scenario(load(
        "name: solve\nduration: 100s\n"
        "workloads: [{name: w, target: topic, arrival: {process: poisson, rate: 10/s}}]\n"
        "services:\n"
        "  topic: {type: sns, subscribers: [{to: a, filter: 0.5}, {to: f, filter: 0.25}]}\n"
        "  a: {type: sqs}\n"
        "  f: {type: lambda, duration: 10ms, calls: [{to: b, op: send, probability: 0.4}]}\n"
        "  b: {type: sqs}\n"));
    REQUIRE(r.problem.empty());
    REQUIRE(r.converged);
    require_exactly(r, "topic", "published", 1000);
    require_exactly(r, "topic", "delivered", 750);
    require_exactly(r, "topic", "filtered", 1250);
    require_exactly(r, "a", "sent", 500);
    require_exactly(r, "f", "invocations", 250);
    require_exactly(r, "b", "sent", 100);
  }
  SECTION("a loop that dies out: lambda_f = 3 + lambda_g / 2, lambda_g = lambda_f / 2") {
    // f and g invoke each other asynchronously with probability 0.5: each pass
    // keeps a quarter, so f gets 3 / (1 - 1/4) = 4 per second and g 2.
    const AnalyticResult r = estimate_scenario(load(
        "name: loop\nduration: 100s\n"
        "workloads: [{name: w, target: f, invoke: async, arrival: {process: constant, rate: 3/s}}]\n"
        "services:\n"
        "  f: {type: lambda, duration: 10ms, calls: [{to: g, op: invoke_async, probability: 0.5}], recursive_loop: allow}\n"
        "  g: {type: lambda, duration: 10ms, calls: [{to: f, op: invoke_async, probability: 0.5}], recursive_loop: allow}\n"));
    REQUIRE(r.problem.empty());
    require_exactly(r, "f", "invocations", 400);
    require_exactly(r, "g", "invocations", 200);
    require_exactly(r, "f", "async.queued", 400);
  }
  SECTION("a loop that never dies out has no finite solution, and says so") {
    const AnalyticResult r = estimate_scenario(load(
        "name: loop\nduration: 100s\n"
        "workloads: [{name: w, target: f, invoke: async, arrival: {process: constant, rate: 3/s}}]\n"
        "services:\n"
        "  f: {type: lambda, duration: 10ms, calls: [{to: g, op: invoke_async}], recursive_loop: allow}\n"
        "  g: {type: lambda, duration: 10ms, calls: [{to: f, op: invoke_async}], recursive_loop: allow}\n"));
    REQUIRE(r.problem ==
            "requests go round a loop of services without dying out (every pass sends at least one more), so the rates "
            "have no finite solution");
    for (const auto& s : r.services) REQUIRE(s.estimate.unavailable_reason == r.problem);
    REQUIRE(std::isnan(r.monthly_usd));
  }
}

TEST_CASE("analyze: a Jackson-like network's rates agree with the simulation", "[analyze]") {
  // Poisson 50/s published; orders (filter 0.6) is consumed one message at a
  // time by a worker failing 20% of its invocations, redriven to orders_dlq
  // after 3 receives; audit (filter 0.5) is invoked asynchronously, fails 30%,
  // is retried twice and then goes to audit_failures. Per second: orders 30
  // sent, 30 x (1 + 0.2 + 0.04) = 37.2 received, 30 x 0.2^3 = 0.24 redriven;
  // audit 25 x (1 + 0.3 + 0.09) = 34.75 invocations, 25 x 0.3^3 = 0.675 failed.
  // The warm-up (5 min) covers the retries' delays (at most 3 min), so the
  // window sees them in steady state.
  //
  // Tolerance: each count is a sum over the window's arrivals of what each one
  // causes (X, at most 3: receives, attempts, copies), a compound Poisson sum
  // with variance lambda T E[X^2] <= 3 lambda T E[X] = 3 mu. The simulated
  // count must be within 5 of those standard deviations (plus 1) of mu.
  const std::string yaml =
      "name: jackson\nduration: 30min\nwarmup: 5min\nseed: 11\n"
      "workloads: [{name: w, target: topic, arrival: {process: poisson, rate: 50/s}}]\n"
      "services:\n"
      "  topic: {type: sns, subscribers: [{to: orders, filter: 0.6}, {to: audit, filter: 0.5}]}\n"
      "  orders: {type: sqs, max_receive_count: 3, dlq: orders_dlq, consumer: {function: worker, batch_size: 1}}\n"
      "  orders_dlq: {type: sqs}\n"
      "  worker: {type: lambda, duration: {dist: exponential, mean: 20ms}, errors: 0.2}\n"
      "  audit: {type: lambda, duration: 10ms, errors: 0.3, async: {max_retry_attempts: 2, on_failure: audit_failures}}\n"
      "  audit_failures: {type: sqs}\n";
  const Scenario sc = load(yaml);
  const AnalyticResult r = estimate_scenario(sc);
  REQUIRE(r.converged);
  const double t = 1800;
  require_exactly(r, "orders", "received", 37.2 * t);
  require_exactly(r, "orders", "to_dlq", 0.24 * t);
  require_exactly(r, "orders_dlq", "sent", 0.24 * t);
  require_exactly(r, "audit", "invocations", 34.75 * t);
  require_exactly(r, "audit_failures", "sent", 0.675 * t);

  const Json sim = run_scenario_text(yaml);
  REQUIRE(balanced(sim));
  const std::vector<std::pair<std::string, std::string>> figures = {
      {"topic", "published"},      {"topic", "delivered"},     {"topic", "filtered"},
      {"orders", "sent"},          {"orders", "received"},     {"orders", "deleted"},
      {"orders", "returned"},      {"orders", "to_dlq"},       {"orders_dlq", "sent"},
      {"worker", "invocations"},   {"worker", "errors"},       {"audit", "invocations"},
      {"audit", "async.retries"},  {"audit", "async.to_on_failure"}, {"audit_failures", "sent"}};
  for (const auto& [service, path] : figures) {
    const double mu = analytic(r, service, path);
    const double simulated = metric(sim, "services." + service + "." + path);
    const double tolerance = 5 * std::sqrt(3 * mu) + 1;
    INFO(fmt::format("{}.{}: analytic {:.1f} simulated {} tolerance {:.1f}", service, path, mu, simulated, tolerance));
    CHECK(std::fabs(simulated - mu) <= tolerance);
  }
  // The comparison agrees on every count it can compare.
  for (const FigureComparison& c : compare_with_simulation(sc, r, sim)) {
    if (!c.count || std::isnan(c.analytic) || std::isnan(c.simulated)) continue;
    INFO(c.service << "." << c.path << ": analytic " << c.analytic << " simulated " << c.simulated);
    CHECK(std::fabs(c.simulated - c.analytic) <= 5 * std::sqrt(3 * std::fabs(c.analytic)) + 1);
  }
}

TEST_CASE("analyze: Erlang-B for an external dependency and a function's reserved concurrency", "[analyze][erlang]") {
  const double expected = erlang_b(10, 8.0);
  SECTION("external: the closed form, and the simulation within its 99.9% interval") {
    const std::string yaml =
        "name: erlang-b\nduration: 2000s\nwarmup: 100s\nseed: 3\n"
        "workloads: [{name: w, target: svc, arrival: {process: poisson, rate: 8/s}}]\n"
        "services:\n  svc: {type: external, latency: {dist: exponential, mean: 1s}, concurrency: 10}\n";
    const AnalyticResult r = estimate_scenario(load(yaml));
    const double blocked = analytic(r, "svc", "throttles") / analytic(r, "svc", "requests");
    REQUIRE(std::fabs(blocked - expected) < 1e-12);
    REQUIRE(std::fabs(analytic(r, "svc", "concurrency.mean") - 8 * (1 - expected)) < 1e-12);
    std::vector<double> simulated;
    for (std::uint64_t rep = 0; rep < 8; ++rep) {
      const Json sim = run_scenario_text(yaml, rep);
      simulated.push_back(metric(sim, "services.svc.throttles") / metric(sim, "services.svc.requests"));
    }
    const Interval i = t_interval(simulated);
    INFO(fmt::format("B = {:.5f}, simulated {:.5f} +- {:.5f}", expected, i.mean, i.half_width));
    REQUIRE(i.half_width < 0.1 * expected);
    REQUIRE(std::fabs(i.mean - blocked) <= i.half_width);
  }
  SECTION("lambda with reserved concurrency: the closed form") {
    // Exponential durations of mean 1 s and a 900 s timeout: the offered load is 8 erlangs.
    const AnalyticResult r = estimate_scenario(load(
        "name: reserved\nduration: 100s\n"
        "workloads: [{name: w, target: f, arrival: {process: poisson, rate: 8/s}}]\n"
        "services:\n  f: {type: lambda, timeout: 900s, duration: {dist: exponential, mean: 1s}, reserved_concurrency: 10}\n"));
    REQUIRE(std::fabs(analytic(r, "f", "throttles") / 800 - expected) < 1e-12);
    REQUIRE(std::fabs(analytic(r, "f", "invocations") - 800 * (1 - expected)) < 1e-9);
    REQUIRE(std::fabs(analytic(r, "f", "concurrency.mean") - 8 * (1 - expected)) < 1e-9);
  }
}

TEST_CASE("analyze: Erlang-C for an SQS consumer with a fixed number of pollers", "[analyze][erlang]") {
  // max_concurrency 3 (below the mapping's starting 5 batches): three pollers,
  // batches of one message, exponential handler times of mean 100 ms, 24
  // messages per second: an M/M/3 queue offered 2.4 erlangs. A message's age
  // is its wait plus its handling: C(3, 2.4) / (3 x 10 - 24) + 0.1 s.
  const double wait = erlang_c(3, 2.4) / (30.0 - 24.0);
  const double age_ms = (wait + 0.1) * 1e3;
  const std::string yaml =
      "name: erlang-c\nduration: 10000s\nwarmup: 100s\nseed: 9\n"
      "workloads: [{name: w, target: q, arrival: {process: poisson, rate: 24/s}}]\n"
      "services:\n"
      "  q: {type: sqs, consumer: {function: f, batch_size: 1, max_concurrency: 3}}\n"
      "  f: {type: lambda, cold_start: 0ms, duration: {dist: exponential, mean: 100ms}}\n";
  const AnalyticResult r = estimate_scenario(load(yaml));
  INFO(fmt::format("Erlang-C age {:.4f} ms, analytic {:.4f} ms", age_ms, analytic(r, "q", "age_ms.mean")));
  REQUIRE(std::fabs(analytic(r, "q", "age_ms.mean") - age_ms) < 1e-9 * age_ms);
  REQUIRE(std::fabs(analytic(r, "q", "visible.mean") - 24 * wait) < 1e-9);
  REQUIRE(std::fabs(analytic(r, "q", "pollers.mean") - 2.4) < 1e-9);
  std::vector<double> ages;
  for (std::uint64_t rep = 0; rep < 8; ++rep) ages.push_back(metric(run_scenario_text(yaml, rep), "services.q.age_ms.mean"));
  const Interval i = t_interval(ages);
  INFO(fmt::format("simulated age {:.3f} +- {:.3f} ms", i.mean, i.half_width));
  REQUIRE(i.half_width < 0.05 * age_ms);
  REQUIRE(std::fabs(i.mean - age_ms) <= i.half_width);
}

TEST_CASE("analyze: Che's approximation over grouped ranks matches the exact sum", "[analyze][cache]") {
  // 200,000 Zipf(0.9) keys: the first 20,000 ranks are summed one by one, the
  // rest in groups 1% wide; against the sum over every key.
  const std::uint64_t n = 200000;
  const double s = 0.9, capacity = 5000;
  std::vector<double> p(n);
  double total = 0;
  for (std::uint64_t i = 0; i < n; ++i) total += p[i] = std::pow(static_cast<double>(i + 1), -s);
  for (double& x : p) x /= total;
  const auto occupancy = [&](double t) {
    double sum = 0;
    for (double x : p) sum += -std::expm1(-x * t);
    return sum;
  };
  double lo = 0, hi = 1;
  while (occupancy(hi) < capacity) hi *= 2;
  for (int i = 0; i < 60; ++i) ((occupancy((lo + hi) / 2) < capacity) ? lo : hi) = (lo + hi) / 2;
  double exact = 0;
  for (double x : p) exact += x * -std::expm1(-x * lo);
  const double approx = che_hit_ratio({{1.0, n, s}}, capacity, 0);
  INFO(fmt::format("exact {:.6f}, grouped {:.6f}", exact, approx));
  REQUIRE(std::fabs(approx - exact) < 1e-3 * exact);
  // Every key fits: all but nothing hits; a TTL alone: r ttl / (1 + r ttl) per key.
  REQUIRE(che_hit_ratio({{1000.0, 100, 0}}, 1000, 0) == 1.0);
  REQUIRE(std::fabs(che_hit_ratio({{1000.0, 1000, 0}}, 1000, 4.0) - 0.8) < 1e-12);
  REQUIRE(che_hit_ratio({{1000.0, 1000, 0}}, 0, 0) == 0.0);
}

TEST_CASE("analyze: a figure disagrees beyond the interval plus the tolerance, with its reason", "[analyze]") {
  const Scenario sc = load(
      "name: rule\nduration: 100s\n"
      "workloads: [{name: w, target: s, arrival: {process: poisson, rate: 1/s}}]\n"
      "services:\n  s: {type: external}\n");
  AnalyticResult est;
  est.seconds = 100;
  est.converged = true;
  AnalyticResult::Service svc;
  svc.name = "s";
  svc.type = "external";
  svc.estimate.rate("requests", 1.0, "test", ReasonClass::queueing, "why");
  est.services.push_back(svc);
  const auto row = [&](double simulated, double ci) {
    Json sim = Json::object();
    sim["services"]["s"]["requests"] = simulated;
    sim["ci95"]["services"]["s"]["requests"] = ci;
    for (const FigureComparison& c : compare_with_simulation(sc, est, sim))
      if (c.service == "s" && c.path == "requests") return c;
    FAIL("no row");
    return FigureComparison{};
  };
  // Allowed: 5 (ci95) + 2% of the larger value + 1 (a count).
  const FigureComparison far = row(110, 5);
  REQUIRE(far.analytic == 100);
  REQUIRE(far.disagree);
  REQUIRE(far.reason == ReasonClass::queueing);
  REQUIRE(far.reason_detail == "why");
  REQUIRE_FALSE(row(108, 5).disagree);  // 8 <= 5 + 2.16 + 1
  REQUIRE(row(108.5, 5).disagree);      // 8.5 > 5 + 2.17 + 1
  REQUIRE(comparison_tolerance(100, 110, true) == Approx(3.2));
  REQUIRE(comparison_tolerance(1, 1, false) == Approx(0.03));
}

TEST_CASE("analyze: a type without an estimate says so", "[analyze]") {
  ServiceRegistry registry = builtin_services();
  for (ServiceType& t : registry.types)
    if (t.name == "external") t.analytic = nullptr;
  const std::string yaml =
      "name: partly\nduration: 100s\n"
      "workloads: [{name: w, target: f, arrival: {process: poisson, rate: 5/s}}]\n"
      "services:\n"
      "  f: {type: lambda, duration: 10ms, calls: [{to: partner, op: call}, {to: q, op: send}]}\n"
      "  partner: {type: external}\n"
      "  q: {type: sqs}\n";
  const Scenario sc = load(yaml, registry);
  const AnalyticResult r = estimate_scenario(sc);
  REQUIRE(estimate_of(r, "partner").unavailable_reason == "the external type has no analytic model");
  REQUIRE(estimate_of(r, "partner").figures.empty());
  require_exactly(r, "q", "sent", 500);  // the others are still estimated
  // A figure the model leaves out is said to be, with why.
  bool cold = false;
  for (const AnalyticFigure& f : estimate_of(r, "f").figures) {
    if (f.path != "cold_starts") continue;
    cold = true;
    REQUIRE(std::isnan(f.value));
    REQUIRE(f.how == "cold starts are not modelled analytically (they depend on environment reuse over time)");
  }
  REQUIRE(cold);
  const Json sim = run_scenario_text(yaml);
  const std::vector<FigureComparison> rows = compare_with_simulation(sc, r, sim);
  for (const FigureComparison& c : rows) REQUIRE(c.service != "partner");
  const Json j = comparison_json(sc, r, rows, sim);
  REQUIRE_FALSE(j.find_path("services.partner.estimated")->as_bool());
  REQUIRE(j.find_path("services.partner.why")->as_string() == "the external type has no analytic model");
  REQUIRE(j.find_path("services.f.figures.cold_starts.analytic")->is_null());
  const std::string table = comparison_table(sc, r, rows);
  REQUIRE(table.find("  partner (external): not estimated: the external type has no analytic model\n") != std::string::npos);
}

TEST_CASE("analyze: the command prints the comparison and writes it as JSON", "[analyze][cli]") {
  const std::string json = write_temp("analyze.json", "");
  const Ran r = run_slsim(fmt::format("analyze scenarios/getting-started/hello-external.yaml --duration 2min --replications 2 --json {}", json));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  REQUIRE(r.out.find("slsim 0.1.0 | analyze | hello-external | 2min measured | 2 replications\n") == 0);
  REQUIRE(r.out.find("partner_api") != std::string::npos);
  const std::string text = slurp(json);
  REQUIRE(text.find("\"analyze\": {") != std::string::npos);
  REQUIRE(text.find("\"throttles\": {\n          \"analytic\": ") != std::string::npos);
  REQUIRE(text.find("\"simulated\": {") != std::string::npos);
  std::remove(json.c_str());
  // --json - writes only the JSON to stdout; the table goes to stderr.
  const Ran piped = run_slsim("analyze scenarios/getting-started/hello-external.yaml --duration 1min --json -");
  REQUIRE(piped.exit_code == 0);
  REQUIRE(piped.out.rfind("{\n", 0) == 0);
  REQUIRE(piped.err.find("| analyze |") != std::string::npos);
  REQUIRE(piped.err.find("5 replications") != std::string::npos);  // the default
  // Bad input is said as such (exit 2).
  const Ran bad = run_slsim("analyze scenarios/getting-started/hello-external.yaml --set services.partner_api.latency=fast");
  REQUIRE(bad.exit_code == 2);
}
