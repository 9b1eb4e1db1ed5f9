// The sqs parameters and load-time checks (see schema.hpp).
#include "models/sqs/schema.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "sim/scenario/units.hpp"

namespace slsim::models {

namespace {
// AWS's property names (CloudFormation, SAM, Terraform) and how to write them here.
std::vector<Alias> sqs_aliases() {
  const std::string redrive =
      "write 'dlq: QUEUE' and 'max_receive_count: N' (RedrivePolicy's deadLetterTargetArn and maxReceiveCount)";
  const std::string trigger =
      "the Lambda trigger is the queue's 'consumer:', e.g. consumer: {function: FUNCTION, batch_size: 10}";
  const std::string ignored = "not modelled: leave it out";
  return {
      {"visibility_timeout_seconds", "write 'visibility_timeout' with its unit, e.g. visibility_timeout: 30s"},
      {"message_retention_period", "write 'retention' with its unit, e.g. retention: 4d"},
      {"message_retention_seconds", "write 'retention' with its unit, e.g. retention: 4d"},
      {"delay_seconds", "write 'delay' with its unit, e.g. delay: 5s"},
      {"redrive_policy", redrive},
      {"dead_letter_queue", redrive},
      {"dead_letter_target_arn", redrive},
      {"fifo_queue", "write 'fifo: true'"},
      {"message_group_id", "write 'groups: N', the number of message groups"},
      {"queue_name", "a service's name is its key under services:, e.g. services: {orders: {type: sqs}}"},
      {"event_source_mapping", trigger},
      {"function_name", trigger},
      {"function", trigger},
      {"batch_size", trigger},
      {"maximum_batching_window_in_seconds", trigger},
      {"receive_wait_time_seconds", "not modelled: the consumer's pollers use long polling"},
      {"content_based_deduplication", ignored},
      {"deduplication_scope", ignored},
      {"fifo_throughput_limit", ignored},
      {"max_message_size", ignored},
      {"kms_master_key_id", ignored},
      {"sqs_managed_sse_enabled", ignored},
      {"policy", ignored},
      {"tags", ignored},
  };
}

const Schema& consumer_schema() {
  static const Schema s = [] {
    ParamSpec function = param("function", ParamType::reference, "", "",
                               "the Lambda function invoked with each batch (or give 'workers')");
    function.ref_types = {"lambda"};
    function.edge = "consumer";
    function.edge_op = EdgeOp::fixed;
    function.edge_op_name = "invoke";
    ParamSpec workers = param("workers", ParamType::reference, "", "",
                              "instead of 'function': a fargate service whose running slots are the workers, each "
                              "long-polling and processing one batch at a time");
    workers.ref_types = {"fargate"};
    workers.edge = "consumer";
    workers.edge_op = EdgeOp::fixed;
    workers.edge_op_name = "request";
    ParamSpec batch_size = param("batch_size", ParamType::integer, "", "10",
                                 "most messages per invocation: 1..10000 for a standard queue, 1..10 for FIFO");
    batch_size.min = 1;
    batch_size.max = 10000;
    ParamSpec window = param("batch_window", ParamType::duration, "s", "0s",
                             "how long a poller waits to fill a batch (0s..300s; at least 1s when batch_size > 10; "
                             "not for FIFO)");
    window.min = 0;
    window.max = 300e9;
    ParamSpec max_concurrency = param("max_concurrency", ParamType::integer, "", "",
                                      "optional cap on concurrent batches (ScalingConfig.MaximumConcurrency, 2..1000)");
    max_concurrency.min = 2;
    max_concurrency.max = 1000;
    ParamSpec partial = param("report_batch_item_failures", ParamType::boolean, "", "false",
                              "the function reports which items failed: only those return to the queue");
    ParamSpec stale = param("stale_delete", ParamType::choice, "", "deletes",
                            "workers only: a worker that outlasted the visibility timeout deletes with the receipt "
                            "handle of an earlier receive. deletes: the message is deleted (what users observe on "
                            "standard queues); ignored: nothing is deleted (the DeleteMessage reference's wording), so "
                            "the message comes back until a receive is processed within the timeout. UNCONFIRMED");
    stale.choices = {"deletes", "ignored"};
    return Schema{"consumer",
                  "A Lambda event source mapping (pollers receive batches and invoke the function synchronously), or "
                  "the worker slots of a fargate service.",
                  {function, workers, batch_size, window, max_concurrency, partial, stale},
                  {{"function_name", "write 'function: FUNCTION' (the function's name under services:)"},
                   {"maximum_batching_window_in_seconds", "write 'batch_window' with its unit, e.g. batch_window: 5s"},
                   {"function_response_types",
                    "write 'report_batch_item_failures: true' (FunctionResponseTypes: ReportBatchItemFailures)"},
                   {"scaling_config", "write 'max_concurrency', e.g. max_concurrency: 50"},
                   {"maximum_concurrency", "write 'max_concurrency', e.g. max_concurrency: 50"},
                   {"event_source_arn", "the queue this consumer is written under is its source"},
                   {"enabled", "not modelled: a consumer written here is enabled"}}};
  }();
  return s;
}

}  // namespace

const Schema& sqs_schema() {
  static const Schema s = [] {
    ParamSpec fifo = param("fifo", ParamType::boolean, "", "false",
                           "a FIFO queue: order within each message group, 300 sends/s, FIFO prices");
    ParamSpec visibility = param("visibility_timeout", ParamType::duration, "s", "30s",
                                 "how long a received message stays invisible; a failed message reappears when it "
                                 "ends (counted from the receive). At least the consumer's timeout, ideally 6x");
    visibility.min = 0;
    visibility.max = 43200e9;
    ParamSpec retention = param("retention", ParamType::duration, "d", "4d",
                                "a message older than this (from its send) expires");
    retention.min = 60e9;
    retention.max = 1209600e9;
    ParamSpec delay = param("delay", ParamType::duration, "s", "0s", "every message becomes visible this long after its send");
    delay.min = 0;
    delay.max = 900e9;
    ParamSpec max_receives = param("max_receive_count", ParamType::integer, "", "",
                                   "redrive policy (with `dlq`): a message received this many times that fails again "
                                   "moves to the dead-letter queue");
    max_receives.min = 1;
    max_receives.max = 1000;
    ParamSpec dlq = param("dlq", ParamType::reference, "", "",
                          "the dead-letter queue (another sqs of the same kind, with `max_receive_count`)");
    dlq.ref_types = {"sqs"};
    dlq.edge = "dlq";
    dlq.edge_op = EdgeOp::fixed;
    dlq.edge_op_name = "send";
    ParamSpec groups = param("groups", ParamType::integer, "", "1",
                             "FIFO only: message groups; a message's group is its request key mod groups when the "
                             "workload has `keys`, else groups are taken in turn (round robin)");
    groups.min = 1;
    groups.max = 1e6;
    ParamSpec consumer = param("consumer", ParamType::record, "", "", "optional Lambda event source mapping");
    consumer.record = &consumer_schema();
    return Schema{"sqs", "An Amazon SQS queue (standard or FIFO) with an optional Lambda consumer.",
                  {fifo, visibility, retention, delay, max_receives, dlq, groups, consumer},
                  sqs_aliases()};
  }();
  return s;
}

// Where a diagnostic about `v` points: the value when it was written, else the fallback.
const SourceLoc& loc_of(const Value& v, const SourceLoc& fallback) { return v.given ? v.loc : fallback; }
// A duration as the scenario wrote it (or its default).
std::string duration_text(const Value& v) { return v.given && !v.text.empty() ? v.text : format_duration(v.number); }

void check_sqs(const ServiceDecl& d, const Scenario& sc, Diagnostics& diags) {
  const Record& p = d.params;
  const std::string path = "services." + d.name;
  const bool fifo = p.flag("fifo");
  const char* kind = fifo ? "FIFO" : "standard";
  const Value& dlq = p.get("dlq");
  const Value& max_receives = p.get("max_receive_count");
  if (dlq.present && !max_receives.present)
    diags.error(dlq.loc, dlq.path, "a dead-letter queue needs 'max_receive_count' (receives before a message moves)",
                "a redrive policy sets both, e.g. 'max_receive_count: 3'");
  if (max_receives.present && !dlq.present)
    diags.error(max_receives.loc, max_receives.path, "'max_receive_count' needs a 'dlq' (the queue that receives the messages)",
                "without a dead-letter queue a failing message is retried until its retention ends");
  if (dlq.present) {
    const ServiceDecl* target = sc.find_service(dlq.text);
    if (dlq.text == d.name) {
      diags.error(dlq.loc, dlq.path, "a queue cannot be its own dead-letter queue");
    } else if (target != nullptr && target->type != nullptr && target->type->name == "sqs" &&
               target->params.schema != nullptr) {
      const bool target_fifo = target->params.flag("fifo");
      if (target_fifo != fifo)
        diags.error(dlq.loc, dlq.path,
                    fmt::format("'{}' is a {} queue, but the dead-letter queue of a {} queue must be {} too", dlq.text,
                                target_fifo ? "FIFO" : "standard", kind, kind));
    }
  }
  // A message that outlives its retention while invisible expires before it can be received again.
  const Value& retention = p.get("retention");
  const Value& visibility_value = p.get("visibility_timeout");
  if (p.duration("retention") < p.duration("visibility_timeout"))
    diags.warning(loc_of(retention, loc_of(visibility_value, d.loc)), retention.path,
                  fmt::format("the retention ({}) is shorter than the visibility timeout ({}): a message whose "
                              "receive fails expires before it becomes visible again, so it is never retried",
                              duration_text(retention), duration_text(visibility_value)),
                  "set retention longer than visibility_timeout (AWS's defaults: 4d and 30s)");
  const Value& groups = p.get("groups");
  if (!fifo && groups.given)
    diags.error(groups.loc, groups.path, "'groups' applies to FIFO queues only (message groups)",
                "set 'fifo: true', or remove 'groups'");
  const Value& consumer = p.get("consumer");
  if (!consumer.present || !consumer.record) return;
  const Record& c = *consumer.record;
  const Value& batch = c.get("batch_size");
  const Value& window = c.get("batch_window");
  const std::int64_t batch_size = c.integer("batch_size");
  if (fifo && batch_size > 10)
    diags.error(batch.loc, batch.path, fmt::format("a FIFO queue's batch size is at most 10, found {}", batch_size));
  if (fifo && window.given && c.duration("batch_window") > 0)
    diags.error(window.loc, window.path, "a batching window is not supported for FIFO queues");
  if (!fifo && batch_size > 10 && c.duration("batch_window") < kSecond)
    diags.error(loc_of(window, batch.loc), window.path,
                fmt::format("a batch size above 10 ({}) needs a batch_window of at least 1s, found {}", batch_size,
                            duration_text(window)));
  const Value& function = c.get("function");
  const Value& workers = c.get("workers");
  if (function.present == workers.present) {
    diags.error(function.present ? workers.loc : consumer.loc, function.present ? workers.path : consumer.path,
                function.present ? "give 'function' or 'workers', not both"
                                 : "missing the consumer: 'function' (a lambda) or 'workers' (a fargate service)");
    return;
  }
  if (workers.present) return;
  const ServiceDecl* fn = sc.find_service(c.text("function"));
  if (fn == nullptr || fn->type == nullptr || fn->type->name != "lambda" || fn->params.schema == nullptr) return;
  const Value& vt = p.get("visibility_timeout");
  const SimTime visibility = p.duration("visibility_timeout");
  const SimTime fn_timeout = fn->params.duration("timeout");
  if (visibility < fn_timeout) {
    diags.error(loc_of(vt, consumer.loc), vt.path,
                fmt::format("the visibility timeout ({}) is shorter than the timeout of the consumer '{}' ({}): Lambda "
                            "refuses to create the event source mapping",
                            duration_text(vt), fn->name, duration_text(fn->params.get("timeout"))),
                fmt::format("set visibility_timeout to at least 6x the function timeout ({})",
                            format_duration(6.0 * static_cast<double>(fn_timeout))));
  } else if (visibility < 6 * fn_timeout) {
    diags.warning(loc_of(vt, consumer.loc), vt.path,
                  fmt::format("the visibility timeout ({}) is less than 6x the timeout of the consumer '{}' ({}): "
                              "retries after throttling may not fit",
                              duration_text(vt), fn->name, duration_text(fn->params.get("timeout"))),
                  fmt::format("AWS recommends at least {}", format_duration(6.0 * static_cast<double>(fn_timeout))));
  }
}

}  // namespace slsim::models
