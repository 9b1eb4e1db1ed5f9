// EventBridge, Firehose and SES: rule matching and delivery, the target retry
// policy and dead-letter queues, buffering by size and by interval, exact
// costs and balanced accounting. The retry cases deliver to a test-only `sqs`
// type (tests/test_queue.hpp, with `throttle: 1`) that refuses every send with a
// throttle or accepts every one, and records when it was called.
#include <cmath>
#include <string>
#include <vector>

#include <fmt/format.h>

#include <catch2/catch.hpp>

#include "models/eventbridge/eventbridge.hpp"
#include "sim/core/service.hpp"
#include "sim/core/simulation.hpp"
#include "model_run.hpp"
#include "support.hpp"
#include "test_queue.hpp"

using namespace slsim;
using namespace slsim::testing;

namespace {

const ServiceRegistry& test_registry() {
  static const ServiceRegistry reg = registry_with({test_queue_type(), models::eventbridge_type()});
  return reg;
}

using Run = ModelRun;

Run run(const std::string& yaml) { return run_model(yaml, test_registry()); }


constexpr double kGiB = 1073741824.0;

}  // namespace

TEST_CASE("eventbridge: rules deliver the matched fraction and every event with match 1", "[sinks]") {
  const Json j = run_scenario_text(
      "name: t\nduration: 1000s\nseed: 3\n"
      "workloads: [{name: w, target: bus, arrival: {process: poisson, rate: 50/s}}]\n"
      "services:\n"
      "  bus: {type: eventbridge, rules: [{to: q, match: 0.3}, {to: fn}]}\n"
      "  q: {type: sqs}\n"
      "  fn: {type: lambda, duration: 10ms, cold_start: 0ms}\n");
  const double n = metric(j, "services.bus.events");
  REQUIRE(n > 45000);
  REQUIRE(metric(j, "workloads.w.arrived") == n);
  const double to_q = metric(j, "services.q.sent");
  const double se = std::sqrt(n * 0.3 * 0.7);
  INFO(fmt::format("q got {} of {} (expected {:.0f}, se {:.1f})", to_q, n, 0.3 * n, se));
  REQUIRE(std::fabs(to_q - 0.3 * n) <= 5 * se);
  REQUIRE(metric(j, "services.bus.matched") == n + to_q);
  REQUIRE(metric(j, "services.bus.delivered") == n + to_q);
  REQUIRE(metric(j, "services.bus.retries") == 0);
  REQUIRE(metric(j, "services.bus.dropped") == 0);
  REQUIRE(metric(j, "services.bus.latency_ms.p50") == Approx(10).epsilon(0.005));
  REQUIRE(metric(j, "cost.by_service.bus") == Approx(n * 1.0e-6).epsilon(1e-9));
  REQUIRE(balanced(j));
}

TEST_CASE("eventbridge: exact counts with match 1 and a topic target", "[sinks]") {
  const Json j = run_scenario_text(
      "name: t\nduration: 100s\n"
      "workloads: [{name: w, target: bus, arrival: {process: constant, rate: 10/s}}]\n"
      "services:\n"
      "  bus: {type: eventbridge, latency: 0ms, rules: [{to: fn}, {to: topic}]}\n"
      "  topic: {type: sns, latency: 0ms, subscribers: [{to: fn}]}\n"
      "  fn: {type: lambda, duration: 1ms, cold_start: 0ms}\n");
  REQUIRE(metric(j, "services.bus.events") == 1000);
  REQUIRE(metric(j, "services.bus.matched") == 2000);
  REQUIRE(metric(j, "services.bus.delivered") == 2000);
  REQUIRE(metric(j, "services.topic.published") == 1000);
  REQUIRE(metric(j, "cost.by_service.bus") == Approx(1000 * 1.0e-6).epsilon(1e-12));
  REQUIRE(balanced(j));
}

TEST_CASE("eventbridge: a refused target is retried then the event goes to the DLQ", "[sinks]") {
  // One event a minute (60 s ... 1800 s); 3 retries after 1 s 2 s 4 s then the DLQ at +7 s.
  const Run r = run(
      "name: t\nduration: 1830s\n"
      "workloads: [{name: w, target: bus, arrival: {process: constant, rate: 1/min}}]\n"
      "services:\n"
      "  bus: {type: eventbridge, latency: 0ms, rules: [{to: target, max_retry_attempts: 3, dlq: dead}]}\n"
      "  target: {type: sqs, throttle: 1}\n"
      "  dead: {type: sqs}\n");
  const Json& j = r.result;
  REQUIRE(metric(j, "services.bus.events") == 30);
  REQUIRE(metric(j, "services.target.received") == 120);
  REQUIRE(metric(j, "services.bus.retries") == 90);
  REQUIRE(metric(j, "services.bus.to_dlq") == 30);
  REQUIRE(metric(j, "services.dead.received") == 30);
  REQUIRE(metric(j, "services.bus.delivered") == 0);
  const std::vector<SimTime>& t = r.service<TestQueue>("target").times;
  REQUIRE(t[0] == 60 * kSecond);
  REQUIRE(t[1] == 61 * kSecond);
  REQUIRE(t[2] == 63 * kSecond);
  REQUIRE(t[3] == 67 * kSecond);
  REQUIRE(r.service<TestQueue>("dead").times[0] == 67 * kSecond);
  REQUIRE(metric(j, "accounting.dead_lettered") == 30);
  REQUIRE(metric(j, "accounting.messages.dead_lettered") == 30);
  REQUIRE(balanced(j));
}

TEST_CASE("eventbridge: max_event_age stops the retries and the event is dropped", "[sinks]") {
  // Attempts at +0 1 3 7 15 31 s: the next (+63 s) would be older than 60 s.
  const Run r = run(
      "name: t\nduration: 1850s\n"
      "workloads: [{name: w, target: bus, arrival: {process: constant, rate: 1/min}}]\n"
      "services:\n"
      "  bus: {type: eventbridge, latency: 0ms, rules: [{to: target, max_event_age: 60s}]}\n"
      "  target: {type: sqs, throttle: 1}\n");
  const Json& j = r.result;
  REQUIRE(metric(j, "services.target.received") == 180);
  REQUIRE(metric(j, "services.bus.retries") == 150);
  REQUIRE(metric(j, "services.bus.dropped") == 30);
  REQUIRE(metric(j, "accounting.dropped") == 30);
  REQUIRE(balanced(j));
}

TEST_CASE("eventbridge: the backoff doubles from 1 s and is capped at 5 min", "[sinks]") {
  const Run r = run(
      "name: t\nduration: 5400s\n"
      "workloads: [{name: w, target: bus, arrival: {process: constant, rate: 1/h}}]\n"
      "services:\n"
      "  bus: {type: eventbridge, latency: 0ms, rules: [{to: target, max_retry_attempts: 12}]}\n"
      "  target: {type: sqs, throttle: 1}\n");
  const std::vector<SimTime>& t = r.service<TestQueue>("target").times;
  REQUIRE(t.size() == 13);
  const std::vector<double> gaps{1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300};
  for (std::size_t k = 0; k < gaps.size(); ++k) REQUIRE(t[k + 1] - t[k] == static_cast<SimTime>(gaps[k]) * kSecond);
  REQUIRE(metric(r.result, "services.bus.dropped") == 1);
  REQUIRE(balanced(r.result));
}

TEST_CASE("firehose: delivers by size and the bucket stores the bytes put", "[sinks]") {
  // 100 KB records at 10/s: 11 records reach 1 MB; 1000 records make 90 deliveries of 11.
  const Json j = run_scenario_text(
      "name: t\nduration: 100s\n"
      "workloads: [{name: w, target: stream, payload: 100KB, arrival: {process: constant, rate: 10/s}}]\n"
      "services:\n"
      "  stream: {type: firehose, destination: bucket, buffer_size: 1MB}\n"
      "  bucket: {type: s3}\n");
  REQUIRE(metric(j, "services.stream.records") == 1000);
  REQUIRE(metric(j, "services.stream.bytes") == 1000 * 102400.0);
  REQUIRE(metric(j, "services.stream.deliveries") == 90);
  REQUIRE(metric(j, "services.stream.buffer.max") == 11 * 102400.0);
  REQUIRE(metric(j, "services.bucket.puts") == 90);  // one PUT per delivered object
  REQUIRE(metric(j, "services.bucket.stored_gb.max") * kGiB == Approx(990 * 102400.0).epsilon(1e-12));
  // Billed per record rounded up to 5 KB: 100 KB is 20 steps.
  REQUIRE(metric(j, "cost.by_service.stream") == Approx(1000 * 102400.0 / kGiB * 0.029).epsilon(1e-12));
  REQUIRE(metric(j, "accounting.messages.processed") == 990);
  REQUIRE(metric(j, "accounting.messages.in_flight") == 10);
  REQUIRE(balanced(j));
}

TEST_CASE("firehose: delivers by interval after the first buffered record", "[sinks]") {
  // 1 record a second from 1 s; each buffer opens at its first record and is
  // delivered 10.5 s later with 11 records: at 11.5 s 22.5 s ... 99.5 s.
  const Json j = run_scenario_text(
      "name: t\nduration: 100s\n"
      "workloads: [{name: w, target: stream, payload: 6KB, arrival: {process: constant, rate: 1/s}}]\n"
      "services:\n"
      "  stream: {type: firehose, destination: bucket, buffer_interval: 10500ms}\n"
      "  bucket: {type: s3}\n");
  REQUIRE(metric(j, "services.stream.records") == 100);
  REQUIRE(metric(j, "services.stream.deliveries") == 9);
  REQUIRE(metric(j, "services.bucket.puts") == 9);  // one PUT per delivered object
  REQUIRE(metric(j, "services.bucket.stored_gb.max") * kGiB == Approx(99 * 6144.0).epsilon(1e-12));
  // 6 KB rounds up to 10 KB.
  REQUIRE(metric(j, "cost.by_service.stream") == Approx(100 * 10240.0 / kGiB * 0.029).epsilon(1e-12));
  REQUIRE(balanced(j));
}

TEST_CASE("firehose: a zero interval delivers every record at once", "[sinks]") {
  const Json j = run_scenario_text(
      "name: t\nduration: 100s\n"
      "workloads: [{name: w, target: stream, arrival: {process: constant, rate: 10/s}}]\n"
      "services:\n"
      "  stream: {type: firehose, destination: bucket, buffer_interval: 0s}\n"
      "  bucket: {type: s3, latency: {put: 0ms}}\n");
  REQUIRE(metric(j, "services.stream.deliveries") == 1000);
  REQUIRE(metric(j, "services.bucket.puts") == 1000);
  REQUIRE(metric(j, "accounting.succeeded") == 1000);
  REQUIRE(balanced(j));
}

TEST_CASE("ses: sends are answered after the latency and billed per message", "[sinks]") {
  const Json j = run_scenario_text(
      "name: t\nduration: 100s\n"
      "workloads: [{name: w, target: mail, arrival: {process: constant, rate: 10/s}}]\n"
      "services:\n  mail: {type: ses}\n");
  REQUIRE(metric(j, "services.mail.sent") == 1000);
  REQUIRE(metric(j, "services.mail.errors") == 0);
  REQUIRE(metric(j, "workloads.w.latency_ms.max") == Approx(50).epsilon(0.005));
  REQUIRE(metric(j, "cost.by_service.mail") == Approx(0.1).epsilon(1e-12));
  // The send at 100 s is answered after the end of the run.
  REQUIRE(metric(j, "accounting.succeeded") == 999);
  REQUIRE(metric(j, "accounting.in_flight") == 1);
  REQUIRE(balanced(j));
}

TEST_CASE("ses: errors fail the sends and are not billed", "[sinks]") {
  const Json j = run_scenario_text(
      "name: t\nduration: 1000s\nseed: 2\n"
      "workloads: [{name: w, target: mail, arrival: {process: constant, rate: 10/s}}]\n"
      "services:\n  mail: {type: ses, errors: 0.2}\n");
  const double sent = metric(j, "services.mail.sent"), errors = metric(j, "services.mail.errors");
  REQUIRE(sent + errors == 10000);
  REQUIRE(std::fabs(errors - 2000) <= 5 * std::sqrt(10000 * 0.2 * 0.8));
  REQUIRE(metric(j, "cost.by_service.mail") == Approx(sent * 1.0e-4).epsilon(1e-12));
  REQUIRE(metric(j, "accounting.failed") == errors);
  REQUIRE(balanced(j));
}
