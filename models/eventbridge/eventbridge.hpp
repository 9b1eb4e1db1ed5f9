#pragma once
// `eventbridge`: an Amazon EventBridge event bus. A put is acknowledged after
// the bus latency; each rule then draws its pattern match and delivers a copy
// to its target (lambda invoke_async, sqs send, sns publish). A refused
// delivery is retried under the rule's retry policy (max_retry_attempts,
// max_event_age) with exponential backoff, then sent to the rule's
// dead-letter queue or dropped.
#include "sim/scenario/registry.hpp"

namespace slsim::models {
ServiceType eventbridge_type();
// The analytic estimate of one service of the type (analytic.cpp).
void eventbridge_analytic(const AnalyticView& view, ServiceEstimate& out);
}
