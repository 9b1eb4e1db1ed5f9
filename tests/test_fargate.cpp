// The fargate service with fixed tasks: the M/M/c queue of its slots against
// Erlang-C, the M/M/c/K blocking probability with max_queue, and the bill.
#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "checks.hpp"
#include "sim/analysis/analytic.hpp"
#include "support.hpp"

using namespace slsim;
using namespace slsim::testing;

namespace {

// P(an arrival finds c + K in the system) of an M/M/c queue with K waiting
// places, offered A erlangs: p_n ~ A^n / n! for n <= c, A^c / c! (A / c)^(n - c) above.
double mmck_blocking(int c, int k, double a) {
  std::vector<double> p;
  double term = 1;
  p.push_back(term);
  for (int n = 1; n <= c + k; ++n) {
    term *= a / std::min(n, c);
    p.push_back(term);
  }
  double total = 0;
  for (double x : p) total += x;
  return p.back() / total;
}

// The analytic figure services.SERVICE.PATH (counts over the measured window).
double estimate(const std::string& yaml, const std::string& service, const std::string& path) {
  const AnalyticResult r = estimate_scenario(load_scenario_text(yaml, "t.yaml", builtin_services()));
  for (const auto& s : r.services) {
    if (s.name != service) continue;
    for (const AnalyticFigure& f : s.estimate.figures)
      if (f.path == path) return f.count ? f.value * r.seconds : f.value;
  }
  FAIL("no figure " << service << "." << path);
  return 0;
}

}  // namespace

TEST_CASE("fargate: fixed tasks are an M/M/c queue: P(wait) and mean wait follow Erlang-C", "[fargate]") {
  // c = 2 tasks x 4 = 8 slots, Exp(5 ms) requests at 1300/s: A = 6.5 erlangs.
  // P(wait) = C(8, 6.5); the mean wait over all requests is C / (c mu - lambda)
  // = C / (1600/s - 1300/s).
  const std::string yaml = R"(
name: t
duration: 2min
warmup: 10s
seed: 5
workloads:
  - {name: w, target: svc, arrival: {process: poisson, rate: 1300/s}}
services:
  svc:
    type: fargate
    tasks: 2
    concurrency_per_task: 4
    duration: {dist: exponential, mean: 5ms}
)";
  const double c_wait = erlang_c(8, 6.5);
  const double mean_wait_ms = c_wait / 300.0 * 1e3;
  std::vector<double> p_wait, mean_wait, busy;
  for (std::uint64_t rep = 0; rep < 8; ++rep) {
    const Json r = run_scenario_text(yaml, rep);
    REQUIRE(balanced(r));
    REQUIRE(required_metric(r, "services.svc.slots") == 8);
    REQUIRE(required_metric(r, "services.svc.throttles") == 0);
    p_wait.push_back(required_metric(r, "services.svc.queue.waited") /
                     required_metric(r, "services.svc.queue_wait_ms.count"));
    mean_wait.push_back(required_metric(r, "services.svc.queue_wait_ms.mean"));
    busy.push_back(required_metric(r, "services.svc.busy_slots.mean"));
  }
  const Interval p = t_interval(p_wait), w = t_interval(mean_wait), b = t_interval(busy);
  INFO("P(wait) " << p.mean << " +- " << p.half_width << " vs Erlang-C " << c_wait);
  CHECK(std::abs(p.mean - c_wait) < p.half_width);
  CHECK(p.half_width < 0.05 * c_wait);
  INFO("mean wait " << w.mean << " +- " << w.half_width << " ms vs " << mean_wait_ms);
  CHECK(std::abs(w.mean - mean_wait_ms) < w.half_width);
  CHECK(w.half_width < 0.1 * mean_wait_ms);
  INFO("busy slots " << b.mean << " +- " << b.half_width << " vs 6.5 erlangs");
  CHECK(std::abs(b.mean - 6.5) < b.half_width);
}

TEST_CASE("fargate: with max_queue K the refused share is the M/M/c/K blocking probability", "[fargate]") {
  // c = 1 task x 2 slots, K = 3 waiting places, Exp(5 ms) at 480/s: A = 2.4.
  const std::string yaml = R"(
name: t
duration: 2min
warmup: 10s
seed: 9
workloads:
  - {name: w, target: svc, arrival: {process: poisson, rate: 480/s}}
services:
  svc:
    type: fargate
    tasks: 1
    concurrency_per_task: 2
    max_queue: 3
    duration: {dist: exponential, mean: 5ms}
)";
  const double blocking = mmck_blocking(2, 3, 2.4);
  std::vector<double> refused;
  for (std::uint64_t rep = 0; rep < 8; ++rep) {
    const Json r = run_scenario_text(yaml, rep);
    REQUIRE(balanced(r));
    REQUIRE(required_metric(r, "services.svc.queue.length_max") == 3);
    refused.push_back(required_metric(r, "services.svc.throttles") / required_metric(r, "services.svc.requests"));
    // A refused request is answered at once, as throttled, to its caller.
    CHECK(required_metric(r, "services.svc.latency_failed_ms.max") == 0);
    CHECK(required_metric(r, "workloads.w.throttled") == required_metric(r, "services.svc.throttles"));
  }
  const Interval b = t_interval(refused);
  INFO("refused " << b.mean << " +- " << b.half_width << " vs M/M/c/K " << blocking);
  CHECK(std::abs(b.mean - blocking) < b.half_width);
  CHECK(b.half_width < 0.05 * blocking);
}

TEST_CASE("fargate: tasks are billed per vCPU-hour and GB-hour, per second with a one-minute minimum", "[fargate]") {
  const auto run = [](const std::string& duration, const std::string& arch) {
    return run_scenario_text("name: t\nduration: " + duration + R"(
seed: 1
workloads:
  - {name: w, target: svc, arrival: {process: poisson, rate: 1/s}}
services:
  svc: {type: fargate, tasks: 3, vcpu: 0.5, memory: 2GB, architecture: )" + arch + "}\n");
  };
  const auto usd = [](const Json& r, const std::string& item) {
    const Json* line = cost_item(r, "svc", item);
    REQUIRE(line != nullptr);
    return std::pair{line->find("quantity")->as_double(), line->find("usd")->as_double()};
  };
  // 30 s is billed as the one-minute minimum: 3 tasks x 60 s = 0.05 task-hours.
  const Json short_x86 = run("30s", "x86");
  CHECK(usd(short_x86, "vCPU hours").first == Approx(0.025).epsilon(1e-12));
  CHECK(usd(short_x86, "vCPU hours").second == Approx(0.025 * 0.04048).epsilon(1e-12));
  CHECK(usd(short_x86, "memory GB hours").first == Approx(0.1).epsilon(1e-12));
  CHECK(usd(short_x86, "memory GB hours").second == Approx(0.1 * 0.004445).epsilon(1e-12));
  // 10 min on arm: 3 x 600 s = 0.5 task-hours.
  const Json long_arm = run("10min", "arm");
  CHECK(usd(long_arm, "vCPU hours").first == Approx(0.25).epsilon(1e-12));
  CHECK(usd(long_arm, "vCPU hours").second == Approx(0.25 * 0.03238).epsilon(1e-12));
  CHECK(usd(long_arm, "memory GB hours").first == Approx(1.0).epsilon(1e-12));
  CHECK(usd(long_arm, "memory GB hours").second == Approx(1.0 * 0.00356).epsilon(1e-12));
  CHECK(required_metric(long_arm, "cost.total_usd") == Approx(0.25 * 0.03238 + 0.00356).epsilon(1e-12));
}

TEST_CASE("fargate: load errors", "[fargate]") {
  CHECK(load_error(R"(
name: t
duration: 1min
workloads: [{name: w, target: svc, arrival: {process: poisson, rate: 1/s}}]
services:
  svc: {type: fargate, autoscaling: {min: 1}}
)") == "t.yaml:6:24: error: services.svc.autoscaling: unknown key 'autoscaling'\n"
          "    hint: autoscaling is not modelled yet: give a fixed 'tasks'\n");
  CHECK(load_error(R"(
name: t
duration: 1min
workloads: [{name: w, target: svc, arrival: {process: poisson, rate: 1/s}}]
services:
  svc: {type: fargate, architecture: graviton}
)") == "t.yaml:6:38: error: services.svc.architecture: expected one of 'x86', 'arm', found 'graviton'\n");
}

TEST_CASE("fargate: the analytic estimate is Erlang-C without max_queue and M/M/c/K with it", "[fargate][analyze]") {
  const std::string base = R"(
name: t
duration: 100s
seed: 1
workloads:
  - {name: w, target: svc, arrival: {process: poisson, rate: 1300/s}}
services:
  svc: {type: fargate, tasks: 2, concurrency_per_task: 4, duration: {dist: exponential, mean: 5ms})";
  // M/M/8 offered 6.5 erlangs over 100 s.
  const double c = erlang_c(8, 6.5);
  CHECK(estimate(base + "}\n", "svc", "queue.waited") == Approx(130000 * c).epsilon(1e-9));
  CHECK(estimate(base + "}\n", "svc", "queue_wait_ms.mean") == Approx(c / 300.0 * 1e3).epsilon(1e-9));
  CHECK(estimate(base + "}\n", "svc", "throttles") == 0);
  CHECK(estimate(base + "}\n", "svc", "busy_slots.mean") == Approx(6.5).epsilon(1e-9));
  // With 3 waiting places: refusals at the M/M/8/3 blocking probability.
  const double b = mmck_blocking(8, 3, 6.5);
  CHECK(estimate(base + ", max_queue: 3}\n", "svc", "throttles") == Approx(130000 * b).epsilon(1e-9));
  CHECK(estimate(base + ", max_queue: 3}\n", "svc", "busy_slots.mean") == Approx(6.5 * (1 - b)).epsilon(1e-9));
}

TEST_CASE("fargate: behind an ALB, requests refused by a full queue are 503s", "[fargate][alb]") {
  // 1 slot, 1 s requests, no waiting place: 5 requests at once, 1 served, 4 refused.
  const Json r = run_scenario_text(R"(
name: t
duration: 1min
seed: 1
workloads:
  - {name: w, target: lb, arrival: {process: burst, at: 1s, count: 5, over: 0s}}
services:
  lb: {type: alb, target: svc}
  svc: {type: fargate, tasks: 1, concurrency_per_task: 1, max_queue: 0, duration: 1s}
)");
  REQUIRE(balanced(r));
  CHECK(required_metric(r, "services.svc.requests") == 5);
  CHECK(required_metric(r, "services.svc.throttles") == 4);
  CHECK(required_metric(r, "services.lb.target_errors.503") == 4);
  CHECK(required_metric(r, "workloads.w.succeeded") == 1);
  CHECK(required_metric(r, "services.svc.latency_ms.max") == Approx(1000).epsilon(0.004));
}
