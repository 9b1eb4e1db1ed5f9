// The analytic estimate of a Lambda function URL: every request invokes the
// function (bodies over 6 MB excepted), whose answers pass through; no cost.
#include <string>

#include "models/function_url/function_url.hpp"
#include "sim/analysis/analytic.hpp"
#include "sim/scenario/scenario.hpp"

namespace slsim::models {

void function_url_analytic(const AnalyticView& view, ServiceEstimate& out) {
  const Record& p = view.service().params;
  const std::string& function = p.text("function");
  const double calls = view.calls("request");
  const double latency_s = p.dist("latency").mean() / 1e9;
  out.flow("request", {function, "invoke", 1, 1});
  const AnalyticAnswer f = view.answer(function, "invoke");
  AnalyticAnswer a = f;
  a.seconds = latency_s + f.seconds;
  a.ok_seconds = latency_s + f.ok_time();
  out.answer("request", a);
  out.rate("requests", calls, "calls arriving");
  out.rate("throttles", calls * f.throttled, "calls x P(the function throttles)");
  out.not_estimated("rejected", "depends on each request's payload size, not on the mean");
  out.level("latency_ms.mean", a.ok_seconds * 1e3, "the URL's latency + the function's ok answer");
}

}  // namespace slsim::models
