// The analytic estimate of an Application Load Balancer: every request goes to
// the target (bodies over 1 MB to a Lambda target excepted), the target's
// refusals become 502/503/504, and the LCUs come from the mean rates.
#include <algorithm>
#include <string>
#include <vector>

#include "models/alb/alb.hpp"
#include "models/pricing/catalog.hpp"
#include "sim/analysis/analytic.hpp"
#include "sim/scenario/scenario.hpp"

namespace slsim::models {

void alb_analytic(const AnalyticView& view, ServiceEstimate& out) {
  const Record& p = view.service().params;
  const Scenario& sc = view.scenario();
  const std::string& target = p.text("target");
  const ServiceDecl* d = sc.find_service(target);
  const std::string op = d->type->ops.front();
  const bool lambda = d->type->name == "lambda";
  const double calls = view.calls("request");
  const double latency_s = p.dist("latency").mean() / 1e9;
  // Bodies over 1 MB never reach a Lambda target: by the payload of each workload of origin.
  double rejected = 0;
  if (lambda) {
    const std::vector<double> by = view.calls_by_workload("request");
    for (std::size_t w = 0; w < by.size(); ++w)
      if (sc.workloads[w].params.size("payload") > 1048576.0) rejected += by[w];
  }
  const double passed = calls > 0 ? 1.0 - rejected / calls : 1.0;
  out.flow("request", {target, op, passed, 1});
  const AnalyticAnswer t = view.answer(target, op);
  AnalyticAnswer a;
  a.ok = passed * t.ok;
  a.seconds = passed * (latency_s + t.seconds);
  a.ok_seconds = latency_s + t.ok_time();
  out.answer("request", a);
  out.rate("requests", calls, "calls arriving");
  if (rejected > 0)
    out.note("the requests refused for their size (over 1 MB) lower every caller's share of ok answers alike; in the "
             "simulation only the workloads with such payloads see them fail");
  out.rate("rejected", rejected, "calls from workloads whose payload is over 1 MB (Lambda target)");
  const double forwarded = calls - rejected;
  out.rate("target_errors.502", forwarded * (1.0 - t.ok - t.throttled), "forwarded x P(the target answers an error)");
  out.rate("target_errors.503", forwarded * t.throttled, "forwarded x P(the target throttles)");
  out.level("latency_ms.mean", a.ok_seconds * 1e3, "the load balancer's latency + the target's ok answer");

  AlbUsage u;
  const double seconds = view.seconds();
  u.new_connections = calls * seconds / p.number("requests_per_connection");
  u.active_connections = calls * a.seconds;  // Little's law
  u.processed_bytes = calls * seconds * view.mean_payload("request") + forwarded * seconds * t.ok * p.size("response_size");
  u.rule_evaluations = calls * seconds * static_cast<double>(std::max<std::int64_t>(0, p.integer("rules") - 10));
  u.lambda_target = lambda;
  const AlbLcus l = alb_lcus(u, seconds);
  out.level("lcu.lcus", l.lcus, "the largest of the four dimensions from the mean rates");
  const PriceCatalog price(sc);
  const double hours = seconds / 3600.0;
  out.cost("load balancer hours", hours, "ALB-hours", hours * price("alb.hour"), true);
  out.cost("LCU hours", l.lcus * hours, "LCU-hours", l.lcus * hours * price("alb.lcu_hour"));
}

}  // namespace slsim::models
