#pragma once
// The cloudfront parameters and the load-time checks (docs/model-assumptions.md §15).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sim/cache/item_cache.hpp"
#include "sim/core/time.hpp"
#include "sim/scenario/diagnostics.hpp"
#include "sim/scenario/schema.hpp"

namespace slsim {
struct Scenario;
struct ServiceDecl;
}  // namespace slsim

namespace slsim::models {

const Schema& cloudfront_schema();
void check_cloudfront(const ServiceDecl& decl, const Scenario& sc, Diagnostics& diags);

// The four places an edge function can run, in the order a request meets them.
enum class Trigger : std::uint8_t { viewer_request = 0, origin_request = 1, origin_response = 2, viewer_response = 3 };
inline constexpr int kTriggers = 4;
std::string_view trigger_name(Trigger t);
Trigger trigger_of(std::string_view name);
inline bool viewer_trigger(Trigger t) { return t == Trigger::viewer_request || t == Trigger::viewer_response; }

// Lambda@Edge limits by trigger (docs/model-assumptions.md §15.3): the longest
// run (5 s viewer, 30 s origin) and the most memory (128 MB viewer, 10,240 MB origin).
SimTime lambda_edge_time_limit(Trigger t);
double lambda_edge_memory_limit_bytes(Trigger t);

// The edge cache's configuration: the cache parameters, except that a TTL of
// 0 caches nothing (every lookup misses), as CloudFront does with a TTL of 0.
CacheConfig distribution_cache_config(const Record& p);

// The operation a miss sends to `origin` when `origin_op` is not given: `get`
// when the origin has one (an S3 bucket), else the origin's default operation.
inline const std::vector<std::string>& origin_preferred_ops() {
  static const std::vector<std::string> ops = {"get"};
  return ops;
}

}  // namespace slsim::models
