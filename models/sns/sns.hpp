#pragma once
// `sns`: an Amazon SNS topic. A publish is acknowledged after the publish
// latency; the topic then draws each subscription's filter and pushes a copy
// to every matching subscriber (sqs send, lambda invoke_async, an external
// service's call over HTTP(S), or a terminal e-mail or SMS delivery), retrying
// failed deliveries with the subscription's policy (AWS-managed endpoints:
// 100,015 retries over about 23 days; e-mail and SMS: 50; HTTP(S): its
// delivery_policy) before moving the copy to the subscription's dead-letter
// queue or dropping it. See models/sns/README.md.
#include <cstdint>
#include <string>

#include "sim/scenario/registry.hpp"

namespace slsim::models {
ServiceType sns_type();
// A subscription's protocol (given, or its endpoint's type) and the retries its
// delivery policy allows after the first attempt.
std::string sns_protocol(const Record& subscriber, const Scenario& sc);
std::uint32_t sns_policy_retries(const Record& subscriber, const Scenario& sc);
// The analytic estimate of one service of the type (analytic.cpp).
void sns_analytic(const AnalyticView& view, ServiceEstimate& out);
}
