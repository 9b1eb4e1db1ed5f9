#pragma once
// `function_url`: a Lambda function URL, the function's own HTTPS endpoint
// without API Gateway. It invokes the function synchronously, refuses bodies
// over 6 MB, has no timeout of its own (the function's applies) and no price
// of its own. See models/function_url/README.md.
#include "sim/scenario/registry.hpp"

namespace slsim::models {
ServiceType function_url_type();
// The analytic estimate of one service of the type (analytic.cpp).
void function_url_analytic(const AnalyticView& view, ServiceEstimate& out);
}
