#include "models/stepfunctions/stepfunctions.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "models/pricing/catalog.hpp"
#include "models/stepfunctions/definition.hpp"
#include "sim/core/simulation.hpp"
#include "sim/scenario/build.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/stats/counter.hpp"
#include "sim/stats/histogram.hpp"
#include "sim/workload/workload.hpp"

namespace slsim::models {

double express_billed_gb_s(double duration_ns, double memory_bytes) {
  // Duration in 100 ms steps, memory in 64 MB steps (docs/model-assumptions.md §20).
  const double step_ns = 1e8;
  const double billed_s = std::ceil(duration_ns / step_ns - 1e-9) * 0.1;
  const double mb = 1048576.0;
  const double billed_mb = std::ceil(memory_bytes / (64.0 * mb) - 1e-9) * 64.0;
  return std::max(0.0, billed_s) * billed_mb / 1024.0;
}

namespace {

// Operation indices: `start` is 0.
constexpr std::uint16_t kOpStartSync = 1;
// An express execution lasts at most 5 minutes (docs/model-assumptions.md §20).
constexpr SimTime kExpressMax = 5 * kMinute;

// The standard state machines of one simulation: they share the monthly free tier.
struct StepFunctionsAccount : SimulationExtension {
  std::vector<const Service*> standard;
};

// One execution: its request, how it was started, what it has done.
struct Execution {
  RequestHandle request;
  CallHandle call;  // start_sync: the caller's call, answered at the end
  bool sync = false;
  SimTime started = 0;
  std::uint64_t transitions = 0;
};

// A running branch: the root one of an execution, or one branch of a parallel
// state or one iteration of a map. `epoch` changes whenever the frame leaves a
// state, so children started for an earlier state see they are orphaned.
struct Frame {
  Handle exec;
  Handle parent;  // invalid: the execution's root branch
  std::uint32_t parent_epoch = 0;
  std::uint32_t epoch = 0;
  int state = 0;
  SimTime entered = 0;
  std::array<std::uint16_t, kMaxRetriers> attempts{};
  // parallel and map: children still running; map: items launched and done
  std::uint32_t pending = 0;
  std::uint64_t items = 0;
  std::uint64_t launched = 0;
  std::uint64_t done = 0;
};

// A task's call in flight: answered exactly once, possibly after the task timed out.
struct TaskCall {
  Handle frame;  // invalid: a call made without waiting (wait: false)
  std::uint32_t epoch = 0;
  bool resolved = false;  // the task already went on (its timeout fired)
};

struct StateStats {
  Counter entered, failed, retried;
  LatencyHistogram latency;
};

class StepFunctions final : public Service {
 public:
  explicit StepFunctions(const ServiceBuildContext& ctx)
      : Service(ctx.name(), "stepfunctions"),
        def_(compile_definition(ctx.params(), ctx.scenario())),
        transition_(ctx.params().dist("transition_latency")),
        max_transitions_(static_cast<std::uint64_t>(ctx.params().integer("max_transitions"))),
        map_bound_(static_cast<std::uint64_t>(ctx.params().integer("map_concurrency_bound"))),
        billed_memory_(ctx.params().size("billed_memory")),
        rng_(ctx.sim().rng("service." + ctx.name() + ".states")),
        stats_(def_.states.size()),
        account_(ctx.sim().extension<StepFunctionsAccount>()) {
    const Record& p = ctx.params();
    timeout_ = p.has("timeout") ? p.duration("timeout") : (def_.express ? kExpressMax : 0);
    for (const StateDef& s : def_.states) {
      if (s.kind == StateKind::task) {
        targets_.push_back(ctx.id_of(s.resource));
        ops_.push_back(ctx.op_index(s.resource, s.op));
      } else {
        targets_.push_back(kNoComponent);
        ops_.push_back(0);
      }
    }
    const PriceCatalog prices(ctx.scenario());
    if (def_.express) {
      request_usd_ = prices("stepfunctions.express.request");
      gb_s_usd_ = prices("stepfunctions.express.gb_s");
    } else {
      transition_usd_ = prices("stepfunctions.standard.transition");
      free_per_month_ = ctx.scenario().account.flag("free_tier") ? prices("stepfunctions.free_tier.transitions") : 0.0;
      account_.standard.push_back(this);
    }
  }

  std::uint64_t transitions() const { return transitions_.value; }

  void handle(Simulation& sim, const Event& e) override {
    switch (e.kind) {
      case kCallEvent: on_start(sim, CallHandle{e.data}); return;
      case kReplyEvent: on_task_reply(sim, Handle{e.data}, reply_status(e)); return;
      case kEnter: on_enter(sim, Handle{e.data}); return;
      case kRetry: on_retry(sim, Handle{e.data}); return;
      case kWaitDone: on_wait_done(sim, Handle{e.data}); return;
      case kTaskTimeout: on_task_timeout(sim, Handle{e.data}); return;
      case kExecTimeout: on_exec_timeout(sim, Handle{e.data}); return;
      default: return;
    }
  }

  void reset_statistics(SimTime /*now*/) override {
    for (Counter* c : {&started_, &succeeded_, &failed_, &timed_out_, &rejected_, &transitions_}) c->reset();
    latency_.reset();
    billed_gb_s_ = 0;
    billed_duration_s_ = 0;
    for (StateStats& s : stats_) {
      s.entered.reset();
      s.failed.reset();
      s.retried.reset();
      s.latency.reset();
    }
  }

  void report(Json& out, double /*measured_seconds*/) const override {
    out["workflow"] = def_.express ? "express" : "standard";
    Json& ex = out["executions"];
    ex["started"] = started_.value;
    ex["succeeded"] = succeeded_.value;
    ex["failed"] = failed_.value;
    ex["timed_out"] = timed_out_.value;
    ex["rejected"] = rejected_.value;  // start_sync on a standard workflow
    out["transitions"] = transitions_.value;
    out["latency_ms"] = latency_json(latency_);
    if (def_.express) {
      out["billed_duration_s"] = billed_duration_s_;
      out["billed_gb_s"] = billed_gb_s_;
    }
    Json& states = out["states"];
    states = Json::object();
    for (std::size_t i = 0; i < def_.states.size(); ++i) {
      Json& s = states[def_.states[i].name];
      s["entered"] = stats_[i].entered.value;
      s["failed"] = stats_[i].failed.value;
      s["retried"] = stats_[i].retried.value;
      s["latency_ms"] = latency_json(stats_[i].latency);
    }
  }

  void sample(TimeSeriesRow& row) override {
    row.count("executions", static_cast<double>(started_.value));
    row.count("failed", static_cast<double>(failed_.value));
    row.count("timed_out", static_cast<double>(timed_out_.value));
    row.count("transitions", static_cast<double>(transitions_.value));
    row.latency("latency_ms", latency_);
  }

  void bill(CostLedger& ledger, const BillingPeriod& period) const override {
    if (def_.express) {
      // Express: per request plus GB-s in 100 ms and 64 MB steps, no free tier (§20).
      const double requests = static_cast<double>(started_.value);
      ledger.add(name(), "requests", requests, "requests", requests * request_usd_);
      ledger.add(name(), "duration", billed_gb_s_, "GB-s", billed_gb_s_ * gb_s_usd_);
      return;
    }
    // Standard: per state transition, retries included; the monthly free
    // transitions are shared by the account's standard state machines (§20).
    std::vector<TierUsage> shared;
    for (const Service* s : account_.standard)
      shared.push_back({static_cast<double>(static_cast<const StepFunctions*>(s)->transitions()),
                        period.usage_to_month(s->name())});
    const double mine = static_cast<double>(transitions_.value);
    const double usd = shared_tiered_cost(mine, shared, {{kUnbounded, transition_usd_}}, free_per_month_);
    ledger.add(name(), "state transitions", mine, "transitions", usd, CostBasis::usage,
               free_per_month_ > 0 ? "after the monthly free transitions" : "");
  }

 private:
  enum : std::uint16_t { kEnter = kFirstComponentEvent, kRetry, kWaitDone, kTaskTimeout, kExecTimeout };

  const StateDef& def_of(const Frame& f) const { return def_.states[static_cast<std::size_t>(f.state)]; }

  SimTime transition_delay() { return transition_.sample_ns(rng_); }

  // --- starting and ending executions --------------------------------------

  void on_start(Simulation& sim, CallHandle call) {
    const Call c = sim.call_info(call);
    if (c.op == kOpStartSync && !def_.express) {
      // StartSyncExecution exists for express workflows only (§20); the check
      // hook rejects the scenarios it can see, a call made some other way is refused.
      rejected_.add();
      sim.reply(call, CallStatus::error);
      return;
    }
    started_.add();
    Handle eh;
    Execution& ex = execs_.emplace(eh);
    ex.request = c.request;
    ex.started = sim.now();
    ex.sync = c.op == kOpStartSync;
    if (ex.sync) {
      ex.call = call;
    } else {
      // StartExecution answers at once; the execution runs as a branch of the request.
      sim.open_branch(c.request);
      sim.reply(call, CallStatus::ok);
    }
    if (timeout_ > 0) sim.schedule_in(timeout_, id(), kExecTimeout, eh.bits);
    Handle fh;
    Frame& f = frames_.emplace(fh);
    f.exec = eh;
    f.state = def_.start;
    sim.schedule_in(transition_delay(), id(), kEnter, fh.bits);
  }

  void finish_execution(Simulation& sim, Handle eh, Outcome fate) {
    Execution& ex = execs_.at(eh);
    const SimTime took = sim.now() - ex.started;
    latency_.record(took);
    if (fate == Outcome::succeeded) succeeded_.add();
    else if (fate == Outcome::timed_out) timed_out_.add();
    else failed_.add();
    if (def_.express) {
      const double gb_s = express_billed_gb_s(static_cast<double>(took), billed_memory_);
      billed_gb_s_ += gb_s;
      billed_duration_s_ += std::ceil(static_cast<double>(took) / 1e8 - 1e-9) * 0.1;
    }
    const Execution copy = ex;
    execs_.free(eh);  // frames still running see a stale handle and stop at their next step
    if (copy.sync) {
      sim.reply(copy.call, fate == Outcome::succeeded ? CallStatus::ok
                           : fate == Outcome::timed_out ? CallStatus::timeout
                                                         : CallStatus::error);
    } else {
      sim.close_branch(copy.request, fate);
    }
  }

  void on_exec_timeout(Simulation& sim, Handle eh) {
    if (execs_.get(eh) == nullptr) return;  // it ended before its timeout
    finish_execution(sim, eh, Outcome::timed_out);
  }

  // --- frames ----------------------------------------------------------------

  // Whether the frame's execution ended or one of its ancestors left the state that started it.
  bool orphaned(const Frame& f) const {
    if (execs_.get(f.exec) == nullptr) return true;
    const Frame* child = &f;
    while (child->parent.valid()) {
      const Frame* parent = frames_.get(child->parent);
      if (parent == nullptr || parent->epoch != child->parent_epoch) return true;
      child = parent;
    }
    return false;
  }

  // Frees an orphaned frame; a parent waiting only for it goes too.
  void discard(Handle fh) {
    for (;;) {
      const Frame f = frames_.at(fh);
      frames_.free(fh);
      Frame* parent = f.parent.valid() ? frames_.get(f.parent) : nullptr;
      if (parent == nullptr || parent->epoch != f.parent_epoch) return;
      if (parent->pending > 0) --parent->pending;
      if (parent->pending > 0) return;
      fh = f.parent;
    }
  }

  // Gets the frame for an event, or discards it (and returns nullptr) if orphaned.
  Frame* live_frame(Handle fh) {
    Frame* f = frames_.get(fh);
    if (f == nullptr) return nullptr;
    if (orphaned(*f)) {
      discard(fh);
      return nullptr;
    }
    return f;
  }

  // Counts a transition; false (the execution failed) past max_transitions.
  bool count_transition(Simulation& sim, const Frame& f) {
    transitions_.add();
    Execution& ex = execs_.at(f.exec);
    if (++ex.transitions <= max_transitions_) return true;
    finish_execution(sim, f.exec, Outcome::failed);
    return false;
  }

  void on_enter(Simulation& sim, Handle fh) {
    Frame* f = live_frame(fh);
    if (f == nullptr) return;
    if (!count_transition(sim, *f)) {
      discard(fh);
      return;
    }
    stats_[static_cast<std::size_t>(f->state)].entered.add();
    f->entered = sim.now();
    f->attempts = {};
    run_state(sim, fh);
  }

  void on_retry(Simulation& sim, Handle fh) {
    Frame* f = live_frame(fh);
    if (f == nullptr) return;
    if (!count_transition(sim, *f)) {  // a retry is a transition too (§20)
      discard(fh);
      return;
    }
    run_state(sim, fh);
  }

  void run_state(Simulation& sim, Handle fh) {
    Frame& f = frames_.at(fh);
    const StateDef& s = def_of(f);
    switch (s.kind) {
      case StateKind::task: {
        const Execution& ex = execs_.at(f.exec);
        const std::size_t i = static_cast<std::size_t>(f.state);
        const Handle th = calls_.alloc(TaskCall{s.wait ? fh : Handle{}, f.epoch, false});
        sim.call(id(), targets_[i], ops_[i], ex.request, th.bits);
        if (!s.wait) {
          state_succeeded(sim, fh);
          return;
        }
        if (s.timeout > 0) sim.schedule_in(s.timeout, id(), kTaskTimeout, th.bits);
        return;
      }
      case StateKind::choice: {
        double u = rng_.uniform01();
        int next = s.default_next;
        for (const auto& [to, p] : s.choices) {
          if (u < p) {
            next = to;
            break;
          }
          u -= p;
        }
        if (next < 0) {
          state_failed(sim, fh, kSfnError);  // States.NoChoiceMatched
          return;
        }
        leave_state(sim, fh, true);
        go_to(sim, fh, next);
        return;
      }
      case StateKind::parallel: {
        f.pending = static_cast<std::uint32_t>(s.branches.size());
        const std::uint32_t epoch = f.epoch;
        const Handle exec = f.exec;
        if (s.branches.empty()) {
          state_succeeded(sim, fh);
          return;
        }
        for (int start : s.branches) launch_child(sim, fh, exec, epoch, start);
        return;
      }
      case StateKind::map: {
        const std::uint64_t span = static_cast<std::uint64_t>(s.items_max - s.items_min);
        f.items = static_cast<std::uint64_t>(s.items_min) + (span > 0 ? rng_.below(span + 1) : 0);
        f.launched = 0;
        f.done = 0;
        f.pending = 0;
        if (f.items == 0) {
          state_succeeded(sim, fh);
          return;
        }
        const std::uint64_t limit = s.max_concurrency > 0 ? static_cast<std::uint64_t>(s.max_concurrency) : map_bound_;
        const std::uint64_t first = std::min(limit, f.items);
        for (std::uint64_t k = 0; k < first; ++k) launch_item(sim, fh);
        return;
      }
      case StateKind::wait:
        sim.schedule_in(s.seconds.sample_ns(rng_), id(), kWaitDone, fh.bits);
        return;
      case StateKind::pass: state_succeeded(sim, fh); return;
      case StateKind::succeed:
        leave_state(sim, fh, true);
        end_branch(sim, fh, true);
        return;
      case StateKind::fail:
        leave_state(sim, fh, true);
        end_branch(sim, fh, false);
        return;
    }
  }

  void launch_child(Simulation& sim, Handle parent, Handle exec, std::uint32_t epoch, int start) {
    Handle ch;
    Frame& c = frames_.emplace(ch);
    c.exec = exec;
    c.parent = parent;
    c.parent_epoch = epoch;
    c.state = start;
    sim.schedule_in(transition_delay(), id(), kEnter, ch.bits);
  }

  void launch_item(Simulation& sim, Handle fh) {
    Frame& f = frames_.at(fh);
    ++f.launched;
    ++f.pending;
    const Handle exec = f.exec;
    const std::uint32_t epoch = f.epoch;
    launch_child(sim, fh, exec, epoch, def_of(f).branches.front());
  }

  void on_wait_done(Simulation& sim, Handle fh) {
    if (live_frame(fh) == nullptr) return;
    state_succeeded(sim, fh);
  }

  void on_task_reply(Simulation& sim, Handle th, CallStatus status) {
    const TaskCall t = calls_.at(th);
    calls_.free(th);
    if (!t.frame.valid() || t.resolved) return;  // fire and forget, or the task timed out already
    Frame* f = live_frame(t.frame);
    if (f == nullptr || f->epoch != t.epoch) return;
    if (status == CallStatus::ok) {
      state_succeeded(sim, t.frame);
      return;
    }
    state_failed(sim, t.frame,
                 status == CallStatus::throttled ? kSfnThrottled
                 : status == CallStatus::timeout ? kSfnTimeout
                                                 : kSfnError);
  }

  void on_task_timeout(Simulation& sim, Handle th) {
    TaskCall* t = calls_.get(th);
    if (t == nullptr || t->resolved) return;  // answered in time
    t->resolved = true;
    const Handle fh = t->frame;
    const std::uint32_t epoch = t->epoch;
    Frame* f = live_frame(fh);
    if (f == nullptr || f->epoch != epoch) return;
    state_failed(sim, fh, kSfnTimeout);
  }

  // The state's work ended: record it, and leave the state (its children, if any, are orphaned).
  void leave_state(Simulation& sim, Handle fh, bool ok) {
    Frame& f = frames_.at(fh);
    StateStats& st = stats_[static_cast<std::size_t>(f.state)];
    if (!ok) st.failed.add();
    st.latency.record(sim.now() - f.entered);
    ++f.epoch;
    f.pending = 0;
  }

  void go_to(Simulation& sim, Handle fh, int next) {
    frames_.at(fh).state = next;
    sim.schedule_in(transition_delay(), id(), kEnter, fh.bits);
  }

  void state_succeeded(Simulation& sim, Handle fh) {
    leave_state(sim, fh, true);
    const int next = def_of(frames_.at(fh)).next;
    if (next >= 0) go_to(sim, fh, next);
    else end_branch(sim, fh, true);
  }

  void state_failed(Simulation& sim, Handle fh, std::uint8_t error) {
    Frame& f = frames_.at(fh);
    const StateDef& s = def_of(f);
    ++f.epoch;  // children still running (a parallel's other branches) are orphaned
    f.pending = 0;
    for (std::size_t i = 0; i < s.retry.size() && i < kMaxRetriers; ++i) {
      const Retrier& r = s.retry[i];
      if ((r.errors & error) == 0) continue;
      if (f.attempts[i] >= r.max_attempts) break;  // this retrier is used up: on to the catchers
      const int n = ++f.attempts[i];
      double delay = r.delay_ns(n);
      delay = std::min(delay, static_cast<double>(kMaxDuration));  // a long backoff without max_delay
      if (r.full_jitter) delay = rng_.uniform(0.0, delay);
      stats_[static_cast<std::size_t>(f.state)].retried.add();
      sim.schedule_in(round_ns(delay), id(), kRetry, fh.bits);
      return;
    }
    leave_state(sim, fh, false);
    for (const Catcher& c : s.catches) {
      if ((c.errors & error) == 0) continue;
      go_to(sim, fh, c.next);
      return;
    }
    end_branch(sim, fh, false);
  }

  // A branch ended on a succeed or fail state, or a state without `next`.
  void end_branch(Simulation& sim, Handle fh, bool ok) {
    const Frame f = frames_.at(fh);
    frames_.free(fh);
    if (!f.parent.valid()) {
      finish_execution(sim, f.exec, ok ? Outcome::succeeded : Outcome::failed);
      return;
    }
    Frame* parent = frames_.get(f.parent);
    if (parent == nullptr || parent->epoch != f.parent_epoch) return;
    if (!ok) {
      state_failed(sim, f.parent, kSfnError);
      return;
    }
    if (parent->pending > 0) --parent->pending;
    const StateDef& ps = def_of(*parent);
    if (ps.kind == StateKind::map) {
      ++parent->done;
      if (parent->launched < parent->items) {
        launch_item(sim, f.parent);
        return;
      }
      if (parent->done == parent->items) state_succeeded(sim, f.parent);
      return;
    }
    if (parent->pending == 0) state_succeeded(sim, f.parent);
  }

  Definition def_;
  Distribution transition_;
  std::uint64_t max_transitions_;
  std::uint64_t map_bound_;
  double billed_memory_;
  SimTime timeout_ = 0;
  Rng rng_;
  std::vector<ComponentId> targets_;  // by state (tasks)
  std::vector<std::uint16_t> ops_;
  double request_usd_ = 0, gb_s_usd_ = 0, transition_usd_ = 0, free_per_month_ = 0;
  Pool<Execution> execs_;
  Pool<Frame> frames_;
  Pool<TaskCall> calls_;
  Counter started_, succeeded_, failed_, timed_out_, rejected_, transitions_;
  LatencyHistogram latency_;
  double billed_gb_s_ = 0;
  double billed_duration_s_ = 0;
  std::vector<StateStats> stats_;
  StepFunctionsAccount& account_;
};

// --- load-time checks --------------------------------------------------------

struct StateRef {
  const Value* value;  // the name as written
  std::string what;    // "next", "default", ...
};

void check(const ServiceDecl& d, const Scenario& sc, Diagnostics& diags) {
  const Record& p = d.params;
  const Value& states = p.get("states");
  std::vector<std::string> names;
  for (const auto& [n, v] : states.entries) names.push_back(n);
  if (names.size() > kMaxStates) {
    diags.error(states.loc, states.path, fmt::format("{} states: at most {} are supported", names.size(), kMaxStates));
    return;
  }
  const auto known = [&](const std::string& n) { return std::find(names.begin(), names.end(), n) != names.end(); };
  const auto check_name = [&](const Value& v) {
    if (!v.present || known(v.text)) return true;
    diags.error(v.loc, v.path, fmt::format("unknown state '{}'", echo(v.text)), did_you_mean(v.text, names));
    return false;
  };
  bool names_ok = check_name(p.get("start_at"));
  for (const auto& [n, v] : states.entries) {
    if (!v.record) continue;
    const Record& r = *v.record;
    if (r.schema->find("next") != nullptr) names_ok = check_name(r.get("next")) && names_ok;
    if (r.schema->find("catch") != nullptr)
      for (const Value& c : r.list("catch")) names_ok = check_name(c.record->get("next")) && names_ok;
    if (r.schema->find("retry") != nullptr && r.list("retry").size() > kMaxRetriers) {
      const Value& retry = r.get("retry");
      diags.error(retry.loc, retry.path, fmt::format("at most {} retriers per state", kMaxRetriers));
    }
    if (r.variant == "choice") {
      double sum = 0;
      for (const Value& c : r.list("choices")) {
        names_ok = check_name(c.record->get("next")) && names_ok;
        sum += c.record->number("probability");
      }
      names_ok = check_name(r.get("default")) && names_ok;
      if (sum > 1.0 + 1e-9) {
        const Value& choices = r.get("choices");
        diags.error(choices.loc, choices.path,
                    fmt::format("the choices' probabilities add up to {:g}, more than 1", sum));
      }
    } else if (r.variant == "parallel") {
      for (const Value& b : r.list("branches")) {
        if (b.items.empty())
          diags.error(b.loc, b.path, "a branch lists no states", "write its states, e.g. [pick, pack]");
        for (const Value& s : b.items) names_ok = check_name(s) && names_ok;
      }
    } else if (r.variant == "map") {
      const Value& most = r.get("items_max");
      if (most.present && most.number < r.number("items"))
        diags.error(most.loc, most.path,
                    fmt::format("items_max {:g} is below items {:g}", most.number, r.number("items")),
                    "items is the smallest number of items, items_max the largest");
      const Value& branch = r.get("branch");
      if (branch.items.empty())
        diags.error(branch.loc, branch.path, "a map's branch lists no states", "write its states, e.g. [resize]");
      for (const Value& s : branch.items) names_ok = check_name(s) && names_ok;
    } else if (r.variant == "task") {
      const Value& res = r.get("resource");
      const Value& op = r.get("op");
      const ServiceDecl* target = sc.find_service(res.text);
      if (op.present && target != nullptr && target->type != nullptr &&
          std::find(target->type->ops.begin(), target->type->ops.end(), op.text) == target->type->ops.end())
        diags.error(op.loc, op.path,
                    fmt::format("'{}' ({}) has no operation '{}' (it has {})", target->name, target->type->name,
                                echo(op.text), quoted_list(target->type->ops)),
                    target->type->op_hint(op.text));
      if (target != nullptr && target->type != nullptr && target->type->ops.empty())
        diags.error(res.loc, res.path, fmt::format("'{}' ({}) takes no calls", target->name, target->type->name));
    }
  }
  const bool express = p.text("workflow") == "express";
  const Value& timeout = p.get("timeout");
  if (express && timeout.present && timeout.number > static_cast<double>(kExpressMax))
    diags.error(timeout.loc, timeout.path, "an express execution lasts at most 5 minutes",
                "use workflow: standard for longer executions");
  if (!express) {
    for (const auto& e : sc.edges)
      if (e.to == d.name && e.op == "start_sync")
        diags.error(d.loc, "services." + d.name,
                    fmt::format("'{}' starts '{}' with start_sync, which only an express workflow accepts", e.from,
                                d.name),
                    "write workflow: express, or start it with 'start'");
  }
  if (!names_ok) return;

  // Loops made only of `next` links (no choice, wait, parallel or map on the
  // way) would run every execution into max_transitions.
  const Definition def = compile_definition(p, sc);
  for (std::size_t i = 0; i < def.states.size(); ++i) {
    std::vector<bool> seen(def.states.size(), false);
    int at = static_cast<int>(i);
    while (at >= 0 && !seen[static_cast<std::size_t>(at)]) {
      const StateDef& s = def.states[static_cast<std::size_t>(at)];
      if (s.kind != StateKind::task && s.kind != StateKind::pass) {
        at = -1;
        break;
      }
      seen[static_cast<std::size_t>(at)] = true;
      at = s.next;
    }
    if (at == static_cast<int>(i)) {
      const Value& v = states.entries[i].second;
      diags.error(v.loc, v.path,
                  fmt::format("state '{}' leads back to itself through 'next' alone: every execution would loop "
                              "until max_transitions",
                              def.states[i].name),
                  "put a choice (with a way out) or a wait on the loop");
    }
  }
  // Unreachable states: a warning.
  std::vector<bool> reached(def.states.size(), false);
  std::vector<int> todo{def.start};
  while (!todo.empty()) {
    const int at = todo.back();
    todo.pop_back();
    if (at < 0 || reached[static_cast<std::size_t>(at)]) continue;
    reached[static_cast<std::size_t>(at)] = true;
    const StateDef& s = def.states[static_cast<std::size_t>(at)];
    todo.push_back(s.next);
    todo.push_back(s.default_next);
    for (const Catcher& c : s.catches) todo.push_back(c.next);
    for (const auto& [to, pr] : s.choices) todo.push_back(to);
    for (int b : s.branches) todo.push_back(b);
  }
  for (std::size_t i = 0; i < def.states.size(); ++i)
    if (!reached[i]) {
      const Value& v = states.entries[i].second;
      diags.warning(v.loc, v.path, fmt::format("state '{}' is never reached from start_at", def.states[i].name),
                    "reach it through a next, a choice, a catch or a branch, or remove it");
    }
}

}  // namespace

ServiceType stepfunctions_type() {
  ServiceType t;
  t.name = "stepfunctions";
  t.summary = "a Step Functions state machine (standard or express): tasks with retry and catch, choice, parallel, "
              "map, wait; transitions or request + GB-s cost";
  t.table = {"executions.started", "executions.succeeded", "executions.failed", "executions.timed_out",
             "transitions", "latency_ms"};
  t.schema = &stepfunctions_schema();
  t.ops = {"start", "start_sync"};  // indices 0, kOpStartSync
  t.async_op = "start";
  t.op_aliases = {{"StartExecution", "write 'start'"},
                  {"StartSyncExecution", "write 'start_sync' (express workflows only)"},
                  {"execute", "write 'start' (or 'start_sync' for an express workflow)"}};
  t.forwards = {{"start", {"task"}}, {"start_sync", {"task"}}};
  t.build = &make_service<StepFunctions>;
  t.check = &check;
  t.analytic = &stepfunctions_analytic;
  return t;
}

}  // namespace slsim::models
