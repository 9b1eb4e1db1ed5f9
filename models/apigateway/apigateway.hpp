#pragma once
// `apigateway`: an API Gateway stage (REST or HTTP API) in front of one
// integration or a set of routes. A request takes a token from the stage's
// bucket and from the account's bucket (shared by every API of the
// simulation) or is rejected with 429; otherwise it pays the overhead latency
// and is forwarded; a backend slower than the integration timeout gets the
// client a 504 while it keeps running. See models/apigateway/README.md.
#include <string>
#include <vector>

#include "models/pricing/catalog.hpp"
#include "sim/scenario/registry.hpp"

namespace slsim::models {
ServiceType apigateway_type();
// The request price tiers of REST or HTTP APIs (docs/model-assumptions.md §4), per month.
std::vector<Tier> apigateway_request_tiers(const PriceCatalog& prices, bool http);
// The catalog key of the hourly price of a stage cache of this size.
std::string apigateway_cache_price_key(double size_bytes);
// The analytic estimate of one service of the type (analytic.cpp).
void apigateway_analytic(const AnalyticView& view, ServiceEstimate& out);
}
