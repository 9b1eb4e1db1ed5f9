// The analytic estimate of an EventBridge bus: every put is matched against
// each rule (one draw per rule), refused deliveries are retried within the
// rule's attempts and age, then go to its dead-letter queue or are dropped.
#include <algorithm>
#include <cmath>
#include <string>

#include "models/eventbridge/eventbridge.hpp"
#include "models/pricing/catalog.hpp"
#include "sim/analysis/analytic.hpp"
#include "sim/scenario/scenario.hpp"

namespace slsim::models {

void eventbridge_analytic(const AnalyticView& view, ServiceEstimate& out) {
  const Record& p = view.service().params;
  const Scenario& sc = view.scenario();
  const double latency_s = p.dist("latency").mean() / 1e9;
  const double puts = view.calls("put");
  const double service_events = view.calls("service_event");  // AWS service events: not billed (§18.2)
  const double events = puts + service_events;
  double matched = 0, delivered = 0, retries = 0, to_dlq = 0, dropped = 0;
  for (const Value& v : p.list("rules")) {
    const Record& r = *v.record;
    const std::string& to = r.text("to");
    const std::string& type = sc.find_service(to)->type->name;
    const std::string op = type == "lambda" ? "invoke_async" : type == "sns" ? "publish" : "send";
    const double match = r.number("match");
    // Retry k waits 1 s x 2^k (at most 5 min) and is made while the event is younger than max_event_age.
    const double max_age = static_cast<double>(r.duration("max_event_age")) / 1e9;
    std::int64_t allowed = 0;
    double waited = 0;
    while (allowed < r.integer("max_retry_attempts")) {
      waited += std::min(300.0, std::ldexp(1.0, static_cast<int>(std::min<std::int64_t>(allowed, 30))));
      if (waited >= max_age) break;
      ++allowed;
    }
    const double refuse = 1.0 - view.answer(to, op).ok;
    double attempts = 0, q = 1;
    for (std::int64_t k = 0; k <= allowed; ++k) {
      attempts += q;
      q *= refuse;
    }
    const double lost = q;  // refused every attempt
    out.flow("put", {to, op, match * attempts, 1});
    out.flow("service_event", {to, op, match * attempts, 1});
    matched += events * match;
    delivered += events * match * (1.0 - lost);
    retries += events * match * (attempts - 1.0);
    if (r.has("dlq")) {
      out.flow("put", {r.text("dlq"), "send", match * lost, 1});
      out.flow("service_event", {r.text("dlq"), "send", match * lost, 1});
      to_dlq += events * match * lost;
    } else {
      dropped += events * match * lost;
    }
  }
  AnalyticAnswer a;
  a.seconds = latency_s;
  out.answer("put", a);
  out.answer("service_event", a);
  out.rate("events", events, "puts and service events");
  out.rate("service_events", service_events, "events from AWS services (S3 notifications)");
  out.rate("matched", matched, "events x match, per rule");
  out.rate("delivered", delivered, "matched x P(some attempt is accepted)");
  out.rate("retries", retries, "matched x (attempts - 1)");
  out.rate("to_dlq", to_dlq, "matched x P(every attempt refused), with a dead-letter queue");
  out.rate("dropped", dropped, "matched x P(every attempt refused), without one");
  out.level("latency_ms.mean", latency_s * 1e3, "the latency distribution's mean");
  const double n = puts * view.seconds();
  out.cost("events", n, "events", n * PriceCatalog(sc)("eventbridge.event"));
}

}  // namespace slsim::models
