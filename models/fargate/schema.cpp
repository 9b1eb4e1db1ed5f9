// The fargate schema (with its `autoscaling:` record) and the checks that need
// more than one value: the vCPU/memory pairs Fargate accepts, the one target
// of the scaling policy, min <= max, and the initial tasks within them.
#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "models/fargate/fargate.hpp"
#include "sim/scenario/scenario.hpp"

namespace slsim::models {

namespace {

constexpr double kGiB = 1073741824.0;

const Schema& autoscaling_schema() {
  static const Schema s = [] {
    ParamSpec min = bounded(param("min", ParamType::integer, "", "1", "fewest tasks the policy keeps (MinCapacity)"), 1,
                            5000);
    ParamSpec max = bounded(param("max", ParamType::integer, "", "", "most tasks the policy asks for (MaxCapacity)"), 1,
                            5000);
    max.required = true;
    ParamSpec metric = param("metric", ParamType::choice, "", "cpu",
                             "cpu: busy slots / slots of the running tasks, the model's stand-in for "
                             "ECSServiceAverageCPUUtilization; requests_per_task: requests arriving per running task "
                             "and period (ALBRequestCountPerTarget); backlog_per_task: visible messages of the queue "
                             "the service consumes (an sqs with 'consumer: {workers: ...}') per running task");
    metric.choices = {"cpu", "requests_per_task", "backlog_per_task"};
    ParamSpec target = param("target_utilization", ParamType::probability, "", "",
                             "metric cpu: the busy share of the slots to hold, e.g. 0.6");
    target.min = 0;
    target.min_exclusive = true;
    ParamSpec per_task = param("target_requests_per_task", ParamType::number, "", "",
                               "metric requests_per_task: the requests per running task and period to hold");
    per_task.min = 0;
    per_task.min_exclusive = true;
    per_task.max = 1e9;
    ParamSpec backlog = param("target_backlog_per_task", ParamType::number, "", "",
                              "metric backlog_per_task: the visible messages per running task to hold");
    backlog.min = 0;
    backlog.min_exclusive = true;
    backlog.max = 1e9;
    ParamSpec period = bounded(param("period", ParamType::duration, "s", "60s",
                                     "one datapoint of the metric per period (CloudWatch's 1-minute metrics)"),
                               1e9, 3600e9);
    ParamSpec out = bounded(param("out_datapoints", ParamType::integer, "", "3",
                                  "high alarm: this many datapoints in a row above the target"),
                            1, 1000);
    ParamSpec in = bounded(param("in_datapoints", ParamType::integer, "", "15",
                                 "low alarm: this many datapoints in a row below 90% of the target"),
                           1, 1000);
    ParamSpec out_cd = bounded(param("scale_out_cooldown", ParamType::duration, "s", "300s",
                                     "after a scale-out, the next scale-out waits this long"),
                               0, 86400e9);
    ParamSpec in_cd = bounded(param("scale_in_cooldown", ParamType::duration, "s", "300s",
                                    "a scale-in waits this long after the last scale-out or scale-in"),
                              0, 86400e9);
    ParamSpec startup = param("startup", ParamType::distribution, "s", "{dist: lognormal, mean: 40s, cv: 0.25}",
                              "from a task's launch to its slots serving (image pull, container start); the "
                              "default is an UNCONFIRMED assumption: measure your own");
    startup.min = 0;
    return Schema{"autoscaling",
                  "ECS Service Auto Scaling with one target-tracking policy: the high and low alarms of "
                  "Application Auto Scaling, proportional steps, cooldowns and task start-up.",
                  {min, max, metric, target, per_task, backlog, period, out, in, out_cd, in_cd, startup},
                  {{"MinCapacity", "write 'min', e.g. min: 2"},
                   {"MaxCapacity", "write 'max', e.g. max: 20"},
                   {"TargetValue",
                    "write 'target_utilization' as a fraction (metric cpu, e.g. 0.6) or 'target_requests_per_task' "
                    "(metric requests_per_task)"},
                   {"target", "write 'target_utilization' (metric cpu) or 'target_requests_per_task'"},
                   {"target_cpu", "write 'target_utilization' as a fraction, e.g. target_utilization: 0.6"},
                   {"cpu_target", "write 'target_utilization' as a fraction, e.g. target_utilization: 0.6"},
                   {"ScaleOutCooldown", "write 'scale_out_cooldown' with a unit, e.g. scale_out_cooldown: 300s"},
                   {"ScaleInCooldown", "write 'scale_in_cooldown' with a unit, e.g. scale_in_cooldown: 300s"},
                   {"PredefinedMetricType",
                    "write 'metric: cpu' (ECSServiceAverageCPUUtilization) or 'metric: requests_per_task' "
                    "(ALBRequestCountPerTarget)"},
                   {"PredefinedMetricSpecification", "write 'metric: cpu' or 'metric: requests_per_task'"},
                   {"DisableScaleIn", "scale-in cannot be disabled here: set min, or a long scale_in_cooldown"},
                   {"min_capacity", "write 'min', e.g. min: 2"},
                   {"max_capacity", "write 'max', e.g. max: 20"},
                   {"startup_time", "write 'startup', e.g. startup: 40s"},
                   {"warmup", "write 'startup' (the task's start-up time), e.g. startup: 40s"}}};
  }();
  return s;
}

}  // namespace

const Schema& fargate_schema() {
  static const Schema s = [] {
    ParamSpec tasks = param("tasks", ParamType::integer, "", "1",
                            "running tasks at the start (the desired count); fixed without 'autoscaling', else "
                            "clamped to its min and max");
    tasks.min = 1;
    tasks.max = 5000;
    ParamSpec vcpu = param("vcpu", ParamType::number, "", "0.25",
                           "vCPUs per task (0.25, 0.5, 1, 2, 4, 8 or 16): only the bill depends on it, the request "
                           "'duration' is given");
    vcpu.min = 0.25;
    vcpu.max = 16;
    ParamSpec memory = param("memory", ParamType::size, "GB", "0.5GB",
                             "memory per task, one of the sizes Fargate allows with the 'vcpu' (0.5GB to 120GB): "
                             "only the bill depends on it");
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
    ParamSpec errors = param("error_rate", ParamType::probability, "", "0",
                             "share of requests (or of a batch's messages) that fail: answered with an error after "
                             "their duration");
    ParamSpec scaling = param("autoscaling", ParamType::record, "", "",
                              "optional target tracking of the task count (ECS Service Auto Scaling)");
    scaling.record = &autoscaling_schema();
    return Schema{"fargate",
                  "An Amazon ECS service on AWS Fargate: tasks serving requests from one queue, a fixed number or "
                  "scaled by target tracking.",
                  {tasks, vcpu, memory, concurrency, max_queue, duration, arch, errors, scaling},
                  {{"desired_count", "write 'tasks', e.g. tasks: 4"},
                   {"count", "write 'tasks', e.g. tasks: 4"},
                   {"cpu", "write 'vcpu' in vCPUs, e.g. vcpu: 0.5 (ECS's cpu: 512)"},
                   {"concurrency", "write 'concurrency_per_task', e.g. concurrency_per_task: 10"},
                   {"queue", "write 'max_queue', e.g. max_queue: 100"},
                   {"latency", "write 'duration' (the time a task serves one request)"},
                   {"auto_scaling", "write 'autoscaling', e.g. autoscaling: {max: 10, target_utilization: 0.6}"},
                   {"scaling", "write 'autoscaling', e.g. autoscaling: {max: 10, target_utilization: 0.6}"},
                   {"launch_type", "the launch type is always Fargate here: leave it out"},
                   {"spot", "Fargate Spot is not modelled: leave it out"}}};
  }();
  return s;
}

std::vector<double> fargate_memory_choices_gb(double vcpu) {
  // Fargate's Linux task sizes (docs/model-assumptions.md §19.1).
  const auto range = [](double from, double to, double step) {
    std::vector<double> v;
    for (double m = from; m <= to + 1e-9; m += step) v.push_back(m);
    return v;
  };
  if (vcpu == 0.25) return {0.5, 1, 2};
  if (vcpu == 0.5) return range(1, 4, 1);
  if (vcpu == 1) return range(2, 8, 1);
  if (vcpu == 2) return range(4, 16, 1);
  if (vcpu == 4) return range(8, 30, 1);
  if (vcpu == 8) return range(16, 60, 4);
  if (vcpu == 16) return range(32, 120, 8);
  return {};
}

namespace {

std::string gb_text(double gb) { return fmt::format("{}GB", gb); }

// "0.5GB, 1GB or 2GB"; a long run of steps as "8GB to 30GB in 1GB steps".
std::string memory_list(const std::vector<double>& gbs) {
  if (gbs.size() > 4)
    return fmt::format("{} to {} in {} steps", gb_text(gbs.front()), gb_text(gbs.back()), gb_text(gbs[1] - gbs[0]));
  std::string out;
  for (std::size_t i = 0; i < gbs.size(); ++i) {
    if (i > 0) out += i + 1 == gbs.size() ? " or " : ", ";
    out += gb_text(gbs[i]);
  }
  return out;
}

}  // namespace

void check_fargate(const ServiceDecl& d, const Scenario& sc, Diagnostics& diags) {
  const Record& p = d.params;
  // The slots are the workers of at most one queue.
  std::vector<std::string> queues;
  for (const auto& s : sc.services) {
    if (s.type == nullptr || s.type->name != "sqs" || s.params.schema == nullptr || !s.params.has("consumer")) continue;
    const Record& c = s.params.record("consumer");
    if (c.has("workers") && c.text("workers") == d.name) queues.push_back(s.name);
  }
  if (queues.size() > 1)
    diags.error(d.loc, "services." + d.name,
                fmt::format("'{}' is the workers of {} queues ({}): a fargate service's slots serve one queue",
                            d.name, queues.size(), quoted_list(queues)),
                "give each queue a fargate service of its own");
  const Value& vcpu = p.get("vcpu");
  const std::vector<double> memories = fargate_memory_choices_gb(vcpu.number);
  if (memories.empty()) {
    diags.error(vcpu.loc, vcpu.path,
                fmt::format("Fargate tasks have 0.25, 0.5, 1, 2, 4, 8 or 16 vCPUs, found {}", vcpu.number));
  } else {
    const Value& memory = p.get("memory");
    const double gb = memory.number / kGiB;
    const bool ok = std::any_of(memories.begin(), memories.end(), [&](double m) { return std::abs(m - gb) < 1e-9; });
    if (!ok)
      diags.error(memory.loc, memory.path,
                  fmt::format("a task with {} vCPU takes {} of memory, found {}", vcpu.number, memory_list(memories),
                              gb_text(std::round(gb * 1000) / 1000)));
  }
  if (!p.has("autoscaling")) return;
  const Record& a = p.record("autoscaling");
  const Value& min = a.get("min");
  const Value& max = a.get("max");
  if (min.number > max.number)
    diags.error(min.loc, min.path,
                fmt::format("autoscaling min ({}) is above its max ({})", a.integer("min"), a.integer("max")));
  // Exactly one target: the one of the metric.
  static const std::vector<std::pair<std::string, std::string>> targets = {
      {"cpu", "target_utilization"},
      {"requests_per_task", "target_requests_per_task"},
      {"backlog_per_task", "target_backlog_per_task"}};
  const std::string& metric = a.text("metric");
  std::string wanted;
  std::vector<const Value*> given;
  for (const auto& mt : targets) {
    if (mt.first == metric) wanted = mt.second;
    if (a.has(mt.second)) given.push_back(&a.get(mt.second));
  }
  if (given.size() > 1) {
    diags.error(given[1]->loc, given[1]->path,
                "give one target, the metric's: 'target_utilization' (cpu), 'target_requests_per_task' "
                "(requests_per_task) or 'target_backlog_per_task' (backlog_per_task)");
  } else if (given.empty()) {
    diags.error(a.loc, a.path, fmt::format("missing the target: '{}' for metric '{}'", wanted, metric));
  } else if (!same_name(given[0]->path.substr(given[0]->path.rfind('.') + 1), wanted)) {
    const std::string key = given[0]->path.substr(given[0]->path.rfind('.') + 1);
    std::string hint;
    for (const auto& mt : targets)
      if (mt.second == key) hint = fmt::format("'{}' is the target of 'metric: {}'", key, mt.first);
    diags.error(given[0]->loc, given[0]->path, fmt::format("metric '{}' takes '{}', not '{}'", metric, wanted, key),
                hint);
  }
  if (metric == "backlog_per_task") {
    if (queues.empty())
      diags.error(a.get("metric").loc, a.get("metric").path,
                  fmt::format("metric 'backlog_per_task' needs a queue that '{}' consumes", d.name),
                  "give an sqs queue 'consumer: {workers: " + d.name + "}'");
  }
  const Value& tasks = p.get("tasks");
  if (min.number <= max.number && (tasks.number < min.number || tasks.number > max.number)) {
    const std::int64_t clamped = std::clamp(p.integer("tasks"), a.integer("min"), a.integer("max"));
    diags.warning(tasks.given ? tasks.loc : d.loc, tasks.path,
                  fmt::format("tasks: {} is outside the autoscaling bounds [{}, {}]: the service starts with {} tasks",
                              p.integer("tasks"), a.integer("min"), a.integer("max"), clamped));
  }
}

}  // namespace slsim::models
