#pragma once
// `s3`: a bucket: put/get latency, stored bytes by storage class with their
// prices, and event notifications that invoke functions asynchronously.
#include "sim/scenario/registry.hpp"

namespace slsim::models {
ServiceType s3_type();
// The analytic estimate of one service of the type (analytic.cpp).
void s3_analytic(const AnalyticView& view, ServiceEstimate& out);
}
