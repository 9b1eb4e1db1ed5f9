#include "models/fargate/fargate.hpp"

#include <algorithm>
#include <cmath>
#include <deque>
#include <string>

#include <fmt/format.h>

#include "models/pricing/catalog.hpp"
#include "sim/core/simulation.hpp"
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

namespace {

constexpr double kGiB = 1073741824.0;

const Schema& fargate_schema() {
  static const Schema s = [] {
    ParamSpec tasks = param("tasks", ParamType::integer, "", "1",
                            "running tasks (fixed: autoscaling is not modelled yet); each is billed for the whole window");
    tasks.min = 1;
    tasks.max = 5000;
    ParamSpec vcpu = param("vcpu", ParamType::number, "", "0.25",
                           "vCPUs per task (0.25 to 16): only the bill depends on it, the request 'duration' is given");
    vcpu.min = 0.25;
    vcpu.max = 16;
    ParamSpec memory = param("memory", ParamType::size, "GB", "0.5GB",
                             "memory per task (0.5GB to 120GB): only the bill depends on it");
    memory.min = 0.5 * kGiB;
    memory.max = 120 * kGiB;
    ParamSpec concurrency = param("concurrency_per_task", ParamType::integer, "", "10",
                                  "requests one task serves at once; more wait in the service's queue");
    concurrency.min = 1;
    concurrency.max = 100000;
    ParamSpec max_queue = param("max_queue", ParamType::integer, "", "",
                                "requests that may wait for a free slot; a request arriving when this many wait is "
                                "refused (throttled, a 503). Unbounded when omitted");
    max_queue.min = 0;
    max_queue.max = 1e9;
    ParamSpec duration = param("duration", ParamType::distribution, "ms", "50ms",
                               "time a task spends serving one request (after any wait in the queue)");
    duration.min = 0;
    ParamSpec arch = param("architecture", ParamType::choice, "", "x86",
                           "x86 (Linux/x86) or arm (Linux/ARM, Graviton): only the price differs");
    arch.choices = {"x86", "arm"};
    return Schema{"fargate",
                  "An Amazon ECS service on AWS Fargate: a fixed number of tasks serving requests from one queue.",
                  {tasks, vcpu, memory, concurrency, max_queue, duration, arch},
                  {{"desired_count", "write 'tasks', e.g. tasks: 4"},
                   {"count", "write 'tasks', e.g. tasks: 4"},
                   {"cpu", "write 'vcpu' in vCPUs, e.g. vcpu: 0.5 (ECS's cpu: 512)"},
                   {"concurrency", "write 'concurrency_per_task', e.g. concurrency_per_task: 10"},
                   {"queue", "write 'max_queue', e.g. max_queue: 100"},
                   {"latency", "write 'duration' (the time a task serves one request)"},
                   {"autoscaling", "autoscaling is not modelled yet: give a fixed 'tasks'"},
                   {"launch_type", "the launch type is always Fargate here: leave it out"},
                   {"spot", "Fargate Spot is not modelled: leave it out"}}};
  }();
  return s;
}

class Fargate final : public Service {
 public:
  explicit Fargate(const ServiceBuildContext& ctx)
      : Service(ctx.name(), "fargate"),
        tasks_(static_cast<std::uint64_t>(ctx.params().integer("tasks"))),
        slots_(tasks_ * static_cast<std::uint64_t>(ctx.params().integer("concurrency_per_task"))),
        bounded_(ctx.params().has("max_queue")),
        max_queue_(bounded_ ? static_cast<std::uint64_t>(ctx.params().integer("max_queue")) : 0),
        duration_(ctx.params().dist("duration")),
        duration_rng_(ctx.sim().rng("service." + ctx.name() + ".duration")) {
    const Record& p = ctx.params();
    const PriceCatalog prices(ctx.scenario());
    const std::string arch = p.text("architecture");
    vcpu_ = p.number("vcpu");
    memory_gb_ = p.size("memory") / kGiB;
    vcpu_hour_usd_ = prices("fargate." + arch + ".vcpu_hour");
    gb_hour_usd_ = prices("fargate." + arch + ".gb_hour");
  }

  void handle(Simulation& sim, const Event& e) override {
    if (e.kind == kCallEvent) {
      on_request(sim, CallHandle{e.data});
    } else if (e.kind == kDone) {
      on_done(sim, CallHandle{e.data});
    }
  }

  void reset_statistics(SimTime now) override {
    requests_.reset();
    throttles_.reset();
    waited_.reset();
    completed_.reset();
    busy_gauge_.reset(now);
    queue_gauge_.reset(now);
    wait_hist_.reset();
    latency_hist_.reset();
    failed_latency_hist_.reset();
  }
  void finish(Simulation& sim) override { end_ = sim.now(); }

  void report(Json& out, double /*measured_seconds*/) const override {
    out["requests"] = requests_.value;
    out["throttles"] = throttles_.value;  // refused: the queue held max_queue requests
    out["completed"] = completed_.value;
    out["tasks"] = tasks_;
    out["slots"] = slots_;
    Json& q = out["queue"];
    q["waited"] = waited_.value;  // started after a wait (all slots were busy)
    q["length_max"] = queue_gauge_.max();
    q["length_mean"] = queue_gauge_.mean(end_);
    if (bounded_) q["limit"] = max_queue_;
    out["queue_wait_ms"] = latency_json(wait_hist_);  // every started request, 0 when it did not wait
    Json& b = out["busy_slots"];
    b["max"] = busy_gauge_.max();
    b["mean"] = busy_gauge_.mean(end_);
    out["utilization"] = busy_gauge_.mean(end_) / static_cast<double>(slots_);
    out["latency_ms"] = latency_json(latency_hist_);                // wait + duration
    out["latency_failed_ms"] = latency_json(failed_latency_hist_);  // refusals (0)
  }

  void sample(TimeSeriesRow& row) override {
    row.count("requests", static_cast<double>(requests_.value));
    row.count("throttles", static_cast<double>(throttles_.value));
    row.gauge("queue_length", queue_gauge_);
    row.gauge("busy_slots", busy_gauge_);
    row.latency("queue_wait_ms", wait_hist_);
    row.latency("latency_ms", latency_hist_);
  }

  void bill(CostLedger& ledger, const BillingPeriod& period) const override {
    // Every task runs the whole window, billed per second with a one-minute
    // minimum (docs/model-assumptions.md §19).
    const double task_hours =
        static_cast<double>(tasks_) * fargate_billed_seconds(period.measured_seconds()) / 3600.0;
    const double vcpu_hours = task_hours * vcpu_;
    const double gb_hours = task_hours * memory_gb_;
    ledger.add(name(), "vCPU hours", vcpu_hours, "vCPU-hours", vcpu_hours * vcpu_hour_usd_, CostBasis::time);
    ledger.add(name(), "memory GB hours", gb_hours, "GB-hours", gb_hours * gb_hour_usd_, CostBasis::time);
  }

 private:
  enum : std::uint16_t { kDone = kFirstComponentEvent };

  void on_request(Simulation& sim, CallHandle call) {
    requests_.add();
    if (busy_ < slots_) {
      serve(sim, call, 0);
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

  void serve(Simulation& sim, CallHandle call, SimTime waited) {
    ++busy_;
    busy_gauge_.set(sim.now(), static_cast<double>(busy_));
    if (waited > 0) waited_.add();
    wait_hist_.record(waited);
    sim.schedule_in(duration_.sample_ns(duration_rng_), id(), kDone, call.bits);
  }

  void on_done(Simulation& sim, CallHandle call) {
    --busy_;
    busy_gauge_.set(sim.now(), static_cast<double>(busy_));
    completed_.add();
    latency_hist_.record(sim.now() - sim.call_info(call).delivered);
    sim.reply(call, CallStatus::ok);
    if (!queue_.empty()) {
      const CallHandle next = queue_.front();
      queue_.pop_front();
      queue_gauge_.set(sim.now(), static_cast<double>(queue_.size()));
      serve(sim, next, sim.now() - sim.call_info(next).delivered);
    }
  }

  std::uint64_t tasks_;
  std::uint64_t slots_;
  bool bounded_;
  std::uint64_t max_queue_;
  Distribution duration_;
  Rng duration_rng_;
  double vcpu_ = 0;
  double memory_gb_ = 0;
  double vcpu_hour_usd_ = 0;
  double gb_hour_usd_ = 0;
  std::uint64_t busy_ = 0;
  std::deque<CallHandle> queue_;
  Counter requests_, throttles_, waited_, completed_;
  TimeWeightedGauge busy_gauge_, queue_gauge_;
  LatencyHistogram wait_hist_, latency_hist_, failed_latency_hist_;
  SimTime end_ = 0;
};

}  // namespace

ServiceType fargate_type() {
  ServiceType t;
  t.name = "fargate";
  t.summary = "an ECS service on Fargate with fixed tasks: slots, FIFO queue, 503 beyond max_queue, vCPU/GB-hours";
  t.table = {"requests", "throttles", "queue.waited", "queue.length_max", "queue_wait_ms", "utilization",
             "latency_ms"};
  t.schema = &fargate_schema();
  t.ops = {"request"};
  const std::string one = "a Fargate service's one operation is 'request'";
  t.op_aliases = {{"GET", one}, {"POST", one}, {"PUT", one}, {"DELETE", one}, {"call", one}, {"invoke", one}};
  t.build = &make_service<Fargate>;
  t.analytic = &fargate_analytic;
  return t;
}

}  // namespace slsim::models
