#include "models/elasticache/elasticache.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "models/pricing/catalog.hpp"
#include "sim/cache/cache_params.hpp"
#include "sim/cache/item_cache.hpp"
#include "sim/core/simulation.hpp"
#include "sim/scenario/build.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/stats/counter.hpp"
#include "sim/stats/histogram.hpp"
#include "sim/workload/workload.hpp"

namespace slsim::models {

namespace {

// The node types with a price in the catalog (docs/model-assumptions.md §14.1).
const std::vector<std::string>& node_types() {
  static const std::vector<std::string> types = {"cache.t4g.micro", "cache.t4g.small", "cache.r6g.large",
                                                 "cache.r7g.large"};
  return types;
}

std::vector<Alias> elasticache_aliases() {
  const std::string not_modelled = "not modelled: leave it out";
  const std::string total_nodes = "write 'nodes' as the cluster's total node count (shards x nodes per shard), e.g. nodes: 6";
  const std::string name = "a service's name is its key under services:, e.g. services: {sessions: {type: elasticache}}";
  const std::string ttl = "write 'ttl' with its unit, e.g. ttl: 10min (0s: items never expire)";
  const std::string eviction =
      "eviction is always least recently used once capacity_items items are held: leave it out";
  return {
      {"cache_node_type", "write 'node_type', e.g. node_type: cache.r6g.large"},
      {"num_cache_nodes", "write 'nodes', e.g. nodes: 2"},
      {"num_node_groups", total_nodes},
      {"replicas_per_node_group", total_nodes},
      {"num_cache_clusters", total_nodes},
      {"cache_cluster_id", name},
      {"replication_group_id", name},
      {"cluster_name", name},
      {"default_ttl", ttl},
      {"time_to_live", ttl},
      {"expire", ttl},
      {"expiry", ttl},
      {"maxmemory_policy", eviction},
      {"eviction_policy", eviction},
      {"max_items", "write 'capacity_items', e.g. capacity_items: 100000"},
      {"capacity", "write 'capacity_items' (how many items the cache holds), e.g. capacity_items: 100000"},
      {"hit_rate", "write 'hit_ratio', e.g. hit_ratio: 0.9"},
      {"origin", "write 'backend: SERVICE' (what a miss reads from)"},
      {"database", "write 'backend: SERVICE' (what a miss reads from)"},
      {"serverless", "ElastiCache Serverless is not modelled: give node_type and nodes"},
      {"engine_version", not_modelled},
      {"cluster_mode", not_modelled},
      {"port", not_modelled},
      {"parameter_group_name", not_modelled},
      {"subnet_group_name", not_modelled},
      {"security_group_ids", not_modelled},
      {"snapshot_retention_limit", not_modelled},
      {"at_rest_encryption_enabled", not_modelled},
      {"transit_encryption_enabled", not_modelled},
  };
}

const Schema& elasticache_schema() {
  static const Schema s = [] {
    ParamSpec engine = param("engine", ParamType::choice, "", "redis",
                             "redis (Redis OSS), memcached or valkey: only the node price differs (Valkey's is derived "
                             "as 20% below Redis OSS's)");
    engine.choices = {"redis", "memcached", "valkey"};
    ParamSpec node_type = param("node_type", ParamType::choice, "", "cache.t4g.small",
                                "the node type: sets the price per node-hour (the number of items held is capacity_items)");
    node_type.choices = node_types();
    ParamSpec nodes = param("nodes", ParamType::integer, "", "1", "nodes billed (primaries and replicas together)");
    nodes.min = 1;
    nodes.max = 1000;
    nodes.range_hint = "nodes only multiply the bill: the simulated cache holds capacity_items items whatever the count";
    ParamSpec latency = param("latency", ParamType::distribution, "ms", "500us",
                              "time to answer one command (get, set, delete). UNCONFIRMED: AWS claims microsecond "
                              "response times without a figure; 500us is an assumption for a call within one zone");
    latency.min = 0;
    std::vector<ParamSpec> params = {engine, node_type, nodes, latency};
    for (ParamSpec& p : cache_params("0s", "item")) {
      // Redis keeps a key until it is deleted or evicted unless it is given a TTL.
      if (p.name == "ttl") p.help += "; Redis has no default TTL";
      params.push_back(p);
    }
    ParamSpec backend = param("backend", ParamType::reference, "", "",
                              "the service a miss reads from (any service that takes requests); without one a miss "
                              "answers ok after the latency (a session store's 'not found')");
    backend.edge = "backend";
    backend.edge_op = EdgeOp::from_key;
    backend.edge_op_name = "backend_op";
    ParamSpec backend_op = param("backend_op", ParamType::text, "", "",
                                 "the operation a miss sends to the backend (the backend's default when omitted)");
    params.push_back(backend);
    params.push_back(backend_op);
    return Schema{"elasticache",
                  "An Amazon ElastiCache cluster (Redis OSS, Memcached or Valkey) used cache-aside in front of a backend.",
                  params, elasticache_aliases()};
  }();
  return s;
}

void check(const ServiceDecl& d, const Scenario& sc, Diagnostics& diags) {
  const Record& p = d.params;
  check_cache_params(p, diags);
  const Value& backend = p.get("backend");
  const Value& op = p.get("backend_op");
  if (op.present && !backend.present) {
    diags.error(op.loc, op.path, "'backend_op' needs a 'backend'",
                "name the service a miss reads from, e.g. backend: users_table");
    return;
  }
  if (!backend.present) return;
  if (backend.text == d.name) {
    diags.error(backend.loc, backend.path, fmt::format("'{}' cannot be its own backend", d.name),
                "name the service a miss reads from (a function, a table, an external dependency)");
    return;
  }
  const ServiceDecl* target = sc.find_service(backend.text);
  if (target == nullptr || target->type == nullptr) return;
  const auto& ops = target->type->ops;
  if (ops.empty()) {
    diags.error(backend.loc, backend.path,
                fmt::format("'{}' is {} service, which takes no requests", backend.text, a_or_an(target->type->name)));
  } else if (op.present && std::find(ops.begin(), ops.end(), op.text) == ops.end()) {
    diags.error(op.loc, op.path,
                fmt::format("'{}' ({}) has no operation '{}' (it has {})", target->name, target->type->name, op.text,
                            quoted_list(ops)),
                target->type->op_hint(op.text));
  }
}

class ElastiCache final : public Service {
 public:
  explicit ElastiCache(const ServiceBuildContext& ctx)
      : Service(ctx.name(), "elasticache"),
        cache_(cache_config(ctx.params()), ctx.sim().rng("service." + ctx.name() + ".cache")),
        latency_(ctx.params().dist("latency")),
        latency_rng_(ctx.sim().rng("service." + ctx.name() + ".latency")),
        nodes_(static_cast<double>(ctx.params().integer("nodes"))) {
    const Record& p = ctx.params();
    if (p.has("backend")) {
      const std::string& target = p.text("backend");
      const std::string op =
          p.has("backend_op") ? p.text("backend_op") : ctx.scenario().find_service(target)->type->ops.front();
      backend_ = ctx.id_of(target);
      backend_op_ = ctx.op_index(target, op);
      has_backend_ = true;
    }
    const PriceCatalog prices(ctx.scenario());
    node_hour_usd_ = prices(fmt::format("elasticache.{}.{}", p.text("engine"), p.text("node_type")));
  }

  void handle(Simulation& sim, const Event& e) override {
    switch (e.kind) {
      case kCallEvent: on_command(sim, CallHandle{e.data}); return;
      case kAnswer: answer(sim, CallHandle{e.data}, CallStatus::ok); return;
      case kMissed: on_missed(sim, CallHandle{e.data}); return;
      case kReplyEvent: on_backend_reply(sim, CallHandle{e.data}, reply_status(e)); return;
      default: return;
    }
  }

  void reset_statistics(SimTime /*now*/) override {
    requests_.reset();
    backend_errors_.reset();
    cache_.reset_statistics();
    latency_hist_.reset();
    failed_latency_hist_.reset();
  }

  void report(Json& out, double /*measured_seconds*/) const override {
    out["requests"] = requests_.value;
    cache_.report(out["cache"]);
    out["evictions"] = cache_.evictions();
    out["backend_errors"] = backend_errors_.value;
    out["latency_ms"] = latency_json(latency_hist_);                // ok answers (hits, filled misses, sets, deletes)
    out["latency_failed_ms"] = latency_json(failed_latency_hist_);  // backend failures passed on
  }

  void sample(TimeSeriesRow& row) override {
    row.count("requests", static_cast<double>(requests_.value));
    row.count("cache.hits", static_cast<double>(cache_.hits()));
    row.count("cache.misses", static_cast<double>(cache_.misses()));
    row.count("backend_errors", static_cast<double>(backend_errors_.value));
    row.latency("latency_ms", latency_hist_);
  }

  void bill(CostLedger& ledger, const BillingPeriod& period) const override {
    // Nodes are billed by the hour whether they are used or not (docs/model-assumptions.md §14.1).
    const double node_hours = nodes_ * period.measured_seconds() / 3600.0;
    ledger.add(name(), "node hours", node_hours, "node-hours", node_hours * node_hour_usd_, CostBasis::time);
  }

 private:
  enum : std::uint16_t { kGet = 0, kSet = 1, kDelete = 2 };  // indices into the type's ops
  enum : std::uint16_t { kAnswer = kFirstComponentEvent, kMissed };

  // The command takes effect when it arrives; its answer comes after the latency.
  void on_command(Simulation& sim, CallHandle call) {
    requests_.add();
    const Call info = sim.call_info(call);
    const std::uint64_t key = sim.request(info.request).key;
    const SimTime now = sim.now();
    std::uint16_t next = kAnswer;
    switch (info.op) {
      case kGet: next = cache_.lookup(key, now) ? kAnswer : kMissed; break;
      case kSet: cache_.fill(key, now); break;
      case kDelete: cache_.erase(key); break;
      default: break;
    }
    sim.schedule_in(latency_.sample_ns(latency_rng_), id(), next, call.bits);
  }

  void on_missed(Simulation& sim, CallHandle call) {
    if (!has_backend_) {
      answer(sim, call, CallStatus::ok);  // nothing to read through: "not found"
      return;
    }
    // The client's call stays open until the backend answers: its handle is the token.
    sim.call(id(), backend_, backend_op_, sim.call_info(call).request, call.bits);
  }

  void on_backend_reply(Simulation& sim, CallHandle client, CallStatus status) {
    if (status == CallStatus::ok) {
      cache_.fill(sim.request(sim.call_info(client).request).key, sim.now());
    } else {
      backend_errors_.add();  // passed on as it came; nothing is stored
    }
    answer(sim, client, status);
  }

  void answer(Simulation& sim, CallHandle call, CallStatus status) {
    const SimTime latency = sim.now() - sim.call_info(call).delivered;
    (status == CallStatus::ok ? latency_hist_ : failed_latency_hist_).record(latency);
    sim.reply(call, status);
  }

  ItemCache cache_;
  Distribution latency_;
  Rng latency_rng_;
  double nodes_;
  double node_hour_usd_ = 0;
  bool has_backend_ = false;
  ComponentId backend_ = 0;
  std::uint16_t backend_op_ = 0;
  Counter requests_, backend_errors_;
  LatencyHistogram latency_hist_, failed_latency_hist_;
};

}  // namespace

ServiceType elasticache_type() {
  ServiceType t;
  t.name = "elasticache";
  t.summary = "an ElastiCache cluster, cache-aside in front of a backend: hits, misses read through, node-hour cost";
  t.table = {"requests", "cache.hits", "cache.misses", "cache.hit_ratio", "evictions", "backend_errors", "latency_ms",
             "latency_failed_ms"};
  t.schema = &elasticache_schema();
  t.ops = {"get", "set", "delete"};  // indices kGet, kSet, kDelete
  t.op_aliases = {{"del", "write 'delete'"},
                  {"hget", "write 'get' (a hash field is one item here)"},
                  {"mget", "write 'get' (one item per request)"},
                  {"hset", "write 'set' (a hash field is one item here)"},
                  {"setex", "write 'set' (the cache's 'ttl' gives the expiry)"},
                  {"expire", "write 'delete' to invalidate; the cache's 'ttl' gives the expiry"},
                  {"invalidate", "write 'delete'"},
                  {"put", "write 'set'"},
                  {"read", "write 'get'"},
                  {"write", "write 'set'"}};
  // Only a miss of a `get` goes on to the backend.
  t.forwards = {{"get", {"backend"}}};
  t.build = &make_service<ElastiCache>;
  t.analytic = &elasticache_analytic;
  t.check = &check;
  return t;
}

}  // namespace slsim::models
