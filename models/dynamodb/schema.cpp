#include "models/dynamodb/schema.hpp"

#include <fmt/format.h>

#include "models/streams/stream_mapping.hpp"
#include "sim/cache/cache_params.hpp"
#include "sim/scenario/units.hpp"

namespace slsim::models {

namespace {

const Schema& auto_scaling_schema() {
  static const Schema s = [] {
    ParamSpec min = bounded(param("min", ParamType::integer, "", "1", "lowest capacity it sets (RCU or WCU)"), 1, 40000);
    ParamSpec max = bounded(param("max", ParamType::integer, "", "40000", "highest capacity it sets (RCU or WCU)"), 1, 40000);
    ParamSpec target = bounded(param("target_utilization", ParamType::probability, "", "0.7",
                                     "consumed over provisioned capacity that target tracking aims at (AWS allows 0.2 "
                                     "to 0.9; the console proposes 0.7)"),
                               0.2, 0.9);
    target.range_hint = "AWS accepts target utilisations from 20% to 90%";
    ParamSpec out = bounded(param("scale_out_after", ParamType::duration, "min", "2min",
                                  "consecutive minutes above the target before the alarm asks for more capacity"),
                            60e9, 3600e9);
    ParamSpec in = bounded(param("scale_in_after", ParamType::duration, "min", "15min",
                                 "consecutive minutes 20 points below the target before the alarm asks for less"),
                           60e9, 86400e9);
    ParamSpec delay = bounded(param("update_delay", ParamType::duration, "min", "2min",
                                    "from the alarm to the new capacity being in force (policy evaluation and "
                                    "UpdateTable; an assumption, see docs/model-assumptions.md)"),
                              0, 3600e9);
    return Schema{"auto_scaling",
                  "Target-tracking auto scaling of the read and the write capacity (each on its own).",
                  {min, max, target, out, in, delay},
                  {{"target_value", "write 'target_utilization' as a fraction, e.g. target_utilization: 0.7"},
                   {"min_capacity", "write 'min', e.g. min: 5"},
                   {"max_capacity", "write 'max', e.g. max: 1000"}}};
  }();
  return s;
}

const Schema& provisioned_schema() {
  static const Schema s = [] {
    ParamSpec rcu = bounded(param("rcu", ParamType::integer, "", "", "provisioned read capacity units (4 KB strongly "
                                                                     "consistent reads per second)"),
                            1, 40000);
    rcu.required = true;
    ParamSpec wcu = bounded(param("wcu", ParamType::integer, "", "", "provisioned write capacity units (1 KB writes "
                                                                     "per second)"),
                            1, 40000);
    wcu.required = true;
    ParamSpec burst = param("burst", ParamType::boolean, "", "true",
                            "keep up to 300 s of unused capacity to absorb spikes (the table starts with it full)");
    ParamSpec scaling = param("auto_scaling", ParamType::record, "", "", "optional target-tracking auto scaling");
    scaling.record = &auto_scaling_schema();
    return Schema{"provisioned", "Provisioned capacity: RCU and WCU per second, billed by the hour.",
                  {rcu, wcu, burst, scaling},
                  {{"read_capacity_units", "write 'rcu', e.g. rcu: 100"},
                   {"write_capacity_units", "write 'wcu', e.g. wcu: 50"},
                   {"read_capacity", "write 'rcu', e.g. rcu: 100"},
                   {"write_capacity", "write 'wcu', e.g. wcu: 50"}}};
  }();
  return s;
}

const Schema& previous_peak_schema() {
  static const Schema s = [] {
    ParamSpec rru = bounded(param("rru", ParamType::rate, "/s", "6000/s", "read request units per second"), 0, 1e7);
    ParamSpec wru = bounded(param("wru", ParamType::rate, "/s", "2000/s", "write request units per second"), 0, 1e7);
    return Schema{"previous_peak",
                  "The traffic the table has already seen; it serves up to twice this at once (a new table: "
                  "6000 RRU/s or 2000 WRU/s, so 12000 RRU/s or 4000 WRU/s at once).",
                  {rru, wru}};
  }();
  return s;
}

const Schema& on_demand_schema() {
  static const Schema s = [] {
    ParamSpec peak = param("previous_peak", ParamType::record, "", "",
                           "the peak the table remembers at the start (reads and writes as a linear mix)");
    peak.record = &previous_peak_schema();
    ParamSpec delay = bounded(param("peak_delay", ParamType::duration, "min", "30min",
                                    "how long a new peak takes to become the previous peak: traffic may double once "
                                    "per this time without throttling"),
                              1e9, 86400e9);
    return Schema{"on_demand", "On-demand capacity: pay per request; serves up to twice the previous peak at once.",
                  {peak, delay}};
  }();
  return s;
}

const Schema& latency_schema() {
  static const Schema s = [] {
    // Single-digit milliseconds (docs/model-assumptions.md §13.3); the split by
    // operation is our assumption.
    const auto op = [](const char* name, const char* def, const char* help) {
      ParamSpec p = param(name, ParamType::distribution, "ms", def, help);
      p.min = 0;
      return p;
    };
    return Schema{"latency", "Service-side time of one attempt, by operation.",
                  {op("get", "4ms", "GetItem"), op("put", "6ms", "PutItem"), op("update", "6ms", "UpdateItem"),
                   op("delete", "6ms", "DeleteItem"), op("query", "8ms", "Query"),
                   op("batch_get", "10ms", "BatchGetItem"), op("batch_write", "12ms", "BatchWriteItem"),
                   op("transact", "15ms", "TransactWriteItems")}};
  }();
  return s;
}

const Schema& client_retries_schema() {
  static const Schema s = [] {
    ParamSpec attempts = bounded(param("max_attempts", ParamType::integer, "", "3",
                                       "attempts per call, the first included (AWS SDKs' standard mode: 3)"),
                                 1, 100);
    ParamSpec base = bounded(param("base", ParamType::duration, "ms", "50ms",
                                   "backoff before retry k is uniform in [0, min(cap, base x 2^(k-1))] (full jitter)"),
                             0, 3600e9);
    ParamSpec cap = bounded(param("cap", ParamType::duration, "s", "20s", "the longest backoff"), 0, 3600e9);
    return Schema{"client_retries",
                  "The caller's SDK: a throttled call is retried after a backoff with full jitter; the caller waits "
                  "(a Lambda function is billed meanwhile).",
                  {attempts, base, cap},
                  {{"retry_mode", "only the standard mode's backoff is modelled: give max_attempts, base and cap"},
                   {"max_retries", "write 'max_attempts' (retries + 1), e.g. max_attempts: 4"}}};
  }();
  return s;
}

const Schema& dax_schema() {
  static const Schema s = [] {
    std::vector<ParamSpec> params = cache_params("5min", "item");
    ParamSpec query_ttl = param("query_ttl", ParamType::duration, "s", "5min",
                                "emergent hits: a cached query result expires this long after it was loaded (writes "
                                "do not invalidate it)");
    query_ttl.min = 0;
    ParamSpec latency = param("latency", ParamType::distribution, "ms", "500us", "time of a DAX hit (and what a miss adds)");
    latency.min = 0;
    ParamSpec nodes = bounded(param("nodes", ParamType::integer, "", "3", "nodes in the cluster (AWS advises 3 or more "
                                                                         "for production)"),
                              1, 11);
    ParamSpec node_type = param("node_type", ParamType::choice, "", "dax.r5.large", "node type (sets the node-hour price)");
    node_type.choices = {"dax.t3.small", "dax.t3.medium", "dax.r5.large", "dax.r5.xlarge", "dax.r5.2xlarge"};
    ParamSpec node_rate = bounded(param("node_reads_per_second", ParamType::rate, "/s", "50000/s",
                                        "reads one node serves per second; more are throttled (our assumption: AWS "
                                        "publishes no figure)"),
                                  1, 1e7);
    params.push_back(query_ttl);
    params.push_back(latency);
    params.push_back(nodes);
    params.push_back(node_type);
    params.push_back(node_rate);
    return Schema{"dax",
                  "A DAX cluster in front of the table: an item cache for get and batch_get, a query cache for query; "
                  "eventually consistent reads only.",
                  params,
                  {{"replication_factor", "write 'nodes', e.g. nodes: 3"},
                   {"item_ttl", "write 'ttl', e.g. ttl: 5min"},
                   {"record_ttl", "write 'ttl', e.g. ttl: 5min"}}};
  }();
  return s;
}

const Schema& stream_schema() {
  static const Schema s = [] {
    ParamSpec consumer = param("consumer", ParamType::record, "", "", "the Lambda event source mapping (as for kinesis)");
    consumer.record = &stream_consumer_schema();
    consumer.required = true;
    return Schema{"stream",
                  "DynamoDB Streams: every write becomes a change record, kept 24 h, read in order per item by a "
                  "Lambda consumer.",
                  {consumer},
                  {{"stream_view_type", "not modelled: a change record's size is the item size"},
                   {"stream_enabled", "a stream is on when 'stream:' is given"}}};
  }();
  return s;
}

}  // namespace

const Schema& dynamodb_schema() {
  static const Schema s = [] {
    ParamSpec capacity = param("capacity", ParamType::variant, "", "{mode: on_demand}", "capacity mode");
    capacity.discriminator = "mode";
    capacity.variants = {{"provisioned", &provisioned_schema()}, {"on_demand", &on_demand_schema()}};
    ParamSpec item_size = bounded(param("item_size", ParamType::size, "KB", "1KB", "size of one item"), 1, 400 * 1024);
    item_size.range_hint = "DynamoDB items are at most 400 KB";
    ParamSpec consistency = param("consistency", ParamType::choice, "", "eventual",
                                  "reads: eventual (half a unit per 4 KB), strong (one), transactional (two, and "
                                  "writes cost two units per KB)");
    consistency.choices = {"eventual", "strong", "transactional"};
    ParamSpec per_query = bounded(param("items_per_query", ParamType::integer, "", "10",
                                        "items a query returns (its size is rounded up to 4 KB as a whole)"),
                                  1, 10000);
    ParamSpec per_batch = bounded(param("items_per_batch", ParamType::integer, "", "25",
                                        "items of a batch_get (at most 100) or batch_write (at most 25)"),
                                  1, 100);
    ParamSpec per_transaction = bounded(param("items_per_transaction", ParamType::integer, "", "2",
                                              "items a transact writes (two units per KB each)"),
                                        1, 100);
    ParamSpec partitions = bounded(param("partitions", ParamType::integer, "", "",
                                         "optional: the partition count (default: from the capacity, 3000 RCU and "
                                         "1000 WCU each)"),
                                   1, 100000);
    ParamSpec latency = param("latency", ParamType::record, "", "", "service-side time per operation");
    latency.record = &latency_schema();
    ParamSpec retries = param("client_retries", ParamType::record, "", "", "the callers' SDK retries of throttled calls");
    retries.record = &client_retries_schema();
    ParamSpec injected = param("injected_throttles", ParamType::probability, "", "0",
                               "extra throttling: each attempt is throttled with this probability (to study retries)");
    ParamSpec dax = param("dax", ParamType::record, "", "", "optional DAX cluster");
    dax.record = &dax_schema();
    ParamSpec stream = param("stream", ParamType::record, "", "", "optional DynamoDB Streams with a Lambda consumer");
    stream.record = &stream_schema();
    return Schema{"dynamodb", "An Amazon DynamoDB table, with optional DAX and Streams.",
                  {capacity, item_size, consistency, per_query, per_batch, per_transaction, partitions, latency, retries,
                   injected, dax, stream},
                  {{"billing_mode", "write 'capacity: {mode: on_demand}' or 'capacity: {mode: provisioned, rcu: 100, wcu: 50}'"},
                   {"provisioned_throughput", "write 'capacity: {mode: provisioned, rcu: 100, wcu: 50}'"},
                   {"read_capacity_units", "write 'capacity: {mode: provisioned, rcu: 100, wcu: 50}'"},
                   {"write_capacity_units", "write 'capacity: {mode: provisioned, rcu: 100, wcu: 50}'"},
                   {"table_name", "a service's name is its key under services:, e.g. services: {orders: {type: dynamodb}}"},
                   {"stream_specification", "write 'stream: {consumer: {function: FUNCTION}}'"},
                   {"consistent_read", "write 'consistency: strong'"},
                   {"rcu", "the capacity is a block: capacity: {mode: provisioned, rcu: 100, wcu: 50}"},
                   {"wcu", "the capacity is a block: capacity: {mode: provisioned, rcu: 100, wcu: 50}"},
                   {"mode", "the capacity is a block: capacity: {mode: on_demand}"}}};
  }();
  return s;
}

void check_dynamodb(const ServiceDecl& d, const Scenario& /*sc*/, Diagnostics& diags) {
  const Record& p = d.params;
  if (p.has("dax")) check_cache_params(p.record("dax"), diags);
  if (p.has("stream")) check_stream_consumer(p.record("stream").record("consumer"), 24 * 3600e9, "24h", diags);
  const Value& cap = p.get("capacity");
  if (cap.present && cap.record && cap.record->variant == "provisioned" && cap.record->has("auto_scaling")) {
    const Record& a = cap.record->record("auto_scaling");
    const Value& min = a.get("min");
    const Value& max = a.get("max");
    if (min.number > max.number)
      diags.error(min.loc, min.path, fmt::format("auto scaling min ({}) is above its max ({})", a.integer("min"),
                                                 a.integer("max")));
  }
}

}  // namespace slsim::models
