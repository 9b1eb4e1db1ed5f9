// The analytic estimate of a CloudFront distribution: edge hits from the
// configured ratio or Che's approximation over the workloads' keys, Origin
// Shield as a second (inclusive) layer, misses forwarded to the origin, edge
// functions as delays that fail with their error probability (Lambda@Edge
// also blocks as Erlang-B over its concurrency), and the window's cost before
// free tiers.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "models/cloudfront/cloudfront.hpp"
#include "models/cloudfront/schema.hpp"
#include "models/pricing/catalog.hpp"
#include "sim/analysis/analytic.hpp"
#include "sim/analysis/queueing.hpp"
#include "sim/cache/cache_params.hpp"
#include "sim/scenario/scenario.hpp"

namespace slsim::models {

namespace {

constexpr double kMB = 1048576.0;
constexpr double kGB = 1073741824.0;

struct FunctionEstimate {
  bool present = false;
  bool lambda_edge = false;
  double seconds = 0;  // mean run time
  double ok = 1;       // P(the run lets the request go on)
  double throttled = 0;
  double memory_gb = 0;
};

}  // namespace

void cloudfront_analytic(const AnalyticView& view, ServiceEstimate& out) {
  const Record& p = view.service().params;
  const double requests = view.calls("request");
  const PriceCatalog price(view.scenario());

  // The caches.
  const CacheConfig edge_config = distribution_cache_config(p);
  KeyedLookups lookups;
  lookups.add(view.scenario(), view.calls_by_workload("request"));
  const double edge_hit = cache_hit_ratio(edge_config, lookups);
  double shield_hit = 0;
  double shield_s = 0;
  const bool shield = p.has("origin_shield") && p.record("origin_shield").flag("enabled");
  if (shield) {
    const Record& s = p.record("origin_shield");
    shield_s = s.dist("latency").mean() / 1e9;
    if (p.duration("ttl") == 0) {
      shield_hit = 0;  // nothing is cached
    } else if (s.has("hit_ratio")) {
      shield_hit = s.number("hit_ratio");
    } else {
      // Both layers see the same keys and load what the origin answered: the
      // shield holds what the edge holds and more when it is larger, so its
      // hits are the larger cache's hits the edge missed.
      CacheConfig config = edge_config;
      if (s.has("capacity_items")) config = CacheConfig{-1, static_cast<std::uint64_t>(s.integer("capacity_items")), p.duration("ttl")};
      const double larger = cache_hit_ratio(config, lookups);
      shield_hit = edge_hit < 1 ? std::max(0.0, larger - edge_hit) / (1 - edge_hit) : 0.0;
    }
  }

  // The functions, by trigger.
  std::vector<FunctionEstimate> fn(kTriggers);
  std::vector<const Record*> decl(kTriggers, nullptr);
  for (const Value& v : p.list("functions")) {
    const Record& f = *v.record;
    const auto t = static_cast<std::size_t>(trigger_of(f.text("trigger")));
    FunctionEstimate& e = fn[t];
    decl[t] = &f;
    e.present = true;
    e.lambda_edge = f.text("kind") == "lambda_edge";
    if (f.has("function")) {
      // A lambda service runs it: its answer, as it estimates it.
      const AnalyticAnswer answer = view.answer(f.text("function"), "invoke");
      e.seconds = answer.seconds;
      e.ok = answer.ok;
      e.throttled = answer.throttled;
      continue;
    }
    e.seconds = f.dist("duration").mean() / 1e9;
    e.ok = 1 - f.number("errors");
    if (e.lambda_edge) e.memory_gb = f.size("memory") / 1024.0 / kMB;
  }
  double cf_invocations = 0, edge_requests = 0, edge_gb_s = 0;
  // A function reached by `per_s` calls a second: what it lets go on.
  const auto run = [&](Trigger trigger, double per_s) {
    const auto t = static_cast<std::size_t>(trigger);
    FunctionEstimate& e = fn[t];
    if (!e.present) return per_s;
    if (decl[t]->has("function")) {
      out.flow("request", {decl[t]->text("function"), "invoke", requests > 0 ? per_s / requests : 0.0, 1});
      return per_s * e.ok;
    }
    if (!e.lambda_edge) {
      cf_invocations += per_s;
      return per_s * e.ok;
    }
    // Lambda@Edge: a loss system of `concurrency` environments (Erlang-B).
    const double b = erlang_b(decl[t]->integer("concurrency"), per_s * e.seconds);
    e.throttled = b;
    e.ok *= 1 - b;
    edge_requests += per_s * (1 - b);
    // Runs billed in 1 ms steps: about half a step above the mean (init left out).
    edge_gb_s += per_s * (1 - b) * (e.seconds + 0.0005) * e.memory_gb;
    return per_s * e.ok;
  };
  const auto fs = [&](Trigger t) { return fn[static_cast<std::size_t>(t)].present ? fn[static_cast<std::size_t>(t)].seconds : 0.0; };

  // The origin.
  const std::string& origin = p.text("origin");
  std::string op;
  if (p.has("origin_op")) {
    op = p.text("origin_op");
  } else {
    const auto& ops = view.scenario().find_service(origin)->type->ops;
    op = ops.front();
    for (const std::string& preferred : origin_preferred_ops())
      if (std::find(ops.begin(), ops.end(), preferred) != ops.end()) op = preferred;
  }
  const AnalyticAnswer backend = view.answer(origin, op);
  const double timeout_s = static_cast<double>(p.duration("origin_timeout")) / 1e9;
  const double origin_s = std::min(backend.seconds, timeout_s);

  // The request's path, in calls per second.
  const double past_vr = run(Trigger::viewer_request, requests);
  const double misses = past_vr * (1 - edge_hit);
  const double past_or = run(Trigger::origin_request, misses);
  const double to_origin = past_or * (1 - shield_hit);
  const double answered = past_or * shield_hit + to_origin * backend.ok;
  const double past_oresp = run(Trigger::origin_response, answered);
  const double hits = past_vr * edge_hit;
  const double vresp_reached = hits + past_oresp;
  const double ok_per_s = run(Trigger::viewer_response, vresp_reached);
  const double vresp_ok = vresp_reached > 0 ? ok_per_s / vresp_reached : 1.0;
  out.flow("request", {origin, op, requests > 0 ? to_origin / requests : 0.0, 1});

  // The answer.
  const double edge_s = p.dist("edge_latency").mean() / 1e9;
  const double ok = requests > 0 ? ok_per_s / requests : 1.0;
  const double oresp_ok = answered > 0 ? past_oresp / answered : 1.0;
  const double via_shield = past_or * shield_hit * oresp_ok * vresp_ok;
  const double via_origin = to_origin * backend.ok * oresp_ok * vresp_ok;
  const double miss_base = fs(Trigger::origin_request) + shield_s + fs(Trigger::origin_response);
  AnalyticAnswer a;
  a.ok = ok;
  // Throttles: Lambda@Edge blocking at each trigger, and the origin's 429s passed on.
  const auto blocked = [&](Trigger t) { return fn[static_cast<std::size_t>(t)].throttled; };
  const double throttled_per_s = requests * blocked(Trigger::viewer_request) + misses * blocked(Trigger::origin_request) +
                                 answered * blocked(Trigger::origin_response) +
                                 vresp_reached * blocked(Trigger::viewer_response) + to_origin * backend.throttled;
  a.throttled = requests > 0 ? std::min(1 - ok, throttled_per_s / requests) : 0.0;
  a.seconds = edge_s + fs(Trigger::viewer_request) +
              (requests > 0 ? (misses * miss_base + to_origin * origin_s + vresp_reached * fs(Trigger::viewer_response)) / requests
                            : 0.0);
  a.ok_seconds = edge_s + fs(Trigger::viewer_request) + fs(Trigger::viewer_response) +
                 (ok_per_s > 0 ? (via_shield * miss_base + via_origin * (miss_base + backend.ok_time())) / ok_per_s : 0.0);
  out.answer("request", a);

  // Figures.
  const ReasonClass reason = edge_config.hit_ratio < 0 ? ReasonClass::warm_up : ReasonClass::none;
  const std::string detail = edge_config.hit_ratio < 0 ? kCacheWarmUp : "";
  const std::string how = edge_config.hit_ratio >= 0
                              ? fmt::format("the configured hit_ratio {}", edge_config.hit_ratio)
                              : fmt::format("Che's approximation: {} items, ttl {}s, over the workloads' keys",
                                            edge_config.capacity_items, static_cast<double>(edge_config.ttl) / 1e9);
  out.rate("requests", requests, "requests");
  out.rate("cache.hits", hits, "requests past the viewer-request function x hit ratio (" + how + ")",
           reason, detail);
  out.rate("cache.misses", misses, "requests past the viewer-request function x (1 - hit ratio)",
           reason, detail);
  if (requests > 0) out.level("cache.hit_ratio", edge_hit, how, reason, detail);
  out.rate("origin_requests", to_origin, "misses past the origin-request function and Origin Shield", reason,
           detail);
  out.rate("function_invocations", cf_invocations + edge_requests, "requests reaching each trigger, less Lambda@Edge throttles");
  out.rate("failures.total", requests * (1 - ok), "requests x P(a function or the origin fails)");
  if (ok_per_s > 0) out.level("latency_ms.mean", a.ok_seconds * 1e3, "edge latency + functions, and on a miss the shield and the origin");
  out.not_estimated("cold_starts", "cold starts depend on the arrival process and the keep-alive; see the simulation");
  if (edge_config.hit_ratio < 0 && shield && !p.record("origin_shield").has("hit_ratio"))
    out.note("Origin Shield's hits: the larger of the two caches' hits that the edge missed (both see the same keys)");
  if (edge_requests > 0)
    out.note("Lambda@Edge: throttles from Erlang-B over its concurrency; init time and cold starts are left out");

  // Cost of the window, before free tiers.
  const double window = view.seconds();
  const double n = requests * window;
  const bool https = p.text("protocol") == "https";
  out.cost("requests", n, "requests", n * price(https ? "cloudfront.request.https" : "cloudfront.request.http"));
  const double bytes = p.has("response_size") ? p.size("response_size") : view.mean_payload("request");
  const double gb = ok_per_s * window * bytes / kGB;
  if (gb > 0) out.cost("data transfer out", gb, "GB", gb * price("cloudfront.transfer.tier1"));
  if (cf_invocations > 0)
    out.cost("cloudfront functions", cf_invocations * window, "invocations",
             cf_invocations * window * price("cloudfront.function.invocation"));
  if (edge_requests > 0) {
    out.cost("lambda@edge requests", edge_requests * window, "requests", edge_requests * window * price("lambda_edge.request"));
    out.cost("lambda@edge duration", edge_gb_s * window, "GB-s", edge_gb_s * window * price("lambda_edge.duration"));
  }
  if (shield) {
    const double shield_requests = past_or * window;
    out.cost("origin shield requests", shield_requests, "requests", shield_requests * price("cloudfront.origin_shield.request"));
  }
}

}  // namespace slsim::models
