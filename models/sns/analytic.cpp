// The analytic estimate of an SNS topic: publishes fan out to every
// subscription in proportion to its filter; a refused delivery is retried
// under the fixed policy (so almost never lost); payloads over max_size are
// rejected.
#include <algorithm>
#include <cmath>
#include <string>

#include <fmt/format.h>

#include "models/pricing/catalog.hpp"
#include "models/sns/sns.hpp"
#include "sim/analysis/analytic.hpp"
#include "sim/scenario/scenario.hpp"

namespace slsim::models {

namespace {
// Publishes are billed per started 64 KB (docs/model-assumptions.md §3).
constexpr double kChunkBytes = 64 * 1024;
}  // namespace

void sns_analytic(const AnalyticView& view, ServiceEstimate& out) {
  const Record& p = view.service().params;
  const Scenario& sc = view.scenario();
  const double latency_s = p.dist("latency").mean() / 1e9;
  const double max_size = p.size("max_size");
  // Publishes by workload of origin: their payload decides rejection and billing.
  const std::vector<double> by = view.calls_by_workload("publish");
  const double calls = view.calls("publish");
  double rejected = 0, chunks = 0;
  for (std::size_t w = 0; w < by.size(); ++w) {
    const double bytes = sc.workloads[w].params.size("payload");
    if (bytes > max_size) rejected += by[w];
    else chunks += by[w] * std::max(1.0, std::ceil(bytes / kChunkBytes));
  }
  const double accepted_share = calls > 0 ? 1.0 - rejected / calls : 1.0;
  const double published = calls - rejected;
  double delivered = 0, filtered = 0, retries = 0, failed = 0, to_dlq = 0;
  double http = 0, email = 0, sms = 0, sms_usd = 0;  // notifications outside AWS per second
  const PriceCatalog price(sc);
  for (const Value& v : p.list("subscribers")) {
    const Record& s = *v.record;
    const std::string protocol = sns_protocol(s, sc);
    const double match = s.number("filter");
    const double policy_retries = sns_policy_retries(s, sc);
    const bool terminal = protocol == "email" || protocol == "email-json" || protocol == "sms";
    std::string to, op;
    double refuse = s.number("errors");  // e-mail and SMS: the subscription's own failures
    if (!terminal) {
      to = s.text("to");
      const std::string& type = sc.find_service(to)->type->name;
      op = type == "lambda" ? "invoke_async" : type == "external" ? "call" : "send";
      refuse = 1.0 - view.answer(to, op).ok;
    }
    // Attempts per copy: geometric until one is accepted, within the policy.
    const double lost = refuse >= 1.0 ? 1.0 : std::pow(refuse, policy_retries + 1);
    const double attempts = refuse >= 1.0 ? policy_retries + 1 : (1.0 - lost) / (1.0 - refuse);
    if (!terminal) out.flow("publish", {to, op, accepted_share * match * attempts, 1});
    if (protocol == "http" || protocol == "https") http += published * match;
    if (protocol == "email" || protocol == "email-json") email += published * match;
    if (protocol == "sms") {
      sms += published * match;
      sms_usd += published * match * (s.has("sms_price") ? s.number("sms_price") : price("sns.sms.US"));
    }
    const double copies = published * match;
    delivered += copies * (1.0 - lost);
    filtered += published * (1.0 - match);
    retries += copies * (attempts - 1.0);
    if (s.has("dlq")) {
      out.flow("publish", {s.text("dlq"), "send", accepted_share * match * lost, 1});
      to_dlq += copies * lost;
    } else {
      failed += copies * lost;
    }
  }
  AnalyticAnswer a;
  a.ok = accepted_share;
  a.seconds = accepted_share * latency_s;
  a.ok_seconds = latency_s;
  out.answer("publish", a);
  out.rate("published", published, "publishes of at most max_size");
  out.rate("rejected", rejected, "publishes over max_size");
  out.rate("delivered", delivered, "published x filter, per subscription");
  out.rate("filtered", filtered, "published x (1 - filter), per subscription");
  out.rate("retries", retries, "copies x (1 / P(accepted) - 1)");
  out.rate("failed", failed, "copies refused every attempt, without a dead-letter queue");
  out.rate("to_dlq", to_dlq, "copies refused every attempt, to the subscription's dead-letter queue");
  out.level("latency_ms.mean", latency_s * 1e3, "the latency distribution's mean");
  const double billed = chunks * view.seconds();
  out.cost("publishes", billed, "64 KB publishes", billed * price("sns.publish"));
  const double t = view.seconds();
  if (http > 0) out.cost("http deliveries", http * t, "notifications", http * t * price("sns.delivery.http"));
  if (email > 0) out.cost("email deliveries", email * t, "notifications", email * t * price("sns.delivery.email"));
  if (sms > 0) out.cost("sms", sms * t, "messages", sms_usd * t);
}

}  // namespace slsim::models
