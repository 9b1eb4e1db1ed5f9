// SNS: fan-out, filters, the AWS-managed delivery retry policy, DLQs,
// accounting, cost and load errors. Most cases deliver to a test-only `sqs`
// type (defined here, registered in a registry of this file) whose behaviour
// is exact: it accepts a send (opening and closing its own branch) or refuses
// it with a throttle, and records when it was called and for which request.
#include <cmath>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>

#include <catch2/catch.hpp>

#include "models/sns/sns.hpp"
#include "sim/core/simulation.hpp"
#include "sim/core/service.hpp"
#include "model_run.hpp"
#include "support.hpp"
#include "test_queue.hpp"

using namespace slsim;
using namespace slsim::testing;

namespace {

const ServiceRegistry& test_registry() {
  static const ServiceRegistry reg = registry_with(
      {test_queue_type(), models::sns_type(), *builtin_services().find("lambda"), *builtin_services().find("external")});
  return reg;
}

using Run = ModelRun;

Run run(const std::string& yaml, std::uint64_t replication = 0) { return run_model(yaml, test_registry(), replication); }

// Loads with the test-only queue type registered beside the built-in ones.
std::string load_error_with_test_types(const std::string& yaml) { return load_error_with(yaml, test_registry()); }

std::string load_warnings(const std::string& yaml) {
  return load_scenario_text(yaml, "t.yaml", test_registry()).warnings.str();
}

// The nominal retry delays of the policy, written out independently of the model.
std::vector<double> policy_delays_s() {
  std::vector<double> d(3, 0.0);
  d.push_back(1);
  d.push_back(1);
  for (int j = 0; j < 10; ++j) d.push_back(std::pow(20.0, j / 9.0));
  d.insert(d.end(), 100000, 20.0);
  return d;
}

}  // namespace

TEST_CASE("sns: fan-out to three queues delivers one copy to each", "[sns]") {
  const Run r = run(
      "name: t\nduration: 100s\n"
      "workloads: [{name: w, target: topic, arrival: {process: constant, rate: 10/s}}]\n"
      "services:\n"
      "  topic: {type: sns, latency: 0ms, subscribers: [{to: q1}, {to: q2}, {to: q3}]}\n"
      "  q1: {type: sqs}\n  q2: {type: sqs}\n  q3: {type: sqs}\n");
  const Json& j = r.result;
  REQUIRE(metric(j, "workloads.w.arrived") == 1000);
  REQUIRE(metric(j, "services.topic.published") == 1000);
  REQUIRE(metric(j, "services.topic.delivered") == 3000);
  REQUIRE(metric(j, "services.topic.filtered") == 0);
  REQUIRE(metric(j, "services.topic.retries") == 0);
  REQUIRE(metric(j, "services.topic.failed") == 0);
  for (const char* q : {"q1", "q2", "q3"}) {
    REQUIRE(metric(j, fmt::format("services.{}.received", q)) == 1000);
    REQUIRE(metric(j, fmt::format("services.topic.subscribers.{}.delivered", q)) == 1000);
  }
  // Both levels balance: 1000 requests succeeded; 1000 topic branches + 3000 queue branches processed.
  REQUIRE(j.find_path("accounting.balanced")->as_bool());
  REQUIRE(metric(j, "accounting.succeeded") == 1000);
  REQUIRE(metric(j, "accounting.messages.sent") == 4000);
  REQUIRE(metric(j, "accounting.messages.processed") == 4000);
}

TEST_CASE("sns: the publish is acknowledged after the publish latency", "[sns]") {
  const Run r = run(
      "name: t\nduration: 10s\n"
      "workloads: [{name: w, target: topic, arrival: {process: constant, rate: 10/s}}]\n"
      "services:\n"
      "  topic: {type: sns, latency: 35ms, subscribers: [{to: q}]}\n"
      "  q: {type: sqs}\n");
  REQUIRE(metric(r.result, "workloads.w.latency_ms.max") == Approx(35).epsilon(0.005));
  REQUIRE(metric(r.result, "services.topic.latency_ms.p50") == Approx(35).epsilon(0.005));
  // Each copy is sent when the publish is acknowledged.
  for (std::size_t i = 0; i < r.service<TestQueue>("q").times.size(); ++i)
    REQUIRE(r.service<TestQueue>("q").times[i] == static_cast<SimTime>(i + 1) * 100 * kMillisecond + 35 * kMillisecond);
}

TEST_CASE("sns: filters deliver the configured fraction independently per subscriber", "[sns]") {
  const Run r = run(
      "name: t\nduration: 1000s\nseed: 5\n"
      "workloads: [{name: w, target: topic, arrival: {process: poisson, rate: 100/s}}]\n"
      "services:\n"
      "  topic: {type: sns, latency: 0ms, subscribers: [{to: a, filter: 0.3}, {to: b, filter: 0.5}, {to: c}]}\n"
      "  a: {type: sqs}\n  b: {type: sqs}\n  c: {type: sqs}\n");
  const double n = metric(r.result, "services.topic.published");
  REQUIRE(n > 90000);
  const auto within = [&](double observed, double p) {
    const double se = std::sqrt(n * p * (1 - p));
    INFO(fmt::format("observed {} expected {} (se {:.1f})", observed, n * p, se));
    REQUIRE(std::fabs(observed - n * p) <= 5 * se);
  };
  within(metric(r.result, "services.topic.subscribers.a.delivered"), 0.3);
  within(metric(r.result, "services.topic.subscribers.b.delivered"), 0.5);
  REQUIRE(metric(r.result, "services.topic.subscribers.c.delivered") == n);
  REQUIRE(metric(r.result, "services.topic.filtered") ==
          2 * n - metric(r.result, "services.topic.subscribers.a.delivered") -
              metric(r.result, "services.topic.subscribers.b.delivered"));
  // Independence: the messages reaching both a and b are a fraction 0.3 x 0.5.
  const std::set<std::uint64_t> a(r.service<TestQueue>("a").ids.begin(), r.service<TestQueue>("a").ids.end());
  double both = 0;
  for (std::uint64_t id : r.service<TestQueue>("b").ids) both += static_cast<double>(a.count(id));
  within(both, 0.15);
  REQUIRE(r.result.find_path("accounting.balanced")->as_bool());
  REQUIRE(metric(r.result, "accounting.succeeded") == metric(r.result, "workloads.w.arrived"));
}

TEST_CASE("sns: a message no subscriber matches still succeeds", "[sns]") {
  const Run r = run(
      "name: t\nduration: 10s\n"
      "workloads: [{name: w, target: topic, arrival: {process: constant, rate: 10/s}}]\n"
      "services:\n"
      "  topic: {type: sns, latency: 0ms, subscribers: [{to: q, filter: 0}]}\n"
      "  q: {type: sqs}\n");
  REQUIRE(metric(r.result, "services.topic.filtered") == 100);
  REQUIRE(metric(r.result, "services.q.received") == 0);
  REQUIRE(metric(r.result, "accounting.succeeded") == 100);
  REQUIRE(metric(r.result, "accounting.messages.processed") == 100);
  REQUIRE(r.result.find_path("accounting.balanced")->as_bool());
}

TEST_CASE("sns: a subscriber that always throttles gets the full retry policy then the copy is dropped", "[sns][retry]") {
  const Run r = run(
      "name: t\nduration: 30d\n"
      "workloads: [{name: w, target: topic, arrival: {process: burst, at: 0s, count: 1}}]\n"
      "services:\n"
      "  topic: {type: sns, subscribers: [{to: q}]}\n"
      "  q: {type: sqs, throttle: 1}\n");
  const std::vector<SimTime>& t = r.service<TestQueue>("q").times;
  const std::vector<double> delays = policy_delays_s();
  // The first attempt and 100,015 retries (3 + 2 + 10 + 100,000).
  REQUIRE(delays.size() == 100015);
  REQUIRE(t.size() == 100016);
  REQUIRE(metric(r.result, "services.topic.attempts") == 100016);
  REQUIRE(metric(r.result, "services.topic.retries") == 100015);
  REQUIRE(metric(r.result, "services.topic.failed") == 1);
  REQUIRE(metric(r.result, "services.topic.delivered") == 0);
  // The exact schedule: first attempt at the 20 ms ack, then each retry after its delay.
  REQUIRE(t[0] == 20 * kMillisecond);
  for (int i = 1; i <= 5; ++i) REQUIRE(t[i] == 20 * kMillisecond + (i <= 3 ? 0 : (i - 3) * kSecond));
  REQUIRE(t[6] == t[5] + kSecond);
  REQUIRE(t[15] - t[14] == 20 * kSecond);
  std::size_t off_schedule = 0;
  for (std::size_t i = 1; i < t.size(); ++i)
    off_schedule += std::llabs(t[i] - t[i - 1] - from_seconds(delays[i - 1])) > 1 ? 1 : 0;
  REQUIRE(off_schedule == 0);
  // About 23 days: 2 s + the backoff phase (68.1 s) + 100,000 x 20 s.
  const double span_days = static_cast<double>(t.back() - t.front()) / 1e9 / 86400;
  REQUIRE(span_days == Approx(23.149).epsilon(0.001));
  REQUIRE(metric(r.result, "accounting.dropped") == 1);
  REQUIRE(metric(r.result, "accounting.messages.dropped") == 1);
  REQUIRE(r.result.find_path("accounting.balanced")->as_bool());
}

TEST_CASE("sns: a copy whose retries run out goes to the subscription DLQ", "[sns][retry]") {
  const Run r = run(
      "name: t\nduration: 30d\n"
      "workloads: [{name: w, target: topic, arrival: {process: burst, at: 0s, count: 1}}]\n"
      "services:\n"
      "  topic: {type: sns, subscribers: [{to: ok}, {to: bad, dlq: dead}]}\n"
      "  ok: {type: sqs}\n  bad: {type: sqs, throttle: 1}\n  dead: {type: sqs}\n");
  REQUIRE(metric(r.result, "services.bad.received") == 100016);
  REQUIRE(metric(r.result, "services.dead.received") == 1);
  REQUIRE(r.service<TestQueue>("dead").times[0] == r.service<TestQueue>("bad").times.back());
  REQUIRE(metric(r.result, "services.topic.to_dlq") == 1);
  REQUIRE(metric(r.result, "services.topic.subscribers.bad.to_dlq") == 1);
  REQUIRE(metric(r.result, "services.topic.failed") == 0);
  REQUIRE(metric(r.result, "services.topic.delivered") == 1);
  // The request ends dead-lettered; the topic's branch too. The copy the DLQ
  // received is outside the request's accounting: the branches are the topic's
  // message and the copy the healthy queue took.
  REQUIRE(metric(r.result, "accounting.dead_lettered") == 1);
  REQUIRE(metric(r.result, "accounting.in_flight") == 0);
  REQUIRE(metric(r.result, "accounting.messages.sent") == 2);
  REQUIRE(metric(r.result, "accounting.messages.dead_lettered") == 1);
  REQUIRE(metric(r.result, "accounting.messages.processed") == 1);
  REQUIRE(r.result.find_path("accounting.balanced")->as_bool());
}

TEST_CASE("sns: throttled deliveries are retried until they succeed", "[sns][retry]") {
  // Each attempt is refused with probability 1/2: retries per copy are geometric with mean 1, variance 2.
  const Run r = run(
      "name: t\nduration: 200s\nseed: 3\n"
      "workloads: [{name: w, target: topic, arrival: {process: constant, rate: 10/s}}]\n"
      "services:\n"
      "  topic: {type: sns, subscribers: [{to: q}]}\n"
      "  q: {type: sqs, throttle: 0.5}\n");
  const double n = metric(r.result, "services.topic.published");
  REQUIRE(metric(r.result, "services.topic.delivered") == n);
  REQUIRE(std::fabs(metric(r.result, "services.topic.retries") - n) <= 5 * std::sqrt(2 * n));
  REQUIRE(metric(r.result, "services.topic.attempts") ==
          metric(r.result, "services.topic.retries") + metric(r.result, "services.topic.delivered"));
  REQUIRE(r.result.find_path("accounting.balanced")->as_bool());
}

TEST_CASE("sns: jitter spreads each retry delay over half to one and a half times it", "[sns][retry]") {
  const Run r = run(
      "name: t\nduration: 300s\n"
      "workloads: [{name: w, target: topic, arrival: {process: burst, at: 0s, count: 1}}]\n"
      "services:\n"
      "  topic: {type: sns, jitter: true, subscribers: [{to: q}]}\n"
      "  q: {type: sqs, throttle: 1}\n");
  const std::vector<SimTime>& t = r.service<TestQueue>("q").times;
  const std::vector<double> delays = policy_delays_s();
  REQUIRE(t.size() > 20);
  bool any_off_nominal = false;
  for (std::size_t i = 1; i < t.size(); ++i) {
    const double gap = static_cast<double>(t[i] - t[i - 1]) / 1e9;
    const double nominal = delays[i - 1];
    REQUIRE(gap >= 0.5 * nominal - 1e-9);
    REQUIRE(gap <= 1.5 * nominal + 1e-9);
    any_off_nominal = any_off_nominal || std::fabs(gap - nominal) > 1e-6;
  }
  REQUIRE(any_off_nominal);
}

TEST_CASE("sns: publishes are billed per 64 KB chunk with the free tier", "[sns][cost]") {
  const std::string base =
      "name: t\nduration: 100s\n"
      "workloads: [{name: w, target: topic, payload: 100KB, arrival: {process: constant, rate: 10/s}}]\n"
      "services:\n"
      "  topic: {type: sns, latency: 0ms, subscribers: [{to: q}]}\n"
      "  q: {type: sqs}\n";
  const Run paid = run(base);
  REQUIRE(metric(paid.result, "cost.by_service.topic") == Approx(2000 * 5e-7));
  const Run free = run(base + "account: {free_tier: true}\n");
  const double scale = 30.0 * 86400 / 100;
  REQUIRE(metric(free.result, "cost.by_service.topic") == Approx((2000 * scale - 1e6) * 5e-7 / scale));
  // Over the size limit: rejected, nothing delivered or billed.
  const Run big = run(
      "name: t\nduration: 10s\n"
      "workloads: [{name: w, target: topic, payload: 300KB, arrival: {process: constant, rate: 10/s}}]\n"
      "services:\n  topic: {type: sns, subscribers: [{to: q}]}\n  q: {type: sqs}\n");
  REQUIRE(metric(big.result, "services.topic.rejected") == 100);
  REQUIRE(metric(big.result, "services.topic.published") == 0);
  REQUIRE(metric(big.result, "accounting.failed") == 100);
  REQUIRE(metric(big.result, "cost.by_service.topic") == 0);
}

TEST_CASE("sns: Lambda subscribers are invoked asynchronously", "[sns]") {
  const Json r = run_scenario_text(
      "name: t\nduration: 100s\n"
      "workloads: [{name: w, target: topic, arrival: {process: constant, rate: 10/s}}]\n"
      "services:\n"
      "  topic: {type: sns, latency: 0ms, subscribers: [{to: fn}]}\n"
      "  fn: {type: lambda, duration: 100ms}\n");
  REQUIRE(metric(r, "services.topic.delivered") == 1000);
  REQUIRE(metric(r, "services.fn.invocations") >= 999);
  REQUIRE(r.find_path("accounting.balanced")->as_bool());
}

TEST_CASE("sns: load errors for subscribers", "[sns][loader]") {
  const std::string head =
      "name: t\nduration: 10s\n"
      "workloads: [{name: w, target: topic, arrival: {process: constant, rate: 1/s}}]\n"
      "services:\n";
  // A subscriber of the wrong type.
  REQUIRE(load_error_with_test_types(head + "  topic: {type: sns, subscribers: [{to: t2}]}\n  t2: {type: sns, subscribers: [{to: q}]}\n  q: {type: sqs}\n") ==
          "t.yaml:5:41: error: services.topic.subscribers.0.to: 't2' is a sns, but to must be one of sqs, lambda or "
          "external\n");
  // An external endpoint is reached over HTTP(S) only.
  REQUIRE(load_error_with_test_types(head + "  topic: {type: sns, subscribers: [{to: api}]}\n  api: {type: external}\n") ==
          "t.yaml:5:41: error: services.topic.subscribers.0.to: SNS reaches an external service over HTTP: add "
          "'protocol: https' (or http) to 'api'\n");
  // A FIFO topic cannot deliver to a function.
  REQUIRE(load_error_with_test_types(head + "  topic: {type: sns, fifo: true, subscribers: [{to: fn}]}\n"
                            "  fn: {type: lambda, duration: 1ms}\n") ==
          "t.yaml:5:53: error: services.topic.subscribers.0.to: a FIFO topic delivers only to SQS queues, but 'fn' is "
          "a lambda\n    hint: subscribe a queue and let it trigger the function\n");
  // A FIFO queue only takes a FIFO topic's messages.
  REQUIRE(load_error_with_test_types(head + "  topic: {type: sns, subscribers: [{to: q}]}\n  q: {type: sqs, fifo: true}\n") ==
          "t.yaml:5:41: error: services.topic.subscribers.0.to: 'q' is a FIFO queue, which only a FIFO topic can "
          "deliver to\n    hint: set 'fifo: true' on the topic, or subscribe a standard queue\n");
  // A FIFO topic delivers to a standard queue without ordering guarantees: a warning.
  REQUIRE(load_warnings(head + "  topic: {type: sns, fifo: true, subscribers: [{to: q}]}\n  q: {type: sqs}\n") ==
          "t.yaml:5:53: warning: services.topic.subscribers.0.to: 'q' is a standard queue: a FIFO topic delivers to "
          "it with best-effort ordering and at-least-once delivery\n"
          "    hint: subscribe a FIFO queue for strict ordering and deduplication\n");
  // The DLQ must match the topic's kind.
  REQUIRE(load_error_with_test_types(head + "  topic: {type: sns, fifo: true, subscribers: [{to: q, dlq: d}]}\n"
                            "  q: {type: sqs, fifo: true}\n  d: {type: sqs}\n") ==
          "t.yaml:5:61: error: services.topic.subscribers.0.dlq: the dead-letter queue of a FIFO topic's subscription "
          "must be a FIFO queue, but 'd' is a standard queue\n");
  // One subscription per endpoint.
  REQUIRE(load_error_with_test_types(head + "  topic: {type: sns, subscribers: [{to: q}, {to: q, filter: 0.5}]}\n  q: {type: sqs}\n") ==
          "t.yaml:5:50: error: services.topic.subscribers.1.to: 'q' is already subscribed to this topic\n"
          "    hint: SNS keeps one subscription per endpoint; combine the filters into one fraction\n");
}

TEST_CASE("sns: fan-out to three SQS queues of the sqs model", "[sns]") {
  const Json r = run_scenario_text(
      "name: t\nduration: 100s\n"
      "workloads: [{name: w, target: topic, arrival: {process: constant, rate: 10/s}}]\n"
      "services:\n"
      "  topic: {type: sns, latency: 0ms, subscribers: [{to: q1}, {to: q2}, {to: q3, filter: 0}]}\n"
      "  q1: {type: sqs}\n  q2: {type: sqs}\n  q3: {type: sqs}\n");
  REQUIRE(metric(r, "services.topic.published") == 1000);
  REQUIRE(metric(r, "services.topic.delivered") == 2000);
  REQUIRE(metric(r, "services.topic.filtered") == 1000);
  REQUIRE(metric(r, "services.q1.sent") == 1000);
  REQUIRE(metric(r, "services.q2.sent") == 1000);
  REQUIRE(metric(r, "services.q3.sent") == 0);
  // Without consumers the queue copies stay in flight; the topic's branches all closed.
  REQUIRE(r.find_path("accounting.balanced")->as_bool());
  REQUIRE(metric(r, "accounting.messages.sent") == 3000);
  REQUIRE(metric(r, "accounting.messages.processed") == 1000);
  REQUIRE(metric(r, "accounting.messages.in_flight") == 2000);
}

TEST_CASE("sns: FIFO checks against the sqs model", "[sns][loader]") {
  const std::string head =
      "name: t\nduration: 10s\n"
      "workloads: [{name: w, target: topic, arrival: {process: constant, rate: 1/s}}]\n"
      "services:\n";
  const auto error_of = [](const std::string& yaml) -> std::string {
    try {
      load_scenario_text(yaml, "t.yaml", builtin_services());
    } catch (const InputError& e) {
      return e.what();
    }
    return "";
  };
  REQUIRE(error_of(head + "  topic: {type: sns, subscribers: [{to: q}]}\n  q: {type: sqs, fifo: true}\n") ==
          "t.yaml:5:41: error: services.topic.subscribers.0.to: 'q' is a FIFO queue, which only a FIFO topic can "
          "deliver to\n    hint: set 'fifo: true' on the topic, or subscribe a standard queue\n");
  REQUIRE(load_scenario_text(head + "  topic: {type: sns, fifo: true, subscribers: [{to: q}]}\n  q: {type: sqs}\n",
                             "t.yaml", builtin_services())
              .warnings.str() ==
          "t.yaml:5:53: warning: services.topic.subscribers.0.to: 'q' is a standard queue: a FIFO topic delivers to "
          "it with best-effort ordering and at-least-once delivery\n"
          "    hint: subscribe a FIFO queue for strict ordering and deduplication\n");
  REQUIRE_NOTHROW(load_scenario_text(
      head + "  topic: {type: sns, fifo: true, subscribers: [{to: q}]}\n  q: {type: sqs, fifo: true}\n", "t.yaml",
      builtin_services()));
}
