#pragma once
// `ses`: Amazon SES as an e-mail sink: a send is answered after its latency,
// with an optional error probability.
#include "sim/scenario/registry.hpp"

namespace slsim::models {
ServiceType ses_type();
// The analytic estimate of one service of the type (analytic.cpp).
void ses_analytic(const AnalyticView& view, ServiceEstimate& out);
}
