// The analytic estimate of an ElastiCache cluster used cache-aside: gets hit
// with the configured ratio or Che's approximation over the workloads' keys;
// misses read through the backend; nodes are billed by the hour.
#include <string>

#include <fmt/format.h>

#include "models/elasticache/elasticache.hpp"
#include "models/pricing/catalog.hpp"
#include "sim/analysis/analytic.hpp"
#include "sim/cache/cache_params.hpp"
#include "sim/scenario/scenario.hpp"

namespace slsim::models {

void elasticache_analytic(const AnalyticView& view, ServiceEstimate& out) {
  const Record& p = view.service().params;
  const double latency_s = p.dist("latency").mean() / 1e9;
  const double gets = view.calls("get");
  const double commands = view.calls();
  const CacheConfig config = cache_config(p);
  KeyedLookups lookups;
  lookups.add(view.scenario(), view.calls_by_workload("get"));
  const double hit = cache_hit_ratio(config, lookups);
  const std::string how = config.hit_ratio >= 0
                              ? fmt::format("the configured hit_ratio {}", config.hit_ratio)
                              : fmt::format("Che's approximation: {} items, ttl {}s, over the workloads' keys",
                                            config.capacity_items, static_cast<double>(config.ttl) / 1e9);
  const double misses = gets * (1.0 - hit);
  AnalyticAnswer backend{1, 0, 0, 0, 0, 0};
  if (p.has("backend")) {
    const std::string& target = p.text("backend");
    const std::string op = p.has("backend_op") ? p.text("backend_op") : view.scenario().find_service(target)->type->ops.front();
    out.flow("get", {target, op, 1.0 - hit, 1});
    backend = view.answer(target, op);
  }
  AnalyticAnswer get;
  get.ok = hit + (1.0 - hit) * backend.ok;
  get.throttled = (1.0 - hit) * backend.throttled;
  get.seconds = latency_s + (1.0 - hit) * backend.seconds;
  get.ok_seconds = get.ok > 0 ? (hit * latency_s + (1.0 - hit) * backend.ok * (latency_s + backend.ok_time())) / get.ok : latency_s;
  out.answer("get", get);
  out.answer("set", AnalyticAnswer{1, 0, 0, latency_s, 0, latency_s});
  out.answer("delete", AnalyticAnswer{1, 0, 0, latency_s, 0, latency_s});
  out.rate("requests", commands, "gets + sets + deletes");
  const ReasonClass reason = config.hit_ratio < 0 ? ReasonClass::warm_up : ReasonClass::none;
  const std::string detail = config.hit_ratio < 0 ? kCacheWarmUp : "";
  out.rate("cache.hits", gets * hit, "gets x hit ratio (" + how + ")", reason, detail);
  out.rate("cache.misses", misses, "gets x (1 - hit ratio)", reason, detail);
  if (gets > 0) out.level("cache.hit_ratio", hit, how, reason, detail);
  out.rate("backend_errors", misses * (1.0 - backend.ok), "misses x P(the backend's answer is not ok)");
  const double ok_answers = (commands - gets) + gets * get.ok;
  if (ok_answers > 0)
    out.level("latency_ms.mean", ((commands - gets) * latency_s + gets * get.ok * get.ok_time()) / ok_answers * 1e3,
              "latency, plus the backend's answer for misses");
  if (config.hit_ratio < 0) out.note("sets and deletes are not in the hit ratio estimate (only gets' keys)");
  const double node_hours = static_cast<double>(p.integer("nodes")) * view.seconds() / 3600.0;
  const double usd = PriceCatalog(view.scenario())(fmt::format("elasticache.{}.{}", p.text("engine"), p.text("node_type")));
  out.cost("node hours", node_hours, "node-hours", node_hours * usd, true);
}

}  // namespace slsim::models
