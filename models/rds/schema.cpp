// The `rds` type's parameters (rds_schema, with the proxy and serverless
// records and the AWS-style aliases) and its load-time checks: the instance
// class offered with the engine, a Serverless v2 configuration, a proxy pool
// that is not empty, readers only on Aurora (docs/model-assumptions.md §17).
#include "models/rds/schema.hpp"

#include <string>
#include <vector>

#include <fmt/format.h>

#include "models/rds/instances.hpp"
#include "models/rds/serverless.hpp"
#include "sim/scenario/scenario.hpp"

namespace slsim::models {

namespace {

using rds::InstanceClass;

const std::vector<std::string>& engines() {
  static const std::vector<std::string> e = {"mysql", "postgres", "aurora-mysql", "aurora-postgresql"};
  return e;
}

std::vector<Alias> rds_aliases() {
  const std::string not_modelled = "not modelled: leave it out";
  const std::string name = "a service's name is its key under services:, e.g. services: {orders_db: {type: rds}}";
  return {
      {"db_instance_class", "write 'instance', e.g. instance: db.t3.medium"},
      {"instance_class", "write 'instance', e.g. instance: db.t3.medium"},
      {"instance_type", "write 'instance', e.g. instance: db.t3.medium"},
      {"class", "write 'instance', e.g. instance: db.t3.medium"},
      {"engine_version", not_modelled},
      {"db_instance_identifier", name},
      {"db_cluster_identifier", name},
      {"replicas", "write 'readers' (Aurora replicas), e.g. readers: 2"},
      {"read_replicas", "write 'readers' (Aurora replicas), e.g. readers: 2"},
      {"latency", "write 'query' (the service time of one transaction on a vCPU), e.g. query: 5ms"},
      {"query_time", "write 'query', e.g. query: {dist: exponential, mean: 5ms}"},
      {"connection_time", "write 'connect', e.g. connect: 30ms"},
      {"rds_proxy", "write 'proxy: {}' (the defaults) or proxy: {max_connections_percent: 100}"},
      {"serverless_v2_scaling_configuration",
       "write instance: db.serverless and serverless: {min_capacity: 0.5, max_capacity: 16}"},
      {"scaling_configuration", "write instance: db.serverless and serverless: {min_capacity: 0.5, max_capacity: 16}"},
      {"min_capacity", "write it under serverless:, e.g. serverless: {min_capacity: 0.5}"},
      {"max_capacity", "write it under serverless:, e.g. serverless: {max_capacity: 16}"},
      {"seconds_until_auto_pause", "write it under serverless:, e.g. serverless: {min_capacity: 0, auto_pause: 300s}"},
      {"auto_pause", "write it under serverless:, e.g. serverless: {min_capacity: 0, auto_pause: 300s}"},
      {"multi_az", not_modelled},
      {"allocated_storage", "storage is not modelled or billed: leave it out"},
      {"storage_type", "storage is not modelled or billed: leave it out"},
      {"port", not_modelled},
      {"db_subnet_group_name", not_modelled},
      {"vpc_security_group_ids", not_modelled},
      {"master_username", not_modelled},
      {"backup_retention_period", not_modelled},
  };
}

const Schema& proxy_schema() {
  static const Schema s = [] {
    ParamSpec percent = param("max_connections_percent", ParamType::integer, "%", "100",
                              "the pool's size as a percentage of the database's max_connections (AWS's "
                              "MaxConnectionsPercent); the proxy opens pool connections as transactions need them");
    percent.min = 1;
    percent.max = 100;
    ParamSpec borrow = param("borrow_timeout", ParamType::duration, "s", "120s",
                             "how long a transaction waits (first come, first served) for a pool connection before it "
                             "fails (ConnectionBorrowTimeout; 0s: waits without limit)");
    borrow.min = 0;
    borrow.max = 3600e9;
    ParamSpec pinned = param("pinned", ParamType::probability, "", "0",
                             "the fraction of client sessions pinned to one database connection for their whole life "
                             "(session state: SET, prepared statements, temporary tables...)");
    return Schema{"proxy", "An RDS Proxy: pooled connections borrowed per transaction.", {percent, borrow, pinned},
                  {{"connection_borrow_timeout", "write 'borrow_timeout' with its unit, e.g. borrow_timeout: 120s"},
                   {"max_idle_connections_percent", "idle pool connections are never closed here: leave it out"},
                   {"idle_client_timeout", "client connections end with the caller's session here: leave it out"},
                   {"session_pinning_filters", "write 'pinned' (the fraction of sessions pinned), e.g. pinned: 0.1"}}};
  }();
  return s;
}

const Schema& serverless_schema() {
  static const Schema s = [] {
    const std::string step = "AWS moves capacity in 0.5-ACU steps";
    ParamSpec min = param("min_capacity", ParamType::number, "ACU", "0.5",
                          "the least capacity (AWS's MinCapacity), a multiple of 0.5; 0 lets the instance pause "
                          "after `auto_pause` without connections (it runs at 0.5 or more meanwhile)");
    min.min = 0;
    min.max = 256;
    min.range_hint = "AWS's MinCapacity is 0 to 256 ACUs";
    ParamSpec max = param("max_capacity", ParamType::number, "ACU", "16",
                          "the most capacity (AWS's MaxCapacity), a multiple of 0.5; sets the default max_connections");
    max.min = 1;
    max.max = 256;
    max.range_hint = "AWS's MaxCapacity is 1 to 256 ACUs";
    ParamSpec pause = param("auto_pause", ParamType::duration, "s", "300s",
                            "with min_capacity 0: how long the instance must be without connections and transactions "
                            "before it pauses at 0 ACU (AWS's SecondsUntilAutoPause)");
    pause.min = 300e9;
    pause.max = 86400e9;
    pause.range_hint = "AWS's SecondsUntilAutoPause is 300 to 86,400 seconds";
    ParamSpec resume = param("resume", ParamType::distribution, "s", "15s",
                             "time from the first request after a pause until the instance serves; requests arriving "
                             "meanwhile wait too (UNCONFIRMED: AWS says usually under 15 s)");
    resume.min = 0;
    ParamSpec target = param("target_utilization", ParamType::probability, "", "0.7",
                             "the share of its capacity the instance aims to keep busy: every scaling_interval the "
                             "capacity moves towards ACUs in use / target, rounded up to 0.5 (UNCONFIRMED: AWS does "
                             "not publish its scaling rule)");
    target.min = 0.05;
    ParamSpec interval = param("scaling_interval", ParamType::duration, "s", "1s",
                               "how often the capacity is re-evaluated (UNCONFIRMED)");
    interval.min = 1e9;
    interval.max = 60e9;
    ParamSpec up = param("scale_up_rate", ParamType::number, "ACU/s", "2",
                         "the most capacity added per second, in whole 0.5-ACU steps per scaling_interval "
                         "(UNCONFIRMED: AWS scales up in seconds, faster at higher capacity)");
    up.min = 0.5;
    up.max = 256;
    up.range_hint = step;
    ParamSpec down = param("scale_down_rate", ParamType::number, "ACU/s", "0.5",
                           "the most capacity removed per second, in whole 0.5-ACU steps per scaling_interval "
                           "(UNCONFIRMED)");
    down.min = 0.5;
    down.max = 256;
    down.range_hint = step;
    ParamSpec vcpus = param("vcpus_per_acu", ParamType::number, "", "0.25",
                            "vCPUs serving transactions per ACU (UNCONFIRMED: 1 ACU is about 2 GiB with matching CPU; "
                            "0.25 matches db.r6g.large, 2 vCPUs and 16 GiB = 8 ACUs)");
    vcpus.min = 0;
    vcpus.min_exclusive = true;
    vcpus.max = 4;
    ParamSpec keep = param("proxy_prevents_pause", ParamType::boolean, "", "true",
                           "with `proxy:`: the proxy's open pool connections keep the instance from pausing "
                           "(UNCONFIRMED: AWS lists RDS Proxy among what auto-pause cannot be used with)");
    ParamSpec io = param("io_optimized", ParamType::boolean, "", "false",
                         "Aurora I/O-Optimized: a higher price per ACU-hour (I/O is not billed either way)");
    return Schema{"serverless",
                  "Aurora Serverless v2 capacity: ACUs between min and max, scaling with load, optional auto-pause.",
                  {min, max, pause, resume, target, interval, up, down, vcpus, keep, io},
                  {{"min_acu", "write 'min_capacity', e.g. min_capacity: 0.5"},
                   {"max_acu", "write 'max_capacity', e.g. max_capacity: 16"},
                   {"seconds_until_auto_pause", "write 'auto_pause' with its unit, e.g. auto_pause: 300s"},
                   {"auto_pause_after", "write 'auto_pause' with its unit, e.g. auto_pause: 300s"},
                   {"resume_time", "write 'resume', e.g. resume: 15s"},
                   {"target_cpu", "write 'target_utilization', e.g. target_utilization: 0.7"}}};
  }();
  return s;
}

void check_serverless(const Record& p, const InstanceClass& cls, Diagnostics& diags) {
  const Value& block = p.get("serverless");
  if (!cls.serverless) {
    if (block.given)
      diags.error(block.loc, block.path, fmt::format("'serverless' needs instance: {}, but instance is {}",
                                                     rds::kServerlessClass, cls.name),
                  "write instance: db.serverless (Aurora Serverless v2), or leave 'serverless' out");
    return;
  }
  const Record& s = p.record("serverless");
  bool steps_ok = true;
  for (const char* key : {"min_capacity", "max_capacity"}) {
    const Value& v = s.get(key);
    const double halves = v.number / rds::kAcuStep;
    if (std::abs(halves - std::round(halves)) > 1e-9) {
      diags.error(v.loc, v.path, fmt::format("{} must be a multiple of 0.5 ACU, got {:g}", key, v.number),
                  "Aurora Serverless v2 capacity moves in 0.5-ACU steps, e.g. 0.5, 1, 1.5, 2");
      steps_ok = false;
    }
  }
  const Value& min = s.get("min_capacity");
  const Value& max = s.get("max_capacity");
  if (steps_ok && min.number > max.number)
    diags.error(min.loc, min.path,
                fmt::format("min_capacity ({:g} ACU) is above max_capacity ({:g} ACU)", min.number, max.number));
  const Value& pause = s.get("auto_pause");
  if (pause.given && min.number > 0)
    diags.error(pause.loc, pause.path,
                fmt::format("'auto_pause' needs min_capacity: 0, but min_capacity is {:g} ACU", min.number),
                "an instance pauses only when its minimum capacity is 0 ACU");
}

}  // namespace

const Schema& rds_schema() {
  static const Schema s = [] {
    ParamSpec engine = param("engine", ParamType::choice, "", "mysql",
                             "mysql or postgres (RDS), aurora-mysql or aurora-postgresql (an Aurora provisioned "
                             "cluster): sets the default max_connections and the price");
    engine.choices = engines();
    ParamSpec instance = param("instance", ParamType::choice, "", "db.t3.medium",
                               "the instance class: its vCPUs serve transactions, its memory sets the default "
                               "max_connections, and it sets the price per instance-hour; db.serverless is Aurora "
                               "Serverless v2 (see `serverless`)");
    instance.choices = rds::instance_class_names();
    ParamSpec max_conn = param("max_connections", ParamType::integer, "", "",
                               "connections each instance accepts (the engine's formula on the class's memory when "
                               "omitted: see docs/model-assumptions.md)");
    max_conn.min = 1;
    max_conn.max = 100000;
    ParamSpec readers = param("readers", ParamType::integer, "", "0",
                              "Aurora replicas (aurora engines only): `read` transactions are spread over them, "
                              "`query` and `write` go to the writer");
    readers.min = 0;
    readers.max = 15;
    readers.range_hint = "an Aurora cluster has at most 15 replicas";
    ParamSpec query = param("query", ParamType::distribution, "ms", "{dist: exponential, mean: 5ms}",
                            "service time of one transaction on one vCPU; transactions beyond the vCPUs queue "
                            "first come, first served (UNCONFIRMED: set it from your own measurements)");
    query.min = 0;
    ParamSpec connect = param("connect", ParamType::distribution, "ms", "30ms",
                              "time to set up a new connection (TCP, TLS, authentication), paid by the call that "
                              "opens it (UNCONFIRMED: AWS gives no figure)");
    connect.min = 0;
    ParamSpec proxy = param("proxy", ParamType::record, "", "",
                            "optional RDS Proxy in front of the database: connections pooled and borrowed per "
                            "transaction");
    proxy.record = &proxy_schema();
    ParamSpec serverless = param("serverless", ParamType::record, "", "",
                                 "with instance: db.serverless (Aurora Serverless v2): capacity in ACUs, scaling and "
                                 "auto-pause");
    serverless.record = &serverless_schema();
    return Schema{"rds",
                  "An Amazon RDS database instance or Aurora cluster (provisioned or Serverless v2), optionally behind "
                  "an RDS Proxy.",
                  {engine, instance, max_conn, readers, query, connect, proxy, serverless}, rds_aliases()};
  }();
  return s;
}

// The `serverless:` block: only with db.serverless; capacities in 0.5-ACU
// steps with min <= max; auto_pause only with a minimum of 0 (§17.5).
void check_rds(const ServiceDecl& d, const Scenario& /*sc*/, Diagnostics& diags) {
  const Record& p = d.params;
  const std::string& engine = p.text("engine");
  const InstanceClass* cls = rds::find_instance_class(p.text("instance"));
  if (cls == nullptr) return;
  const bool aurora = rds::is_aurora(engine);
  if ((aurora && !cls->aurora) || (!aurora && !cls->rds)) {
    std::vector<std::string> offered;
    for (const auto& c : rds::instance_classes())
      if (aurora ? c.aurora : c.rds) offered.push_back(c.name);
    diags.error(p.get("instance").loc, p.get("instance").path,
                fmt::format("{} is not offered with engine {} (use one of {})", cls->name, engine, quoted_list(offered)),
                cls->serverless ? "Aurora Serverless v2 needs engine: aurora-mysql or engine: aurora-postgresql" : "");
  }
  check_serverless(p, *cls, diags);
  if (p.has("proxy")) {
    const std::int64_t max_connections = rds::instance_max_connections(p);
    const Value& percent = p.record("proxy").get("max_connections_percent");
    if (max_connections * percent.number < 100)
      diags.error(percent.loc, percent.path,
                  fmt::format("the proxy's pool would be empty: {}% of {} connections is less than one",
                              static_cast<std::int64_t>(percent.number), max_connections),
                  "raise max_connections_percent or max_connections");
  }
  const Value& readers = p.get("readers");
  if (!aurora && readers.given && p.integer("readers") > 0)
    diags.error(readers.loc, readers.path, fmt::format("'readers' needs an Aurora engine, but engine is {}", engine),
                "write engine: aurora-mysql or engine: aurora-postgresql (RDS read replicas are not modelled)");
}

}  // namespace slsim::models
