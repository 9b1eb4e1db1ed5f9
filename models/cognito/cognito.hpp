#pragma once
// `cognito`: an Amazon Cognito user pool. Its operations (sign_in, refresh,
// sign_up, get_user) answer after their latency unless the account's request
// rate quota of their category is exhausted (throttled, as AWS's
// TooManyRequestsException); `verify` is the check of a token against the
// pool's signing keys that an API Gateway Cognito authorizer makes (no quota,
// no charge). Users are billed per monthly active user (MAU) by plan. See
// models/cognito/README.md and docs/model-assumptions.md §16.
#include <vector>

#include "models/pricing/catalog.hpp"
#include "sim/scenario/registry.hpp"

namespace slsim::models {
ServiceType cognito_type();
// The MAU price tiers of a plan (lite, essentials, plus) over a month's MAUs,
// with the free allowance `free_mau` priced at 0 (docs/model-assumptions.md §16.3).
std::vector<Tier> cognito_mau_tiers(const PriceCatalog& prices, const std::string& plan, double free_mau);
// The monthly USD of `mau` monthly active users of one pool of `plan`.
double cognito_monthly_usd(const PriceCatalog& prices, const std::string& plan, double mau, double free_mau);
// The analytic estimate of one service of the type (analytic.cpp).
void cognito_analytic(const AnalyticView& view, ServiceEstimate& out);
}  // namespace slsim::models
