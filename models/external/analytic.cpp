// The analytic estimate of an external dependency: an M/G/c/c loss system when
// it has a concurrency limit (Erlang-B), else every call is served.
#include <fmt/format.h>

#include "models/external/external.hpp"
#include "sim/analysis/analytic.hpp"
#include "sim/analysis/queueing.hpp"
#include "sim/scenario/scenario.hpp"

namespace slsim::models {

void external_analytic(const AnalyticView& view, ServiceEstimate& out) {
  const Record& p = view.service().params;
  const double latency_s = p.dist("latency").mean() / 1e9;
  const double errors = p.number("errors");
  const double calls = view.calls("call");
  double blocked = 0;
  std::string how = "no concurrency limit: nothing is throttled";
  if (p.has("concurrency")) {
    const std::int64_t c = p.integer("concurrency");
    blocked = erlang_b(c, calls * latency_s);
    how = fmt::format("calls x B, B = Erlang-B(c = {}, A = {:.4g} erlangs)", c, calls * latency_s);
  }
  const double served = calls * (1.0 - blocked);
  AnalyticAnswer a;
  a.ok = (1.0 - blocked) * (1.0 - errors);
  a.throttled = blocked;
  a.seconds = (1.0 - blocked) * latency_s;
  a.ok_seconds = latency_s;
  out.answer("call", a);
  out.rate("requests", calls, "calls arriving");
  out.rate("throttles", calls * blocked, how);
  out.rate("errors", served * errors, "served calls x errors");
  out.rate("completed", served, "calls x (1 - B)");
  out.level("concurrency.mean", served * latency_s, "Little's law: served calls per second x mean latency");
  out.level("latency_ms.mean", latency_s * 1e3, "the latency distribution's mean");
  const double price = p.number("price_per_call");
  if (price > 0) out.cost("calls", served * view.seconds(), "calls", served * view.seconds() * price);
}

}  // namespace slsim::models
