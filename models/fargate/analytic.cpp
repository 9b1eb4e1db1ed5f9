// The analytic estimate of a Fargate service: c = tasks x concurrency_per_task
// slots in front of one FIFO queue, with the tasks fixed or, under
// autoscaling, the count the policy's target implies at the offered load. Unbounded: an M/G/c
// queue (Erlang-C, Allen-Cunneen for the mean wait). With max_queue K: the
// M/M/c/K closed form (the duration is taken as exponential with its mean).
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "models/fargate/fargate.hpp"
#include "models/pricing/catalog.hpp"
#include "sim/analysis/analytic.hpp"
#include "sim/analysis/queueing.hpp"
#include "sim/scenario/scenario.hpp"

namespace slsim::models {

namespace {

// M/M/c with at most `waiting` requests in the queue: the probability that an
// arrival is refused, that it waits, and the mean queue length.
struct FiniteQueue {
  double blocked = 0;
  double waits = 0;
  double mean_length = 0;
};

FiniteQueue mmck(std::int64_t c, std::int64_t waiting, double offered) {
  // p_n in proportion to A^n / n! up to c, then A^c / c! rho^(n - c); computed
  // relative to p_c so that large c does not overflow.
  FiniteQueue q;
  if (!(offered > 0)) return q;
  const double rho = offered / static_cast<double>(c);
  double below = 0;  // sum of p_n / p_c for n < c
  double term = 1;
  for (std::int64_t n = c; n > 0; --n) {
    term *= static_cast<double>(n) / offered;  // p_(n-1) / p_c
    below += term;
  }
  double at_or_above = 0;
  double length = 0;
  double r = 1;
  for (std::int64_t k = 0; k <= waiting; ++k) {
    at_or_above += r;
    length += static_cast<double>(k) * r;
    r *= rho;
  }
  const double total = below + at_or_above;
  q.blocked = std::pow(rho, static_cast<double>(waiting)) / total;
  q.waits = (at_or_above - std::pow(rho, static_cast<double>(waiting))) / total;  // n in [c, c + K)
  q.mean_length = length / total;
  return q;
}

// The tasks a target-tracking policy settles on at a steady load: the fewest
// that hold the metric at or below its target, within [min, max].
std::int64_t implied_tasks(const Record& a, double rate, double offered, std::int64_t per_task, std::string& how) {
  const std::int64_t min = a.integer("min");
  const std::int64_t max = std::max(min, a.integer("max"));
  double wanted = 0;
  if (a.text("metric") == "requests_per_task") {
    const double per_period = rate * static_cast<double>(a.duration("period")) / 1e9;
    wanted = per_period / a.number("target_requests_per_task");
    how = fmt::format("autoscaling: {:.4g} requests per period / target {:.4g}", per_period,
                      a.number("target_requests_per_task"));
  } else {
    wanted = offered / (static_cast<double>(per_task) * a.number("target_utilization"));
    how = fmt::format("autoscaling: {:.4g} erlangs / ({} slots per task x target {:.4g})", offered, per_task,
                      a.number("target_utilization"));
  }
  const double n = std::ceil(wanted - 1e-9);
  const std::int64_t tasks = n >= static_cast<double>(max) ? max : std::max(min, static_cast<std::int64_t>(n));
  how += fmt::format(", within [{}, {}]", min, max);
  return tasks;
}

}  // namespace

void fargate_analytic(const AnalyticView& view, ServiceEstimate& out) {
  const Record& p = view.service().params;
  const Distribution duration = p.dist("duration");
  // A batch (from a queue the service's workers consume) takes one draw per message.
  const double items = view.items_per_call("request");
  const double item_s = duration.mean() / 1e9;
  const double mean_s = item_s * items;
  const double cv2 = item_s > 0 ? duration.variance() / (duration.mean() * duration.mean()) / items : 0.0;
  const double rate = view.calls("request");
  const double offered = rate * mean_s;
  std::int64_t tasks = p.integer("tasks");
  if (p.has("autoscaling") && p.record("autoscaling").text("metric") == "backlog_per_task") {
    tasks = std::clamp(tasks, p.record("autoscaling").integer("min"), p.record("autoscaling").integer("max"));
    out.not_estimated("tasks.running_mean", "metric backlog_per_task: the backlog is the queue's; the estimate runs "
                                            "the initial tasks");
  } else if (p.has("autoscaling")) {
    std::string why;
    tasks = implied_tasks(p.record("autoscaling"), rate, offered, p.integer("concurrency_per_task"), why);
    out.level("tasks.running_mean", static_cast<double>(tasks), why);
  } else {
    out.level("tasks.running_mean", static_cast<double>(tasks), "fixed tasks");
  }
  const std::int64_t c = tasks * p.integer("concurrency_per_task");
  // A queue whose workers these slots are takes them as its pollers.
  out.share("slots", static_cast<double>(c));
  double blocked = 0;
  double waits = 0;
  double wait_s = 0;
  std::string how;
  // The workers of a queue: the queue sends at most one batch per slot, so
  // batches wait there (in its estimate), never here.
  std::string queue;
  for (const auto& d : view.scenario().services)
    if (d.type != nullptr && d.type->name == "sqs" && d.params.has("consumer") &&
        d.params.record("consumer").has("workers") && d.params.record("consumer").text("workers") == view.name())
      queue = d.name;
  if (!queue.empty()) {
    how = fmt::format("the workers of '{}': its batches wait in the queue, at most one per slot here", queue);
    out.rate("throttles", 0, how);
  } else if (p.has("max_queue")) {
    const FiniteQueue q = mmck(c, p.integer("max_queue"), offered);
    blocked = q.blocked;
    waits = q.waits;
    const double admitted = rate * (1.0 - blocked);
    wait_s = admitted > 0 ? q.mean_length / admitted : 0.0;
    how = fmt::format("M/M/c/K: c = {}, K = {} waiting, A = {:.4g} erlangs (duration taken as exponential)", c,
                      p.integer("max_queue"), offered);
    out.rate("throttles", rate * blocked, how);
  } else {
    waits = erlang_c(c, offered);
    wait_s = mgc_wait_s(c, rate, mean_s, cv2);
    how = fmt::format("M/G/c: Erlang-C(c = {}, A = {:.4g} erlangs), mean wait x (1 + cv^2) / 2", c, offered);
    out.rate("throttles", 0, "no max_queue: nothing is refused");
  }
  const double admitted = rate * (1.0 - blocked);
  const bool stable = std::isfinite(wait_s);
  AnalyticAnswer a;
  a.ok = 1.0 - blocked;
  a.throttled = blocked;
  a.seconds = stable ? (1.0 - blocked) * (wait_s + mean_s) : std::numeric_limits<double>::infinity();
  a.ok_seconds = stable ? wait_s + mean_s : std::numeric_limits<double>::infinity();
  // Per message of a batch: its share of the batch time, and the failures.
  a.seconds_per_item = item_s;
  a.item_error = p.number("error_rate");
  if (items > 1 && stable) a.seconds = (1.0 - blocked) * (wait_s + item_s);
  out.answer("request", a);
  out.rate("requests", rate, "requests arriving");
  // An unstable queue serves as fast as its slots go; the rest waits.
  const double served = mean_s > 0 ? std::min(admitted, static_cast<double>(c) / mean_s) : admitted;
  out.rate("completed", served, "requests x (1 - P(refused)), at most slots / mean duration");
  if (stable) {
    out.rate("queue.waited", rate * waits, how, ReasonClass::queueing);
    out.level("queue_wait_ms.mean", wait_s * 1e3, how, ReasonClass::queueing);
    out.level("queue.length_mean", admitted * wait_s, "Little's law: admitted requests x mean wait",
              ReasonClass::queueing);
    out.level("latency_ms.mean", (wait_s + mean_s) * 1e3, "mean wait + mean duration", ReasonClass::queueing);
  } else {
    out.not_estimated("queue_wait_ms.mean", fmt::format("offered {:.4g} erlangs >= {} slots: the queue grows without end", offered, c));
  }
  out.level("busy_slots.mean", served * mean_s, "Little's law: served requests x mean duration");
  out.level("utilization", served * mean_s / static_cast<double>(c), "busy slots / slots");
  // The tasks the estimate runs, for the whole window (start-up and scaling aside).
  const double task_hours = static_cast<double>(tasks) * fargate_billed_seconds(view.seconds()) / 3600.0;
  const PriceCatalog prices(view.scenario());
  const std::string arch = p.text("architecture");
  const double vcpu_hours = task_hours * p.number("vcpu");
  const double gb_hours = task_hours * p.size("memory") / 1073741824.0;
  out.cost("vCPU hours", vcpu_hours, "vCPU-hours", vcpu_hours * prices("fargate." + arch + ".vcpu_hour"), true);
  out.cost("memory GB hours", gb_hours, "GB-hours", gb_hours * prices("fargate." + arch + ".gb_hour"), true);
}

}  // namespace slsim::models
