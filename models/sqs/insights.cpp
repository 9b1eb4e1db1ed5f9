// The insights of one SQS queue (docs/insights.md): a backlog its consumer
// cannot keep up with, messages moved to its dead-letter queue, and messages
// processed twice by workers slower than the visibility timeout.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "models/sqs/sqs.hpp"
#include "sim/analysis/insights.hpp"
#include "sim/report/number_text.hpp"
#include "sim/scenario/scenario.hpp"

namespace slsim::models {

namespace {

// Arrivals that outrun the consumer: a tenth of the window's messages (and at
// least 100) still wait at its end.
void backlog_insight(const InsightInput& in, const Json& me, std::vector<InsightCandidate>& out) {
  const ServiceDecl& decl = *in.decl;
  if (!decl.params.has("consumer")) return;
  const Record& consumer = decl.params.record("consumer");
  const std::string fn = consumer.text("function");
  const double sent = number_at(me, "sent"), deleted = number_at(me, "deleted");
  const double waiting = number_at(me, "depth.final");
  if (waiting < 100 || waiting < 0.1 * sent) return;
  const double seconds = std::max(1e-9, static_cast<double>(in.scenario.duration) / 1e9);
  // How much faster the consumer must go: the arrivals over what it deleted, with a quarter to spare.
  const double ratio = deleted > 0 ? std::max(1.0, sent / deleted) : 2.0;
  InsightCandidate c;
  c.id = "queue-backlog-growing";
  c.service = decl.name;
  c.severity = InsightSeverity::high;
  c.evidence["sent"] = sent;
  c.evidence["deleted"] = deleted;
  c.evidence["depth_final"] = waiting;
  c.evidence["sent_per_s"] = sent / seconds;
  c.evidence["deleted_per_s"] = deleted / seconds;
  c.evidence["oldest_age_ms"] = number_at(me, "oldest_age_ms");
  c.evidence["pollers_max"] = number_at(me, "pollers.max");
  c.evidence["batches_throttled"] = number_at(me, "batches.throttled");
  c.metric = "services." + decl.name + ".depth.final";
  c.metric_label = "messages left in " + decl.name;
  c.weight = sent > 0 ? waiting / sent : 1.0;
  c.title = fmt::format("{} messages ({} of those sent) still waited in {} at the end, the oldest for {} s: {} "
                        "arrived at {}/s and {} deleted them at {}/s",
                        number_text(waiting), percent_text(sent > 0 ? waiting / sent : 1.0), decl.name,
                        number_text(std::round(number_at(me, "oldest_age_ms") / 100.0) / 10.0), decl.name,
                        number_text(sent / seconds), fn, number_text(deleted / seconds));
  const ServiceDecl* function = in.scenario.find_service(fn);
  const double pollers_max = number_at(me, "pollers.max");
  if (consumer.has("max_concurrency") && pollers_max >= static_cast<double>(consumer.integer("max_concurrency"))) {
    const std::int64_t now = consumer.integer("max_concurrency");
    const auto raised = std::min<std::int64_t>(1000, static_cast<std::int64_t>(std::ceil(static_cast<double>(now) * ratio * 1.25)));
    if (raised > now) {
      c.fix = {fmt::format("services.{}.consumer.max_concurrency={}", decl.name, raised)};
      c.fix_summary = fmt::format("raising the consumer's max_concurrency from {} to {}", now, raised);
      c.fix_note = fmt::format("the pollers ran at their cap of {}; {} is the cap times the arrivals over the "
                               "deletions ({}), with a quarter to spare (at most 1000)",
                               now, raised, number_text(ratio));
    }
  } else if (number_at(me, "batches.throttled") > 0 && function != nullptr &&
             function->params.has("reserved_concurrency")) {
    const std::int64_t now = function->params.integer("reserved_concurrency");
    const auto raised = static_cast<std::int64_t>(std::ceil(static_cast<double>(std::max<std::int64_t>(now, 1)) * ratio * 1.25));
    c.fix = {fmt::format("services.{}.reserved_concurrency={}", fn, raised)};
    c.fix_summary = fmt::format("raising {}'s reserved_concurrency from {} to {}", fn, now, raised);
    c.fix_note = fmt::format("its batches were throttled by the reservation of {}; {} is it times the arrivals over "
                             "the deletions ({}), with a quarter to spare",
                             now, raised, number_text(ratio));
  }
  if (c.fix.empty())
    c.fix_note = fmt::format("the pollers were not held back by a cap: {} itself is too slow for the arrivals "
                             "(its duration, or what it calls)",
                             fn);
  out.push_back(std::move(c));
}

// Messages dead-lettered after max_receive_count failed receives.
void dlq_insight(const InsightInput& in, const Json& me, std::vector<InsightCandidate>& out) {
  const ServiceDecl& decl = *in.decl;
  const Record& p = decl.params;
  if (!p.has("dlq") || !p.has("max_receive_count")) return;
  const double moved = number_at(me, "to_dlq"), sent = number_at(me, "sent");
  if (moved <= 0 || sent <= 0) return;
  const double invoked = number_at(me, "batches.invoked"), failed = number_at(me, "batches.failed");
  const double fail = invoked > 0 ? failed / invoked : 0.0;  // the chance that one receive fails
  const std::int64_t receives = p.integer("max_receive_count");
  InsightCandidate c;
  c.id = "dlq-messages";
  c.service = decl.name;
  c.severity = moved / sent >= 0.01 ? InsightSeverity::high : InsightSeverity::medium;
  c.evidence["to_dlq"] = moved;
  c.evidence["sent"] = sent;
  c.evidence["dlq_share"] = moved / sent;
  c.evidence["dlq"] = p.text("dlq");
  c.evidence["max_receive_count"] = receives;
  c.evidence["batches_invoked"] = invoked;
  c.evidence["batches_failed"] = failed;
  c.evidence["batch_failure_share"] = fail;
  std::string consumer = "its consumer";
  if (p.has("consumer")) {
    consumer = p.record("consumer").text("function");
    if (const Json* f = service_result(in.result, consumer)) {
      c.evidence["consumer_errors"] = number_at(*f, "errors");
      c.evidence["consumer_timeouts"] = number_at(*f, "timeouts");
      c.evidence["consumer_throttles"] = number_at(*f, "throttles");
    }
  }
  c.metric = "services." + decl.name + ".to_dlq";
  c.metric_label = "messages moved to " + p.text("dlq");
  c.weight = moved / sent;
  c.title = fmt::format("{} messages of {} ({}) went to the dead-letter queue {} after {} failed receives: {} failed "
                        "{} of its batches",
                        number_text(moved), decl.name, percent_text(moved / sent), p.text("dlq"), receives, consumer,
                        percent_text(fail));
  // Failures that strike each receive independently (a flaky dependency)
  // dead-letter fail^k of the messages: find the k that leaves less than one.
  std::int64_t k = receives;
  while (k < 10 && fail > 0 && fail < 1 && sent * std::pow(fail, static_cast<double>(k)) >= 1) ++k;
  if (fail > 0 && fail <= 0.5 && k > receives && sent * std::pow(fail, static_cast<double>(k)) < 1) {
    c.fix = {fmt::format("services.{}.max_receive_count={}", decl.name, k)};
    c.fix_summary = fmt::format("{} receives instead of {}", k, receives);
    c.fix_note = fmt::format("if the failures are transient, {} of {} receives failing leaves {}^k of the messages "
                             "after k receives: {} leaves less than one of {}; fix the consumer if they are not",
                             percent_text(fail), consumer, number_text(fail), k, number_text(sent));
  } else {
    c.fix_note = fmt::format("{} of the receives failed: more receives would only delay these messages; the "
                             "consumer's failures are the cause, and the DLQ keeps them for a redrive",
                             percent_text(fail));
  }
  out.push_back(std::move(c));
}

// Workers slower than the visibility timeout: messages processed more than
// once (docs/model-assumptions.md §2.5).
void duplicates_insight(const InsightInput& in, const Json& me, std::vector<InsightCandidate>& out) {
  const ServiceDecl& decl = *in.decl;
  const double extra = number_at(me, "duplicates");
  if (!(extra > 0) || !decl.params.has("consumer")) return;
  const std::string workers = decl.params.record("consumer").text("workers");
  const Json* w = service_result(in.result, workers);
  if (w == nullptr) return;
  const double messages = number_at(me, "duplicated_messages"), deleted = number_at(me, "deleted");
  const double visibility_s = static_cast<double>(decl.params.duration("visibility_timeout")) / 1e9;
  // A batch's time, from the workers' answers: every processing ran to its end.
  const double batch_p99_s = number_at(*w, "latency_ms.p99") / 1000.0;
  const double batch_max_s = number_at(*w, "latency_ms.max") / 1000.0;
  const double share = deleted > 0 ? messages / deleted : 1.0;
  InsightCandidate c;
  c.id = "visibility-timeout-duplicates";
  c.service = decl.name;
  c.severity = share >= 0.01 ? InsightSeverity::high : InsightSeverity::medium;
  c.evidence["duplicates"] = extra;
  c.evidence["duplicated_messages"] = messages;
  c.evidence["deleted"] = deleted;
  c.evidence["duplicated_share"] = share;
  c.evidence["visibility_lapsed"] = number_at(me, "visibility_lapsed");
  c.evidence["visibility_timeout_s"] = visibility_s;
  c.evidence["workers"] = workers;
  c.evidence["batch_p99_s"] = batch_p99_s;
  c.evidence["batch_max_s"] = batch_max_s;
  c.metric = "services." + decl.name + ".duplicates";
  c.metric_label = "extra processings in " + decl.name;
  c.weight = share;
  c.title = fmt::format("{} messages of {} ({} of those deleted) were processed more than once ({} extra "
                        "processings): the batches of {} (p99 {} s) outlast the {} s visibility timeout",
                        number_text(messages), decl.name, percent_text(share), number_text(extra), workers,
                        number_text(std::round(batch_p99_s)), number_text(visibility_s));
  if (batch_max_s > 0) {
    // Above the slowest batch seen, with a quarter to spare: whole minutes from a minute, else tens of seconds.
    const double wanted = batch_max_s * 1.25;
    const std::int64_t seconds =
        std::min<std::int64_t>(43200, wanted >= 60 ? static_cast<std::int64_t>(std::ceil(wanted / 60.0)) * 60
                                                   : static_cast<std::int64_t>(std::ceil(wanted / 10.0)) * 10);
    if (static_cast<double>(seconds) > visibility_s) {
      const std::string value = seconds % 60 == 0 ? fmt::format("{}min", seconds / 60) : fmt::format("{}s", seconds);
      c.fix = {fmt::format("services.{}.visibility_timeout={}", decl.name, value)};
      c.fix_summary = fmt::format("a visibility timeout of {} instead of {} s", value, number_text(visibility_s));
      c.fix_note = fmt::format("the slowest batch took {} s; {} is that with a quarter to spare (a worker could also "
                               "extend the timeout while it works, ChangeMessageVisibility, not modelled); make the "
                               "processing idempotent anyway: delivery is at least once",
                               number_text(std::round(batch_max_s)), value);
    }
  }
  if (c.fix.empty()) c.fix_note = "no visibility timeout up to 12 h fits the slowest batch: split the jobs";
  out.push_back(std::move(c));
}

}  // namespace

void sqs_insights(const InsightInput& in, std::vector<InsightCandidate>& out) {
  if (in.decl == nullptr) return;
  const Json* me = service_result(in.result, in.decl->name);
  if (me == nullptr) return;
  backlog_insight(in, *me, out);
  dlq_insight(in, *me, out);
  duplicates_insight(in, *me, out);
}

}  // namespace slsim::models
