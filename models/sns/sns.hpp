#pragma once
// `sns`: an Amazon SNS topic. A publish is acknowledged after the publish
// latency; the topic then draws each subscription's filter and pushes a copy
// to every matching subscriber (sqs send, lambda invoke_async), retrying
// failed deliveries with the fixed policy for AWS-managed endpoints (100,015
// retries over about 23 days) before moving the copy to the subscription's
// dead-letter queue or dropping it. See models/sns/README.md.
#include "sim/scenario/registry.hpp"

namespace slsim::models {
ServiceType sns_type();
// The analytic estimate of one service of the type (analytic.cpp).
void sns_analytic(const AnalyticView& view, ServiceEstimate& out);
}
