#include "models/rds/rds.hpp"

#include <algorithm>
#include <cstdint>
#include <deque>
#include <string>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>

#include "models/pricing/catalog.hpp"
#include "models/rds/instances.hpp"
#include "sim/core/pool.hpp"
#include "sim/core/random.hpp"
#include "sim/core/simulation.hpp"
#include "sim/scenario/build.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/stats/counter.hpp"
#include "sim/stats/gauge.hpp"
#include "sim/stats/histogram.hpp"
#include "sim/workload/workload.hpp"

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

const Schema& rds_schema() {
  static const Schema s = [] {
    ParamSpec engine = param("engine", ParamType::choice, "", "mysql",
                             "mysql or postgres (RDS), aurora-mysql or aurora-postgresql (an Aurora provisioned "
                             "cluster): sets the default max_connections and the price");
    engine.choices = engines();
    ParamSpec instance = param("instance", ParamType::choice, "", "db.t3.medium",
                               "the instance class: its vCPUs serve transactions, its memory sets the default "
                               "max_connections, and it sets the price per instance-hour");
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
    return Schema{"rds",
                  "An Amazon RDS database instance or Aurora provisioned cluster, optionally behind an RDS Proxy.",
                  {engine, instance, max_conn, readers, query, connect, proxy}, rds_aliases()};
  }();
  return s;
}

void check(const ServiceDecl& d, const Scenario& /*sc*/, Diagnostics& diags) {
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
                fmt::format("{} is not offered with engine {} (use one of {})", cls->name, engine, quoted_list(offered)));
  }
  if (p.has("proxy")) {
    const std::int64_t max_connections =
        p.has("max_connections") ? p.integer("max_connections") : rds::default_max_connections(engine, *cls);
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

enum : std::uint16_t { kOpQuery = 0, kOpRead = 1, kOpWrite = 2 };  // indices into the type's ops
enum Endpoint : std::uint8_t { kWriterEndpoint = 0, kReaderEndpoint = 1 };
constexpr std::int32_t kNoInstance = -1;

// What a database keeps for one caller session (a Lambda execution environment).
struct Session {
  std::int32_t conn[2] = {kNoInstance, kNoInstance};  // the instance of its connection per endpoint (proxy: pinned ones)
  std::uint32_t inflight = 0;                           // its transactions not yet answered
  bool connected = false;                               // proxy: its client connection is open
  bool pinned = false;                                  // proxy: keeps what it borrows for its life
  bool ended = false;                                   // the caller ended it while transactions were in flight
};

struct SessionKey {
  ComponentId caller;
  std::uint64_t session;
  bool operator==(const SessionKey& o) const { return caller == o.caller && session == o.session; }
};
struct SessionKeyHash {
  std::size_t operator()(const SessionKey& k) const { return mix64(k.session ^ (std::uint64_t{k.caller} << 40)); }
};

// One transaction (a call) in progress.
struct Txn {
  CallHandle call;
  SessionKey key{kNoComponent, 0};
  std::int32_t instance = kNoInstance;
  std::uint8_t endpoint = kWriterEndpoint;
  std::uint8_t stage = 0;      // what follows its connect delay (kStageBorrow, kStageRun, kStageRefused)
  bool ephemeral = false;      // no session: its connection closes when it ends (direct)
  bool borrowed = false;       // proxy: it borrowed a pool connection it must give back
  bool waiting = false;        // proxy: in its instance's borrow queue
  SimTime waiting_since = 0;   // entered the borrow queue or the vCPU queue
};
enum : std::uint8_t { kStageBorrow = 0, kStageRun = 1, kStageRefused = 2 };

struct Instance {
  int vcpus = 0;
  std::int64_t max_connections = 0;
  std::int64_t pool_size = 0;  // proxy
  int cpu_busy = 0;
  std::deque<Handle> cpu_queue;  // transactions waiting for a vCPU
  std::int64_t open = 0;         // database connections open (held by sessions, or the proxy's pool)
  std::int64_t idle = 0;         // proxy: open pool connections not borrowed
  std::deque<Handle> waiters;    // proxy: transactions waiting to borrow (stale handles skipped)
};

class Rds final : public Service {
 public:
  explicit Rds(const ServiceBuildContext& ctx)
      : Service(ctx.name(), "rds"),
        query_(ctx.params().dist("query")),
        connect_(ctx.params().dist("connect")),
        query_rng_(ctx.sim().rng("service." + ctx.name() + ".query")),
        connect_rng_(ctx.sim().rng("service." + ctx.name() + ".connect")),
        pin_rng_(ctx.sim().rng("service." + ctx.name() + ".pinned")) {
    const Record& p = ctx.params();
    engine_ = p.text("engine");
    cls_ = rds::find_instance_class(p.text("instance"));
    max_connections_ = p.has("max_connections") ? p.integer("max_connections")
                                                : rds::default_max_connections(engine_, *cls_);
    proxy_ = p.has("proxy");
    if (proxy_) {
      const Record& x = p.record("proxy");
      pool_size_ = max_connections_ * x.integer("max_connections_percent") / 100;
      borrow_timeout_ = x.duration("borrow_timeout");
      pinned_probability_ = x.number("pinned");
    }
    const auto readers = static_cast<std::size_t>(rds::is_aurora(engine_) ? p.integer("readers") : 0);
    instances_.resize(1 + readers);
    for (Instance& i : instances_) {
      i.vcpus = cls_->vcpus;
      i.max_connections = max_connections_;
      i.pool_size = pool_size_;
    }
    const PriceCatalog prices(ctx.scenario());
    instance_hour_usd_ = prices(fmt::format("rds.{}.{}", engine_, cls_->name));
    proxy_vcpu_hour_usd_ = prices("rds.proxy.vcpu_hour");
    proxy_min_vcpus_ = prices("rds.proxy.min_vcpus");
  }

  void handle(Simulation& sim, const Event& e) override {
    switch (e.kind) {
      case kCallEvent: on_call(sim, CallHandle{e.data}); return;
      case kConnected: on_connected(sim, Handle{e.data}); return;
      case kDone: on_done(sim, Handle{e.data}); return;
      case kBorrowTimeout: on_borrow_timeout(sim, Handle{e.data}); return;
      default: return;
    }
  }

  void session_ended(Simulation& sim, ComponentId caller, std::uint64_t session) override {
    const auto it = sessions_.find(SessionKey{caller, session});
    if (it == sessions_.end()) return;
    if (it->second.inflight > 0) {
      it->second.ended = true;  // closed when its last transaction ends
      return;
    }
    close_session(sim, it->second);
    sessions_.erase(it);
  }

  void reset_statistics(SimTime now) override {
    for (Counter* c : {&requests_, &connects_, &connection_failures_, &borrows_, &borrow_waits_, &borrow_timeouts_,
                       &pinned_})
      c->reset();
    in_use_.reset(now);
    open_gauge_.reset(now);
    busy_gauge_.reset(now);
    latency_hist_.reset();
    failed_latency_hist_.reset();
    borrow_wait_hist_.reset();
    cpu_wait_hist_.reset();
  }

  void finish(Simulation& sim) override { end_ = sim.now(); }

  void report(Json& out, double /*measured_seconds*/) const override {
    out["requests"] = requests_.value;
    out["instances"] = static_cast<std::int64_t>(instances_.size());
    out["vcpus"] = static_cast<std::int64_t>(cls_->vcpus);
    out["max_connections"] = max_connections_;
    out["pool_size"] = pool_size_;
    Json& in_use = out["connections_in_use"];
    in_use["max"] = in_use_.max();
    in_use["mean"] = in_use_.mean(end_);
    Json& open = out["connections_open"];
    open["max"] = open_gauge_.max();
    open["mean"] = open_gauge_.mean(end_);
    out["connects"] = connects_.value;
    out["connection_failures"] = connection_failures_.value;
    out["borrows"] = borrows_.value;
    out["borrow_waits"] = borrow_waits_.value;
    out["borrow_wait_ms"] = latency_json(borrow_wait_hist_);
    out["borrow_timeouts"] = borrow_timeouts_.value;
    out["pinned"] = pinned_.value;
    out["utilization"] = busy_gauge_.mean(end_) / static_cast<double>(cls_->vcpus * static_cast<int>(instances_.size()));
    out["cpu_wait_ms"] = latency_json(cpu_wait_hist_);
    out["latency_ms"] = latency_json(latency_hist_);
    out["latency_failed_ms"] = latency_json(failed_latency_hist_);
  }

  void sample(TimeSeriesRow& row) override {
    row.count("requests", static_cast<double>(requests_.value));
    row.count("connection_failures", static_cast<double>(connection_failures_.value));
    row.count("borrow_timeouts", static_cast<double>(borrow_timeouts_.value));
    row.gauge("connections_in_use", in_use_);
    row.gauge("cpu_busy", busy_gauge_);
    row.latency("latency_ms", latency_hist_);
  }

  void bill(CostLedger& ledger, const BillingPeriod& period) const override {
    // Instances are billed by the second while they run (docs/model-assumptions.md §17.4).
    const double hours = period.measured_seconds() / 3600.0;
    const double instance_hours = static_cast<double>(instances_.size()) * hours;
    ledger.add(name(), "instance hours", instance_hours, "instance-hours", instance_hours * instance_hour_usd_,
               CostBasis::time);
    if (proxy_) {
      // Per vCPU-hour of the target instances, with a minimum (§17.4).
      const double vcpus = rds::proxy_billed_vcpus(static_cast<double>(cls_->vcpus) * static_cast<double>(instances_.size()),
                                                   proxy_min_vcpus_);
      ledger.add(name(), "proxy vCPU hours", vcpus * hours, "vCPU-hours", vcpus * hours * proxy_vcpu_hour_usd_,
                 CostBasis::time);
    }
  }

 private:
  enum : std::uint16_t { kConnected = kFirstComponentEvent, kDone, kBorrowTimeout };

  void on_call(Simulation& sim, CallHandle call) {
    requests_.add();
    const Call c = sim.call_info(call);
    Txn t;
    t.call = call;
    t.endpoint = c.op == kOpRead && instances_.size() > 1 ? kReaderEndpoint : kWriterEndpoint;
    Session* s = nullptr;
    if (c.session != 0) {
      t.key = SessionKey{c.caller, c.session};
      s = &sessions_[t.key];
      ++s->inflight;
    } else {
      t.ephemeral = true;
    }
    const Handle h = txns_.alloc(t);
    if (proxy_) {
      proxy_call(sim, h, s);
    } else {
      direct_call(sim, h, s);
    }
  }

  // The instance a new connection (direct) or a borrow (proxy) goes to: the
  // writer, or the readers in turn.
  std::int32_t pick(std::uint8_t endpoint) {
    if (endpoint == kWriterEndpoint) return 0;
    const auto readers = static_cast<std::uint32_t>(instances_.size() - 1);
    const auto i = static_cast<std::int32_t>(1 + next_reader_ % readers);
    ++next_reader_;
    return i;
  }

  // --- without a proxy: a connection per session, held while it lives ----------
  void direct_call(Simulation& sim, Handle h, Session* s) {
    Txn& t = txns_.at(h);
    if (s != nullptr && s->conn[t.endpoint] != kNoInstance) {
      t.instance = s->conn[t.endpoint];
      run(sim, h);
      return;
    }
    const std::int32_t inst = pick(t.endpoint);
    Instance& in = instances_[static_cast<std::size_t>(inst)];
    if (in.open >= in.max_connections) {
      // "Too many connections": the server refuses once the handshake is done.
      connect_then(sim, h, kStageRefused);
      return;
    }
    ++in.open;
    note_connections(sim.now(), +1, +1);
    t.instance = inst;
    if (s != nullptr) s->conn[t.endpoint] = inst;
    connect_then(sim, h, kStageRun);
  }

  // --- with a proxy: a pool per instance, borrowed per transaction -------------
  void proxy_call(Simulation& sim, Handle h, Session* s) {
    if (s == nullptr || !s->connected) {
      // A new client connection to the proxy (pinned or not is decided now).
      if (s != nullptr) {
        s->connected = true;
        s->pinned = pin_rng_.bernoulli(pinned_probability_);
        if (s->pinned) pinned_.add();
      }
      connect_then(sim, h, kStageBorrow);
      return;
    }
    borrow(sim, h);
  }

  void borrow(Simulation& sim, Handle h) {
    Txn& t = txns_.at(h);
    Session* s = t.ephemeral ? nullptr : find_session(t.key);
    if (s != nullptr && s->pinned && s->conn[t.endpoint] != kNoInstance) {
      t.instance = s->conn[t.endpoint];  // its own connection, kept since its first transaction
      run(sim, h);
      return;
    }
    const std::int32_t inst = pick(t.endpoint);
    Instance& in = instances_[static_cast<std::size_t>(inst)];
    t.instance = inst;
    if (in.idle > 0) {
      --in.idle;
      got_connection(sim, h, false);
      return;
    }
    if (in.open < in.pool_size) {
      ++in.open;
      note_connections(sim.now(), 0, +1);
      got_connection(sim, h, true);
      return;
    }
    t.waiting_since = sim.now();
    t.waiting = true;
    in.waiters.push_back(h);
    if (borrow_timeout_ > 0) sim.schedule_in(borrow_timeout_, id(), kBorrowTimeout, h.bits);
  }

  // A pool connection is the transaction's (`fresh`: the proxy has just opened it).
  void got_connection(Simulation& sim, Handle h, bool fresh) {
    Txn& t = txns_.at(h);
    borrows_.add();
    t.borrowed = true;
    note_connections(sim.now(), +1, 0);
    if (!t.ephemeral) {
      Session* s = find_session(t.key);
      if (s != nullptr && s->pinned) {
        s->conn[t.endpoint] = t.instance;
        t.borrowed = false;  // the session keeps it: given back when the session ends
      }
    }
    if (fresh) {
      connect_then(sim, h, kStageRun);
    } else {
      run(sim, h);
    }
  }

  // A pool connection of `inst` is free again: the first waiter takes it.
  void give_back(Simulation& sim, std::int32_t inst) {
    Instance& in = instances_[static_cast<std::size_t>(inst)];
    note_connections(sim.now(), -1, 0);
    while (!in.waiters.empty()) {
      const Handle w = in.waiters.front();
      in.waiters.pop_front();
      Txn* t = txns_.get(w);
      if (t == nullptr) continue;  // timed out
      t->waiting = false;
      borrow_waits_.add();
      borrow_wait_hist_.record(sim.now() - t->waiting_since);
      got_connection(sim, w, false);
      return;
    }
    ++in.idle;
  }

  void on_borrow_timeout(Simulation& sim, Handle h) {
    Txn* t = txns_.get(h);
    if (t == nullptr || !t->waiting) return;  // stale: it got a connection
    borrow_timeouts_.add();
    fail(sim, h);  // its handle in the queue goes stale
  }

  // --- the transaction itself ------------------------------------------------
  void connect_then(Simulation& sim, Handle h, std::uint8_t stage) {
    if (stage != kStageRefused) connects_.add();
    txns_.at(h).stage = stage;
    sim.schedule_in(connect_.sample_ns(connect_rng_), id(), kConnected, h.bits);
  }

  void on_connected(Simulation& sim, Handle h) {
    switch (txns_.at(h).stage) {
      case kStageBorrow: borrow(sim, h); return;
      case kStageRefused:
        connection_failures_.add();
        fail(sim, h);
        return;
      default: run(sim, h); return;
    }
  }

  // On its connection: a vCPU, or the queue for one.
  void run(Simulation& sim, Handle h) {
    Txn& t = txns_.at(h);
    Instance& in = instances_[static_cast<std::size_t>(t.instance)];
    if (in.cpu_busy < in.vcpus) {
      start_cpu(sim, in, h, 0);
      return;
    }
    t.waiting_since = sim.now();
    in.cpu_queue.push_back(h);
  }

  void start_cpu(Simulation& sim, Instance& in, Handle h, SimTime waited) {
    ++in.cpu_busy;
    busy_gauge_.add(sim.now(), 1);
    cpu_wait_hist_.record(waited);
    sim.schedule_in(query_.sample_ns(query_rng_), id(), kDone, h.bits);
  }

  void on_done(Simulation& sim, Handle h) {
    const Txn t = txns_.at(h);
    Instance& in = instances_[static_cast<std::size_t>(t.instance)];
    --in.cpu_busy;
    busy_gauge_.add(sim.now(), -1);
    if (!in.cpu_queue.empty()) {
      const Handle next = in.cpu_queue.front();
      in.cpu_queue.pop_front();
      start_cpu(sim, in, next, sim.now() - txns_.at(next).waiting_since);
    }
    if (proxy_) {
      if (t.borrowed) give_back(sim, t.instance);
    } else if (t.ephemeral) {
      close_direct(sim, t.instance);
    }
    answer(sim, h, CallStatus::ok);
  }

  void fail(Simulation& sim, Handle h) { answer(sim, h, CallStatus::error); }

  // Replies, frees the transaction and settles its session.
  void answer(Simulation& sim, Handle h, CallStatus status) {
    const Txn t = txns_.at(h);
    txns_.free(h);
    const SimTime latency = sim.now() - sim.call_info(t.call).delivered;
    (status == CallStatus::ok ? latency_hist_ : failed_latency_hist_).record(latency);
    sim.reply(t.call, status);
    if (t.ephemeral) return;
    const auto it = sessions_.find(t.key);
    if (it == sessions_.end()) return;
    Session& s = it->second;
    if (--s.inflight == 0 && s.ended) {
      close_session(sim, s);
      sessions_.erase(it);
    }
  }

  Session* find_session(const SessionKey& key) {
    const auto it = sessions_.find(key);
    return it == sessions_.end() ? nullptr : &it->second;
  }

  // The session's connections close (direct) or go back to the pool (pinned).
  void close_session(Simulation& sim, Session& s) {
    for (std::int32_t& inst : s.conn) {
      if (inst == kNoInstance) continue;
      if (proxy_) {
        give_back(sim, inst);
      } else {
        close_direct(sim, inst);
      }
      inst = kNoInstance;
    }
  }

  void close_direct(Simulation& sim, std::int32_t inst) {
    --instances_[static_cast<std::size_t>(inst)].open;
    note_connections(sim.now(), -1, -1);
  }

  // Connections in use (direct: open; proxy: borrowed) and open, over all instances.
  void note_connections(SimTime now, int in_use_delta, int open_delta) {
    if (in_use_delta != 0) in_use_.add(now, in_use_delta);
    if (open_delta != 0) open_gauge_.add(now, open_delta);
  }

  // Configuration.
  std::string engine_;
  const InstanceClass* cls_ = nullptr;
  std::int64_t max_connections_ = 0;
  bool proxy_ = false;
  std::int64_t pool_size_ = 0;
  SimTime borrow_timeout_ = 0;
  double pinned_probability_ = 0;
  Distribution query_, connect_;
  Rng query_rng_, connect_rng_, pin_rng_;
  double instance_hour_usd_ = 0, proxy_vcpu_hour_usd_ = 0, proxy_min_vcpus_ = 0;

  // State.
  std::vector<Instance> instances_;
  std::unordered_map<SessionKey, Session, SessionKeyHash> sessions_;
  Pool<Txn> txns_;
  std::uint32_t next_reader_ = 0;

  // Statistics of the measured period.
  Counter requests_, connects_, connection_failures_, borrows_, borrow_waits_, borrow_timeouts_, pinned_;
  TimeWeightedGauge in_use_, open_gauge_, busy_gauge_;
  LatencyHistogram latency_hist_, failed_latency_hist_, borrow_wait_hist_, cpu_wait_hist_;
  SimTime end_ = 0;
};

}  // namespace

ServiceType rds_type() {
  ServiceType t;
  t.name = "rds";
  t.summary = "an RDS instance or Aurora provisioned cluster, optionally behind RDS Proxy: connections, vCPU queueing, cost";
  t.table = {"requests", "connections_in_use.max", "connections_in_use.mean", "connection_failures", "borrow_waits",
             "borrow_wait_ms", "borrow_timeouts", "pinned", "utilization", "latency_ms", "latency_failed_ms"};
  t.schema = &rds_schema();
  t.ops = {"query", "read", "write"};  // indices kOpQuery, kOpRead, kOpWrite
  t.op_aliases = {{"select", "write 'read' (to a reader of an Aurora cluster) or 'query' (to the writer)"},
                  {"insert", "write 'write'"},
                  {"update", "write 'write'"},
                  {"delete", "write 'write'"},
                  {"transaction", "write 'query'"},
                  {"execute", "write 'query'"},
                  {"execute_statement", "write 'query'"}};
  t.build = &make_service<Rds>;
  t.check = &check;
  t.analytic = &rds_analytic;
  return t;
}

}  // namespace slsim::models
