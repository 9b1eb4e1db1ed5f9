// SQS: redrive against its closed form, retention, FIFO order per message
// group, the event source mapping's scaling rate, load-time checks, and cost.
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>

#include <catch2/catch.hpp>

#include "models/sqs/sqs.hpp"
#include "support.hpp"

using namespace slsim;
using namespace slsim::testing;

namespace {

// A run whose queue `observed` reports its deletions, in order.
struct ObservedRun {
  Json result;
  std::vector<models::SqsDeletion> deletions;
};

ObservedRun run_observed(const std::string& yaml, const std::string& observed, std::uint64_t replication = 0) {
  const Scenario sc = load_scenario_text(yaml, "test.yaml", builtin_services());
  BuiltModel m = build_model(sc, replication);
  ObservedRun out;
  models::sqs_observe_deletions(*m.services.at(sc.service_index(observed)), &out.deletions);
  m.sim->run();
  out.result = collect_result(sc, m, 0.0);
  return out;
}


}  // namespace

TEST_CASE("sqs: dead-lettered fraction is p^k for a consumer failing with probability p", "[sqs]") {
  // batch_size 1: every receive is one invocation that fails with probability p,
  // independently; a message is dead-lettered iff its k receives all fail.
  // Arrivals stop at 1000 s so every message has ended by the end of the run.
  for (const auto& [p, k] : std::vector<std::pair<double, int>>{{0.5, 3}, {0.3, 2}}) {
    const ObservedRun run = run_observed(
        fmt::format("name: redrive\nduration: 1200s\nseed: 11\n"
                    "workloads: [{{name: w, target: jobs, arrival: {{process: poisson, "
                    "schedule: [{{at: 0s, rate: 20/s}}, {{at: 1000s, rate: 0/s}}]}}}}]\n"
                    "services:\n"
                    "  jobs: {{type: sqs, visibility_timeout: 6s, max_receive_count: {}, dlq: dead, "
                    "consumer: {{function: worker, batch_size: 1}}}}\n"
                    "  dead: {{type: sqs, retention: 14d}}\n"
                    "  worker: {{type: lambda, duration: 100ms, cold_start: 0ms, timeout: 1s, errors: {}}}\n",
                    k, p),
        "jobs");
    const Json& r = run.result;
    const double sent = metric(r, "services.jobs.sent");
    const double dead = metric(r, "services.jobs.to_dlq");
    const double expected = std::pow(p, k);
    const double se = std::sqrt(expected * (1 - expected) / sent);
    INFO(fmt::format("p={} k={}: p^k={:.5f}, simulated {:.5f} (se {:.5f}) over {} messages", p, k, expected,
                     dead / sent, se, sent));
    REQUIRE(sent > 15000);
    REQUIRE(std::fabs(dead / sent - expected) < 5 * se);
    // Nothing lost: every message was deleted or moved, and the DLQ took every move.
    REQUIRE(balanced(r));
    REQUIRE(metric(r, "services.jobs.deleted") + dead == sent);
    REQUIRE(metric(r, "services.jobs.depth.final") == 0);
    REQUIRE(metric(r, "services.dead.sent") == dead);
    REQUIRE(metric(r, "services.dead.redriven_in") == dead);
    REQUIRE(metric(r, "accounting.messages.dead_lettered") == dead);
    REQUIRE(metric(r, "accounting.messages.processed") == metric(r, "services.jobs.deleted"));
    // A message that reaches the DLQ ends its branch there: what waits in the DLQ
    // is its depth, not work in flight; its request ends dead-lettered.
    REQUIRE(metric(r, "accounting.messages.in_flight") == 0);
    REQUIRE(metric(r, "accounting.in_flight") == 0);
    REQUIRE(metric(r, "accounting.dead_lettered") == dead);
    REQUIRE(metric(r, "workloads.w.end_to_end.dead_lettered") == dead);
    REQUIRE(metric(r, "services.dead.depth.final") == dead);
    // Every receive is accounted for: the deleted messages' receives plus k per dead-lettered one.
    double receives = 0;
    for (const auto& d : run.deletions) {
      REQUIRE(d.receives >= 1);
      REQUIRE(d.receives <= static_cast<std::uint32_t>(k));
      receives += d.receives;
    }
    REQUIRE(static_cast<double>(run.deletions.size()) == metric(r, "services.jobs.deleted"));
    REQUIRE(metric(r, "services.jobs.received") == receives + k * dead);
    REQUIRE(metric(r, "services.worker.invocations") == metric(r, "services.jobs.received"));
    REQUIRE(metric(r, "services.worker.errors") == metric(r, "services.jobs.returned"));
  }
}

TEST_CASE("sqs: messages nobody consumes expire exactly at their retention", "[sqs]") {
  // Constant 10/s: message n is sent at n x 100 ms, n = 1..6000 (the last at the end, 600 s).
  // Retention 60 s: exactly the 5400 sent at or before 540 s expire; 600 remain.
  const std::string base =
      "name: retention\nduration: 600s\nseed: 1\n"
      "workloads: [{name: w, target: jobs, arrival: {process: constant, rate: 10/s}}]\n"
      "services:\n";
  for (const std::string& services : {
           std::string("  jobs: {type: sqs, retention: 60s}\n"),
           // A consumer whose function may not run (reserved concurrency 0) never polls.
           std::string("  jobs: {type: sqs, retention: 60s, visibility_timeout: 10s, consumer: {function: fn}}\n"
                       "  fn: {type: lambda, duration: 10ms, reserved_concurrency: 0}\n")}) {
    const Json r = run_scenario_text(base + services);
    REQUIRE(metric(r, "services.jobs.sent") == 6000);
    REQUIRE(metric(r, "services.jobs.expired") == 5400);
    REQUIRE(metric(r, "services.jobs.received") == 0);
    REQUIRE(metric(r, "services.jobs.deleted") == 0);
    REQUIRE(metric(r, "services.jobs.depth.final") == 600);
    REQUIRE(metric(r, "services.jobs.depth.max") >= 600);
    REQUIRE(metric(r, "services.jobs.depth.max") <= 601);  // an arrival and an expiry share a time
    REQUIRE(metric(r, "services.jobs.oldest_age_ms") == 60000.0);
    REQUIRE(metric(r, "accounting.messages.expired") == 5400);
    REQUIRE(metric(r, "accounting.messages.in_flight") == 600);
    REQUIRE(metric(r, "accounting.expired") == 5400);
    REQUIRE(balanced(r));
  }
}

TEST_CASE("sqs: a message in flight at its retention expires when it would become visible again", "[sqs]") {
  // Five messages at 1..5 s, each received at once and failing after 61 s: their
  // retention (60 s) passes while they are processed, so they expire at the end
  // of their visibility timeout, receive + 900 s = 901..905 s; by 903.5 s, three.
  const Json r = run_scenario_text(
      "name: inflight-expiry\nduration: 903500ms\nseed: 1\n"
      "workloads: [{name: w, target: jobs, arrival: {process: burst, at: 1s, count: 5, over: 5s}}]\n"
      "services:\n"
      "  jobs: {type: sqs, retention: 60s, visibility_timeout: 900s, consumer: {function: fn, batch_size: 1}}\n"
      "  fn: {type: lambda, duration: 61s, cold_start: 0ms, timeout: 900s, errors: 1}\n");
  REQUIRE(metric(r, "services.jobs.received") == 5);
  REQUIRE(metric(r, "services.jobs.returned") == 5);
  REQUIRE(metric(r, "services.jobs.expired") == 3);
  REQUIRE(metric(r, "services.jobs.depth.final") == 2);
  REQUIRE(balanced(r));
}

TEST_CASE("sqs: FIFO delivers every message group in order through errors and retries", "[sqs][fifo]") {
  // Keys select the group (key mod 8) in the first run, round robin in the second.
  // A failed batch blocks its group until its messages are visible again, so the
  // deletions of each group follow the send order (request ids grow with it),
  // with dead-lettered messages skipped.
  // The third run reports batch item failures: only the failed tail of a batch returns.
  for (const auto& [keys, partial] : std::vector<std::pair<std::string, std::string>>{
           {", keys: {count: 1000}", "false"}, {"", "false"}, {", keys: {count: 1000}", "true"}}) {
    const ObservedRun run = run_observed(
        "name: fifo-order\nduration: 1200s\nseed: 5\n"
        "workloads: [{name: w, target: jobs, arrival: {process: poisson, "
        "schedule: [{at: 0s, rate: 8/s}, {at: 600s, rate: 0/s}]}" + keys + "}]\n"
        "services:\n"
        "  jobs: {type: sqs, fifo: true, groups: 8, visibility_timeout: 3s, max_receive_count: 3, dlq: dead, "
        "consumer: {function: worker, batch_size: 5, report_batch_item_failures: " + partial + "}}\n"
        "  dead: {type: sqs, fifo: true}\n"
        "  worker: {type: lambda, duration: 20ms, cold_start: 0ms, timeout: 1s, errors: 0.1}\n",
        "jobs");
    INFO("keys '" << keys << "', report_batch_item_failures " << partial);
    const Json& r = run.result;
    REQUIRE(balanced(r));
    REQUIRE(metric(r, "services.jobs.throttles") == 0);
    REQUIRE(metric(r, "services.jobs.returned") > 500);  // many retries happened
    if (partial == "true") REQUIRE(metric(r, "services.jobs.batches.partial") > 0);
    if (partial == "false") REQUIRE(metric(r, "services.jobs.to_dlq") > 0);
    REQUIRE(metric(r, "services.jobs.deleted") + metric(r, "services.jobs.to_dlq") == metric(r, "services.jobs.sent"));
    REQUIRE(static_cast<double>(run.deletions.size()) == metric(r, "services.jobs.deleted"));
    // One batch per group at most: concurrency never exceeds the number of groups.
    REQUIRE(metric(r, "services.jobs.pollers.max") <= 8);
    std::map<std::uint32_t, std::uint64_t> last;
    std::size_t out_of_order = 0;
    for (const auto& d : run.deletions) {
      REQUIRE(d.group < 8);
      auto it = last.find(d.group);
      if (it != last.end() && d.request_id <= it->second) ++out_of_order;
      last[d.group] = d.request_id;
    }
    REQUIRE(last.size() == 8);
    REQUIRE(out_of_order == 0);
  }
}

TEST_CASE("sqs: pollers start at 5 and add at most 300 per minute up to the cap", "[sqs][scaling]") {
  // A backlog of 100,000 messages, 10 s per message: the mapping scales all the time.
  const auto scenario = [](int seconds, const std::string& extra, const std::string& worker_extra = "") {
    return fmt::format(
        "name: esm-scaling\nduration: {}s\nseed: 2\n"
        "workloads: [{{name: w, target: jobs, arrival: {{process: burst, at: 0s, count: 100000, over: 1s}}}}]\n"
        "services:\n"
        "  jobs: {{type: sqs, visibility_timeout: 90s, consumer: {{function: worker, batch_size: 1{}}}}}\n"
        "  worker: {{type: lambda, duration: 10s, cold_start: 0ms, timeout: 15s{}}}\n",
        seconds, extra, worker_extra);
  };
  for (const int seconds : {60, 120}) {
    const Json r = run_scenario_text(scenario(seconds, ""));
    const double allowed = 5 + 300.0 * seconds / 60.0;
    INFO("t = " << seconds << " s");
    REQUIRE(metric(r, "services.jobs.pollers.max") <= allowed + 1);
    REQUIRE(metric(r, "services.jobs.pollers.max") >= allowed - 5);
    REQUIRE(metric(r, "services.worker.throttles") == 0);
    REQUIRE(balanced(r));
  }
  // max_concurrency caps it; so does the function's reserved concurrency.
  const Json capped = run_scenario_text(scenario(120, ", max_concurrency: 200"));
  REQUIRE(metric(capped, "services.jobs.pollers.max") == 200);
  REQUIRE(metric(capped, "services.jobs.pollers.limit_max") == 200);
  const Json reserved = run_scenario_text(scenario(120, "", ", reserved_concurrency: 150"));
  REQUIRE(metric(reserved, "services.jobs.pollers.max") == 150);
  REQUIRE(metric(reserved, "services.worker.throttles") == 0);
}

TEST_CASE("sqs: a visibility timeout shorter than the function timeout is a load error", "[sqs][loader]") {
  const std::string head =
      "name: t\nduration: 60s\n"
      "workloads: [{name: w, target: jobs, arrival: {process: constant, rate: 1/s}}]\n"
      "services:\n";
  REQUIRE(load_error(head +
                     "  jobs: {type: sqs, visibility_timeout: 10s, consumer: {function: fn}}\n"
                     "  fn: {type: lambda, duration: 1s, timeout: 30s}\n") ==
          "t.yaml:5:41: error: services.jobs.visibility_timeout: the visibility timeout (10s) is shorter than the "
          "timeout of the consumer 'fn' (30s): Lambda refuses to create the event source mapping\n"
          "    hint: set visibility_timeout to at least 6x the function timeout (3min)\n");
  // Shorter than 6x: a warning (here the default 30 s against 10 s).
  const Scenario sc = load_scenario_text(head +
                                             "  jobs: {type: sqs, consumer: {function: fn}}\n"
                                             "  fn: {type: lambda, duration: 100ms, timeout: 10s}\n",
                                         "t.yaml", builtin_services());
  REQUIRE(sc.warnings.str() ==
          "t.yaml:5:31: warning: services.jobs.visibility_timeout: the visibility timeout (30s) is less than 6x the "
          "timeout of the consumer 'fn' (10s): retries after throttling may not fit\n"
          "    hint: AWS recommends at least 1min\n");
  // At 6x exactly: nothing to say.
  REQUIRE(load_scenario_text(head +
                                 "  jobs: {type: sqs, visibility_timeout: 60s, consumer: {function: fn}}\n"
                                 "  fn: {type: lambda, duration: 100ms, timeout: 10s}\n",
                             "t.yaml", builtin_services())
              .warnings.str()
              .empty());
}

TEST_CASE("sqs: redrive policy FIFO limits and batching windows are checked at load time", "[sqs][loader]") {
  const std::string head =
      "name: t\nduration: 60s\n"
      "workloads: [{name: w, target: jobs, arrival: {process: constant, rate: 1/s}}]\n"
      "services:\n";
  REQUIRE(load_error(head +
                     "  jobs: {type: sqs, dlq: dead, groups: 4, consumer: {function: fn, batch_size: 100}}\n"
                     "  dead: {type: sqs, fifo: true}\n"
                     "  fn: {type: lambda, duration: 10ms}\n") ==
          "t.yaml:5:26: error: services.jobs.dlq: a dead-letter queue needs 'max_receive_count' (receives before a "
          "message moves)\n"
          "    hint: a redrive policy sets both, e.g. 'max_receive_count: 3'\n"
          "t.yaml:5:26: error: services.jobs.dlq: 'dead' is a FIFO queue, but the dead-letter queue of a standard queue "
          "must be standard too\n"
          "t.yaml:5:40: error: services.jobs.groups: 'groups' applies to FIFO queues only (message groups)\n"
          "    hint: set 'fifo: true', or remove 'groups'\n"
          "t.yaml:5:80: error: services.jobs.consumer.batch_window: a batch size above 10 (100) needs a batch_window "
          "of at least 1s, found 0s\n");
  REQUIRE(load_error(head +
                     "  jobs: {type: sqs, fifo: true, max_receive_count: 3, consumer: {function: fn, batch_size: 20, "
                     "batch_window: 2s}}\n"
                     "  fn: {type: lambda, duration: 10ms}\n") ==
          "t.yaml:5:52: error: services.jobs.max_receive_count: 'max_receive_count' needs a 'dlq' (the queue that "
          "receives the messages)\n"
          "    hint: without a dead-letter queue a failing message is retried until its retention ends\n"
          "t.yaml:5:92: error: services.jobs.consumer.batch_size: a FIFO queue's batch size is at most 10, found 20\n"
          "t.yaml:5:110: error: services.jobs.consumer.batch_window: a batching window is not supported for FIFO "
          "queues\n");
}

TEST_CASE("sqs: cost of a deterministic run is exact", "[sqs][cost]") {
  // Constant 10/s for 1000 s (messages at 0.1 s .. 1000 s), payload 100 KB = 2 chunks per send.
  // Each message is received at once by one of the 5 pollers and its 50 ms batch succeeds.
  // Requests: 10000 sends x 2 + 10000 receives + 9999 deletes (the last batch ends after
  // the run) + empty receives: idle pollers x time / 20 s, the idle poller-seconds being
  // 5 x 1000 - 9999 x 0.05.
  const auto run = [](bool fifo, bool free_tier) {
    return run_scenario_text(fmt::format(
        "name: sqs-cost\nduration: 1000s\nseed: 1\naccount: {{free_tier: {}}}\n"
        "workloads: [{{name: w, target: jobs, payload: 100KB, arrival: {{process: constant, rate: 10/s}}}}]\n"
        "services:\n"
        "  jobs: {{type: sqs, fifo: {}, consumer: {{function: fn, batch_size: 1}}}}\n"
        "  fn: {{type: lambda, duration: 50ms, cold_start: 0ms}}\n",
        free_tier, fifo));
  };
  const double empty = (5 * 1000.0 - 9999 * 0.05) / 20.0;
  const double requests = 20000 + 10000 + 9999 + empty;
  const double month = 1000.0 / (30 * 86400.0);
  for (const bool fifo : {false, true}) {
    for (const bool free_tier : {false, true}) {
      INFO("fifo " << fifo << ", free tier " << free_tier);
      const Json r = run(fifo, free_tier);
      REQUIRE(metric(r, "services.jobs.requests.send") == 20000);
      REQUIRE(metric(r, "services.jobs.requests.receive") == 10000);
      REQUIRE(metric(r, "services.jobs.requests.delete") == 9999);
      REQUIRE(metric(r, "services.jobs.requests.empty_receive") == Approx(empty).epsilon(1e-12));
      const double price = fifo ? 5.0e-7 : 4.0e-7;
      const double billed = free_tier ? requests - 1e6 * month : requests;
      REQUIRE(metric(r, "cost.by_service.jobs") == Approx(billed * price).epsilon(1e-12));
    }
  }
}
