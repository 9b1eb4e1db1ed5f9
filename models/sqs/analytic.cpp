// The analytic estimate of an SQS queue (docs/analyze.md): sends (FIFO ones
// capped at 300/s), and with a consumer the receives per message (each
// failing with the consumer's batch failure probability p, redriven after
// max_receive_count k of them: p^k of the messages reach the dead-letter
// queue), batches, the pollers as an M/G/c queue (Erlang-C wait) and Little's
// law for the depth.
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include <fmt/format.h>

#include "models/pricing/catalog.hpp"
#include "models/sqs/schema.hpp"
#include "models/sqs/sqs.hpp"
#include "sim/analysis/analytic.hpp"
#include "sim/analysis/queueing.hpp"
#include "sim/scenario/scenario.hpp"

namespace slsim::models {

namespace {

double chunks(double bytes) { return std::max(1.0, std::ceil(bytes / static_cast<double>(kSqsChunkBytes))); }

// The mean over t in [from, to] of min(t, cap).
double mean_capped(double from, double to, double cap) {
  const auto integral = [cap](double t) { return t <= cap ? t * t / 2 : cap * cap / 2 + cap * (t - cap); };
  return to > from ? (integral(to) - integral(from)) / (to - from) : std::min(from, cap);
}

}  // namespace

void sqs_analytic(const AnalyticView& view, ServiceEstimate& out) {
  const Record& p = view.service().params;
  const Scenario& sc = view.scenario();
  const bool fifo = p.flag("fifo");
  const double visibility_s = static_cast<double>(p.duration("visibility_timeout")) / 1e9;
  const double retention_s = static_cast<double>(p.duration("retention")) / 1e9;
  const double delay_s = static_cast<double>(p.duration("delay")) / 1e9;

  // Redrives from the queues whose dead-letter queue this is are neither throttled nor billed as sends.
  double redriven = 0;
  for (const AnalyticView::Edge& e : view.edges()) {
    const ServiceDecl* from = sc.find_service(e.from);
    if (from != nullptr && from->type->name == "sqs" && from->params.has("dlq") && from->params.text("dlq") == view.name())
      redriven += e.calls;
  }
  const double sends = view.calls("send");
  const double produced = std::max(0.0, sends - redriven);
  const double throttle = fifo && produced > kSqsFifoApiRate ? 1.0 - kSqsFifoApiRate / produced : 0.0;
  const double sent = redriven + produced * (1.0 - throttle);
  const double accepted_share = sends > 0 ? sent / sends : 1.0;
  // Send requests: one per 64 KB chunk of the producers' payloads.
  double chunk_mean = 0, by_total = 0;
  const std::vector<double> by = view.calls_by_workload("send");
  for (std::size_t w = 0; w < by.size(); ++w) {
    chunk_mean += by[w] * chunks(sc.workloads[w].params.size("payload"));
    by_total += by[w];
  }
  chunk_mean = by_total > 0 ? chunk_mean / by_total : 1.0;
  const double send_requests = produced * (1.0 - throttle) * chunk_mean;
  out.answer("send", AnalyticAnswer{1.0 - throttle, throttle, 0, 0, 0, 0});
  out.rate("sent", sent, redriven > 0 ? "sends accepted + redrives in" : "sends accepted");
  out.rate("throttles", produced * throttle,
           fifo ? "sends beyond 300 per second (the FIFO limit, as a rate cap)" : "standard queues do not throttle",
           ReasonClass::bursts, "the limit is a token bucket that a burst empties");
  const PriceCatalog price(sc);
  const std::string kind = fifo ? "fifo" : "standard";
  const double usd_per_request = price("sqs.request." + kind + ".tier1");

  if (!p.has("consumer")) {
    // Messages wait until their retention ends: the depth grows from the start of the run.
    const double from = view.warmup_seconds(), to = from + view.seconds();
    out.rate("received", 0, "no consumer");
    out.rate("deleted", 0, "no consumer");
    out.level("depth.mean", sent * mean_capped(from, to, retention_s), "sent x mean over the window of min(t, retention)");
    const double expiring = to > retention_s ? (to - std::max(from, retention_s)) / view.seconds() : 0.0;
    out.rate("expired", sent * expiring, "messages older than the retention within the window");
    out.cost("send requests", send_requests * view.seconds(), "requests", send_requests * view.seconds() * usd_per_request);
    return;
  }

  const Record& c = p.record("consumer");
  // The consumer: a lambda, or a fargate service's worker slots.
  const bool workers = c.has("workers");
  const std::string& function = workers ? c.text("workers") : c.text("function");
  const char* consumer_op = workers ? "request" : "invoke";
  const ServiceDecl* fn = sc.find_service(function);
  const double batch_size = static_cast<double>(c.integer("batch_size"));
  const double window_s = static_cast<double>(c.duration("batch_window")) / 1e9;
  const bool partial = workers || c.flag("report_batch_item_failures");
  std::int64_t cap = kSqsMaxBatches;
  if (workers) {
    // Its slots, as the service's estimate runs them (its tasks at the start before it did).
    const Record& f = fn->params;
    std::int64_t tasks = f.integer("tasks");
    if (f.has("autoscaling"))
      tasks = std::clamp(tasks, f.record("autoscaling").integer("min"), f.record("autoscaling").integer("max"));
    const double slots = view.shared(function, "slots", static_cast<double>(tasks * f.integer("concurrency_per_task")));
    cap = std::max<std::int64_t>(1, static_cast<std::int64_t>(slots));
  }
  if (c.has("max_concurrency")) cap = std::min(cap, c.integer("max_concurrency"));
  if (!workers && fn->params.has("reserved_concurrency"))
    cap = std::min(cap, fn->params.integer("reserved_concurrency"));
  const std::int64_t start = workers ? cap : std::min(kSqsStartBatches, cap);
  // A FIFO queue has at most one batch in flight per message group.
  const std::int64_t servers = fifo ? std::min(p.integer("groups"), cap) : cap;
  const bool fixed = start == cap || fifo;
  const AnalyticAnswer fa = view.answer(function, consumer_op);
  const Distribution& d = fn->params.dist("duration");
  const double cv2 = d.mean() > 0 ? d.variance() / (d.mean() * d.mean()) : 0.0;
  // Receives a message may have: max_receive_count with a dead-letter queue,
  // else as many visibility timeouts as its retention holds.
  const bool dlq = p.has("dlq");
  const double k = dlq ? static_cast<double>(p.integer("max_receive_count"))
                       : (visibility_s > 0 ? std::max(1.0, std::floor(retention_s / visibility_s)) : 1e9);

  // The batch size and the wait depend on each other: a few rounds settle them.
  double b = 1, fail = 0, receives = 1, lost = 0, service = 0, wait = 0, forming = 0, received = 0;
  bool unstable = false;
  for (int round = 0; round < 60; ++round) {
    fail = partial ? 1.0 - fa.ok * (1.0 - fa.item_error) : 1.0 - fa.all_ok(b);
    lost = fail >= 1.0 ? 1.0 : std::pow(fail, k);
    receives = fail >= 1.0 ? k : (1.0 - lost) / (1.0 - fail);
    received = sent * receives;
    service = fa.seconds + (b - 1.0) * fa.seconds_per_item;
    const double batches = received / b;
    unstable = batches * service >= static_cast<double>(servers);
    double next = 1;
    if (window_s > 0) {
      // A batch forms for the window (or until full) and takes what arrives meanwhile.
      next = std::min(batch_size, 1.0 + received * window_s);
      forming = received > 0 ? std::min(window_s, (batch_size - 1.0) / received) : window_s;
      wait = unstable ? std::numeric_limits<double>::infinity() : mgc_wait_s(servers, batches, service + forming, cv2 / b);
    } else {
      // A free poller takes what waits: one message, plus the queue it finds.
      wait = unstable ? std::numeric_limits<double>::infinity() : mgc_wait_s(servers, batches, service, cv2 / b);
      next = unstable ? batch_size : std::min(batch_size, 1.0 + received * wait);
    }
    if (std::fabs(next - b) < 1e-9 * b) break;
    b = round < 30 ? next : 0.5 * (b + next);
  }
  // An unstable consumer serves full batches as fast as its pollers go.
  double throughput = received;
  if (unstable && service > 0) throughput = std::min(received, static_cast<double>(servers) * b / service);
  const double scale = received > 0 ? throughput / received : 1.0;
  const double batches = throughput / b;
  const double deleted = sent * (1.0 - lost) * scale;

  out.flow("send", {function, consumer_op, accepted_share * receives / b * scale, b});
  if (dlq) out.flow("send", {p.text("dlq"), "send", accepted_share * lost * scale, 1});

  const ReasonClass pollers_reason = fixed ? ReasonClass::queueing : ReasonClass::warm_up;
  const std::string pollers_detail =
      fixed ? "Erlang-C with Allen-Cunneen's correction approximates an M/G/c queue"
            : fmt::format("the pollers start at {} and scale towards {} only while a backlog lasts", start, cap);
  out.rate("received", throughput, fmt::format("sent x receives per message ({:.4g}, p = {:.4g} per receive)", receives, fail));
  out.rate("deleted", deleted, "sent x (1 - p^k)");
  out.rate("returned", throughput - deleted, "receives that failed");
  out.rate("to_dlq", dlq ? sent * lost * scale : 0.0, dlq ? fmt::format("sent x p^k, k = {}", k) : "no dead-letter queue");
  out.rate("expired", dlq ? 0.0 : sent * lost * scale, dlq ? "redriven before retention" : "sent x p^(retention / visibility timeout)");
  out.rate("batches.invoked", batches, fmt::format("receives / {:.4g} messages per batch", b));
  if (!partial) out.rate("batches.failed", batches * fail, "batches x p");
  out.level("pollers.mean", batches * (service + forming), "Little's law: batches per second x (batch time + forming)",
            pollers_reason, pollers_detail);
  if (unstable) {
    const std::string why = fmt::format("the consumer cannot keep up ({:.4g} erlangs of batches on {} pollers): the "
                                        "backlog grows",
                                        received / b * service, servers);
    out.not_estimated("age_ms.mean", why);
    out.not_estimated("depth.mean", why);
    out.note(why);
  } else {
    // A message received j times before it succeeds waits for a poller each time and a
    // visibility timeout after each failure.
    double j = 0, mass = 0;
    for (double i = 0, q = 1; i < std::min(k, 1e4); ++i, q *= fail) {
      j += i * q;
      mass += q;
    }
    j = mass > 0 ? j / mass : 0;
    const double per_receive_wait = wait + forming / 2;
    const double age = delay_s + (1.0 + j) * per_receive_wait + j * visibility_s + service;
    out.level("age_ms.mean", age * 1e3,
              fmt::format("delay + (1 + j) x wait + j x visibility timeout + batch time (Erlang-C wait on {} pollers)", servers),
              pollers_reason, pollers_detail);
    const double succeeded = 1.0 - lost;
    const double sojourn = delay_s + receives * per_receive_wait + (receives - succeeded) * visibility_s + succeeded * service;
    out.level("depth.mean", sent * sojourn, "Little's law: sent x mean time in the queue", pollers_reason, pollers_detail);
    out.level("visible.mean", received * per_receive_wait, "Little's law: receives x wait for a poller", pollers_reason,
              pollers_detail);
  }
  if (!fixed) out.note(pollers_detail + "; the estimate takes all of them");
  if (window_s == 0 && b > 1.0 + 1e-9) out.note(fmt::format("batches of {:.3g} messages: a free poller takes the queue it finds", b));

  // Requests: sends, a receive per 10 messages of a batch, a delete per 10 deleted, and empty long polls.
  const double per_api_call = std::ceil(b / static_cast<double>(kSqsApiBatch) - 1e-9);
  const double receive_requests = batches * per_api_call;
  const double delete_requests = deleted / b * per_api_call;
  const double idle = std::max(0.0, static_cast<double>(start) - batches * (service + forming));
  const double empty = idle / (static_cast<double>(kSqsLongPoll) / 1e9);
  const double total = send_requests + receive_requests + delete_requests + empty;
  out.rate("requests.total", total, "sends + receives + deletes + idle pollers / 20 s", pollers_reason, pollers_detail);
  const double s = view.seconds();
  out.cost("send requests", send_requests * s, "requests", send_requests * s * usd_per_request);
  out.cost("receive requests", receive_requests * s, "requests", receive_requests * s * usd_per_request);
  out.cost("empty receives", empty * s, "requests", empty * s * usd_per_request, true);
  out.cost("delete requests", delete_requests * s, "requests", delete_requests * s * usd_per_request);
}

}  // namespace slsim::models
