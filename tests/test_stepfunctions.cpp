// The stepfunctions service: retry delays (exact, and uniform under full
// jitter), a parallel state as the maximum of its branches, a map's rounds and
// concurrency, the standard and express bills, catch, timeouts, determinism,
// load errors, and starts from EventBridge, a Lambda and an express start_sync.
#include <algorithm>
#include <cmath>
#include <string>

#include <catch2/catch.hpp>

#include "checks.hpp"
#include "models/stepfunctions/definition.hpp"
#include "models/stepfunctions/stepfunctions.hpp"
#include "sim/analysis/analytic.hpp"
#include "support.hpp"

using namespace slsim;
using namespace slsim::testing;

namespace {

// A state machine `flow` started by a workload at `rate`, with the callees given in `callees`.
std::string scenario(const std::string& rate, const std::string& flow, const std::string& callees,
                     const std::string& top = "duration: 100s\nseed: 3\n") {
  return "name: t\n" + top + "workloads:\n  - {name: w, target: flow, arrival: " + rate + "}\nservices:\n  flow:\n" +
         flow + callees;
}

}  // namespace

TEST_CASE("stepfunctions: retry delays are interval x backoff^(n-1), capped by max_delay", "[stepfunctions]") {
  // A task that always fails after 50 ms, retried 4 times: delays 1 s, 2 s, 4 s, then 5 s (8 s capped).
  // Each execution takes 5 attempts x 50 ms + 12 s and fails.
  const Json r = run_scenario_text(scenario("{process: constant, rate: 1/s}", R"(    type: stepfunctions
    start_at: pay
    states:
      pay: {type: task, resource: bank, retry: [{interval: 1s, max_attempts: 4, backoff_rate: 2, max_delay: 5s}]}
)",
                                            "  bank: {type: external, latency: 50ms, errors: 1}\n",
                                            "duration: 100s\nwarmup: 20s\nseed: 3\n"));
  const double done = required_metric(r, "services.flow.executions.failed");
  CHECK(done >= 85);
  CHECK(required_metric(r, "services.flow.executions.succeeded") == 0);
  CHECK(required_metric(r, "services.flow.latency_ms.mean") == Approx(5 * 50 + 12000).epsilon(1e-12));
  CHECK(required_metric(r, "services.flow.latency_ms.max") == Approx(5 * 50 + 12000).epsilon(1e-12));
  CHECK(required_metric(r, "services.flow.states.pay.latency_ms.mean") == Approx(12250).epsilon(1e-12));
  // Each entry plus its 4 retries is a transition.
  const double entered = required_metric(r, "services.flow.states.pay.entered");
  CHECK(required_metric(r, "services.flow.states.pay.retried") >= 4 * entered - 16);
  CHECK(required_metric(r, "services.flow.states.pay.retried") <= 4 * entered);
  CHECK(balanced(r));
  // The closed form itself.
  models::Retrier t;
  t.interval = kSecond;
  t.backoff_rate = 2;
  t.max_delay = 5 * kSecond;
  CHECK(t.delay_ns(1) == 1e9);
  CHECK(t.delay_ns(3) == 4e9);
  CHECK(t.delay_ns(4) == 5e9);
  t.max_delay = 0;
  CHECK(t.delay_ns(4) == 8e9);
}

TEST_CASE("stepfunctions: full jitter draws each retry delay uniformly below the computed delay", "[stepfunctions]") {
  // One retry of a task failing at once: the execution lasts U(0, 10 s).
  const Json r = run_scenario_text(scenario("{process: poisson, rate: 100/s}", R"(    type: stepfunctions
    start_at: pay
    states:
      pay: {type: task, resource: bank, retry: [{interval: 10s, max_attempts: 1, jitter: full}]}
)",
                                            "  bank: {type: external, latency: 0ms, errors: 1}\n",
                                            "duration: 100s\nwarmup: 20s\nseed: 9\n"));
  const double n = required_metric(r, "services.flow.latency_ms.count");
  REQUIRE(n > 9000);
  // Mean 5 s, standard deviation 10 s / sqrt(12); 4 standard errors.
  const double se = 10000.0 / std::sqrt(12.0) / std::sqrt(n);
  CHECK(std::abs(required_metric(r, "services.flow.latency_ms.mean") - 5000.0) < 4 * se);
  // Kolmogorov-Smirnov distance at the reported quantiles: |q - F(x_q)| with
  // F(x) = x / 10 s, within the 99.9% critical value 1.95 / sqrt(n) plus the
  // histogram's bucket width (under 1% of the value).
  for (const auto& [q, key] : {std::pair{0.5, "p50"}, {0.9, "p90"}, {0.95, "p95"}, {0.99, "p99"}}) {
    const double x = required_metric(r, std::string("services.flow.latency_ms.") + key);
    CHECK(std::abs(q - x / 10000.0) < 1.95 / std::sqrt(n) + 0.008 * q);
  }
  CHECK(required_metric(r, "services.flow.latency_ms.max") < 10000.0);
}

TEST_CASE("stepfunctions: a parallel state lasts the maximum of its branches", "[stepfunctions]") {
  // Branches Exp(mean a) and Exp(mean b): E[max] = a + b - ab / (a + b); Var from
  // E[max^2] = 2a^2 + 2b^2 - 2 (ab / (a + b))^2.
  const double a = 100, b = 200;
  const Json r = run_scenario_text(scenario("{process: poisson, rate: 200/s}", R"(    type: stepfunctions
    start_at: both
    states:
      both: {type: parallel, branches: [[fast], [slow]]}
      fast: {type: task, resource: f}
      slow: {type: task, resource: s}
)",
                                            "  f: {type: external, latency: {dist: exponential, mean: 100ms}}\n"
                                            "  s: {type: external, latency: {dist: exponential, mean: 200ms}}\n"));
  const double h = a * b / (a + b);
  const double mean = a + b - h;
  const double var = 2 * a * a + 2 * b * b - 2 * h * h - mean * mean;
  const double n = required_metric(r, "services.flow.latency_ms.count");
  REQUIRE(n > 15000);
  CHECK(std::abs(required_metric(r, "services.flow.latency_ms.mean") - mean) < 4 * std::sqrt(var / n));
  CHECK(std::abs(required_metric(r, "services.flow.states.both.latency_ms.mean") - mean) < 4 * std::sqrt(var / n));
  // Every execution: the parallel, its two branches.
  CHECK(required_metric(r, "services.flow.transitions") ==
        required_metric(r, "services.flow.states.both.entered") + required_metric(r, "services.flow.states.fast.entered") +
            required_metric(r, "services.flow.states.slow.entered"));
  CHECK(balanced(r));
}

TEST_CASE("stepfunctions: a map of N items at concurrency c takes ceil(N/c) rounds", "[stepfunctions]") {
  for (const auto& [items, conc] : {std::pair{10, 3}, {7, 7}, {5, 2}}) {
    const Json r = run_scenario_text(
        scenario("{process: constant, rate: 0.5/s}",
                 "    type: stepfunctions\n    start_at: each\n    states:\n      each: {type: map, items: " +
                     std::to_string(items) + ", max_concurrency: " + std::to_string(conc) +
                     ", branch: [work]}\n      work: {type: task, resource: worker}\n",
                 "  worker: {type: external, latency: 100ms}\n"));
    INFO("items " << items << ", max_concurrency " << conc);
    const double rounds = std::ceil(static_cast<double>(items) / conc);
    CHECK(required_metric(r, "services.flow.latency_ms.mean") == Approx(rounds * 100).epsilon(1e-12));
    CHECK(required_metric(r, "services.flow.latency_ms.max") == Approx(rounds * 100).epsilon(1e-12));
    CHECK(required_metric(r, "services.worker.concurrency.max") == conc);
    // Every finished execution ran every item (the last one may still run at the end).
    const double started = required_metric(r, "services.flow.executions.started");
    CHECK(required_metric(r, "services.worker.requests") <= items * started);
    CHECK(required_metric(r, "services.worker.requests") >= items * (started - 1));
  }
}

TEST_CASE("stepfunctions: standard workflows are billed per transition, retries included", "[stepfunctions][cost]") {
  // Every execution: one entry and 2 retries of `pay`, then the catch's `fallback`: 4 transitions.
  const auto run = [](bool free_tier) {
    return run_scenario_text(scenario("{process: constant, rate: 2/s}", R"(    type: stepfunctions
    start_at: pay
    states:
      pay: {type: task, resource: bank, retry: [{interval: 100ms, max_attempts: 2}], catch: [{next: fallback}]}
      fallback: {type: pass}
)",
                                      "  bank: {type: external, latency: 10ms, errors: 1}\n",
                                      std::string("duration: 100s\nseed: 3\naccount: {free_tier: ") +
                                          (free_tier ? "true" : "false") + "}\n"));
  };
  const Json off = run(false);
  const double t = required_metric(off, "services.flow.transitions");
  CHECK(t == required_metric(off, "services.flow.states.pay.entered") + required_metric(off, "services.flow.states.pay.retried") +
                 required_metric(off, "services.flow.states.fallback.entered"));
  CHECK(t >= 4 * required_metric(off, "services.flow.states.fallback.entered"));
  CHECK(t >= 790);
  const Json* line = cost_item(off, "flow", "state transitions");
  REQUIRE(line != nullptr);
  CHECK(line->find("quantity")->as_double() == t);
  CHECK(line->find("usd")->as_double() == Approx(t * 0.025 / 1000).epsilon(1e-12));
  // Free tier: 4,000 transitions a month; the window is 1/25,920 of 30 days.
  const Json on = run(true);
  CHECK(required_metric(on, "services.flow.transitions") == t);
  const double f = 30.0 * 86400 / 100;
  CHECK(required_metric(on, "cost.by_service.flow") == Approx((t * f - 4000) * 0.025 / 1000 / f).epsilon(1e-12));
}

TEST_CASE("stepfunctions: express workflows are billed per request and per 100 ms-rounded GB-s", "[stepfunctions][cost]") {
  // Each execution lasts 130 ms: billed 200 ms x 64 MB = 0.0125 GB-s.
  const Json r = run_scenario_text(scenario("{process: constant, rate: 5/s}", R"(    type: stepfunctions
    workflow: express
    start_at: work
    states:
      work: {type: task, resource: api}
)",
                                            "  api: {type: external, latency: 130ms}\n"));
  const double n = required_metric(r, "services.flow.executions.started");
  CHECK(n >= 495);
  const double done = required_metric(r, "services.flow.executions.succeeded");
  CHECK(required_metric(r, "services.flow.billed_gb_s") == Approx(done * 0.0125).epsilon(1e-12));
  CHECK(cost_item(r, "flow", "requests")->find("usd")->as_double() == Approx(n * 1e-6).epsilon(1e-12));
  CHECK(cost_item(r, "flow", "duration")->find("usd")->as_double() == Approx(done * 0.0125 * 0.00001667).epsilon(1e-12));
  // Rounding: 100 ms steps and 64 MB steps.
  CHECK(models::express_billed_gb_s(100e6, 64.0 * 1048576) == Approx(0.1 * 64 / 1024).epsilon(1e-12));
  CHECK(models::express_billed_gb_s(100e6 + 1, 64.0 * 1048576) == Approx(0.2 * 64 / 1024).epsilon(1e-12));
  CHECK(models::express_billed_gb_s(1e9, 100.0 * 1048576) == Approx(1.0 * 128 / 1024).epsilon(1e-12));
}

TEST_CASE("stepfunctions: catch goes to the fallback, task and execution timeouts", "[stepfunctions]") {
  // A task timeout (1 s against a 2 s answer) caught by errors: timeout goes to
  // refund then fail; an error would not be caught by that catcher.
  const Json r = run_scenario_text(scenario("{process: constant, rate: 1/s}", R"(    type: stepfunctions
    start_at: pay
    states:
      pay: {type: task, resource: slow, timeout: 1s, catch: [{errors: error, next: done}, {errors: timeout, next: refund}], next: done}
      refund: {type: task, resource: fast, next: failed}
      failed: {type: fail}
      done: {type: succeed}
)",
                                            "  slow: {type: external, latency: 2s}\n  fast: {type: external, latency: 10ms}\n"));
  const double started = required_metric(r, "services.flow.executions.started");
  CHECK(required_metric(r, "services.flow.states.refund.entered") >= started - 2);
  CHECK(required_metric(r, "services.flow.states.done.entered") == 0);
  CHECK(required_metric(r, "services.flow.executions.failed") >= started - 2);
  CHECK(required_metric(r, "services.flow.latency_ms.mean") == Approx(1010).epsilon(1e-12));
  CHECK(balanced(r));

  // A failing branch fails its parallel state, whose own retry and catch apply: 2 retries 1 s
  // apart (interval 1 s, backoff 1), each attempt failing after 100 ms, then the catch.
  const Json p = run_scenario_text(scenario("{process: constant, rate: 1/s}", R"(    type: stepfunctions
    start_at: both
    states:
      both: {type: parallel, branches: [[ok], [bad]], retry: [{max_attempts: 2, backoff_rate: 1}], catch: [{next: undo}]}
      ok: {type: task, resource: fast}
      bad: {type: task, resource: broken}
      undo: {type: pass, next: failed}
      failed: {type: fail}
)",
                                            "  fast: {type: external, latency: 10ms}\n  broken: {type: external, latency: 100ms, errors: 1}\n"));
  const double runs = required_metric(p, "services.flow.states.both.entered");
  CHECK(required_metric(p, "services.flow.states.both.retried") >= 2 * runs - 4);
  CHECK(required_metric(p, "services.flow.states.bad.entered") >= 3 * runs - 6);
  CHECK(required_metric(p, "services.flow.states.undo.entered") >= runs - 3);
  CHECK(required_metric(p, "services.flow.latency_ms.max") == Approx(3 * 100 + 2 * 1000).epsilon(1e-12));
  CHECK(required_metric(p, "services.flow.executions.succeeded") == 0);
  CHECK(balanced(p));

  // An execution timeout: a 10 s wait in an execution allowed 5 s.
  const Json t = run_scenario_text(scenario("{process: constant, rate: 1/s}", R"(    type: stepfunctions
    timeout: 5s
    start_at: nap
    states:
      nap: {type: wait, seconds: 10s}
)",
                                            ""));
  CHECK(required_metric(t, "services.flow.executions.timed_out") >= 94);
  CHECK(required_metric(t, "services.flow.executions.succeeded") == 0);
  CHECK(required_metric(t, "services.flow.latency_ms.max") == 5000);
  CHECK(required_metric(t, "accounting.messages.failed") >= 94);  // failed includes timed out
  CHECK(balanced(t));
}

TEST_CASE("stepfunctions: choices are drawn with their probabilities and loops end at max_transitions", "[stepfunctions]") {
  const Json r = run_scenario_text(scenario("{process: poisson, rate: 100/s}", R"(    type: stepfunctions
    start_at: pick
    states:
      pick: {type: choice, choices: [{next: a, probability: 0.3}, {next: b, probability: 0.5}]}
      a: {type: pass}
      b: {type: pass}
)",
                                            ""));
  const double n = required_metric(r, "services.flow.states.pick.entered");
  for (const auto& [state, p] : {std::pair{"a", 0.3}, {"b", 0.5}}) {
    const double k = required_metric(r, std::string("services.flow.states.") + state + ".entered");
    CHECK(std::abs(k - n * p) < 4 * std::sqrt(n * p * (1 - p)));
  }
  // No default: the other 20% fail (States.NoChoiceMatched).
  const double failed = required_metric(r, "services.flow.executions.failed");
  CHECK(std::abs(failed - n * 0.2) < 4 * std::sqrt(n * 0.2 * 0.8));

  // A loop through a choice that always goes back: every execution fails at max_transitions.
  const Json loop = run_scenario_text(scenario("{process: constant, rate: 1/s}", R"(    type: stepfunctions
    max_transitions: 100
    start_at: again
    states:
      again: {type: choice, choices: [{next: step, probability: 1}]}
      step: {type: pass, next: again}
)",
                                               ""));
  const double started = required_metric(loop, "services.flow.executions.started");
  CHECK(required_metric(loop, "services.flow.executions.failed") == started);
  CHECK(required_metric(loop, "services.flow.transitions") == 101 * started);
}

TEST_CASE("stepfunctions: the same seed gives the same result", "[stepfunctions]") {
  const std::string yaml = scenario("{process: poisson, rate: 50/s}", R"(    type: stepfunctions
    start_at: pay
    states:
      pay: {type: task, resource: bank, retry: [{jitter: full}], catch: [{next: out}], next: ship}
      ship: {type: parallel, branches: [[a], [b]]}
      a: {type: task, resource: bank}
      b: {type: wait, seconds: {dist: exponential, mean: 1s}}
      out: {type: fail}
)",
                                    "  bank: {type: external, latency: {dist: exponential, mean: 50ms}, errors: 0.3}\n");
  const Json one = run_scenario_text(yaml);
  const Json two = run_scenario_text(yaml);
  CHECK(one.find("services")->dump() == two.find("services")->dump());
  const Json other = run_scenario_text(yaml, 1);
  CHECK(one.find("services")->dump() != other.find("services")->dump());
}

TEST_CASE("stepfunctions: started by EventBridge, by a Lambda function and synchronously", "[stepfunctions]") {
  const Json r = run_scenario_text(R"(
name: t
duration: 60s
seed: 2
workloads:
  - {name: events, target: bus, arrival: {process: constant, rate: 2/s}}
  - {name: calls, target: fn, arrival: {process: constant, rate: 3/s}}
  - {name: sync, target: quick, op: start_sync, arrival: {process: constant, rate: 4/s}}
services:
  bus: {type: eventbridge, rules: [{to: flow}]}
  fn: {type: lambda, duration: 10ms, calls: [{to: flow, op: start}]}
  flow:
    type: stepfunctions
    start_at: work
    states:
      work: {type: task, resource: api}
  quick:
    type: stepfunctions
    workflow: express
    start_at: work
    states:
      work: {type: task, resource: api}
  api: {type: external, latency: 20ms, errors: 0.5}
)");
  CHECK(required_metric(r, "services.flow.executions.started") == Approx(300).margin(2));
  CHECK(required_metric(r, "services.quick.executions.started") == Approx(240).margin(1));
  // start_sync answers the execution's failure: the caller sees half failed.
  const double sync_failed = required_metric(r, "workloads.sync.failed");
  CHECK(sync_failed == required_metric(r, "services.quick.executions.failed"));
  CHECK(sync_failed > 80);
  CHECK(balanced(r));
}

TEST_CASE("stepfunctions: load errors", "[stepfunctions]") {
  const std::string head = R"(
name: t
duration: 1min
workloads: [{name: w, target: flow, arrival: {process: poisson, rate: 1/s}}]
services:
  fn: {type: lambda, duration: 10ms}
  flow:
    type: stepfunctions
    start_at: pay
    states:
)";
  CHECK(load_error(head + "      pay: {type: task, resource: fn, next: shipp}\n      ship: {type: succeed}\n") ==
        "t.yaml:11:45: error: services.flow.states.pay.next: unknown state 'shipp'\n"
        "    hint: did you mean 'ship'?\n");
  CHECK(load_error(head + "      pay: {type: task, resource: fnn}\n") ==
        "t.yaml:11:35: error: services.flow.states.pay.resource: unknown service 'fnn'\n"
        "    hint: did you mean 'fn'?\n");
  CHECK(load_error(head + "      pay: {type: task, resource: fn, next: pay}\n") ==
        "t.yaml:11:12: error: services.flow.states.pay: state 'pay' leads back to itself through 'next' alone: every "
        "execution would loop until max_transitions\n"
        "    hint: put a choice (with a way out) or a wait on the loop\n");
  CHECK(load_error(head + "      pay: {type: task, resource: fn, op: start}\n") ==
        "t.yaml:11:43: error: services.flow.states.pay.op: 'fn' (lambda) has no operation 'start' (it has 'invoke', "
        "'invoke_async')\n");
  CHECK(load_error(head + "      pay: {type: choice, choices: [{next: pay, probability: 0.7}, {next: pay, probability: 0.6}]}\n") ==
        "t.yaml:11:36: error: services.flow.states.pay.choices: the choices' probabilities add up to 1.3, more than 1\n");
  CHECK(load_error(head + "      pay: {type: map, items: 5, items_max: 3, branch: [a]}\n      a: {type: pass}\n") ==
        "t.yaml:11:45: error: services.flow.states.pay.items_max: items_max 3 is below items 5\n"
        "    hint: items is the smallest number of items, items_max the largest\n");
  CHECK(load_error(R"(
name: t
duration: 1min
workloads: [{name: w, target: flow, op: start_sync, arrival: {process: poisson, rate: 1/s}}]
services:
  flow: {type: stepfunctions, start_at: a, states: {a: {type: pass}}}
)") == "t.yaml:6:9: error: services.flow: 'workload:w' starts 'flow' with start_sync, which only an express workflow "
       "accepts\n    hint: write workflow: express, or start it with 'start'\n");
  CHECK(load_error(R"(
name: t
duration: 1min
workloads: [{name: w, target: flow, arrival: {process: poisson, rate: 1/s}}]
services:
  flow: {type: stepfunctions, workflow: express, timeout: 10min, start_at: a, states: {a: {type: pass}}}
)") == "t.yaml:6:59: error: services.flow.timeout: an express execution lasts at most 5 minutes\n"
       "    hint: use workflow: standard for longer executions\n");
}

TEST_CASE("stepfunctions: unreachable states are warned about, AWS's key names get a hint", "[stepfunctions]") {
  const std::string head = R"(name: t
duration: 1min
workloads: [{name: w, target: flow, arrival: {process: poisson, rate: 1/s}}]
services:
  flow:
    type: stepfunctions
    start_at: a
    states:
      a: {type: pass}
)";
  const Scenario sc = load_scenario_text(head + "      lost: {type: pass}\n", "t.yaml", builtin_services());
  CHECK(sc.warnings.str() ==
        "t.yaml:10:13: warning: services.flow.states.lost: state 'lost' is never reached from start_at\n"
        "    hint: reach it through a next, a choice, a catch or a branch, or remove it\n");
  CHECK(load_scenario_text(head, "t.yaml", builtin_services()).warnings.str().empty());
  CHECK(load_error(head + "      m: {type: map, branch: [a], iterator: [a]}\n") ==
        "t.yaml:10:35: error: services.flow.states.m.iterator: unknown key 'iterator'\n"
        "    hint: write 'branch: [STATE, ...]' (the states each item runs)\n");
}

TEST_CASE("stepfunctions: the analytic estimate counts transitions and calls per execution", "[stepfunctions][analyze]") {
  // q = 0.3 per attempt, 3 retries: attempts 1 + q + q^2 + q^3; P(all fail) = q^4 goes to the catch.
  const std::string yaml = scenario("{process: poisson, rate: 10/s}", R"(    type: stepfunctions
    start_at: pay
    states:
      pay: {type: task, resource: bank, retry: [{max_attempts: 3}], catch: [{next: out}], next: done}
      done: {type: succeed}
      out: {type: fail}
)",
                                    "  bank: {type: external, latency: 10ms, errors: 0.3}\n");
  const AnalyticResult est = estimate_scenario(load_scenario_text(yaml, "t.yaml", builtin_services()));
  const double q = 0.3;
  const double attempts = 1 + q + q * q + q * q * q;
  const double fail = q * q * q * q;
  double transitions = 0, failed = 0;
  for (const auto& s : est.services) {
    if (s.name != "flow") continue;
    for (const AnalyticFigure& f : s.estimate.figures) {
      if (f.path == "transitions") transitions = f.value;
      if (f.path == "executions.failed") failed = f.value;
    }
  }
  // Per execution: pay's attempts, then done or out.
  CHECK(transitions == Approx(10 * (attempts + 1)).epsilon(1e-9));
  CHECK(failed == Approx(10 * fail).epsilon(1e-9));
  bool found = false;
  for (const auto& s : est.services)
    if (s.name == "bank")
      for (const AnalyticFigure& f : s.estimate.figures)
        if (f.path == "requests") {
          found = true;
          CHECK(f.value == Approx(10 * attempts).epsilon(1e-6));
        }
  CHECK(found);
}
