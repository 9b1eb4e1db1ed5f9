#pragma once
// `external`: a generic dependency (a third-party HTTP API, a legacy system):
// a latency distribution, an error probability and an optional concurrency
// limit beyond which calls are rejected as throttled (no queue), which makes
// it an M/G/c/c loss system: its throttled fraction is Erlang-B.
#include "sim/scenario/registry.hpp"

namespace slsim::models {
ServiceType external_type();
// The analytic estimate of one service of the type (analytic.cpp).
void external_analytic(const AnalyticView& view, ServiceEstimate& out);
}
