#pragma once
// `elasticache`: an ElastiCache cluster used cache-aside in front of an
// optional `backend`. A `get` that hits answers after the cache's latency; a
// miss asks the backend (after that latency) and stores the item when the
// backend answers ok. `set` stores, `delete` invalidates. Hits come from the
// shared cache model (sim/cache/item_cache.hpp). See models/elasticache/README.md.
#include "sim/scenario/registry.hpp"

namespace slsim::models {
ServiceType elasticache_type();
// The analytic estimate of one service of the type (analytic.cpp).
void elasticache_analytic(const AnalyticView& view, ServiceEstimate& out);
}
