// The analytic estimate of an API Gateway stage: the stage and account
// throttles as rate caps, routes by weight (or as the workload names them),
// the authorizer's evaluations and refusals, the stage cache's misses, the
// backends' answers, and cost.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "models/apigateway/apigateway.hpp"
#include "models/pricing/catalog.hpp"
#include "sim/analysis/analytic.hpp"
#include "sim/cache/cache_params.hpp"
#include "sim/scenario/scenario.hpp"

namespace slsim::models {

namespace {
constexpr double kHttpMeterBytes = 512 * 1024;  // HTTP APIs meter 512 KB steps (docs/model-assumptions.md §4)

struct Backend {
  std::string name, op;
  double weight = 1;      // share of the requests that name no route
  bool cacheable = true;  // a GET route (or the one integration)
  double named = 0;       // requests per second naming this route
  std::vector<double> named_by_workload;
};

// Evaluations per second of an authorizer whose results are cached for `tau`
// seconds (cache_ttl plus the authorizer's answer time), over `rate` requests
// per second of `count` tokens with Zipf(`zipf`) popularity: a token used at
// Poisson rate r_k is evaluated once per cycle of tau + 1/r_k, i.e. at rate
// r_k / (1 + r_k tau). Ranks beyond the first thousand are summed in
// geometric bins of 2% (the rate changes little within one).
double token_evaluations(double rate, double count, double zipf, double tau) {
  if (!(rate > 0) || !(count >= 1)) return 0;
  double norm = 0, sum = 0;
  std::vector<std::pair<double, double>> bins;  // (weight, ranks in the bin)
  for (double k = 1; k <= count;) {
    const double hi = k < 1000 ? k + 1 : std::min(count + 1, std::ceil(k * 1.02));
    const double mid = k < 1000 ? k : (k + hi - 1) / 2;
    const double w = std::pow(mid, -zipf);
    bins.emplace_back(w, hi - k);
    norm += w * (hi - k);
    k = hi;
  }
  for (const auto& [w, n] : bins) {
    const double r = rate * w / norm;
    sum += n * r / (1.0 + r * tau);
  }
  return sum;
}
}  // namespace

void apigateway_analytic(const AnalyticView& view, ServiceEstimate& out) {
  const Record& p = view.service().params;
  const Scenario& sc = view.scenario();
  const bool http = p.text("kind") == "http";
  const double overhead_s = p.dist("latency").mean() / 1e9;
  std::vector<Backend> backends;
  const auto default_op = [&](const std::string& target) { return sc.find_service(target)->type->ops.front(); };
  if (p.has("integration")) {
    backends.push_back({p.text("integration"), default_op(p.text("integration")), 1, true, 0, {}});
  } else {
    double total = 0;
    for (const Value& v : p.list("routes")) total += v.record->number("weight");
    for (const Value& v : p.list("routes")) {
      const Record& r = *v.record;
      backends.push_back({r.text("to"), default_op(r.text("to")), r.number("weight") / total,
                          r.text("route").rfind("GET ", 0) == 0, 0, {}});
    }
  }
  // What arrives: requests that name no route (route 0) and those that name one.
  double unnamed = 0;
  std::vector<double> unnamed_by(sc.workloads.size(), 0.0);
  for (const AnalyticView::Inflow& in : view.inflows()) {
    if (in.route == 0) {
      unnamed += in.calls;
      for (std::size_t w = 0; w < unnamed_by.size(); ++w) unnamed_by[w] += in.by_workload[w];
    } else if (in.route <= backends.size()) {
      backends[in.route - 1u].named += in.calls;
      backends[in.route - 1u].named_by_workload = in.by_workload;
    }
  }
  const double requests = view.calls("request");

  // Throttles: the stage's rate, then the account's, shared by every API.
  const Record& throttle = p.record("throttle");
  const double stage_pass = requests > throttle.rate("rate") ? throttle.rate("rate") / requests : 1.0;
  double account_requests = requests * stage_pass;
  for (const ServiceDecl* api : view.services_of_type("apigateway"))
    if (api != &view.service()) account_requests += view.shared(api->name, "requests", 0.0);
  const double account_rate = sc.account.rate("api_rate");
  const double account_pass = account_requests > account_rate ? account_rate / account_requests : 1.0;
  const double pass = stage_pass * account_pass;
  out.share("requests", requests * stage_pass);

  // The authorizer: evaluations are the cache's misses (token popularity laws
  // of the workloads, merged when equal); a share `deny` of the results
  // refuses the caller, cached or not; a failed evaluation is a 500.
  const bool authorized = p.has("authorizer");
  double evaluated = 0;  // share of accepted requests that are evaluated
  double allow = 1;      // share of accepted requests that go on
  double deny = 0;
  AnalyticAnswer auth;
  std::string auth_name, auth_op;
  if (authorized) {
    const Record& a = p.record("authorizer");
    auth_name = a.text("to");
    auth_op = sc.find_service(auth_name)->type->name == "cognito" ? "verify" : default_op(auth_name);
    auth = view.answer(auth_name, auth_op);
    deny = a.number("deny");
    const double ttl = static_cast<double>(a.duration("cache_ttl")) / 1e9;
    const std::vector<double> by_workload = view.calls_by_workload("request");
    struct Law {
      double rate, count, zipf;
    };
    std::vector<Law> laws;
    double total = 0, evaluations = 0;
    for (std::size_t w = 0; w < by_workload.size() && w < sc.workloads.size(); ++w) {
      const double rate = by_workload[w];
      if (!(rate > 0)) continue;
      total += rate;
      const Record& wp = sc.workloads[w].params;
      if (ttl == 0 || !wp.has("tokens")) {
        evaluations += rate;  // no cache, or a token of its own per request
        continue;
      }
      const Record& t = wp.record("tokens");
      const double count = static_cast<double>(t.integer("count"));
      const double zipf = t.number("zipf");
      bool merged = false;
      for (Law& law : laws) {
        if (law.count == count && law.zipf == zipf) {
          law.rate += rate;
          merged = true;
        }
      }
      if (!merged) laws.push_back({rate, count, zipf});
    }
    for (const Law& law : laws) evaluations += token_evaluations(law.rate, law.count, law.zipf, ttl + auth.ok_time());
    evaluated = total > 0 ? std::min(1.0, evaluations / total) : 1.0;
    allow = (1.0 - deny) * (1.0 - evaluated * (1.0 - auth.ok));
    out.flow("request", 0, {auth_name, auth_op, pass * evaluated, 1});
    if (!p.has("integration"))
      for (std::size_t r = 0; r < backends.size(); ++r)
        out.flow("request", static_cast<std::uint16_t>(r + 1), {auth_name, auth_op, pass * evaluated, 1});
  }
  const double auth_s = evaluated * auth.seconds;  // what the authorizer adds to a request on average

  // The stage cache: one hit ratio over every cacheable route's lookups (keys per route).
  double hit = 0;
  std::string cache_how;
  bool emergent = false;
  const bool cached = p.has("cache");
  if (cached) {
    const Record& c = p.record("cache");
    CacheConfig config = cache_config(c);
    if (c.duration("ttl") == 0) config = CacheConfig{0.0, 0, 0};  // a TTL of 0 turns caching off
    KeyedLookups lookups;
    for (const Backend& b : backends) {
      if (!b.cacheable) continue;
      lookups.add(sc, unnamed_by, b.weight);
      lookups.add(sc, b.named_by_workload);
    }
    hit = cache_hit_ratio(config, lookups);
    emergent = config.hit_ratio < 0;
    cache_how = config.hit_ratio >= 0 ? fmt::format("the configured hit_ratio {}", config.hit_ratio)
                                      : fmt::format("Che's approximation: {} responses, ttl {}s, over the keys per route",
                                                    config.capacity_items, static_cast<double>(config.ttl) / 1e9);
  }

  double lookups = 0, hits = 0, errors = 0, backend_throttles = 0, ok = 0, ok_time = 0, busy = 0, throttled = 0;
  for (std::size_t r = 0; r < backends.size(); ++r) {
    const Backend& b = backends[r];
    const double h = cached && b.cacheable ? hit : 0.0;
    const double miss = 1.0 - h;
    out.flow("request", 0, {b.name, b.op, pass * allow * b.weight * miss, 1});
    if (!p.has("integration"))
      out.flow("request", static_cast<std::uint16_t>(r + 1), {b.name, b.op, pass * allow * miss, 1});
    const double accepted = pass * (unnamed * b.weight + b.named);  // accepted requests routed here
    const double arriving = accepted * allow;                         // ... and allowed by the authorizer
    const AnalyticAnswer a = view.answer(b.name, b.op);
    if (cached && b.cacheable) {
      lookups += arriving;
      hits += arriving * h;
    }
    const double calls = arriving * miss;
    if (!p.has("integration")) {
      // What a request naming this route sees.
      AnalyticAnswer named;
      named.ok = pass * allow * (h + miss * a.ok);
      named.throttled = (1.0 - pass) + pass * allow * miss * a.throttled;
      named.seconds = pass * (overhead_s + auth_s + allow * miss * a.seconds);
      const double ok_share = h + miss * a.ok;
      named.ok_seconds =
          ok_share > 0 ? overhead_s + evaluated * auth.ok_time() + miss * a.ok * a.ok_time() / ok_share : overhead_s;
      out.answer("request", static_cast<std::uint16_t>(r + 1), named);
    }
    errors += calls * std::max(0.0, 1.0 - a.ok - a.throttled);
    backend_throttles += calls * a.throttled;
    throttled += calls * a.throttled;
    ok += arriving * h + calls * a.ok;
    const double auth_ok_s = evaluated * auth.ok_time();
    ok_time += arriving * h * (overhead_s + auth_ok_s) + calls * a.ok * (overhead_s + auth_ok_s + a.ok_time());
    busy += accepted * (overhead_s + auth_s) + calls * a.seconds;
    if (!p.has("integration"))
      out.rate("routes." + view.service().params.list("routes")[r].record->text("route"), accepted,
               "accepted requests x route weight, plus those naming the route");
  }
  AnalyticAnswer answer;
  answer.ok = requests > 0 ? ok / requests : pass;
  answer.throttled = requests > 0 ? (requests * (1.0 - pass) + throttled) / requests : 1.0 - pass;
  answer.seconds = requests > 0 ? busy / requests : overhead_s;
  answer.ok_seconds = ok > 0 ? ok_time / ok : overhead_s;
  out.answer("request", answer);

  out.rate("requests", requests, "requests arriving");
  out.rate("throttles", requests * (1.0 - pass),
           fmt::format("requests beyond the stage rate ({}/s) and the account's ({}/s), as rate caps",
                       throttle.rate("rate"), account_rate),
           ReasonClass::bursts, "the limits are token buckets: a burst beyond the bucket is throttled even below the rate");
  out.rate("throttled_by.stage", requests * (1.0 - stage_pass), "requests beyond the stage rate", ReasonClass::bursts,
           "the stage limit is a token bucket");
  out.rate("errors", errors, "backend calls x P(an error answer)");
  out.rate("backend_throttles", backend_throttles, "backend calls x P(a throttled answer)");
  out.rate("timeouts", 0, "backends are taken to answer within the integration timeout");
  if (cached) {
    const ReasonClass reason = emergent ? ReasonClass::warm_up : ReasonClass::none;
    const std::string detail = emergent ? kCacheWarmUp : "";
    out.rate("cache.hits", hits, "cacheable requests x hit ratio (" + cache_how + ")", reason, detail);
    out.rate("cache.misses", lookups - hits, "cacheable requests x (1 - hit ratio)", reason, detail);
    if (lookups > 0) out.level("cache.hit_ratio", hit, cache_how, reason, detail);
  }
  if (authorized) {
    const double accepted = requests * pass;
    const double calls = accepted * evaluated;
    const ReasonClass reason = evaluated < 1 ? ReasonClass::warm_up : ReasonClass::none;
    const std::string detail = evaluated < 1 ? "the result cache starts empty: the estimate is its steady state" : "";
    out.rate("authorizer.calls", calls,
             "accepted requests x the share evaluated: per token, one evaluation per cache_ttl + answer time + the wait "
             "for its next request",
             reason, detail);
    out.rate("authorizer.cache.hits", accepted - calls, "accepted requests - evaluations", reason, detail);
    out.rate("authorizer.cache.misses", calls, "the evaluations", reason, detail);
    out.rate("authorizer.denied", (accepted - calls * (1.0 - auth.ok)) * deny,
             "requests with a result (cached or fresh) x deny");
    out.rate("authorizer.errors", calls * std::max(0.0, 1.0 - auth.ok - auth.throttled),
             "evaluations x P(the authorizer's answer is an error)");
    out.rate("authorizer.throttles", calls * auth.throttled, "evaluations x P(the authorizer is throttled)");
  }
  if (ok > 0)
    out.level("latency_ms.mean", ok_time / ok * 1e3, "overhead + the backend's ok answers (hits: the overhead alone)",
              ReasonClass::cold_starts, "the backends' cold starts are not in the estimate");

  // Cost: billed requests through the monthly tiers, the cache by the hour.
  const PriceCatalog price(sc);
  const double bytes = view.mean_payload("request");
  const double per_request = http ? std::max(1.0, std::ceil(bytes / kHttpMeterBytes)) : 1.0;
  const double billed = requests * pass * allow * per_request * view.seconds();  // refused requests are not billed
  const double to_month = view.seconds() > 0 ? kMonthSeconds / view.seconds() : 1.0;
  out.cost("requests", billed, "requests",
           shared_tiered_cost(billed, {{billed, to_month}}, apigateway_request_tiers(price, http)));
  if (cached) {
    const double hours = view.seconds() / 3600.0;
    out.cost("cache hours", hours, "cache-hours", hours * price(apigateway_cache_price_key(p.record("cache").size("size"))),
             true);
  }
}

}  // namespace slsim::models
