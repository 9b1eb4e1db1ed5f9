#include "models/fargate/fargate.hpp"

#include <algorithm>
#include <cmath>
#include <deque>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "models/pricing/catalog.hpp"
#include "sim/core/pool.hpp"
#include "sim/core/simulation.hpp"
#include "sim/core/target_tracking.hpp"
#include "sim/scenario/build.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/stats/counter.hpp"
#include "sim/stats/gauge.hpp"
#include "sim/stats/histogram.hpp"
#include "sim/workload/workload.hpp"

namespace slsim::models {

double fargate_billed_seconds(double window_s) {
  // Per second, rounded up, with a one-minute minimum per task (§19).
  return std::max(60.0, std::ceil(window_s - 1e-9));
}

std::int64_t fargate_billed_seconds_ns(SimTime alive) {
  return std::max<std::int64_t>(60, (alive + kSecond - 1) / kSecond);
}

namespace {

constexpr double kGiB = 1073741824.0;
// The running-task timeline of an autoscaled service: at most this many equal
// steps of whole minutes over the measured window.
constexpr SimTime kMaxTimelineSteps = 120;

class Fargate final : public Service {
 public:
  explicit Fargate(const ServiceBuildContext& ctx)
      : Service(ctx.name(), "fargate"),
        per_task_(static_cast<std::uint32_t>(ctx.params().integer("concurrency_per_task"))),
        bounded_(ctx.params().has("max_queue")),
        max_queue_(bounded_ ? static_cast<std::uint64_t>(ctx.params().integer("max_queue")) : 0),
        duration_(ctx.params().dist("duration")),
        duration_rng_(ctx.sim().rng("service." + ctx.name() + ".duration")),
        startup_rng_(ctx.sim().rng("service." + ctx.name() + ".startup")),
        error_rng_(ctx.sim().rng("service." + ctx.name() + ".errors")),
        error_rate_(ctx.params().number("error_rate")) {
    const Record& p = ctx.params();
    const PriceCatalog prices(ctx.scenario());
    const std::string arch = p.text("architecture");
    vcpu_ = p.number("vcpu");
    memory_gb_ = p.size("memory") / kGiB;
    vcpu_hour_usd_ = prices("fargate." + arch + ".vcpu_hour");
    gb_hour_usd_ = prices("fargate." + arch + ".gb_hour");
    initial_ = p.integer("tasks");
    if (p.has("autoscaling")) {
      const Record& a = p.record("autoscaling");
      TargetTrackingPolicy policy;
      const std::string& metric = a.text("metric");
      metric_ = metric == "requests_per_task"  ? Metric::requests
                : metric == "backlog_per_task" ? Metric::backlog
                                               : Metric::cpu;
      policy.target = a.number(metric_ == Metric::requests  ? "target_requests_per_task"
                               : metric_ == Metric::backlog ? "target_backlog_per_task"
                                                            : "target_utilization");
      policy.min = a.integer("min");
      policy.max = std::max(policy.min, a.integer("max"));
      policy.period = a.duration("period");
      policy.out_datapoints = static_cast<int>(a.integer("out_datapoints"));
      policy.in_datapoints = static_cast<int>(a.integer("in_datapoints"));
      policy.in_fraction = 0.9;  // the low alarm is at 90% of the target (§19.2)
      policy.scale_out_cooldown = a.duration("scale_out_cooldown");
      policy.scale_in_cooldown = a.duration("scale_in_cooldown");
      tracker_.emplace(policy);
      startup_ = a.dist("startup");
      initial_ = std::clamp(initial_, policy.min, policy.max);
    }
  }

  void start(Simulation& sim) override {
    // The initial tasks are running at the start: the service existed before the run.
    for (std::int64_t i = 0; i < initial_; ++i) {
      const std::uint32_t t = new_task(0);
      become_running(sim, t);
    }
    desired_ = initial_;
    desired_gauge_.set(0, static_cast<double>(desired_));
    running_min_ = running_;
    window_start_ = sim.warmup_end();
    if (tracker_) {
      sim.schedule_at(tracker_->policy().period, id(), kEvaluate);
      const SimTime window = sim.end() - sim.warmup_end();
      const SimTime minutes = std::max<SimTime>(1, (window + kMinute - 1) / kMinute);
      step_ = ((minutes + kMaxTimelineSteps - 1) / kMaxTimelineSteps) * kMinute;
      timeline_.assign(static_cast<std::size_t>((window + step_ - 1) / step_), 0.0);
      accrued_to_ = window_start_;
    }
  }

  void handle(Simulation& sim, const Event& e) override {
    switch (e.kind) {
      case kCallEvent: on_request(sim, CallHandle{e.data}); return;
      case kDone: on_done(sim, Handle{e.data}); return;
      case kTaskUp: on_task_up(sim, Handle{e.data}); return;
      case kEvaluate: evaluate(sim); return;
      default: return;
    }
  }

  void reset_statistics(SimTime now) override {
    requests_.reset();
    throttles_.reset();
    waited_.reset();
    completed_.reset();
    errors_.reset();
    failed_items_.reset();
    scale_outs_.reset();
    scale_ins_.reset();
    tasks_started_.reset();
    busy_gauge_.reset(now);
    queue_gauge_.reset(now);
    slots_gauge_.reset(now);
    running_gauge_.reset(now);
    desired_gauge_.reset(now);
    running_min_ = running_;
    wait_hist_.reset();
    latency_hist_.reset();
    failed_latency_hist_.reset();
  }

  void finish(Simulation& sim) override {
    end_ = sim.now();
    accrue(end_);
    // Tasks alive at the end are billed to the end of the window.
    for (std::size_t i = 0; i < tasks_.size(); ++i)
      if (tasks_[i].state != TaskState::stopped) bill_task(static_cast<std::uint32_t>(i), end_);
  }

  void report(Json& out, double /*measured_seconds*/) const override {
    out["requests"] = requests_.value;
    out["throttles"] = throttles_.value;  // refused: the queue held max_queue requests
    out["completed"] = completed_.value;
    if (error_rate_ > 0) {
      out["errors"] = errors_.value;              // answered with an error after their duration
      out["failed_items"] = failed_items_.value;  // of batches: the messages that failed
    }
    Json& t = out["tasks"];
    t["initial"] = initial_;
    t["desired_final"] = desired_;
    t["running_mean"] = running_gauge_.mean(end_);
    t["running_max"] = running_gauge_.max();
    t["running_min"] = running_min_;
    t["billed_seconds"] = billed_seconds_;  // sum over tasks of the seconds each is billed in the window
    out["slots"] = slots_gauge_.mean(end_);  // mean slots of the running (and draining) tasks
    Json& q = out["queue"];
    q["waited"] = waited_.value;  // started after a wait (all slots were busy)
    q["length_max"] = queue_gauge_.max();
    q["length_mean"] = queue_gauge_.mean(end_);
    if (bounded_) q["limit"] = max_queue_;
    out["queue_wait_ms"] = latency_json(wait_hist_);  // every started request, 0 when it did not wait
    Json& b = out["busy_slots"];
    b["max"] = busy_gauge_.max();
    b["mean"] = busy_gauge_.mean(end_);
    const double slots = slots_gauge_.mean(end_);
    out["utilization"] = slots > 0 ? busy_gauge_.mean(end_) / slots : 0.0;
    out["latency_ms"] = latency_json(latency_hist_);                // wait + duration
    out["latency_failed_ms"] = latency_json(failed_latency_hist_);  // refusals (0) and errors
    if (tracker_) {
      Json& s = out["scaling"];
      s["scale_outs"] = scale_outs_.value;
      s["scale_ins"] = scale_ins_.value;
      s["tasks_started"] = tasks_started_.value;
      s["first_scale_out_s"] = first_scale_out_s_ ? Json(*first_scale_out_s_) : Json(nullptr);
      // The mean running tasks of each step of the window (the last step may be shorter).
      Json& timeline = s["timeline"];
      timeline["step_s"] = to_seconds(step_);
      Json running = Json::array();
      for (std::size_t i = 0; i < timeline_.size(); ++i) {
        const SimTime from = window_start_ + static_cast<SimTime>(i) * step_;
        const double seconds = to_seconds(std::min(from + step_, std::max(end_, from + 1)) - from);
        running.push_back(timeline_[i] / seconds);
      }
      timeline["running"] = std::move(running);
    }
  }

  void attach(Simulation& sim, WorkerQueue& queue) {
    link_ = &queue;
    link_->set_workers(sim, static_cast<std::int64_t>(running_ * per_task_));
  }

  void sample(TimeSeriesRow& row) override {
    row.count("requests", static_cast<double>(requests_.value));
    row.count("throttles", static_cast<double>(throttles_.value));
    row.gauge("queue_length", queue_gauge_);
    row.gauge("busy_slots", busy_gauge_);
    row.gauge("running_tasks", running_gauge_);
    row.gauge("desired_tasks", desired_gauge_);
    row.latency("queue_wait_ms", wait_hist_);
    row.latency("latency_ms", latency_hist_);
  }

  void bill(CostLedger& ledger, const BillingPeriod& /*period*/) const override {
    // Each task from its launch (or the window's start) to its stop (or the
    // window's end), per second with a one-minute minimum (docs/model-assumptions.md §19.3).
    const double task_hours = static_cast<double>(billed_seconds_) / 3600.0;
    const double vcpu_hours = task_hours * vcpu_;
    const double gb_hours = task_hours * memory_gb_;
    ledger.add(name(), "vCPU hours", vcpu_hours, "vCPU-hours", vcpu_hours * vcpu_hour_usd_, CostBasis::time);
    ledger.add(name(), "memory GB hours", gb_hours, "GB-hours", gb_hours * gb_hour_usd_, CostBasis::time);
  }

 private:
  enum : std::uint16_t { kDone = kFirstComponentEvent, kTaskUp, kEvaluate };
  enum class TaskState : std::uint8_t { provisioning, running, draining, stopped };

  struct Task {
    SimTime launched = 0;
    TaskState state = TaskState::stopped;
    std::uint32_t busy = 0;
    std::uint32_t generation = 0;  // bumped when the entry is reused: older events and free slots are stale
  };
  // A request in a slot, and the task of the slot.
  struct Serving {
    CallHandle call;
    std::uint32_t task = 0;
    std::uint32_t failed = 0;  // items that failed (a single request: 0 or 1)
  };

  Handle task_handle(std::uint32_t t) const { return Handle::make(t, tasks_[t].generation); }
  bool live(Handle h, TaskState state) const {
    return h.index() < tasks_.size() && tasks_[h.index()].generation == h.generation() &&
           tasks_[h.index()].state == state;
  }

  std::uint32_t new_task(SimTime now) {
    std::uint32_t t;
    if (!free_tasks_.empty()) {
      t = free_tasks_.back();
      free_tasks_.pop_back();
    } else {
      t = static_cast<std::uint32_t>(tasks_.size());
      tasks_.emplace_back();
    }
    Task& task = tasks_[t];
    task.launched = now;
    task.state = TaskState::provisioning;
    task.busy = 0;
    ++task.generation;
    order_.push_back(t);
    return t;
  }

  void become_running(Simulation& sim, std::uint32_t t) {
    accrue(sim.now());
    tasks_[t].state = TaskState::running;
    ++running_;
    set_running(sim);
    set_slots(sim.now(), slots_ + per_task_);
    // Its slots take the oldest waiting requests, the rest are free.
    for (std::uint32_t s = 0; s < per_task_; ++s) {
      if (!queue_.empty()) {
        const CallHandle next = queue_.front();
        queue_.pop_front();
        queue_gauge_.set(sim.now(), static_cast<double>(queue_.size()));
        serve(sim, next, t, sim.now() - sim.call_info(next).delivered);
      } else {
        push_free(t);
      }
    }
  }

  void on_task_up(Simulation& sim, Handle h) {
    if (!live(h, TaskState::provisioning)) return;  // stopped while starting
    become_running(sim, h.index());
  }

  // A running task leaves: it takes no new request, finishes those it serves, then stops.
  void stop_task(Simulation& sim, std::uint32_t t) {
    Task& task = tasks_[t];
    if (task.state == TaskState::provisioning) {
      finish_task(sim, t);
      return;
    }
    accrue(sim.now());
    --running_;
    set_running(sim);
    const std::uint32_t idle = per_task_ - task.busy;
    free_valid_ -= idle;
    stale_ += idle;
    if (task.busy == 0) {
      finish_task(sim, t);
    } else {
      task.state = TaskState::draining;
      set_slots(sim.now(), slots_ - idle);
    }
  }

  void finish_task(Simulation& sim, std::uint32_t t) {
    Task& task = tasks_[t];
    if (task.state == TaskState::running || task.state == TaskState::draining)
      set_slots(sim.now(), slots_ - (task.state == TaskState::running ? per_task_ : task.busy + 1));
    bill_task(t, sim.now());
    task.state = TaskState::stopped;
    free_tasks_.push_back(t);
  }

  void bill_task(std::uint32_t t, SimTime stop) {
    // Only the part of its life inside the measured window is billed.
    const SimTime from = std::max(tasks_[t].launched, window_start_);
    if (stop > from) billed_seconds_ += fargate_billed_seconds_ns(stop - from);
  }

  // Every change of the running tasks, slots and busy slots goes through these
  // three: the window's gauges and the current period's (for the metric).
  void set_slots(SimTime now, std::uint64_t slots) {
    slots_ = slots;
    slots_gauge_.set(now, static_cast<double>(slots_));
    if (tracker_) period_slots_.set(now, static_cast<double>(slots_));
  }
  void set_running(Simulation& sim) {
    const SimTime now = sim.now();
    if (link_ != nullptr) link_->set_workers(sim, static_cast<std::int64_t>(running_ * per_task_));
    if (running_ < running_min_) running_min_ = running_;
    running_gauge_.set(now, static_cast<double>(running_));
    if (tracker_) period_running_.set(now, static_cast<double>(running_));
  }
  void set_busy(SimTime now) {
    busy_gauge_.set(now, static_cast<double>(busy_));
    if (tracker_) period_busy_.set(now, static_cast<double>(busy_));
  }

  void push_free(std::uint32_t t) {
    free_slots_.push_back(task_handle(t).bits);
    ++free_valid_;
  }

  // A free slot of a running task (the most recently freed), or nothing.
  std::optional<std::uint32_t> pop_free() {
    while (free_valid_ > 0 && !free_slots_.empty()) {
      const Handle h{free_slots_.back()};
      free_slots_.pop_back();
      if (live(h, TaskState::running)) {
        --free_valid_;
        return h.index();
      }
      --stale_;
    }
    return std::nullopt;
  }

  void compact_free_slots() {
    // Free slots of stopped tasks are dropped lazily; keep them from piling up.
    if (stale_ < 1024 || stale_ < free_valid_) return;
    std::erase_if(free_slots_, [this](std::uint64_t bits) { return !live(Handle{bits}, TaskState::running); });
    stale_ = 0;
  }

  void on_request(Simulation& sim, CallHandle call) {
    requests_.add();
    ++period_requests_;
    if (const auto t = pop_free()) {
      serve(sim, call, *t, 0);
      return;
    }
    if (bounded_ && queue_.size() >= max_queue_) {
      throttles_.add();
      failed_latency_hist_.record(0);
      sim.reply(call, CallStatus::throttled);
      return;
    }
    queue_.push_back(call);
    queue_gauge_.set(sim.now(), static_cast<double>(queue_.size()));
  }

  void serve(Simulation& sim, CallHandle call, std::uint32_t t, SimTime waited) {
    ++busy_;
    ++tasks_[t].busy;
    set_busy(sim.now());
    if (waited > 0) waited_.add();
    wait_hist_.record(waited);
    // A batch (an sqs queue's workers) takes one draw of `duration` per message.
    const std::uint32_t items = std::max<std::uint32_t>(1, sim.call_info(call).items);
    SimTime busy_for = 0;
    std::uint32_t failed = 0;
    for (std::uint32_t i = 0; i < items; ++i) {
      busy_for = add_saturating(busy_for, duration_.sample_ns(duration_rng_));
      if (error_rate_ > 0 && error_rng_.bernoulli(error_rate_)) ++failed;
    }
    const Handle h = serving_.alloc(Serving{call, t, failed});
    sim.schedule_in(busy_for, id(), kDone, h.bits);
  }

  void on_done(Simulation& sim, Handle h) {
    const Serving s = serving_.at(h);
    serving_.free(h);
    --busy_;
    Task& task = tasks_[s.task];
    --task.busy;
    set_busy(sim.now());
    completed_.add();
    if (s.failed > 0) {
      errors_.add();
      failed_items_.add(s.failed);
      failed_latency_hist_.record(sim.now() - sim.call_info(s.call).delivered);
      // A batch says how many of its messages failed; the others are deleted.
      sim.reply(s.call, CallStatus::error, 0, s.failed);
    } else {
      latency_hist_.record(sim.now() - sim.call_info(s.call).delivered);
      sim.reply(s.call, CallStatus::ok);
    }
    if (task.state == TaskState::draining) {
      if (task.busy == 0) finish_task(sim, s.task);
      else set_slots(sim.now(), slots_ - 1);
      return;
    }
    if (!queue_.empty()) {
      const CallHandle next = queue_.front();
      queue_.pop_front();
      queue_gauge_.set(sim.now(), static_cast<double>(queue_.size()));
      serve(sim, next, s.task, sim.now() - sim.call_info(next).delivered);
    } else {
      push_free(s.task);
    }
  }

  // One datapoint at the end of each period (§19.2).
  void evaluate(Simulation& sim) {
    const SimTime now = sim.now();
    const TargetTrackingPolicy& policy = tracker_->policy();
    sim.schedule_in(policy.period, id(), kEvaluate);
    const double busy = period_busy_.mean(now);
    const double slots = period_slots_.mean(now);
    const double running = period_running_.mean(now);
    double metric = 0;
    if (metric_ == Metric::requests) {
      metric = running > 0 ? static_cast<double>(period_requests_) / running : 0.0;
    } else if (metric_ == Metric::backlog) {
      // Visible messages now / running tasks now: a custom metric published each period.
      const std::int64_t backlog = link_ != nullptr ? link_->backlog() : 0;
      metric = static_cast<double>(backlog) / static_cast<double>(std::max<std::uint64_t>(1, running_));
    } else {
      metric = slots > 0 ? busy / slots : 0.0;
    }
    period_requests_ = 0;
    period_busy_.reset(now);
    period_slots_.reset(now);
    period_running_.reset(now);
    const std::optional<std::int64_t> desired = tracker_->evaluate(now, metric, desired_);
    if (!desired) return;
    if (*desired > desired_) {
      if (now >= window_start_) {
        scale_outs_.add();
        if (!first_scale_out_s_) first_scale_out_s_ = to_seconds(now - window_start_);
      }
      for (std::int64_t i = desired_; i < *desired; ++i) {
        const std::uint32_t t = new_task(now);
        tasks_started_.add();
        sim.schedule_in(startup_.sample_ns(startup_rng_), id(), kTaskUp, task_handle(t).bits);
      }
    } else {
      if (now >= window_start_) scale_ins_.add();
      // The newest tasks stop first, those still starting included.
      for (std::int64_t i = *desired; i < desired_ && !order_.empty(); ++i) {
        const std::uint32_t t = order_.back();
        order_.pop_back();
        stop_task(sim, t);
      }
      compact_free_slots();
    }
    desired_ = *desired;
    desired_gauge_.set(now, static_cast<double>(desired_));
  }

  // Running tasks x seconds into the timeline's steps, up to `now`.
  void accrue(SimTime now) {
    if (timeline_.empty()) return;
    SimTime t = std::max(accrued_to_, window_start_);
    while (t < now) {
      const auto step = static_cast<std::size_t>((t - window_start_) / step_);
      if (step >= timeline_.size()) break;
      const SimTime until = std::min(now, window_start_ + static_cast<SimTime>(step + 1) * step_);
      timeline_[step] += static_cast<double>(running_) * to_seconds(until - t);
      t = until;
    }
    accrued_to_ = std::max(accrued_to_, now);
  }

  std::uint32_t per_task_;
  bool bounded_;
  std::uint64_t max_queue_;
  Distribution duration_;
  Rng duration_rng_;
  Rng startup_rng_;
  Rng error_rng_;
  double error_rate_ = 0;
  double vcpu_ = 0;
  double memory_gb_ = 0;
  double vcpu_hour_usd_ = 0;
  double gb_hour_usd_ = 0;
  std::int64_t initial_ = 1;

  // Tasks: entries are reused once stopped; order_ lists the tasks the desired
  // count covers (starting or running), oldest first.
  std::vector<Task> tasks_;
  std::vector<std::uint32_t> free_tasks_;
  std::vector<std::uint32_t> order_;
  std::int64_t desired_ = 0;
  std::uint64_t running_ = 0;
  std::uint64_t slots_ = 0;  // of running tasks, plus the busy ones of draining tasks
  std::uint64_t busy_ = 0;
  std::vector<std::uint64_t> free_slots_;  // task handles, one per free slot (some stale)
  std::uint64_t free_valid_ = 0;
  std::uint64_t stale_ = 0;
  Pool<Serving> serving_;
  std::deque<CallHandle> queue_;

  // Autoscaling.
  std::optional<TargetTracker> tracker_;
  enum class Metric : std::uint8_t { cpu, requests, backlog };
  Metric metric_ = Metric::cpu;
  WorkerQueue* link_ = nullptr;  // the queue these slots consume, if any
  Distribution startup_;
  std::uint64_t period_requests_ = 0;
  TimeWeightedGauge period_busy_, period_slots_, period_running_;

  Counter requests_, throttles_, waited_, completed_, errors_, failed_items_, scale_outs_, scale_ins_, tasks_started_;
  TimeWeightedGauge busy_gauge_, queue_gauge_, slots_gauge_, running_gauge_, desired_gauge_;
  std::uint64_t running_min_ = 0;
  std::optional<double> first_scale_out_s_;
  LatencyHistogram wait_hist_, latency_hist_, failed_latency_hist_;
  std::int64_t billed_seconds_ = 0;
  SimTime window_start_ = 0;
  SimTime end_ = 0;
  SimTime step_ = kMinute;
  std::vector<double> timeline_;
  SimTime accrued_to_ = 0;
};

}  // namespace

void fargate_attach_queue(Simulation& sim, Component& workers, WorkerQueue& queue) {
  auto* f = dynamic_cast<Fargate*>(&workers);
  if (f == nullptr) throw std::logic_error("fargate_attach_queue: '" + workers.name() + "' is not a fargate service");
  f->attach(sim, queue);
}

ServiceType fargate_type() {
  ServiceType t;
  t.name = "fargate";
  t.summary =
      "an ECS service on Fargate: slots, FIFO queue, 503 beyond max_queue, fixed or target-tracking tasks, "
      "vCPU/GB-hours";
  t.table = {"requests", "throttles", "queue.waited", "queue.length_max", "queue_wait_ms", "utilization",
             "tasks.running_mean", "tasks.running_max", "scaling.scale_outs", "scaling.scale_ins", "latency_ms"};
  t.schema = &fargate_schema();
  t.ops = {"request"};
  const std::string one = "a Fargate service's one operation is 'request'";
  t.op_aliases = {{"GET", one}, {"POST", one}, {"PUT", one}, {"DELETE", one}, {"call", one}, {"invoke", one}};
  t.build = &make_service<Fargate>;
  t.check = &check_fargate;
  t.analytic = &fargate_analytic;
  return t;
}

}  // namespace slsim::models
