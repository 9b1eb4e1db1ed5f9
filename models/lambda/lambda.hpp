#pragma once
// `lambda`: an AWS Lambda function with its concurrency pools (account,
// reserved, provisioned), per-function scaling rate, execution environment
// lifecycle (cold starts, keep-alive, warm selection), timeouts, errors,
// synchronous downstream calls, and cost (requests, GB-s with monthly tiers,
// provisioned concurrency, free tier).
#include <vector>

#include "models/pricing/catalog.hpp"
#include "sim/scenario/registry.hpp"

namespace slsim::models {
ServiceType lambda_type();
// The duration price tiers of an architecture (docs/model-assumptions.md §1.5), cumulative GB-s per month.
std::vector<Tier> lambda_duration_tiers(const PriceCatalog& price, bool arm);
// The analytic estimate of one function (analytic.cpp).
void lambda_analytic(const AnalyticView& view, ServiceEstimate& out);
// The insights of one function (insights.cpp): throttles caused by another
// function exhausting the account pool, a high cold-start share.
void lambda_insights(const InsightInput& in, std::vector<InsightCandidate>& out);
}
