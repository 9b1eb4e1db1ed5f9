// The analytic estimate of an SES sink: every send is answered after its latency.
#include "models/pricing/catalog.hpp"
#include "models/ses/ses.hpp"
#include "sim/analysis/analytic.hpp"
#include "sim/scenario/scenario.hpp"

namespace slsim::models {

void ses_analytic(const AnalyticView& view, ServiceEstimate& out) {
  const Record& p = view.service().params;
  const double latency_s = p.dist("latency").mean() / 1e9;
  const double errors = p.number("errors");
  const double sends = view.calls("send");
  AnalyticAnswer a;
  a.ok = 1.0 - errors;
  a.seconds = latency_s;
  out.answer("send", a);
  out.rate("sent", sends * (1.0 - errors), "sends x (1 - errors)");
  out.rate("errors", sends * errors, "sends x errors");
  out.level("latency_ms.mean", latency_s * 1e3, "the latency distribution's mean");
  const double sent = sends * (1.0 - errors) * view.seconds();
  out.cost("messages", sent, "messages", sent * PriceCatalog(view.scenario())("ses.message"));
}

}  // namespace slsim::models
