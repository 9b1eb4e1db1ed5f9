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
  // Exactly half of the draws at or above the timeout is not "more than half".
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

TEST_CASE("loader: AWS property names get a hint to the slsim key", "[diagnostics][aliases]") {
  // CloudFormation's MemorySize and Terraform's memory_size are one name.
  REQUIRE(load_error(function_with("    duration: 10ms\n    MemorySize: 1024\n")) ==
          "t.yaml:8:5: error: services.fn.MemorySize: unknown key 'MemorySize'\n"
          "    hint: write 'memory' with its unit, e.g. memory: 1024MB\n");
  REQUIRE(load_error(function_with("    duration: 10ms\n    reserved_concurrent_executions: 5\n")) ==
          "t.yaml:8:5: error: services.fn.reserved_concurrent_executions: unknown key "
          "'reserved_concurrent_executions'\n"
          "    hint: write 'reserved_concurrency', e.g. reserved_concurrency: 100\n");
  REQUIRE(load_error(function_with("    duration: 10ms\n    runtime: python3.12\n")) ==
          "t.yaml:8:5: error: services.fn.runtime: unknown key 'runtime'\n"
          "    hint: the runtime is not modelled: give the init time you measure for it as 'cold_start'\n");
  REQUIRE(load_error(function_with("    duration: 10ms\n    batch_size: 10\n")) ==
          "t.yaml:8:5: error: services.fn.batch_size: unknown key 'batch_size'\n"
          "    hint: batching belongs to the event source: set it on the queue or stream, e.g. consumer: {function: "
          "FUNCTION, batch_size: 10, batch_window: 1s}\n");
  REQUIRE(load_error(function_with("    duration: 10ms\n", "  q: {type: sqs, RedrivePolicy: x}\n")) ==
          "t.yaml:8:18: error: services.q.RedrivePolicy: unknown key 'RedrivePolicy'\n"
          "    hint: write 'dlq: QUEUE' and 'max_receive_count: N' (RedrivePolicy's deadLetterTargetArn and "
          "maxReceiveCount)\n");
  REQUIRE(load_error(function_with("    duration: 10ms\n", "  q: {type: sqs, message_retention_period: 345600}\n")) ==
          "t.yaml:8:18: error: services.q.message_retention_period: unknown key 'message_retention_period'\n"
          "    hint: write 'retention' with its unit, e.g. retention: 4d\n");
  REQUIRE(load_error(function_with("    duration: 10ms\n", "  t: {type: sns, subscriptions: [{endpoint: fn}]}\n")) ==
          "t.yaml:8:6: error: services.t: missing required key 'subscribers' (the subscriptions; each matching "
          "message is copied to every one of them)\n"
          "t.yaml:8:18: error: services.t.subscriptions: unknown key 'subscriptions'\n"
          "    hint: write 'subscribers:', e.g. subscribers: [{to: QUEUE}, {to: FUNCTION}]\n");
  // A declared key spelled the AWS way (camelCase) is found too.
  REQUIRE(load_error(function_with("    duration: 10ms\n", "  q: {type: sqs, maxReceiveCount: 3}\n")) ==
          "t.yaml:8:18: error: services.q.maxReceiveCount: unknown key 'maxReceiveCount'\n"
          "    hint: did you mean 'max_receive_count'?\n");
}

TEST_CASE("loader: a CloudFormation template is named as such", "[diagnostics][aliases]") {
  REQUIRE(load_error("AWSTemplateFormatVersion: '2010-09-09'\nname: t\nduration: 1s\n"
                     "workloads: [{name: w, target: x, arrival: {process: constant, rate: 1/s}}]\n"
                     "services: {x: {type: ses}}\n") ==
          "t.yaml:1:1: error: AWSTemplateFormatVersion: unknown key 'AWSTemplateFormatVersion'\n"
          "    hint: slsim reads a scenario, not a CloudFormation or SAM template: write each resource under services: "
          "(`slsim docs` lists the types and their keys)\n");
}

TEST_CASE("loader: AWS action names get a hint to the operation", "[diagnostics][aliases]") {
  REQUIRE(load_error(function_with("    duration: 10ms\n    calls: [{to: photos, op: PutObject}]\n",
                                   "  photos: {type: s3}\n")) ==
          "t.yaml:8:30: error: services.fn.calls.0.op: 'photos' (s3) has no operation 'PutObject' (it has 'put', "
          "'get')\n"
          "    hint: write 'put'\n");
  const std::string queue =
      "name: t\nduration: 1s\n"
      "workloads: [{name: w, target: q, op: SendMessage, arrival: {process: constant, rate: 1/s}}]\n"
      "services: {q: {type: sqs}}\n";
  REQUIRE(load_error(queue) ==
          "t.yaml:3:38: error: workloads.w.op: 'q' (sqs) has no operation 'SendMessage' (it has 'send')\n"
          "    hint: write 'send'\n");
  REQUIRE(load_error(function_with("    duration: 10ms\n    calls: [{to: table, op: GetItem}]\n",
                                   "  table: {type: external}\n")) ==
          "t.yaml:8:29: error: services.fn.calls.0.op: 'table' (external) has no operation 'GetItem' (it has "
          "'call')\n"
          "    hint: a DynamoDB table is its own type: declare it with 'type: dynamodb' and call it with op 'get'; an "
          "external service's one operation is 'call'\n");
  // A known operation in another case.
  REQUIRE(load_error(function_with("    duration: 10ms\n    calls: [{to: mail, op: Send}]\n", "  mail: {type: ses}\n")) ==
          "t.yaml:8:28: error: services.fn.calls.0.op: 'mail' (ses) has no operation 'Send' (it has 'send')\n"
          "    hint: did you mean 'send'?\n");
}

TEST_CASE("loader: 'type:' where the kind is chosen by another key", "[diagnostics][aliases]") {
  std::string text = function_with("    duration: 10ms\n");
  text.replace(text.find("process: constant"), 17, "type: poisson");
  REQUIRE(load_error(text) ==
          "t.yaml:3:44: error: workloads.w.arrival: missing required key 'process' (one of 'poisson', 'constant', "
          "'burst', 'periodic', 'trace', 'schedule')\n"
          "    hint: did you mean 'process: poisson' instead of 'type: poisson'?\n");
  REQUIRE(load_error(function_with("    duration: {type: lognormal, median: 10ms, p99: 50ms}\n")) ==
          "t.yaml:7:15: error: services.fn.duration: missing required key 'dist' (one of 'constant', 'exponential', "
          "'uniform', 'lognormal', 'gamma', 'pareto', 'empirical')\n"
          "    hint: did you mean 'dist: lognormal' instead of 'type: lognormal'?\n");
  std::string bad_value = function_with("    duration: 10ms\n");
  bad_value.replace(bad_value.find("process: constant"), 17, "type: poison");
  REQUIRE(load_error(bad_value) ==
          "t.yaml:3:44: error: workloads.w.arrival: missing required key 'process' (one of 'poisson', 'constant', "
          "'burst', 'periodic', 'trace', 'schedule')\n"
          "    hint: did you mean 'process' instead of 'type'?\n");
}

TEST_CASE("loader: a schedule expression on a workload points to the schedule process", "[diagnostics][aliases]") {
  std::string text = function_with("    duration: 10ms\n");
  text.replace(text.find("target: fn,"), 11, "target: fn, schedule_expression: rate(5 minutes),");
  REQUIRE(load_error(text) ==
          "t.yaml:3:35: error: workloads.w.schedule_expression: unknown key 'schedule_expression'\n"
          "    hint: a schedule is an arrival process: arrival: {process: schedule, expression: \"cron(0 2 * * ? *)\"}\n");
}

TEST_CASE("loader: YAML merge keys merge mappings, keys written beside them win", "[diagnostics][merge]") {
  const std::string text =
      "name: t\nduration: 10s\n"
      "workloads: [{name: w, target: slow, arrival: {process: constant, rate: 1/s}}]\n"
      "services:\n"
      "  fast: &fn\n"             // 5
      "    type: lambda\n"        // 6
      "    memory: 512MB\n"       // 7
      "    duration: 100ms\n"     // 8
      "  slow:\n"                 // 9
      "    duration: 2s\n"        // 10
      "    <<: *fn\n"             // 11
      "  extra:\n"                // 12
      "    <<: [*fn, {timeout: 10s, memory: 1GB}]\n";  // 13
  const Scenario sc = load(text);
  const ServiceDecl* slow = sc.find_service("slow");
  REQUIRE(slow->type->name == "lambda");
  REQUIRE(slow->params.size("memory") == 512.0 * 1048576);
  REQUIRE(slow->params.dist("duration").mean() == 2e9);  // written beside the merge key: it wins
  const ServiceDecl* extra = sc.find_service("extra");
  REQUIRE(extra->params.size("memory") == 512.0 * 1048576);  // the first mapping of the list wins
  REQUIRE(extra->params.duration("timeout") == 10 * kSecond);
  // A merged key keeps the position where it was written (the anchor).
  std::string typo = text;
  typo.replace(typo.find("memory: 512MB"), 13, "memroy: 512MB");
  REQUIRE(load_error(typo) ==
          "t.yaml:7:5: error: services.fast.memroy: unknown key 'memroy'\n"
          "    hint: did you mean 'memory'?\n"
          "t.yaml:7:5: error: services.slow.memroy: unknown key 'memroy'\n"
          "    hint: did you mean 'memory'?\n"
          "t.yaml:7:5: error: services.extra.memroy: unknown key 'memroy'\n"
          "    hint: did you mean 'memory'?\n");
  // --set applies to the merged result.
  LoadOptions o;
  o.overrides = {"services.slow.memory=2GB"};
  REQUIRE(load(text, o).find_service("slow")->params.size("memory") == 2048.0 * 1048576);
  REQUIRE(load(text, o).find_service("fast")->params.size("memory") == 512.0 * 1048576);
}

TEST_CASE("loader: a merge key must name a mapping", "[diagnostics][merge]") {
  REQUIRE(load_error(function_with("    duration: 10ms\n    <<: 3\n")) ==
          "t.yaml:8:9: error: services.fn.<<: a merge key '<<' takes a mapping or a list of mappings (e.g. <<: "
          "*defaults), found '3'\n");
}

TEST_CASE("loader: --set picks a call by its target name", "[diagnostics][set]") {
  const std::string text = function_with(
      "    duration: 10ms\n    calls: [{to: table}, {to: cache}, {to: cache, probability: 0.5}]\n",
      "  table: {type: external}\n  cache: {type: external}\n");
  LoadOptions o;
  o.overrides = {"services.fn.calls.table.probability=0.25"};
  const Scenario sc = load(text, o);
  REQUIRE(sc.find_service("fn")->params.list("calls")[0].record->number("probability") == 0.25);
  // Two calls to the same target: the index says which.
  LoadOptions twice;
  twice.overrides = {"services.fn.calls.cache.probability=0.25"};
  REQUIRE(load_error(text, twice) ==
          "--set services.fn.calls.cache.probability=0.25: error: services.fn.calls.cache: 'cache' is the target of 2 "
          "items of services.fn.calls: pick one by its index (1, 2)\n");
  LoadOptions typo;
  typo.overrides = {"services.fn.calls.tabel.probability=0.25"};
  REQUIRE(load_error(text, typo) ==
          "--set services.fn.calls.tabel.probability=0.25: error: services.fn.calls.tabel: 'tabel' is not an item of "
          "services.fn.calls (items: 'table', 'cache')\n"
          "    hint: did you mean 'table'?\n");
  // Named items are still picked by name.
  LoadOptions named;
  named.overrides = {"workloads.w.payload=2KB"};
  REQUIRE(load(text, named).workloads[0].params.size("payload") == 2048);
}
