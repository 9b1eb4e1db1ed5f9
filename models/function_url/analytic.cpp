// The analytic estimate of a Lambda function URL: every request invokes the
// function (bodies over 6 MB excepted), whose answers pass through; no cost.
#include <string>
#include <vector>

#include "models/function_url/function_url.hpp"
#include "sim/analysis/analytic.hpp"
#include "sim/scenario/scenario.hpp"

namespace slsim::models {

void function_url_analytic(const AnalyticView& view, ServiceEstimate& out) {
  const Record& p = view.service().params;
  const std::string& function = p.text("function");
  const double calls = view.calls("request");
  const double latency_s = p.dist("latency").mean() / 1e9;
  // Bodies over 6 MB are refused: by the payload of each workload of origin.
  double rejected = 0;
  const std::vector<double> by = view.calls_by_workload("request");
  for (std::size_t w = 0; w < by.size(); ++w)
    if (view.scenario().workloads[w].params.size("payload") > 6.0 * 1048576.0) rejected += by[w];
  const double passed = calls > 0 ? 1.0 - rejected / calls : 1.0;
  out.flow("request", {function, "invoke", passed, 1});
  const AnalyticAnswer f = view.answer(function, "invoke");
  const double limit = p.text("invoke_mode") == "response_stream" ? 200.0 * 1048576.0 : 6.0 * 1048576.0;
  const bool too_large = p.size("response_size") > limit;
  AnalyticAnswer a = f;
  a.ok = too_large ? 0.0 : passed * f.ok;
  a.throttled = passed * f.throttled;
  a.seconds = passed * (latency_s + f.seconds);
  a.ok_seconds = latency_s + f.ok_time();
  out.answer("request", a);
  out.rate("requests", calls, "calls arriving");
  if (rejected > 0)
    out.note("the requests refused for their size (over 6 MB) lower every caller's share of ok answers alike; in the "
             "simulation only the workloads with such payloads see them fail");
  out.rate("throttles", (calls - rejected) * f.throttled, "forwarded x P(the function throttles)");
  out.rate("rejected", rejected, "calls from workloads whose payload is over 6 MB");
  out.level("latency_ms.mean", a.ok_seconds * 1e3, "the URL's latency + the function's ok answer");
}

}  // namespace slsim::models
