#include "models/rds/rds.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <deque>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <fmt/format.h>

#include "models/pricing/catalog.hpp"
#include "models/rds/instances.hpp"
#include "models/rds/schema.hpp"
#include "models/rds/serverless.hpp"
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
  int vcpus = 0;                 // servers (db.serverless: its capacity's vCPUs rounded up)
  double speed = 1.0;            // db.serverless: each server's share of a full vCPU
  double acu = 0;                // db.serverless: current capacity (0 while paused)
  double work = 0;               // db.serverless: ACU-seconds in use since the last scaling evaluation
  SimTime work_since = 0;
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
        pin_rng_(ctx.sim().rng("service." + ctx.name() + ".pinned")),
        resume_rng_(ctx.sim().rng("service." + ctx.name() + ".resume")) {
    const Record& p = ctx.params();
    engine_ = p.text("engine");
    cls_ = rds::find_instance_class(p.text("instance"));
    max_connections_ = rds::instance_max_connections(p);
    serverless_ = cls_->serverless;
    if (serverless_) {
      sv_ = rds::serverless_config(p.record("serverless"));
    }
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
    if (serverless_) {
      // Every instance starts running at its lowest capacity (§17.5).
      for (Instance& i : instances_) resize(i, sv_.floor_acu());
      total_acu_ = sv_.floor_acu() * static_cast<double>(instances_.size());
      acu_gauge_.set(0, total_acu_);
      acu_min_ = total_acu_;
      can_pause_ = sv_.pauses() && !(proxy_ && sv_.proxy_prevents_pause);
      instance_hour_usd_ = prices(sv_.io_optimized ? "rds.serverless.io_optimized.acu_hour" : "rds.serverless.acu_hour");
      proxy_vcpu_hour_usd_ = prices("rds.proxy.acu_hour");
      proxy_min_vcpus_ = prices("rds.proxy.min_acus");
      proxy_gauge_.set(0, std::max(total_acu_, proxy_min_vcpus_));
    } else {
      instance_hour_usd_ = prices(fmt::format("rds.{}.{}", engine_, cls_->name));
      proxy_vcpu_hour_usd_ = prices("rds.proxy.vcpu_hour");
      proxy_min_vcpus_ = prices("rds.proxy.min_vcpus");
    }
  }

  void start(Simulation& sim) override {
    if (!serverless_) return;
    sim.schedule_in(sv_.interval, id(), kTick);
    arm_pause(sim);
  }

  void handle(Simulation& sim, const Event& e) override {
    switch (e.kind) {
      case kCallEvent: on_call(sim, CallHandle{e.data}); return;
      case kConnected: on_connected(sim, Handle{e.data}); return;
      case kDone: on_done(sim, Handle{e.data}); return;
      case kBorrowTimeout: on_borrow_timeout(sim, Handle{e.data}); return;
      case kTick: on_tick(sim); return;
      case kPauseCheck: on_pause_check(sim, e.data); return;
      case kResumed: on_resumed(sim); return;
      default: return;
    }
  }

  void session_ended(Simulation& sim, ComponentId caller, std::uint64_t session) override {
    // A call of it may still wait for a resume: that call must not reopen the session.
    if (!resume_queue_.empty()) ended_while_waiting_.insert(SessionKey{caller, session});
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
                       &pinned_, &pauses_, &resumes_, &resume_waits_})
      c->reset();
    acu_gauge_.reset(now);
    used_acu_gauge_.reset(now);
    paused_gauge_.reset(now);
    proxy_gauge_.reset(now);
    acu_min_ = acu_gauge_.current();
    in_use_.reset(now);
    open_gauge_.reset(now);
    busy_gauge_.reset(now);
    latency_hist_.reset();
    failed_latency_hist_.reset();
    borrow_wait_hist_.reset();
    cpu_wait_hist_.reset();
  }

  void finish(Simulation& sim) override { end_ = sim.now(); }

  void report(Json& out, double measured_seconds) const override {
    out["requests"] = requests_.value;
    out["instances"] = static_cast<std::int64_t>(instances_.size());
    if (serverless_) {
      out["vcpus"] = sv_.max_acu * sv_.vcpus_per_acu;  // each instance's at its maximum capacity
    } else {
      out["vcpus"] = static_cast<std::int64_t>(cls_->vcpus);
    }
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
    if (serverless_) {
      // ACUs in use over ACUs there were (0 while paused, with no capacity).
      const double acu_mean = acu_gauge_.mean(end_);
      out["utilization"] = acu_mean > 0 ? used_acu_gauge_.mean(end_) / acu_mean : 0.0;
      Json& cap = out["capacity"];
      cap["acu_mean"] = acu_mean;
      cap["acu_max"] = acu_gauge_.max();
      cap["acu_min"] = acu_min_;
      cap["acu_final"] = acu_gauge_.current();
      out["paused_seconds"] = paused_gauge_.mean(end_) * measured_seconds;
      out["pauses"] = pauses_.value;
      out["resumes"] = resumes_.value;
      out["resume_waits"] = resume_waits_.value;
    } else {
      out["utilization"] =
          busy_gauge_.mean(end_) / static_cast<double>(cls_->vcpus * static_cast<int>(instances_.size()));
    }
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
    if (serverless_) row.gauge("acu", acu_gauge_);
  }

  void bill(CostLedger& ledger, const BillingPeriod& period) const override {
    const double hours = period.measured_seconds() / 3600.0;
    if (serverless_) {
      // ACU-hours by the second over the capacity curve, nothing while paused;
      // the proxy per ACU-hour with a minimum (§17.5).
      const double acu_hours = acu_gauge_.mean(end_) * hours;
      ledger.add(name(), "ACU hours", acu_hours, "ACU-hours", acu_hours * instance_hour_usd_, CostBasis::usage);
      if (proxy_) {
        const double proxy_hours = proxy_gauge_.mean(end_) * hours;
        ledger.add(name(), "proxy ACU hours", proxy_hours, "ACU-hours", proxy_hours * proxy_vcpu_hour_usd_,
                   CostBasis::usage);
      }
      return;
    }
    // Instances are billed by the second while they run (docs/model-assumptions.md §17.4).
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
  enum : std::uint16_t { kConnected = kFirstComponentEvent, kDone, kBorrowTimeout, kTick, kPauseCheck, kResumed };

  void on_call(Simulation& sim, CallHandle call) {
    requests_.add();
    if (state_ != kRunning) {
      // Paused or resuming: the request waits for the instance (§17.5).
      resume_waits_.add();
      resume_queue_.push_back(call);
      if (state_ == kPaused) {
        state_ = kResuming;
        resumes_.add();
        sim.schedule_in(sv_.resume.sample_ns(resume_rng_), id(), kResumed);
      }
      return;
    }
    proceed(sim, call);
  }

  void proceed(Simulation& sim, CallHandle call) {
    active(sim, +1);  // the transaction
    const Call c = sim.call_info(call);
    Txn t;
    t.call = call;
    t.endpoint = c.op == kOpRead && instances_.size() > 1 ? kReaderEndpoint : kWriterEndpoint;
    Session* s = nullptr;
    if (c.session != 0 && !ended_while_waiting_.contains(SessionKey{c.caller, c.session})) {
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
    active(sim, +1);  // a connection held keeps the instance from pausing
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
    if (serverless_) note_work(sim.now(), in, +1);
    ++in.cpu_busy;
    busy_gauge_.add(sim.now(), 1);
    cpu_wait_hist_.record(waited);
    SimTime service = query_.sample_ns(query_rng_);
    // A fraction of a vCPU serves proportionally slower (§17.5).
    if (in.speed < 1.0) service = round_ns(static_cast<double>(service) / in.speed);
    sim.schedule_in(service, id(), kDone, h.bits);
  }

  // The work in progress on `in` until now, and a change of its busy servers by `delta`.
  void note_work(SimTime now, Instance& in, int delta) {
    const double per_server = in.vcpus > 0 ? in.acu / static_cast<double>(in.vcpus) : 0.0;
    in.work += static_cast<double>(in.cpu_busy) * per_server * static_cast<double>(now - in.work_since) / 1e9;
    in.work_since = now;
    if (delta != 0) used_acu_gauge_.add(now, delta * per_server);
  }

  // db.serverless: sets the instance's servers and speed for `acu` ACUs.
  void resize(Instance& in, double acu) const {
    in.acu = acu;
    if (acu <= 0) {
      in.vcpus = 0;
      in.speed = 1.0;
      return;
    }
    const rds::ServingCapacity c = rds::serving_capacity(acu, sv_.vcpus_per_acu);
    in.vcpus = c.servers;
    in.speed = c.speed;
  }

  void on_done(Simulation& sim, Handle h) {
    const Txn t = txns_.at(h);
    Instance& in = instances_[static_cast<std::size_t>(t.instance)];
    if (serverless_) note_work(sim.now(), in, -1);
    --in.cpu_busy;
    busy_gauge_.add(sim.now(), -1);
    if (!in.cpu_queue.empty() && in.cpu_busy < in.vcpus) {  // fewer servers after a scale-down: wait
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
    active(sim, -1);
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
    active(sim, -1);
  }

  // --- Aurora Serverless v2: scaling, pause and resume (§17.5) ----------------

  // Transactions in progress and connections held (without a proxy): while
  // there are any, the instance does not pause; when the last ends, the
  // auto-pause clock starts.
  void active(Simulation& sim, int delta) {
    if (!can_pause_) return;
    activity_ += delta;
    ++idle_epoch_;  // any change cancels a pending pause check
    if (activity_ == 0) arm_pause(sim);
  }

  void arm_pause(Simulation& sim) {
    if (can_pause_ && activity_ == 0 && state_ == kRunning) sim.schedule_in(sv_.auto_pause, id(), kPauseCheck, idle_epoch_);
  }

  void on_pause_check(Simulation& sim, std::uint64_t epoch) {
    if (epoch != idle_epoch_ || activity_ != 0 || state_ != kRunning) return;
    for (Instance& in : instances_) set_capacity(sim, in, 0);
    state_ = kPaused;
    pauses_.add();
    paused_gauge_.set(sim.now(), 1);
  }

  void on_resumed(Simulation& sim) {
    state_ = kRunning;
    paused_gauge_.set(sim.now(), 0);
    for (Instance& in : instances_) set_capacity(sim, in, sv_.floor_acu());
    std::deque<CallHandle> waiting;
    waiting.swap(resume_queue_);
    for (const CallHandle call : waiting) proceed(sim, call);
    ended_while_waiting_.clear();
    ++idle_epoch_;
    arm_pause(sim);
  }

  // Every scaling_interval: each running instance moves towards the ACUs in
  // use over the interval / target_utilization, by at most the step up or down.
  void on_tick(Simulation& sim) {
    const double seconds = static_cast<double>(sv_.interval) / 1e9;
    for (Instance& in : instances_) {
      note_work(sim.now(), in, 0);
      const double in_use = in.work / seconds;
      in.work = 0;
      if (state_ != kRunning) continue;
      const double desired = sv_.desired(in_use);
      double next = in.acu;
      if (desired > in.acu) next = std::min(desired, in.acu + sv_.up_step());
      if (desired < in.acu) next = std::max(desired, in.acu - sv_.down_step());
      if (next != in.acu) set_capacity(sim, in, next);
    }
    sim.schedule_in(sv_.interval, id(), kTick);
  }

  void set_capacity(Simulation& sim, Instance& in, double acu) {
    const SimTime now = sim.now();
    note_work(now, in, 0);
    const double old_per_server = in.vcpus > 0 ? in.acu / static_cast<double>(in.vcpus) : 0.0;
    total_acu_ += acu - in.acu;
    resize(in, acu);
    const double per_server = in.vcpus > 0 ? in.acu / static_cast<double>(in.vcpus) : 0.0;
    used_acu_gauge_.add(now, static_cast<double>(in.cpu_busy) * (per_server - old_per_server));
    acu_gauge_.set(now, total_acu_);
    acu_min_ = std::min(acu_min_, total_acu_);
    proxy_gauge_.set(now, std::max(total_acu_, proxy_min_vcpus_));
    // More servers: the queue moves up.
    while (in.cpu_busy < in.vcpus && !in.cpu_queue.empty()) {
      const Handle next = in.cpu_queue.front();
      in.cpu_queue.pop_front();
      start_cpu(sim, in, next, now - txns_.at(next).waiting_since);
    }
  }

  // Connections in use (direct: open; proxy: borrowed) and open, over all instances.
  void note_connections(SimTime now, int in_use_delta, int open_delta) {
    if (in_use_delta != 0) in_use_.add(now, in_use_delta);
    if (open_delta != 0) open_gauge_.add(now, open_delta);
  }

  enum State : std::uint8_t { kRunning, kPaused, kResuming };

  // Configuration.
  bool serverless_ = false;
  rds::ServerlessConfig sv_;
  bool can_pause_ = false;
  std::string engine_;
  const InstanceClass* cls_ = nullptr;
  std::int64_t max_connections_ = 0;
  bool proxy_ = false;
  std::int64_t pool_size_ = 0;
  SimTime borrow_timeout_ = 0;
  double pinned_probability_ = 0;
  Distribution query_, connect_;
  Rng query_rng_, connect_rng_, pin_rng_, resume_rng_;
  // db.serverless: per ACU-hour, and the proxy's per ACU-hour and minimum ACUs.
  double instance_hour_usd_ = 0, proxy_vcpu_hour_usd_ = 0, proxy_min_vcpus_ = 0;

  // State.
  std::vector<Instance> instances_;
  std::unordered_map<SessionKey, Session, SessionKeyHash> sessions_;
  Pool<Txn> txns_;
  std::uint32_t next_reader_ = 0;
  State state_ = kRunning;
  double total_acu_ = 0;
  std::int64_t activity_ = 0;
  std::uint64_t idle_epoch_ = 0;
  std::deque<CallHandle> resume_queue_;  // requests waiting for a resume
  std::unordered_set<SessionKey, SessionKeyHash> ended_while_waiting_;  // their sessions that ended meanwhile

  // Statistics of the measured period.
  Counter requests_, connects_, connection_failures_, borrows_, borrow_waits_, borrow_timeouts_, pinned_;
  Counter pauses_, resumes_, resume_waits_;
  TimeWeightedGauge in_use_, open_gauge_, busy_gauge_;
  TimeWeightedGauge acu_gauge_, used_acu_gauge_, paused_gauge_, proxy_gauge_;  // ACUs (all instances), paused 0/1
  double acu_min_ = 0;
  LatencyHistogram latency_hist_, failed_latency_hist_, borrow_wait_hist_, cpu_wait_hist_;
  SimTime end_ = 0;
};

}  // namespace

ServiceType rds_type() {
  ServiceType t;
  t.name = "rds";
  t.summary = "an RDS instance or Aurora cluster (provisioned or Serverless v2), optionally behind RDS Proxy: "
              "connections, vCPU queueing, ACU scaling and auto-pause, cost";
  t.table = {"requests", "connections_in_use.max", "connections_in_use.mean", "connection_failures", "borrow_waits",
             "borrow_wait_ms", "borrow_timeouts", "pinned", "utilization", "capacity.acu_mean", "capacity.acu_max",
             "pauses", "resumes", "resume_waits", "paused_seconds", "latency_ms", "latency_failed_ms"};
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
  t.check = &check_rds;
  t.analytic = &rds_analytic;
  t.insights = &rds_insights;
  return t;
}

}  // namespace slsim::models
