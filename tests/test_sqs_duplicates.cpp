// SQS workers that outlast the visibility timeout: the message is received
// again while still being processed, and each extra processing is a
// duplicate. Deterministic job times give exact counts: a message received at
// t0 by an idle pool is received again at t0 + V, t0 + 2V, ... while the first
// processing (done at t0 + T) has not deleted it, so ceil(T / V) receives
// (T not a multiple of V) and ceil(T / V) - 1 duplicates.
#include <cmath>
#include <string>

#include <catch2/catch.hpp>

#include "checks.hpp"
#include "support.hpp"

using namespace slsim;
using namespace slsim::testing;

namespace {

// `count` messages at 1 s, a pool with a slot for every receive, one job per
// message taking `job` seconds, `batch` messages per receive (a batching
// window lets a batch fill up from the burst).
std::string scenario(int count, const std::string& job, const std::string& visibility, int batch,
                     const std::string& redrive = "") {
  return "name: t\nduration: 10min\nseed: 3\n"
         "workloads:\n"
         "  - {name: w, target: q, op: send, arrival: {process: burst, at: 1s, count: " +
         std::to_string(count) +
         ", over: 0s}}\n"
         "services:\n"
         "  q:\n"
         "    type: sqs\n"
         "    visibility_timeout: " +
         visibility + "\n" + redrive + "    consumer: {workers: pool, batch_size: " + std::to_string(batch) +
         (batch > 1 ? ", batch_window: 1s" : "") + "}\n"
         "  dead: {type: sqs}\n"
         "  pool: {type: fargate, tasks: 1, concurrency_per_task: 1000, duration: " +
         job + "}\n";
}

}  // namespace

TEST_CASE("sqs workers: a job longer than the visibility timeout is received ceil(T/V) times", "[sqs][fargate][duplicates]") {
  // T = 25 s, V = 10 s: receives at 1, 11 and 21 s; the first delete at 26 s.
  const Json r = run_scenario_text(scenario(100, "25s", "10s", 1));
  REQUIRE(balanced(r));
  const double receives = std::ceil(25.0 / 10.0);
  CHECK(required_metric(r, "services.q.received") == 100 * receives);
  CHECK(required_metric(r, "services.q.deleted") == 100);
  CHECK(required_metric(r, "services.q.visibility_lapsed") == 100 * (receives - 1));
  CHECK(required_metric(r, "services.q.duplicates") == 100 * (receives - 1));
  CHECK(required_metric(r, "services.q.duplicated_messages") == 100);
  CHECK(required_metric(r, "services.q.returned") == 0);
  // Every processing runs to its end: the workers do (and bill) ceil(T/V) jobs per message.
  CHECK(required_metric(r, "services.pool.completed") == 100 * receives);
  // The message ends once, when the first processing deletes it: 25 s after its send.
  CHECK(required_metric(r, "services.q.age_ms.max") == Approx(25000).margin(1));
  CHECK(required_metric(r, "workloads.w.end_to_end.succeeded") == 100);
}

TEST_CASE("sqs workers: a visibility timeout at least the job time gives no duplicate", "[sqs][fargate][duplicates]") {
  const Json r = run_scenario_text(scenario(100, "25s", "30s", 1));
  REQUIRE(balanced(r));
  CHECK(required_metric(r, "services.q.received") == 100);
  CHECK(required_metric(r, "services.q.deleted") == 100);
  CHECK(required_metric(r, "services.q.visibility_lapsed") == 0);
  CHECK(required_metric(r, "services.q.duplicates") == 0);
  CHECK(required_metric(r, "services.q.duplicated_messages") == 0);
  CHECK(required_metric(r, "services.pool.completed") == 100);
}

TEST_CASE("sqs workers: a batch is processed one message after the other and lapses as a whole", "[sqs][fargate][duplicates]") {
  // 20 messages in 4 batches of 5 at 1 s; a batch takes 5 x 3 s = 15 s > V = 10 s:
  // every message is received again at 11 s, the first batches delete all at 16 s
  // and the second ones (done at 26 s) process each message a second time.
  const Json r = run_scenario_text(scenario(20, "3s", "10s", 5));
  REQUIRE(balanced(r));
  CHECK(required_metric(r, "services.q.received") == 40);
  CHECK(required_metric(r, "services.q.deleted") == 20);
  CHECK(required_metric(r, "services.q.duplicates") == 20);
  CHECK(required_metric(r, "services.q.duplicated_messages") == 20);
  CHECK(required_metric(r, "services.q.batches.invoked") == 8);
  // Two ReceiveMessage and two DeleteMessageBatch calls per message's batch of 5: 8 each.
  CHECK(required_metric(r, "services.q.requests.receive") == 8);
  CHECK(required_metric(r, "services.q.requests.delete") == 8);
}

TEST_CASE("sqs workers: maxReceiveCount counts the lapsed receives, so long jobs go to the DLQ", "[sqs][fargate][duplicates]") {
  // T = 25 s, V = 10 s, maxReceiveCount 2: receives at 1 and 11 s; at 21 s the
  // second receive lapses with 2 receives: the message moves to the DLQ although
  // its first processing succeeds at 26 s (late) and its second at 36 s (a duplicate).
  const Json r = run_scenario_text(scenario(100, "25s", "10s", 1, "    max_receive_count: 2\n    dlq: dead\n"));
  REQUIRE(balanced(r));
  CHECK(required_metric(r, "services.q.received") == 200);
  CHECK(required_metric(r, "services.q.to_dlq") == 100);
  CHECK(required_metric(r, "services.q.deleted") == 0);
  CHECK(required_metric(r, "services.q.duplicates") == 100);
  CHECK(required_metric(r, "services.pool.completed") == 200);
  CHECK(required_metric(r, "workloads.w.end_to_end.dead_lettered") == 100);
}

TEST_CASE("sqs: only a worker consumer reports duplicates", "[sqs][duplicates]") {
  const Json r = run_scenario_text(R"(
name: t
duration: 1min
workloads:
  - {name: w, target: q, op: send, arrival: {process: burst, at: 1s, count: 10, over: 0s}}
services:
  q: {type: sqs, visibility_timeout: 30s, consumer: {function: fn, batch_size: 1}}
  fn: {type: lambda, duration: 100ms, timeout: 10s}
)");
  REQUIRE(balanced(r));
  CHECK(r.find_path("services.q.duplicates") == nullptr);
  CHECK(required_metric(r, "services.q.deleted") == 10);
}

TEST_CASE("sqs workers: with stale_delete ignored, a job longer than the timeout is never deleted", "[sqs][fargate][duplicates]") {
  // T = 25 s, V = 10 s: every processing ends after the next receive, so its
  // delete uses a stale handle and deletes nothing; receives at 1, 11, ..., 41 s,
  // and the fifth lapses at 51 s with 5 receives: the DLQ. All 5 processings finish.
  std::string yaml = scenario(100, "25s", "10s", 1, "    max_receive_count: 5\n    dlq: dead\n");
  const std::string from = "batch_size: 1}";
  yaml.replace(yaml.find(from), from.size(), "batch_size: 1, stale_delete: ignored}");
  const Json r = run_scenario_text(yaml);
  REQUIRE(balanced(r));
  CHECK(required_metric(r, "services.q.received") == 500);
  CHECK(required_metric(r, "services.q.deleted") == 0);
  CHECK(required_metric(r, "services.q.to_dlq") == 100);
  CHECK(required_metric(r, "services.q.duplicates") == 400);
  CHECK(required_metric(r, "services.q.duplicated_messages") == 100);
  CHECK(required_metric(r, "services.pool.completed") == 500);
}
