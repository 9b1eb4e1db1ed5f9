#pragma once
// The parameters every cache declares (DAX, ElastiCache, an API Gateway stage
// cache), so that they are written, checked and documented the same way:
// `hit_ratio` (configured hits) or `capacity_items` (+ `ttl`: hits emerge from
// the request keys). See sim/cache/item_cache.hpp.
#include <string>
#include <vector>

#include "sim/cache/item_cache.hpp"
#include "sim/scenario/schema.hpp"

namespace slsim {

// hit_ratio, capacity_items and ttl, with `default_ttl` (scenario syntax, e.g.
// "5min") as the default time to live; `what` names the cached thing in the
// help texts ("item", "response").
std::vector<ParamSpec> cache_params(const std::string& default_ttl, const std::string& what);
// The configuration from a record that declares cache_params().
CacheConfig cache_config(const Record& r);
// Load-time check of a record that declares cache_params(): exactly one of
// hit_ratio and capacity_items is given.
void check_cache_params(const Record& r, Diagnostics& diags);

struct Scenario;
// Warns, for every cache whose hits emerge from keys (a `capacity_items`
// anywhere in a service's parameters), about each workload that reaches the
// service without `keys:`: its requests are distinct items and never hit.
void warn_caches_without_keys(const Scenario& sc, Diagnostics& diags);

}  // namespace slsim
