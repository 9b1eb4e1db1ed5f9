// Load-time diagnostics beyond the schema: warnings for set-ups that cannot
// work (loops that carry messages, handlers that always time out), with the
// exact texts users see.
#include <string>

#include <catch2/catch.hpp>

#include "sim/scenario/scenario.hpp"
#include "sim/scenario/topology.hpp"

using namespace slsim;

namespace {

Scenario load(const std::string& text, const LoadOptions& options = {}) {
  return load_scenario_text(text, "t.yaml", builtin_services(), options);
}

// A bucket whose notifications invoke a function that calls the bucket with `op`.
std::string bucket_loop(const std::string& op) {
  return "name: t\nduration: 10s\n"                                                       // 1-2
         "workloads: [{name: uploads, target: photos, arrival: {process: constant, rate: 1/s}}]\n"  // 3
         "services:\n"                                                                    // 4
         "  photos:\n"                                                                    // 5
         "    type: s3\n"                                                                 // 6
         "    notifications: [{function: thumbnail}]\n"                                   // 7
         "  thumbnail:\n"                                                                 // 8
         "    type: lambda\n"                                                             // 9
         "    duration: 100ms\n"                                                          // 10
         "    calls: [{to: photos, op: " + op + "}]\n";                                  // 11
}

// A function with the given body (indented 4) behind a constant workload.
std::string function_with(const std::string& body, const std::string& more_services = "") {
  return "name: t\nduration: 10s\n"
         "workloads: [{name: w, target: fn, arrival: {process: constant, rate: 1/s}}]\n"
         "services:\n"
         "  fn:\n"
         "    type: lambda\n" +
         body + more_services;
}

}  // namespace

TEST_CASE("topology: a GET on a bucket does not close a loop through its notifications", "[diagnostics][topology]") {
  const Scenario sc = load(bucket_loop("get"));
  REQUIRE(sc.warnings.str().empty());
  REQUIRE(Topology(sc).cycles().empty());
}

TEST_CASE("topology: a PUT on a bucket that notifies the caller is a loop", "[diagnostics][topology]") {
  const Scenario sc = load(bucket_loop("put"));
  REQUIRE(sc.warnings.str() ==
          "t.yaml:6:5: warning: services: the services 'photos', 'thumbnail' form a cycle: requests may loop (photos "
          "-[notification: invoke_async]-> thumbnail -[calls: put]-> photos)\n");
}

TEST_CASE("topology: a queue whose consumer sends back to it is a loop", "[diagnostics][topology]") {
  const Scenario sc = load(
      "name: t\nduration: 10s\n"
      "workloads: [{name: w, target: jobs, arrival: {process: constant, rate: 1/s}}]\n"
      "services:\n"
      "  jobs: {type: sqs, consumer: {function: worker}}\n"
      "  worker: {type: lambda, duration: 10ms, calls: [{to: jobs}]}\n");
  REQUIRE(sc.warnings.str() ==
          "t.yaml:5:9: warning: services: the services 'jobs', 'worker' form a cycle: requests may loop (jobs "
          "-[consumer: invoke]-> worker -[calls: send]-> jobs)\n");
}

TEST_CASE("topology: on_failure is reached by asynchronous invocations only", "[diagnostics][topology]") {
  // a calls b synchronously; b's on_failure goes back to a. A synchronous call's
  // failure returns to the caller, so no message goes round.
  const std::string text =
      "name: t\nduration: 10s\n"
      "workloads: [{name: w, target: a, arrival: {process: constant, rate: 1/s}}]\n"
      "services:\n"
      "  a: {type: lambda, duration: 10ms, calls: [{to: b, op: OP}]}\n"
      "  b: {type: lambda, duration: 10ms, async: {on_failure: a}}\n";
  std::string sync = text;
  sync.replace(sync.find("OP"), 2, "invoke");
  REQUIRE(load(sync).warnings.str().empty());
  std::string async = text;
  async.replace(async.find("OP"), 2, "invoke_async");
  REQUIRE(load(async).warnings.str() ==
          "t.yaml:5:6: warning: services: the services 'a', 'b' form a cycle: requests may loop (a -[calls: "
          "invoke_async]-> b -[on_failure: invoke_async]-> a)\n");
}

TEST_CASE("topology: every edge carries the operation it sends", "[diagnostics][topology]") {
  const Scenario sc = load(bucket_loop("get"));
  REQUIRE(sc.edges.size() == 3);
  REQUIRE(sc.edges[0].label == "notification");
  REQUIRE(sc.edges[0].op == "invoke_async");
  REQUIRE(sc.edges[1].label == "calls");
  REQUIRE(sc.edges[1].op == "get");
  REQUIRE(sc.edges[2].label == "workload");
  REQUIRE(sc.edges[2].op == "put");
  const std::string dot = Topology(sc).dot("t");
  REQUIRE(dot.find("\"thumbnail\" -> \"photos\" [label=\"calls: get\"];") != std::string::npos);
  REQUIRE(dot.find("\"workload:uploads\" -> \"photos\" [label=\"workload: put\"];") != std::string::npos);
}

TEST_CASE("topology: each declared edge operation exists on its target", "[diagnostics][topology]") {
  // The ops the declarations put on edges must be operations the targets accept.
  const Scenario sc = load(
      "name: t\nduration: 10s\n"
      "workloads: [{name: w, target: api, arrival: {process: constant, rate: 1/s}}]\n"
      "services:\n"
      "  api: {type: apigateway, integration: fn}\n"
      "  fn: {type: lambda, duration: 10ms, calls: [{to: topic}, {to: bus}, {to: stream}, {to: hose}, {to: mail}],\n"
      "       async: {on_failure: failed}}\n"
      "  topic: {type: sns, subscribers: [{to: queue, dlq: failed}, {to: sink}]}\n"
      "  queue: {type: sqs, dlq: failed, max_receive_count: 2, consumer: {function: sink}}\n"
      "  failed: {type: sqs}\n"
      "  bus: {type: eventbridge, rules: [{to: sink, dlq: failed}, {to: topic}]}\n"
      "  stream: {type: kinesis, consumer: {function: sink, on_failure: topic}}\n"
      "  hose: {type: firehose, destination: bucket}\n"
      "  bucket: {type: s3, notifications: [{function: sink}]}\n"
      "  mail: {type: ses}\n"
      "  sink: {type: lambda, duration: 10ms}\n");
  REQUIRE(sc.edges.size() == 20);
  for (const auto& e : sc.edges) {
    const ServiceDecl* target = sc.find_service(e.to);
    REQUIRE(target != nullptr);
    INFO(e.from << " -[" << e.label << ": " << e.op << "]-> " << e.to);
    REQUIRE(std::find(target->type->ops.begin(), target->type->ops.end(), e.op) != target->type->ops.end());
  }
}

TEST_CASE("lambda: a duration that always reaches the timeout is a warning", "[diagnostics][lambda]") {
  REQUIRE(load(function_with("    timeout: 3s\n    duration: {dist: uniform, min: 3s, max: 5s}\n")).warnings.str() ==
          "t.yaml:8:15: warning: services.fn.duration: every invocation will time out: the handler takes at least 3s "
          "('duration'), at or above the timeout of 3s\n"
          "    hint: raise 'timeout' above 3s (at most 15min), or make 'duration' shorter\n");
  REQUIRE(load(function_with("    duration: {dist: pareto, min: 20min, alpha: 2}\n")).warnings.str() ==
          "t.yaml:7:15: warning: services.fn.duration: every invocation will time out: the handler takes at least "
          "20min ('duration'), at or above the timeout of 3s\n"
          "    hint: no timeout is long enough (at most 15min): make 'duration' shorter\n");
  REQUIRE(load(function_with("    duration: {dist: empirical, values: [4s, 5s, 9s]}\n")).warnings.str() ==
          "t.yaml:7:15: warning: services.fn.duration: every invocation will time out: the handler takes at least 4s "
          "('duration'), at or above the timeout of 3s\n"
          "    hint: raise 'timeout' above 4s (at most 15min), or make 'duration' shorter\n");
  // Just below the timeout: fine.
  REQUIRE(load(function_with("    duration: 2999ms\n")).warnings.str().empty());
}

TEST_CASE("lambda: cpu_scaling counts in the timeout warning", "[diagnostics][lambda]") {
  // 1 s at 1769 MB (one vCPU) is 13.8 s at 128 MB.
  const std::string body = "    memory: 128MB\n    duration: 1s\n    cpu_scaling: {reference_memory: 1769MB}\n";
  REQUIRE(load(function_with(body)).warnings.str() ==
          "t.yaml:8:15: warning: services.fn.duration: every invocation will time out: the handler takes at least "
          "13.8s ('duration' measured at 1769MB, scaled x13.8 by cpu_scaling to 128MB), at or above the timeout of "
          "3s\n"
          "    hint: raise 'timeout' above 13.8s (at most 15min), or make 'duration' shorter, or give the function "
          "more memory\n");
  // With 1769 MB the same duration fits.
  LoadOptions o;
  o.overrides = {"services.fn.memory=1769MB"};
  REQUIRE(load(function_with(body), o).warnings.str().empty());
}

TEST_CASE("lambda: more than half of the invocations timing out is a softer warning", "[diagnostics][lambda]") {
  // lognormal median 4 s, p99 10 s: P(X >= 3 s) = 1 - Phi(ln(3/4) / (ln(2.5) / 2.326)) = 0.767.
  REQUIRE(load(function_with("    duration: {dist: lognormal, median: 4s, p99: 10s}\n")).warnings.str() ==
          "t.yaml:7:15: warning: services.fn.duration: about 77% of invocations will time out: the median handler "
          "time is 4s ('duration'), above the timeout of 3s\n"
          "    hint: raise 'timeout', or check 'duration'\n");
  // gamma mean 5 s, cv 0.5 (shape 4, scale 1.25 s): Q(4, 2.4) = 0.779.
  REQUIRE(load(function_with("    duration: {dist: gamma, mean: 5s, cv: 0.5}\n")).warnings.str() ==
          "t.yaml:7:15: warning: services.fn.duration: about 78% of invocations will time out: the median handler "
          "time is 4.59s ('duration'), above the timeout of 3s\n"
          "    hint: raise 'timeout', or check 'duration'\n");
  // Exactly half (exponential with its median at the timeout) is not "more than half".
  REQUIRE(load(function_with("    duration: {dist: empirical, values: [1s, 4s]}\n")).warnings.str().empty());
  REQUIRE(load(function_with("    duration: {dist: empirical, values: [1s, 4s, 5s]}\n")).warnings.str() ==
          "t.yaml:7:15: warning: services.fn.duration: about 67% of invocations will time out: the median handler "
          "time is 4s ('duration'), above the timeout of 3s\n"
          "    hint: raise 'timeout', or check 'duration'\n");
}

TEST_CASE("lambda: a full batch that cannot finish in time is a warning", "[diagnostics][lambda]") {
  const std::string queue = "  jobs:\n    type: sqs\n    consumer: {function: fn, batch_size: 10}\n";
  REQUIRE(load(function_with("    timeout: 5s\n    duration: 600ms\n", queue)).warnings.str() ==
          "t.yaml:11:42: warning: services.jobs.consumer.batch_size: a full batch of 10 records will time out in "
          "'fn': each record takes at least 600ms ('duration'), 6s in all, at or above the timeout of 5s\n"
          "    hint: a batch runs the handler once per record: lower batch_size to 8 or less, or raise the timeout "
          "of 'fn'\n");
  REQUIRE(load(function_with("    timeout: 5s\n    duration: 400ms\n", queue)).warnings.str().empty());
}

namespace {
std::string load_error(const std::string& text, const LoadOptions& options = {}) {
  try {
    load(text, options);
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no error)";
}
}  // namespace

TEST_CASE("loader: semantic errors come in the same pass as schema errors", "[diagnostics][loader]") {
  // A typo (schema), a redrive policy without max_receive_count (the sqs check),
  // an API without a backend (the apigateway check) and a bad override, together.
  const std::string text =
      "name: t\nduration: 10s\n"
      "workloads: [{name: w, target: jobs, arrival: {process: constant, rate: 1/s}}]\n"
      "services:\n"
      "  jobs: {type: sqs, dlq: dead, consumer: {function: fn, batch_sise: 5}}\n"
      "  dead: {type: sqs}\n"
      "  fn: {type: lambda, duration: 10ms, memroy: 512MB}\n"
      "  api: {type: apigateway}\n";
  LoadOptions o;
  o.overrides = {"services.nope.memory=1GB"};
  REQUIRE(load_error(text, o) ==
          "t.yaml:5:26: error: services.jobs.dlq: a dead-letter queue needs 'max_receive_count' (receives before a "
          "message moves)\n"
          "    hint: a redrive policy sets both, e.g. 'max_receive_count: 3'\n"
          "t.yaml:5:57: error: services.jobs.consumer.batch_sise: unknown key 'batch_sise'\n"
          "    hint: did you mean 'batch_size'?\n"
          "t.yaml:7:38: error: services.fn.memroy: unknown key 'memroy'\n"
          "    hint: did you mean 'memory'?\n"
          "t.yaml:8:8: error: services.api: missing 'integration' or 'routes' (an apigateway needs a backend)\n"
          "    hint: write 'integration: SERVICE' for one backend, or 'routes: [{route: GET /x, to: SERVICE}]'\n"
          "--set services.nope.memory=1GB: error: services.nope: there is no service 'nope'\n");
}

TEST_CASE("loader: a rejected value skips only the checks that would read it", "[diagnostics][loader]") {
  // fn's timeout is out of range: its own cross-checks (and those of the queue
  // that names it) would read a wrong value, so they wait; the other queue's run.
  const std::string text =
      "name: t\nduration: 10s\n"
      "workloads: [{name: w, target: jobs, arrival: {process: constant, rate: 1/s}}]\n"
      "services:\n"
      "  jobs: {type: sqs, visibility_timeout: 1s, consumer: {function: fn}}\n"
      "  other: {type: sqs, max_receive_count: 3}\n"
      "  fn: {type: lambda, duration: 10s, timeout: 0s}\n";
  REQUIRE(load_error(text) ==
          "t.yaml:6:41: error: services.other.max_receive_count: 'max_receive_count' needs a 'dlq' (the queue that "
          "receives the messages)\n"
          "    hint: without a dead-letter queue a failing message is retried until its retention ends\n"
          "t.yaml:7:46: error: services.fn.timeout: expected a duration between 1s and 15min, found '0s'\n");
}
