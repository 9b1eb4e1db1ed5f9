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
// The delivery policy's retries (3 immediate, 2 pre-backoff, 10 backoff, 100000 post-backoff: sns.cpp).
constexpr double kPolicyRetries = 3 + 2 + 10 + 100000;
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
  for (const Value& v : p.list("subscribers")) {
    const Record& s = *v.record;
    const std::string& to = s.text("to");
    const std::string op = sc.find_service(to)->type->name == "lambda" ? "invoke_async" : "send";
    const double match = s.number("filter");
    const AnalyticAnswer a = view.answer(to, op);
    // Attempts per copy: geometric until one is accepted, within the policy.
    const double refuse = 1.0 - a.ok;
    const double lost = refuse >= 1.0 ? 1.0 : std::pow(refuse, kPolicyRetries + 1);
    const double attempts = refuse >= 1.0 ? kPolicyRetries + 1 : (1.0 - lost) / (1.0 - refuse);
    out.flow("publish", {to, op, accepted_share * match * attempts, 1});
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
  out.cost("publishes", billed, "64 KB publishes", billed * PriceCatalog(sc)("sns.publish"));
}

}  // namespace slsim::models
