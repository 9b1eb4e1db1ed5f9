// The lambda parameters, declared once (docs, loader and errors come from here).
// Defaults and limits: docs/model-assumptions.md §1.
#include "models/lambda/schema.hpp"

#include <algorithm>
#include <string>
#include <vector>

namespace slsim::models {

namespace {
constexpr double kMB = 1048576.0;
constexpr double kMBPerVcpu = 1769.0;  // 1,769 MB = one vCPU (docs/model-assumptions.md §1.4)
constexpr double kMaxVcpu = 6.0;
}  // namespace

double vcpu_share(double memory_mb) { return std::min(memory_mb / kMBPerVcpu, kMaxVcpu); }

double duration_scale(const Record& p) {
  if (!p.has("cpu_scaling")) return 1.0;
  const Record& cpu = p.record("cpu_scaling");
  const double memory_mb = p.size("memory") / kMB;
  const double reference_mb = cpu.size("reference_memory") / kMB;
  const double bound = cpu.number("cpu_bound");
  return (1.0 - bound) + bound * vcpu_share(reference_mb) / vcpu_share(memory_mb);
}

namespace {

// AWS's property names (CloudFormation, SAM, Terraform) and how to write them here.
std::vector<Alias> lambda_aliases() {
  const std::string not_code =
      "the handler's code is not modelled: give its compute time as 'duration' and the services it calls as 'calls'";
  const std::string not_runtime =
      "the runtime is not modelled: give the init time you measure for it as 'cold_start'";
  const std::string trigger =
      "a function's triggers are declared on their sources: an sqs or kinesis 'consumer:', s3 'notifications:', sns "
      "'subscribers:', eventbridge 'rules:', or a workload's 'target:'";
  const std::string batch =
      "batching belongs to the event source: set it on the queue or stream, e.g. "
      "consumer: {function: FUNCTION, batch_size: 10, batch_window: 1s}";
  const std::string ignored = "not modelled: leave it out";
  return {
      {"memory_size", "write 'memory' with its unit, e.g. memory: 1024MB"},
      {"timeout_seconds", "write 'timeout' with its unit, e.g. timeout: 30s"},
      {"reserved_concurrent_executions", "write 'reserved_concurrency', e.g. reserved_concurrency: 100"},
      {"provisioned_concurrent_executions", "write 'provisioned_concurrency', e.g. provisioned_concurrency: 10"},
      {"provisioned_concurrency_config", "write 'provisioned_concurrency', e.g. provisioned_concurrency: 10"},
      {"scalable_target", "write 'provisioned_scaling: {min: 1, max: 100}' on the function"},
      {"scaling_policy", "write 'provisioned_scaling: {max: 100, target_utilization: 0.7}' on the function"},
      {"scheduled_action", "write 'provisioned_scaling: {max: 100, schedule: [{expression: ..., min: 10, max: 10}]}'"},
      {"auto_scaling", "write 'provisioned_scaling' (auto scaling of the provisioned concurrency)"},
      {"architectures", "write 'architecture' with one value: x86_64 or arm64"},
      {"snap_start", "write 'snapstart' with the restore time, e.g. snapstart: {restore: 200ms}"},
      {"init_duration", "write 'cold_start', e.g. cold_start: 400ms"},
      {"function_name", "a service's name is its key under services:, e.g. services: {resize: {type: lambda, ...}}"},
      {"handler", not_code},
      {"code", not_code},
      {"code_uri", not_code},
      {"inline_code", not_code},
      {"image_uri", not_code},
      {"filename", not_code},
      {"runtime", not_runtime},
      {"package_type", not_runtime},
      {"layers", not_runtime},
      {"events", trigger},
      {"event_source_mapping", trigger},
      {"batch_size", batch},
      {"maximum_batching_window_in_seconds", batch},
      {"dead_letter_config", "write 'async: {on_failure: QUEUE}' (for asynchronous invocations)"},
      {"destination_config", "write 'async: {on_failure: SERVICE}' (for asynchronous invocations)"},
      {"event_invoke_config", "write 'async:' with max_retry_attempts, max_event_age and on_failure"},
      {"maximum_retry_attempts", "write 'async: {max_retry_attempts: 1}' (for asynchronous invocations)"},
      {"maximum_event_age_in_seconds", "write 'async: {max_event_age: 1h}' (for asynchronous invocations)"},
      {"recursive_loop_detection", "write 'recursive_loop: terminate' or 'recursive_loop: allow'"},
      {"environment", ignored},
      {"role", ignored},
      {"policies", ignored},
      {"tags", ignored},
      {"vpc_config", "not modelled: if the function runs in a VPC, give its measured init time as 'cold_start'"},
      {"ephemeral_storage", ignored},
      {"tracing_config", ignored},
  };
}

}  // namespace

const Schema& lambda_call_schema() {
  static const Schema s = [] {
    ParamSpec to = param("to", ParamType::reference, "", "", "the service called");
    to.required = true;
    to.edge = "calls";
    to.edge_op = EdgeOp::from_key;
    to.edge_op_name = "op";
    ParamSpec op = param("op", ParamType::text, "", "", "the operation (the target's default when omitted)");
    ParamSpec probability = param("probability", ParamType::probability, "", "1", "chance that an invocation makes this call");
    ParamSpec per = param("per", ParamType::choice, "", "invocation",
                          "invocation: one call per invocation; record: one call per record of a batch invocation "
                          "(from a queue or stream), one after the other");
    per.choices = {"invocation", "record"};
    return Schema{"lambda call", "A synchronous call made by the handler, in order; the function stays busy and billed while it waits.",
                  {to, op, probability, per},
                  {{"target", "write 'to: SERVICE' (the service's name under services:)"},
                   {"function_name", "write 'to: FUNCTION' (the function's name under services:)"},
                   {"operation", "write 'op', e.g. op: put"},
                   {"action", "write 'op', e.g. op: put"},
                   {"invocation_type",
                    "write 'op: invoke_async' for InvocationType Event, 'op: invoke' (the default) for "
                    "RequestResponse"}}};
  }();
  return s;
}

const Schema& provisioned_scaling_schema() {
  static const Schema s = [] {
    // Application Auto Scaling of provisioned concurrency (docs/model-assumptions.md §1.8).
    static const Schema action_schema = [] {
      ParamSpec expression = param("expression", ParamType::text, "", "",
                                   "when the action runs: cron(minutes hours day-of-month month day-of-week year), "
                                   "rate(value unit) or at(yyyy-mm-ddThh:mm:ss), in UTC");
      expression.required = true;
      ParamSpec min = param("min", ParamType::integer, "", "", "the new lowest provisioned concurrency");
      min.min = 0;
      min.max = 1e6;
      ParamSpec max = param("max", ParamType::integer, "", "", "the new highest provisioned concurrency");
      max.min = 0;
      max.max = 1e6;
      return Schema{"scheduled action",
                    "A scheduled action: from its time on, the provisioned concurrency stays within the new min and "
                    "max (give one or both); cooldowns do not apply.",
                    {expression, min, max},
                    {{"schedule", "write 'expression', e.g. expression: \"cron(0 8 ? * MON-FRI *)\""},
                     {"scalable_target_action", "write 'min' and 'max' in the action itself, e.g. {expression: ..., min: 10, max: 10}"},
                     {"min_capacity", "write 'min', e.g. min: 10"},
                     {"max_capacity", "write 'max', e.g. max: 10"},
                     {"scheduled_action_name", "not needed: actions are a list, in order"},
                     {"start_time", "not modelled: write the time into the expression, e.g. at(2026-01-05T08:00:00)"},
                     {"end_time", "not modelled: add an action that sets the bounds back"},
                     {"timezone", "schedules run in UTC: convert the time"}}};
    }();
    ParamSpec min = param("min", ParamType::integer, "", "0", "lowest provisioned concurrency the policy sets");
    min.min = 0;
    min.max = 1e6;
    ParamSpec max = param("max", ParamType::integer, "", "", "highest provisioned concurrency the policy sets");
    max.required = true;
    max.min = 0;
    max.max = 1e6;
    ParamSpec tracking = param("target_tracking", ParamType::boolean, "", "true",
                               "a target-tracking policy on LambdaProvisionedConcurrencyUtilization; false: only the "
                               "scheduled actions change the provisioned concurrency");
    ParamSpec target = param("target_utilization", ParamType::probability, "", "0.7",
                             "busy over allocated provisioned environments that the policy aims at (AWS's example: 0.7)");
    target.min = 0;
    target.min_exclusive = true;
    ParamSpec period = param("period", ParamType::duration, "s", "60s", "one utilisation datapoint (its mean) per period");
    period.min = 1e9;
    period.max = 3600e9;
    ParamSpec out = param("out_datapoints", ParamType::integer, "", "3",
                          "consecutive datapoints above the target before a scale-out");
    out.min = 1;
    out.max = 1440;
    ParamSpec in = param("in_datapoints", ParamType::integer, "", "15",
                         "consecutive datapoints below 90% of the target before a scale-in");
    in.min = 1;
    in.max = 1440;
    ParamSpec out_cooldown = param("scale_out_cooldown", ParamType::duration, "s", "0s",
                                   "time after a scale-out before the next one");
    out_cooldown.min = 0;
    out_cooldown.max = 86400e9;
    ParamSpec in_cooldown = param("scale_in_cooldown", ParamType::duration, "s", "0s",
                                  "time after any scaling before a scale-in");
    in_cooldown.min = 0;
    in_cooldown.max = 86400e9;
    ParamSpec delay = param("allocation_delay", ParamType::distribution, "s", "{dist: uniform, min: 60s, max: 120s}",
                            "from a new configuration to the added environments being usable (AWS: \"a minute or "
                            "two\"; UNCONFIRMED, set it from your measurements)");
    delay.min = 0;
    ParamSpec rate = param("allocation_rate", ParamType::rate, "/min", "500/min",
                           "after the delay, environments become usable at this rate beyond `allocation_burst` "
                           "(AWS's older page: 500 a minute; UNCONFIRMED since the 2023 scaling change)");
    rate.min = 0;
    rate.min_exclusive = true;
    rate.max = 1e6;
    ParamSpec burst = param("allocation_burst", ParamType::integer, "", "3000",
                            "environments that become usable at once after the delay (AWS's older page: up to 3000 "
                            "depending on the region; UNCONFIRMED)");
    burst.min = 1;
    burst.max = 1e6;
    ParamSpec start = param("start", ParamType::text, "", "2026-01-05T00:00:00Z",
                            "the UTC date and time of the run's start (t = 0, warm-up included), for the schedule");
    ParamSpec schedule = param("schedule", ParamType::list, "", "", "scheduled actions, in order");
    ParamSpec action = param("action", ParamType::record, "", "", "a scheduled action");
    action.record = &action_schema;
    schedule.element.push_back(action);
    schedule.record = &action_schema;
    return Schema{"provisioned_scaling",
                  "Application Auto Scaling of the provisioned concurrency: target tracking and scheduled actions. "
                  "`provisioned_concurrency` is the allocation at the start (default: `min`).",
                  {min, max, tracking, target, period, out, in, out_cooldown, in_cooldown, delay, rate, burst, start, schedule},
                  {{"min_capacity", "write 'min', e.g. min: 1"},
                   {"max_capacity", "write 'max', e.g. max: 100"},
                   {"target_value", "write 'target_utilization' as a fraction, e.g. target_utilization: 0.7"},
                   {"target_tracking_scaling_policy_configuration",
                    "write its fields here: target_utilization, scale_out_cooldown, scale_in_cooldown"},
                   {"predefined_metric_specification",
                    "the metric is always LambdaProvisionedConcurrencyUtilization: leave it out"},
                   {"scale_in_cooldown_seconds", "write 'scale_in_cooldown' with its unit, e.g. scale_in_cooldown: 60s"},
                   {"scale_out_cooldown_seconds", "write 'scale_out_cooldown' with its unit, e.g. scale_out_cooldown: 60s"},
                   {"scheduled_actions", "write 'schedule', e.g. schedule: [{expression: \"cron(0 8 * * ? *)\", min: 10, max: 10}]"},
                   {"scheduled_action", "write 'schedule', e.g. schedule: [{expression: \"cron(0 8 * * ? *)\", min: 10, max: 10}]"},
                   {"disable_scale_in", "not modelled: set scale_in_cooldown long, or min to the capacity to keep"},
                   {"resource_id", "not needed: the scaling belongs to this function"},
                   {"scalable_dimension", "not needed: the scaling belongs to this function"},
                   {"service_namespace", "not needed: the scaling belongs to this function"}}};
  }();
  return s;
}

std::int64_t initial_provisioned(const Record& p) {
  if (p.has("provisioned_concurrency")) return p.integer("provisioned_concurrency");
  if (p.has("provisioned_scaling")) return p.record("provisioned_scaling").integer("min");
  return 0;
}

const Schema& lambda_schema() {
  static const Schema s = [] {
    ParamSpec memory = param("memory", ParamType::size, "MB", "128MB", "memory; CPU share is memory / 1769 MB (at most 6 vCPU)");
    memory.min = 128 * kMB;
    memory.max = 10240 * kMB;
    ParamSpec arch = param("architecture", ParamType::choice, "", "x86_64", "instruction set; arm64 has lower duration prices");
    arch.choices = {"x86_64", "arm64"};
    ParamSpec timeout = param("timeout", ParamType::duration, "s", "3s", "the handler's time limit; a timed-out invocation is billed for all of it");
    timeout.min = 1e9;
    timeout.max = 900e9;
    ParamSpec duration = param("duration", ParamType::distribution, "ms", "", "handler compute time at `cpu_scaling.reference_memory` (calls come on top)");
    duration.required = true;
    duration.min = 0;

    static const Schema cpu_schema = [] {
      ParamSpec ref = param("reference_memory", ParamType::size, "MB", "", "memory at which `duration` was measured");
      ref.required = true;
      ref.min = 128 * kMB;
      ref.max = 10240 * kMB;
      ParamSpec bound = param("cpu_bound", ParamType::probability, "", "1", "fraction of `duration` that scales with the CPU share");
      return Schema{"cpu_scaling", "Duration scales with the vCPU share (memory / 1769 MB, at most 6).", {ref, bound}};
    }();
    ParamSpec cpu = param("cpu_scaling", ParamType::record, "", "", "optional: scale `duration` with memory");
    cpu.record = &cpu_schema;

    ParamSpec cold = param("cold_start", ParamType::distribution, "ms", "{dist: lognormal, median: 250ms, p99: 1s}",
                           "init duration of a new environment (AWS: under 100 ms to over 1 s; the default is UNCONFIRMED, set it from your measurements)");
    cold.min = 0;
    static const Schema snap_schema = [] {
      ParamSpec restore = param("restore", ParamType::distribution, "ms", "", "restore time replacing the init phase");
      restore.required = true;
      restore.min = 0;
      return Schema{"snapstart", "SnapStart: new environments restore a snapshot instead of running init.", {restore}};
    }();
    ParamSpec snap = param("snapstart", ParamType::record, "", "", "optional SnapStart (not with provisioned concurrency)");
    snap.record = &snap_schema;
    ParamSpec idle = param("idle_timeout", ParamType::distribution, "min", "{dist: uniform, min: 5min, max: 15min}",
                           "how long an idle environment lives (AWS does not publish it: UNCONFIRMED; measured ~10 min since 2019)");
    idle.min = 0;
    ParamSpec selection = param("warm_selection", ParamType::choice, "", "mru",
                                "which idle environment takes a request: most recently used, newest created, least recently used, random");
    selection.choices = {"mru", "newest", "lru", "random"};
    ParamSpec reserved = param("reserved_concurrency", ParamType::integer, "", "", "cap and guarantee carved from the account (0 throttles everything)");
    reserved.min = 0;
    reserved.max = 1e6;
    ParamSpec provisioned = param("provisioned_concurrency", ParamType::integer, "", "",
                                  "environments initialised at start that never expire (with `provisioned_scaling`: "
                                  "the allocation at the start)");
    provisioned.min = 1;
    provisioned.max = 1e6;
    ParamSpec scaling = param("provisioned_scaling", ParamType::record, "", "",
                              "optional auto scaling of the provisioned concurrency (target tracking, scheduled actions)");
    scaling.record = &provisioned_scaling_schema();
    ParamSpec errors = param("errors", ParamType::probability, "", "0", "probability that an invocation fails");
    static const Schema async_schema = [] {
      ParamSpec retries = param("max_retry_attempts", ParamType::integer, "", "2",
                                "retries after a function error or timeout (about 1 min, then about 2 min later)");
      retries.min = 0;
      retries.max = 2;
      ParamSpec age = param("max_event_age", ParamType::duration, "h", "6h",
                            "how long an event may wait; throttles are retried with backoff (1 s doubling to 5 min) until then");
      age.min = 60e9;
      age.max = 6 * 3600e9;
      ParamSpec on_failure = param("on_failure", ParamType::reference, "", "",
                                   "a queue, topic or function that receives the events that finally failed");
      on_failure.ref_types = {"sqs", "sns", "lambda"};
      on_failure.edge = "on_failure";
      on_failure.edge_op = EdgeOp::target_async;
      return Schema{"async", "Asynchronous invocation: invoke_async calls, S3 and SNS events, schedules.",
                    {retries, age, on_failure},
                    {{"maximum_retry_attempts", "write 'max_retry_attempts', e.g. max_retry_attempts: 1"},
                     {"maximum_event_age_in_seconds", "write 'max_event_age' with its unit, e.g. max_event_age: 1h"},
                     {"destination_config", "write 'on_failure: SERVICE' (a queue, topic or function)"},
                     {"dead_letter_config", "write 'on_failure: QUEUE'"}}};
    }();
    ParamSpec async = param("async", ParamType::record, "", "", "how asynchronous invocations are retried and where failures go");
    async.record = &async_schema;
    ParamSpec recursion = param("recursive_loop", ParamType::choice, "", "terminate",
                                "terminate: stop an event-driven chain (async, queue, stream) after 16 invocations of "
                                "the same request, as AWS does (threshold partly UNCONFIRMED); allow: never stop");
    recursion.choices = {"terminate", "allow"};
    ParamSpec edge = param("edge", ParamType::boolean, "", "false",
                           "a Lambda@Edge function, named by a cloudfront distribution's `functions: [{function: "
                           "NAME}]`: Lambda@Edge prices (no free tier) and the trigger's memory and time limits "
                           "(docs/model-assumptions.md §15.3)");
    ParamSpec calls = param("calls", ParamType::list, "", "", "synchronous calls made by the handler, in order");
    ParamSpec call_item = param("call", ParamType::record, "", "", "a call");
    call_item.record = &lambda_call_schema();
    calls.element.push_back(call_item);
    calls.record = &lambda_call_schema();
    return Schema{"lambda", "An AWS Lambda function.",
                  {memory, arch, timeout, duration, cpu, cold, snap, idle, selection, reserved, provisioned, scaling, errors, calls, async,
                   recursion, edge},
                  lambda_aliases()};
  }();
  return s;
}

}  // namespace slsim::models
