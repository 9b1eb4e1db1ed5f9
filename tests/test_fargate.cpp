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
#include "sim/report/result.hpp"
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
  svc: {type: fargate, architecture: graviton}
)") == "t.yaml:6:38: error: services.svc.architecture: expected one of 'x86', 'arm', found 'graviton'\n");
}

namespace {

std::string scaled(const std::string& autoscaling, const std::string& more = "") {
  return R"(
name: t
duration: 1min
workloads: [{name: w, target: svc, arrival: {process: poisson, rate: 1/s}}]
services:
  svc:
    type: fargate
)" + more + "    autoscaling: " + autoscaling + "\n";
}

}  // namespace

TEST_CASE("fargate: autoscaling input errors", "[fargate][autoscaling]") {
  CHECK(load_error(scaled("{max: 4, target_utilization: 0.5, target_requests_per_task: 100}")) ==
        "t.yaml:8:78: error: services.svc.autoscaling.target_requests_per_task: give one target, the metric's: "
        "'target_utilization' (cpu), 'target_requests_per_task' (requests_per_task) or 'target_backlog_per_task' "
        "(backlog_per_task)\n");
  CHECK(load_error(scaled("{max: 4}")) ==
        "t.yaml:8:18: error: services.svc.autoscaling: missing the target: 'target_utilization' for metric 'cpu'\n");
  CHECK(load_error(scaled("{max: 4, metric: requests_per_task, target_utilization: 0.5}")) ==
        "t.yaml:8:74: error: services.svc.autoscaling.target_utilization: metric 'requests_per_task' takes "
        "'target_requests_per_task', not 'target_utilization'\n"
        "    hint: 'target_utilization' is the target of 'metric: cpu'\n");
  CHECK(load_error(scaled("{max: 4, target_requests_per_task: 100}")) ==
        "t.yaml:8:53: error: services.svc.autoscaling.target_requests_per_task: metric 'cpu' takes "
        "'target_utilization', not 'target_requests_per_task'\n"
        "    hint: 'target_requests_per_task' is the target of 'metric: requests_per_task'\n");
  CHECK(load_error(scaled("{max: 4, metric: backlog_per_task, target_backlog_per_task: 10}")) ==
        "t.yaml:8:35: error: services.svc.autoscaling.metric: metric 'backlog_per_task' needs a queue that 'svc' "
        "consumes\n"
        "    hint: give an sqs queue 'consumer: {workers: svc}'\n");
  CHECK(load_error(scaled("{min: 5, max: 4, target_utilization: 0.5}")) ==
        "t.yaml:8:24: error: services.svc.autoscaling.min: autoscaling min (5) is above its max (4)\n");
  CHECK(load_error(scaled("{min: 1, target_utilization: 0.5}")) ==
        "t.yaml:8:18: error: services.svc.autoscaling: missing required key 'max' (most tasks the policy asks for "
        "(MaxCapacity))\n");
  CHECK(load_error(scaled("{max: 4, TargetValue: 50}")) ==
        "t.yaml:8:18: error: services.svc.autoscaling: missing the target: 'target_utilization' for metric 'cpu'\n"
        "t.yaml:8:27: error: services.svc.autoscaling.TargetValue: unknown key 'TargetValue'\n"
        "    hint: write 'target_utilization' as a fraction (metric cpu, e.g. 0.6) or 'target_requests_per_task' "
        "(metric requests_per_task)\n");
  CHECK(load_error(scaled("{max: 4, target_utilization: 0.5, ScaleOutCooldown: 60}")) ==
        "t.yaml:8:52: error: services.svc.autoscaling.ScaleOutCooldown: unknown key 'ScaleOutCooldown'\n"
        "    hint: write 'scale_out_cooldown' with a unit, e.g. scale_out_cooldown: 300s\n");
  // The initial tasks outside [min, max] start clamped, with a warning.
  const Scenario sc = load_scenario_text(scaled("{min: 3, max: 4, target_utilization: 0.5}", "    tasks: 1\n"),
                                         "t.yaml", builtin_services());
  CHECK(sc.warnings.str() ==
        "t.yaml:8:12: warning: services.svc.tasks: tasks: 1 is outside the autoscaling bounds [3, 4]: the service "
        "starts with 3 tasks\n");
}

TEST_CASE("fargate: vcpu and memory must be a task size Fargate offers", "[fargate]") {
  const auto sized = [](const std::string& vcpu, const std::string& memory) {
    return load_error(R"(
name: t
duration: 1min
workloads: [{name: w, target: svc, arrival: {process: poisson, rate: 1/s}}]
services:
  svc: {type: fargate, vcpu: )" + vcpu + ", memory: " + memory + "}\n");
  };
  CHECK(sized("0.25", "4GB") ==
        "t.yaml:6:44: error: services.svc.memory: a task with 0.25 vCPU takes 0.5GB, 1GB or 2GB of memory, found 4GB\n");
  CHECK(sized("0.5", "512MB") ==
        "t.yaml:6:43: error: services.svc.memory: a task with 0.5 vCPU takes 1GB, 2GB, 3GB or 4GB of memory, found "
        "0.5GB\n");
  CHECK(sized("4", "31GB") ==
        "t.yaml:6:41: error: services.svc.memory: a task with 4 vCPU takes 8GB to 30GB in 1GB steps of memory, found "
        "31GB\n");
  CHECK(sized("8", "18GB") ==
        "t.yaml:6:41: error: services.svc.memory: a task with 8 vCPU takes 16GB to 60GB in 4GB steps of memory, found "
        "18GB\n");
  CHECK(sized("3", "8GB") ==
        "t.yaml:6:30: error: services.svc.vcpu: Fargate tasks have 0.25, 0.5, 1, 2, 4, 8 or 16 vCPUs, found 3\n");
  for (const auto& [vcpu, memory] : std::vector<std::pair<std::string, std::string>>{
           {"0.25", "0.5GB"}, {"0.5", "1GB"}, {"1", "8GB"}, {"2", "16GB"}, {"4", "30GB"}, {"8", "60GB"}, {"16", "120GB"},
           {"16", "40GB"}})
    CHECK(sized(vcpu, memory) == "(no error)");
}

namespace {

// Constant arrivals of constant 100 ms requests on 2 tasks x 2 slots, target
// 50% busy: 10/s keeps 25% busy; 25/s keeps 62.5% (above the target) on 4
// slots and 41.7% (below 90% of it) on 6; 2/s keeps 3.3% on 6.
std::string step_scenario(const std::string& schedule, const std::string& duration) {
  return R"(
name: t
duration: )" + duration + R"(
seed: 3
workloads:
  - {name: w, target: svc, arrival: {process: constant, schedule: )" + schedule + R"(}}
services:
  svc:
    type: fargate
    tasks: 2
    concurrency_per_task: 2
    duration: 100ms
    vcpu: 0.25
    memory: 0.5GB
    autoscaling: {min: 2, max: 10, target_utilization: 0.5, period: 60s, out_datapoints: 3, in_datapoints: 2,
                  scale_out_cooldown: 300s, scale_in_cooldown: 300s, startup: 30s}
)";
}

std::vector<double> timeline(const Json& r, const std::string& service = "svc") {
  const Json* t = r.find_path("services." + service + ".scaling.timeline.running");
  REQUIRE(t != nullptr);
  std::vector<double> v;
  for (const Json& x : t->elements()) v.push_back(x.as_double());
  return v;
}

}  // namespace

TEST_CASE("fargate: a load step scales out after out_datapoints periods plus the start-up", "[fargate][autoscaling]") {
  // The step at 300 s, on an evaluation boundary: datapoints above target end
  // at 360, 420 and 480 s; the scale-out at 480 s asks for ceil(2 x 0.625 /
  // 0.5) = 3 tasks, the new one runs from 480 + 30 = 510 s. The minute from
  // 480 s holds 2 tasks for 30 s and 3 for 30 s: 2.5.
  const Json r = run_scenario_text(step_scenario("[{at: 0s, rate: 10/s}, {at: 300s, rate: 25/s}]", "10min"));
  REQUIRE(balanced(r));
  CHECK(required_metric(r, "services.svc.scaling.first_scale_out_s") == 480);
  CHECK(required_metric(r, "services.svc.scaling.scale_outs") == 1);
  CHECK(required_metric(r, "services.svc.scaling.tasks_started") == 1);
  CHECK(required_metric(r, "services.svc.scaling.timeline.step_s") == 60);
  const std::vector<double> t = timeline(r);
  REQUIRE(t.size() == 10);
  CHECK(t[7] == 2);
  CHECK(t[8] == 2.5);
  CHECK(t[9] == 3);
  CHECK(required_metric(r, "services.svc.tasks.desired_final") == 3);
  CHECK(required_metric(r, "services.svc.tasks.running_max") == 3);
  // Mid-period at 350 s the first period's mean (75 busy slot-s in 240) is
  // below target: the datapoints above end at 420, 480 and 540 s, the first
  // boundary after 350 + 3 x 60, and the task runs from 570 s.
  const Json mid = run_scenario_text(step_scenario("[{at: 0s, rate: 10/s}, {at: 350s, rate: 25/s}]", "10min"));
  CHECK(required_metric(mid, "services.svc.scaling.first_scale_out_s") == 540);
  const std::vector<double> m = timeline(mid);
  CHECK(m[8] == 2);
  CHECK(m[9] == 2.5);
}

TEST_CASE("fargate: scale-in waits for in_datapoints below 90% of target and the cooldown", "[fargate][autoscaling]") {
  // As above, then 2/s from 600 s. Datapoints below 0.45 end at 600 (3 tasks
  // at 25/s: 41.7%) and 660 s: the low alarm is on at 660 s, but the last
  // scaling was at 480 s, so the scale-in waits until 780 s and stops the
  // newest task (max(min 2, ceil(3 x 0.033 / 0.5)) = 2).
  const Json r = run_scenario_text(
      step_scenario("[{at: 0s, rate: 10/s}, {at: 300s, rate: 25/s}, {at: 600s, rate: 2/s}]", "15min"));
  REQUIRE(balanced(r));
  const std::vector<double> t = timeline(r);
  REQUIRE(t.size() == 15);
  CHECK(t[11] == 3);  // 660 to 720 s
  CHECK(t[12] == 3);  // 720 to 780 s: the cooldown holds the alarm back
  CHECK(t[13] == 2);
  CHECK(t[14] == 2);
  CHECK(required_metric(r, "services.svc.scaling.scale_ins") == 1);
  CHECK(required_metric(r, "services.svc.tasks.running_min") == 2);
  CHECK(required_metric(r, "services.svc.tasks.desired_final") == 2);
  // Billed: two tasks for the 900 s window, the third from its launch at 480 s
  // (start-up included) to its stop at 780 s.
  CHECK(required_metric(r, "services.svc.tasks.billed_seconds") == 2 * 900 + 300);
  const double task_hours = 2100.0 / 3600.0;
  const Json* vcpu = cost_item(r, "svc", "vCPU hours");
  const Json* gb = cost_item(r, "svc", "memory GB hours");
  REQUIRE(vcpu != nullptr);
  REQUIRE(gb != nullptr);
  CHECK(vcpu->find("quantity")->as_double() == Approx(task_hours * 0.25).epsilon(1e-12));
  CHECK(vcpu->find("usd")->as_double() == Approx(task_hours * 0.25 * 0.04048).epsilon(1e-12));
  CHECK(gb->find("quantity")->as_double() == Approx(task_hours * 0.5).epsilon(1e-12));
  CHECK(gb->find("usd")->as_double() == Approx(task_hours * 0.5 * 0.004445).epsilon(1e-12));
}

TEST_CASE("fargate: with a warm-up, tasks are billed and counted from the window's start", "[fargate][autoscaling]") {
  // The scale-out at 480 s falls in the 500 s warm-up: it is not counted, but
  // its task (running from 510 s) is billed from 500 s like the other two.
  const Json r = run_scenario_text(
      "warmup: 500s\n" + step_scenario("[{at: 0s, rate: 10/s}, {at: 300s, rate: 25/s}]", "400s"));
  REQUIRE(balanced(r));
  CHECK(required_metric(r, "services.svc.scaling.scale_outs") == 0);
  CHECK(required_metric(r, "services.svc.scaling.tasks_started") == 0);
  CHECK(r.find_path("services.svc.scaling.first_scale_out_s")->is_null());
  CHECK(required_metric(r, "services.svc.tasks.billed_seconds") == 3 * 400);
  const std::vector<double> t = timeline(r);
  REQUIRE(t.size() == 7);
  CHECK(t[0] == Approx((2 * 10 + 3 * 50) / 60.0).epsilon(1e-12));
  CHECK(required_metric(r, "services.svc.tasks.running_min") == 2);
}

TEST_CASE("fargate: a task stopped within a minute of its launch is billed one minute", "[fargate][autoscaling]") {
  // One datapoint above target scales out at 60 s to 3 tasks; one below (2/s
  // from 60 s) scales back in at 120 s, past the 30 s cooldown. The task
  // launched at 60 s with a 90 s start-up never ran, and is billed its minute.
  const Json r = run_scenario_text(R"(
name: t
duration: 3min
seed: 1
workloads:
  - {name: w, target: svc, arrival: {process: constant, schedule: [{at: 0s, rate: 25/s}, {at: 60s, rate: 2/s}]}}
services:
  svc:
    type: fargate
    tasks: 2
    concurrency_per_task: 2
    duration: 100ms
    autoscaling: {min: 2, max: 10, target_utilization: 0.5, out_datapoints: 1, in_datapoints: 1,
                  scale_out_cooldown: 0s, scale_in_cooldown: 30s, startup: 90s}
)");
  REQUIRE(balanced(r));
  CHECK(required_metric(r, "services.svc.scaling.scale_outs") == 1);
  CHECK(required_metric(r, "services.svc.scaling.scale_ins") == 1);
  CHECK(required_metric(r, "services.svc.tasks.running_max") == 2);
  CHECK(required_metric(r, "services.svc.tasks.billed_seconds") == 2 * 180 + 60);
}

TEST_CASE("fargate: requests_per_task tracks arrivals per running task and period", "[fargate][autoscaling]") {
  // 25/s = 1500 requests a minute on one task against a target of 600: after
  // three minutes, ceil(1500 / 600) = 3 tasks.
  const Json r = run_scenario_text(R"(
name: t
duration: 5min
seed: 1
workloads:
  - {name: w, target: svc, arrival: {process: constant, rate: 25/s}}
services:
  svc:
    type: fargate
    tasks: 1
    duration: 10ms
    autoscaling: {max: 5, metric: requests_per_task, target_requests_per_task: 600, startup: 20s}
)");
  REQUIRE(balanced(r));
  CHECK(required_metric(r, "services.svc.scaling.first_scale_out_s") == 180);
  CHECK(required_metric(r, "services.svc.scaling.tasks_started") == 2);
  CHECK(required_metric(r, "services.svc.tasks.desired_final") == 3);
  const std::vector<double> t = timeline(r);
  CHECK(t[3] == Approx(1 + 2 * 40.0 / 60).epsilon(1e-12));
}

TEST_CASE("fargate: autoscaling keeps the tasks within min and max, and is deterministic", "[fargate][autoscaling]") {
  // 100/s of 100 ms on 2 slots per task wants 10 tasks at 50%: max 4 holds it
  // (the queue grows); after the load stops and the queue drains, the
  // service goes back to min 2.
  const std::string yaml = R"(
name: t
duration: 40min
seed: 11
workloads:
  - {name: w, target: svc, arrival: {process: poisson, schedule: [{at: 0s, rate: 100/s}, {at: 10min, rate: 0/s}]}}
services:
  svc:
    type: fargate
    tasks: 1
    concurrency_per_task: 2
    duration: {dist: exponential, mean: 100ms}
    autoscaling: {min: 2, max: 4, target_utilization: 0.5, startup: {dist: uniform, min: 20s, max: 60s}}
)";
  const Json r = run_scenario_text(yaml);
  REQUIRE(balanced(r));
  CHECK(required_metric(r, "services.svc.tasks.initial") == 2);
  CHECK(required_metric(r, "services.svc.tasks.running_max") == 4);
  CHECK(required_metric(r, "services.svc.tasks.running_min") == 2);
  CHECK(required_metric(r, "services.svc.tasks.desired_final") == 2);
  CHECK(required_metric(r, "services.svc.scaling.tasks_started") == 2);
  CHECK(required_metric(r, "services.svc.scaling.scale_ins") >= 1);
  // The same seed gives the same run; another replication draws other start-ups.
  CHECK(without_wall_clock(run_scenario_text(yaml)).dump() == without_wall_clock(r).dump());
  CHECK(without_wall_clock(run_scenario_text(yaml, 1)).dump() != without_wall_clock(r).dump());
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

TEST_CASE("fargate: with autoscaling the estimate runs the tasks the target implies", "[fargate][analyze]") {
  // 6.5 erlangs on 4 slots per task at 60%: ceil(6.5 / 2.4) = 3 tasks, an M/M/12 queue.
  const std::string yaml = R"(
name: t
duration: 100s
seed: 1
workloads:
  - {name: w, target: svc, arrival: {process: poisson, rate: 1300/s}}
services:
  svc: {type: fargate, tasks: 1, concurrency_per_task: 4, duration: {dist: exponential, mean: 5ms},
        autoscaling: {max: 20, target_utilization: 0.6}}
)";
  CHECK(estimate(yaml, "svc", "tasks.running_mean") == 3);
  CHECK(estimate(yaml, "svc", "queue.waited") == Approx(130000 * erlang_c(12, 6.5)).epsilon(1e-9));
  // 78,000 requests a minute against 20,000 per task: 4 tasks; max 3 caps it.
  const std::string per_task = R"(
name: t
duration: 100s
seed: 1
workloads:
  - {name: w, target: svc, arrival: {process: poisson, rate: 1300/s}}
services:
  svc: {type: fargate, concurrency_per_task: 4, duration: {dist: exponential, mean: 5ms},
        autoscaling: {max: MAX, metric: requests_per_task, target_requests_per_task: 20000}}
)";
  const auto with_max = [&](const std::string& max) {
    std::string y = per_task;
    y.replace(y.find("MAX"), 3, max);
    return y;
  };
  CHECK(estimate(with_max("10"), "svc", "tasks.running_mean") == 4);
  CHECK(estimate(with_max("3"), "svc", "tasks.running_mean") == 3);
  CHECK(estimate(with_max("3"), "svc", "queue.waited") == Approx(130000 * erlang_c(12, 6.5)).epsilon(1e-9));
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

// --- Fargate as the worker pool of an SQS queue --------------------------------

TEST_CASE("fargate workers: one message per batch on fixed slots is an M/M/c queue of messages", "[fargate][sqs]") {
  // 2 tasks x 4 slots, Exp(100 ms) per message at 50/s: A = 5 erlangs on 8
  // workers; a message's age (send to delete) is the Erlang-C wait C / (80/s -
  // 50/s) plus its 100 ms.
  const std::string yaml = R"(
name: t
duration: 10min
warmup: 30s
seed: 21
workloads:
  - {name: w, target: q, op: send, arrival: {process: poisson, rate: 50/s}}
services:
  q:
    type: sqs
    consumer: {workers: pool, batch_size: 1}
  pool:
    type: fargate
    tasks: 2
    concurrency_per_task: 4
    duration: {dist: exponential, mean: 100ms}
)";
  const double age_ms = (erlang_c(8, 5.0) / 30.0 + 0.1) * 1e3;
  std::vector<double> ages;
  for (std::uint64_t rep = 0; rep < 8; ++rep) {
    const Json r = run_scenario_text(yaml, rep);
    REQUIRE(balanced(r));
    // Never more batches in flight than running slots: nothing waits in the service.
    CHECK(required_metric(r, "services.q.pollers.max") == 8);
    CHECK(required_metric(r, "services.q.pollers.limit_final") == 8);
    CHECK(required_metric(r, "services.pool.queue.length_max") == 0);
    CHECK(required_metric(r, "services.pool.requests") == required_metric(r, "services.q.received"));
    ages.push_back(required_metric(r, "services.q.age_ms.mean"));
  }
  const Interval a = t_interval(ages);
  INFO("age " << a.mean << " +- " << a.half_width << " ms vs " << age_ms);
  CHECK(std::abs(a.mean - age_ms) < a.half_width);
  CHECK(a.half_width < 0.05 * age_ms);
}

TEST_CASE("fargate workers: the estimate puts the Erlang-C wait in the queue, none in the service", "[fargate][sqs][analyze]") {
  const std::string yaml = R"(
name: t
duration: 100s
seed: 1
workloads:
  - {name: w, target: q, op: send, arrival: {process: poisson, rate: 50/s}}
services:
  q: {type: sqs, consumer: {workers: pool, batch_size: 1}}
  pool: {type: fargate, tasks: 2, concurrency_per_task: 4, duration: {dist: exponential, mean: 100ms}}
)";
  CHECK(estimate(yaml, "q", "age_ms.mean") == Approx((erlang_c(8, 5.0) / 30.0 + 0.1) * 1e3).epsilon(1e-9));
  CHECK(estimate(yaml, "q", "pollers.mean") == Approx(5.0).epsilon(1e-9));
  CHECK(estimate(yaml, "pool", "queue.waited") == 0);
  CHECK(estimate(yaml, "pool", "busy_slots.mean") == Approx(5.0).epsilon(1e-9));
}

TEST_CASE("fargate workers: failed messages return after the visibility timeout and are redriven", "[fargate][sqs]") {
  // Every message fails: three receives 30 s apart, then the dead-letter queue.
  const Json r = run_scenario_text(R"(
name: t
duration: 5min
seed: 2
workloads:
  - {name: w, target: q, op: send, arrival: {process: burst, at: 1s, count: 20, over: 0s}}
services:
  q:
    type: sqs
    visibility_timeout: 30s
    max_receive_count: 3
    dlq: dead
    consumer: {workers: pool, batch_size: 5}
  dead: {type: sqs}
  pool: {type: fargate, tasks: 1, concurrency_per_task: 2, duration: 10ms, error_rate: 1}
)");
  REQUIRE(balanced(r));
  CHECK(required_metric(r, "services.q.received") == 60);
  CHECK(required_metric(r, "services.q.to_dlq") == 20);
  CHECK(required_metric(r, "services.pool.failed_items") == 60);
  // Every batch fails (its size depends on what waits when a worker frees up).
  CHECK(required_metric(r, "services.pool.errors") == required_metric(r, "services.pool.requests"));
  CHECK(required_metric(r, "workloads.w.end_to_end.dead_lettered") == 20);
}

TEST_CASE("fargate workers: backlog_per_task scales the pool on the queue's visible messages", "[fargate][sqs][autoscaling]") {
  // One worker of 100 ms per message takes 10/s of the 20/s sent: the backlog
  // grows by 10 a second, above the target of 100 per task from the first
  // datapoint. At 180 s it is 1800 messages: ceil(1 x 1800 / 100) = 18 tasks,
  // at most 5.
  const Json r = run_scenario_text(R"(
name: t
duration: 6min
seed: 2
workloads:
  - {name: w, target: q, op: send, arrival: {process: constant, rate: 20/s}}
services:
  q:
    type: sqs
    consumer: {workers: pool, batch_size: 1}
  pool:
    type: fargate
    tasks: 1
    concurrency_per_task: 1
    duration: 100ms
    autoscaling: {max: 5, metric: backlog_per_task, target_backlog_per_task: 100, startup: 30s}
)");
  REQUIRE(balanced(r));
  CHECK(required_metric(r, "services.pool.scaling.first_scale_out_s") == 180);
  CHECK(required_metric(r, "services.pool.tasks.running_max") == 5);
  CHECK(required_metric(r, "services.q.pollers.limit_max") == 5);
  const std::vector<double> t = timeline(r, "pool");
  CHECK(t[2] == 1);
  CHECK(t[3] == Approx(1 + 4 * 30.0 / 60).epsilon(1e-12));
}

TEST_CASE("fargate workers: input errors", "[fargate][sqs]") {
  const auto queue = [](const std::string& consumer) {
    return load_error(R"(
name: t
duration: 1min
workloads: [{name: w, target: q, op: send, arrival: {process: poisson, rate: 1/s}}]
services:
  q: {type: sqs, consumer: )" + consumer + R"(}
  pool: {type: fargate}
  fn: {type: lambda, duration: 10ms}
)");
  };
  CHECK(queue("{workers: pool, function: fn}") ==
        "t.yaml:6:38: error: services.q.consumer.workers: give 'function' or 'workers', not both\n");
  CHECK(queue("{batch_size: 5}") ==
        "t.yaml:6:28: error: services.q.consumer: missing the consumer: 'function' (a lambda) or 'workers' (a fargate "
        "service)\n");
  CHECK(load_error(R"(
name: t
duration: 1min
workloads: [{name: w, target: q, op: send, arrival: {process: poisson, rate: 1/s}}]
services:
  q: {type: sqs, consumer: {workers: pool}}
  r: {type: sqs, consumer: {workers: pool}}
  pool: {type: fargate}
)") == "t.yaml:8:9: error: services.pool: 'pool' is the workers of 2 queues ('q', 'r'): a fargate service's slots "
          "serve one queue\n"
          "    hint: give each queue a fargate service of its own\n");
  CHECK(queue("{workers: fn}") ==
        "t.yaml:6:38: error: services.q.consumer.workers: 'fn' is a lambda, but workers must be a fargate\n");
}
