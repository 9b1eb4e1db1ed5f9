// The human table, pinned by a golden text (the engine's wall-clock line
// aside): the verdict first, aligned columns with long names, optional fates
// only when they occur, cost lines with a word of why for estimates.
#include <string>

#include <catch2/catch.hpp>

#include "sim/analysis/replications.hpp"
#include "support.hpp"

using namespace slsim;
using namespace slsim::testing;

namespace {

const char* kScenario = R"(name: table-golden
duration: 100s
seed: 1
workloads:
  - {name: a-rather-long-workload-name, target: api, arrival: {process: constant, rate: 4/s}}
  - {name: jobs, target: queue, op: send, arrival: {process: constant, rate: 1/s}}
services:
  api: {type: apigateway, latency: 10ms, integration: fn}
  fn: {type: lambda, memory: 1024MB, duration: 400ms, cold_start: 100ms, reserved_concurrency: 1}
  queue: {type: sqs, visibility_timeout: 30s, max_receive_count: 2, dlq: dead, consumer: {function: worker, batch_size: 1}}
  dead: {type: sqs}
  worker: {type: lambda, duration: 50ms, cold_start: 0ms, errors: 0.5}
)";

std::string table_of(const std::string& yaml, unsigned replications = 1) {
  LoadOptions o;
  if (replications > 1) o.overrides.push_back("replications=" + std::to_string(replications));
  const Scenario sc = load_scenario_text(yaml, "test.yaml", builtin_services(), o);
  ReplicationOptions options;
  options.threads = 1;
  Json r = run_replications(sc, options);
  evaluate_expectations(sc, r);
  std::string text = format_table(sc, r);
  return text.substr(0, text.find("\nengine: "));  // the wall-clock line varies
}

}  // namespace

TEST_CASE("table: the golden table of a small architecture", "[table]") {
  const std::string expected = R"(slsim 0.1.0 | table-golden | seed 1 | 100s measured

requests                     arrived  succeeded  failed  throttled  dead-lettered  in flight  completion p50 ms  p99 ms
a-rather-long-workload-name      400        199       0        199              0          2                410     410
jobs                             100         66       0          0              7         27                 50  30,050
  (end to end: a request ends when its answer is in and all its messages have ended;
   completion runs from arrival to the end of its last message, over requests that succeeded)

answers                       ok  p50 ms  p90 ms  p99 ms  p99.9 ms  max ms  failed  failed p99 ms
a-rather-long-workload-name  199     410     410     410       510     510     199             10
jobs                         100       0       0       0         0       0       0              -
  (as the caller saw the first service's answer: latency of the ok answers; failed = errors, timeouts, throttles)

accounting: 500 arrived = 265 succeeded + 199 throttled + 7 dead-lettered + 29 in flight: balanced
messages: 100 sent = 66 processed + 7 dead-lettered + 27 in flight

cost: $0.002946 for the 100s window, $76.37 for 30 days
  30 days = the 100s window repeated x25920 (steady traffic); capacity billed by the hour scales with time
  service  item              quantity  unit               usd  note
  api      requests               400  requests     $0.001400
  fn       requests               200  requests   $0.00004000
  fn       duration             79.94  GB-s         $0.001332
  queue    send requests          100  requests   $0.00004000
  queue    receive requests       139  requests   $0.00005560
  queue    empty receives       24.66  requests  $0.000009863  estimated: the pollers' idle time over the 20 s long poll (a fraction of a request on average)
  queue    delete requests         66  requests   $0.00002640
  worker   requests               139  requests   $0.00002780
  worker   duration            0.8562  GB-s       $0.00001427

services
  api (apigateway)  requests 400 | backend_throttles 199 | latency_ms p50 410 p99 410
                    latency_failed_ms p50 10 p99 10
  fn (lambda)       invocations 200 | cold_starts 1 | throttles 199 | concurrency.max 1
                    concurrency.mean 0.7994 | duration_ms p50 400 p99 400 | billed_gb_s 79.94
  queue (sqs)       sent 100 | received 139 | deleted 66 | returned 71 | to_dlq 7 | depth.max 30
                    depth.final 27 | age_ms p50 50 p99 30,050 | oldest_age_ms 60,000
  dead (sqs)        sent 7 | depth.max 7 | depth.final 7 | oldest_age_ms 36,000
  worker (lambda)   invocations 139 | cold_starts 2 | errors 71 | concurrency.max 2 | concurrency.mean 0.06850
                    duration_ms p50 50 p99 50 | billed_gb_s 0.8562
)";
  REQUIRE(table_of(kScenario) == expected);
}

TEST_CASE("table: with replications every mean carries its half-width", "[table]") {
  const std::string t = table_of(kScenario, 4);
  REQUIRE(t.find("means over 4 replications, ±95% confidence half-widths") != std::string::npos);
  REQUIRE(t.find("for the 100s window, $") != std::string::npos);
  REQUIRE(t.find(" ±") != std::string::npos);
  // Order: how requests ended, their latency, accounting, cost, services.
  const auto requests = t.find("\nrequests "), answers = t.find("\nanswers "), accounting = t.find("\naccounting: "),
             cost = t.find("\ncost: "), services = t.find("\nservices\n");
  REQUIRE(requests < answers);
  REQUIRE(answers < accounting);
  REQUIRE(accounting < cost);
  REQUIRE(cost < services);
}
