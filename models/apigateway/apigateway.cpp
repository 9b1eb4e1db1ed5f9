#include "models/apigateway/apigateway.hpp"

#include <cmath>
#include <deque>
#include <limits>
#include <map>
#include <set>
#include <unordered_set>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "sim/core/token_bucket.hpp"
#include "models/pricing/catalog.hpp"
#include "sim/cache/cache_params.hpp"
#include "sim/cache/item_cache.hpp"
#include "sim/core/pool.hpp"
#include "sim/core/simulation.hpp"
#include "sim/scenario/build.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/stats/counter.hpp"
#include "sim/stats/histogram.hpp"
#include "sim/workload/workload.hpp"

namespace slsim::models {

namespace {

// HTTP APIs are metered in 512 KB steps (docs/model-assumptions.md §4).
constexpr std::uint64_t kHttpMeterBytes = 512 * 1024;
// HTTP APIs cannot raise the integration timeout above 30 s (docs/model-assumptions.md §4).
constexpr SimTime kHttpMaxTimeout = 30 * kSecond;
// REST APIs: 29 s unless raised through a quota (Regional and private APIs only).
constexpr SimTime kRestDefaultMaxTimeout = 29 * kSecond;
// The stage cache sizes AWS offers, in GB as AWS writes them (docs/model-assumptions.md §14.2).
constexpr double kCacheSizesGB[] = {0.5, 1.6, 6.1, 13.5, 28.4, 58.2, 118, 237};
constexpr double kGB = 1073741824.0;

// The offered size `bytes` is (within rounding), as its index, or -1.
int cache_size_index(double bytes) {
  for (int i = 0; i < static_cast<int>(std::size(kCacheSizesGB)); ++i)
    if (std::fabs(bytes / kGB - kCacheSizesGB[i]) <= 1e-9 * kCacheSizesGB[i]) return i;
  return -1;
}
std::string cache_size_text(int i) { return fmt::format("{}GB", kCacheSizesGB[i]); }


const Schema& throttle_schema() {
  static const Schema s = [] {
    ParamSpec rate = param("rate", ParamType::rate, "/s", "10000/s", "steady-state requests per second (bucket refill rate)");
    rate.min = 0;
    rate.max = 1e9;
    ParamSpec burst = param("burst", ParamType::integer, "", "5000", "bucket capacity: requests accepted at once from a full bucket");
    burst.min = 0;
    burst.max = 1e9;
    return Schema{"throttle", "The stage's token bucket.", {rate, burst},
                  {{"rate_limit", "write 'rate' with its unit, e.g. rate: 1000/s"},
                   {"throttling_rate_limit", "write 'rate' with its unit, e.g. rate: 1000/s"},
                   {"burst_limit", "write 'burst', e.g. burst: 500"},
                   {"throttling_burst_limit", "write 'burst', e.g. burst: 500"}}};
  }();
  return s;
}

const Schema& route_schema() {
  static const Schema s = [] {
    ParamSpec route = param("route", ParamType::text, "", "", "the route key, e.g. GET /todos (what a workload's `route:` names)");
    route.required = true;
    ParamSpec to = param("to", ParamType::reference, "", "", "the backend of this route");
    to.required = true;
    to.edge = "route";
    ParamSpec weight = param("weight", ParamType::number, "", "1",
                             "share of the requests that name no route, relative to the other weights (a route meant only for "
                             "requests that name it still needs a small weight)");
    weight.min = 0;
    weight.min_exclusive = true;
    weight.max = 1e9;  // summed with the others: keep the total finite
    return Schema{"route", "One route of the API and its backend.", {route, to, weight},
                  {{"route_key", "write 'route', e.g. route: GET /todos"},
                   {"target", "write 'to: SERVICE' (the backend's name under services:)"},
                   {"integration", "write 'to: SERVICE' (the backend's name under services:)"}}};
  }();
  return s;
}

const Schema& stage_cache_schema() {
  static const Schema s = [] {
    ParamSpec size = param("size", ParamType::size, "GB", "0.5GB",
                           "the cache AWS provisions: 0.5GB, 1.6GB, 6.1GB, 13.5GB, 28.4GB, 58.2GB, 118GB or 237GB. It "
                           "sets the hourly price; how many responses it holds is capacity_items");
    std::vector<ParamSpec> params = {size};
    for (ParamSpec& p : cache_params("300s", "response")) {
      if (p.name == "ttl") {
        p.help = "how long a cached response is served after it was loaded, at most 3600s; 0s turns caching off "
                 "(every lookup misses, with hit_ratio too)";
        p.max = 3600e9;
        p.range_hint = "API Gateway's cache TTL is 0 to 3600 seconds";
      }
      params.push_back(p);
    }
    return Schema{"cache", "The stage cache of a REST API: GET responses served without calling the backend.", params,
                  {{"cache_cluster_size", "write 'size' with its unit, e.g. size: 0.5GB"},
                   {"cache_cluster_enabled", "a 'cache:' block turns the cache on; leave it out for none"},
                   {"caching_enabled", "a 'cache:' block turns the cache on; leave it out for none"},
                   {"cache_ttl_in_seconds", "write 'ttl' with its unit, e.g. ttl: 300s"},
                   {"ttl_in_seconds", "write 'ttl' with its unit, e.g. ttl: 300s"},
                   {"cache_data_encrypted", "not modelled: leave it out"},
                   {"require_authorization_for_cache_control", "not modelled: leave it out"}}};
  }();
  return s;
}

// The authorizer's result cache holds at most this many tokens (AWS states no
// limit; the simulated cache keeps about 40 bytes per token it holds).
constexpr std::uint64_t kAuthorizerCacheTokens = 10'000'000;

const Schema& authorizer_schema() {
  static const Schema s = [] {
    ParamSpec to = param("to", ParamType::reference, "", "",
                         "a cognito service (a Cognito user-pool authorizer: the token is checked against the pool's "
                         "keys, no function runs) or a lambda service (a Lambda authorizer: one invocation per "
                         "evaluation)");
    to.required = true;
    to.edge = "authorizer";
    // A user pool is sent `verify`; a function its default `invoke` (no sibling key names the op).
    to.edge_op = EdgeOp::from_key;
    to.edge_op_prefer = {"verify"};
    ParamSpec ttl = param("cache_ttl", ParamType::duration, "s", "300s",
                          "how long a token's result (allow or deny) is reused without evaluating it again, at most "
                          "3600s; 0s evaluates every request");
    ttl.min = 0;
    ttl.max = 3600e9;
    ttl.range_hint = "API Gateway caches authorizer results for 0 to 3600 seconds";
    ParamSpec deny = param("deny", ParamType::probability, "", "0",
                           "share of evaluations that refuse the caller: 401 from a Cognito authorizer (an invalid or "
                           "expired token), 403 from a Lambda authorizer (a Deny policy); never forwarded nor billed");
    return Schema{"authorizer", "The API's authorizer: who checks each request's token before the integration.",
                  {to, ttl, deny},
                  {{"authorizer_result_ttl_in_seconds", "write 'cache_ttl' with its unit, e.g. cache_ttl: 300s"},
                   {"ttl", "write 'cache_ttl' with its unit, e.g. cache_ttl: 300s"},
                   {"authorizer_uri", "write 'to: FUNCTION' (a lambda service's name)"},
                   {"provider_arns", "write 'to: POOL' (a cognito service's name)"},
                   {"user_pool", "write 'to: POOL' (a cognito service's name)"},
                   {"function", "write 'to: FUNCTION' (a lambda service's name)"},
                   {"identity_source", "the token is the request's (the workload's `tokens:`): leave it out"},
                   {"type", "the type follows from 'to': a cognito service or a lambda service"}}};
  }();
  return s;
}

const Schema& apigateway_schema() {
  static const Schema s = [] {
    ParamSpec kind = param("kind", ParamType::choice, "", "rest", "rest (REST API) or http (HTTP API): prices and timeout limit");
    kind.choices = {"rest", "http"};
    ParamSpec throttle = param("throttle", ParamType::record, "", "",
                               "stage limit: a token bucket of `burst` tokens refilled at `rate`; "
                               "the account limit (account.api_rate, account.api_burst) applies too");
    throttle.record = &throttle_schema();
    ParamSpec latency = param("latency", ParamType::distribution, "ms", "10ms",
                              "overhead added before the backend is called. UNCONFIRMED: AWS publishes no figure "
                              "(public benchmarks suggest 10-30 ms median for REST, less for HTTP)");
    latency.min = 0;
    ParamSpec timeout = param("timeout", ParamType::duration, "s", "29s",
                              "integration timeout, counted from the backend call: the client then gets 504 while the "
                              "backend keeps running. REST: 29s, more only for Regional/private APIs through a quota; "
                              "HTTP: at most 30s");
    timeout.min = 50e6;
    timeout.max = 300e9;
    ParamSpec integration = param("integration", ParamType::reference, "", "",
                                  "the one backend of every request (give integration or routes)");
    integration.edge = "integration";
    ParamSpec routes = param("routes", ParamType::list, "", "",
                             "routes with their backends (give integration or routes); requests without a `route:` "
                             "pick one at random by weight");
    ParamSpec route_item = param("route", ParamType::record, "", "", "a route");
    route_item.record = &route_schema();
    routes.element.push_back(route_item);
    routes.record = &route_schema();
    ParamSpec cache = param("cache", ParamType::record, "", "",
                            "optional stage cache (REST APIs only): GET requests whose (route, key) is cached are "
                            "answered after `latency` without calling the backend");
    cache.record = &stage_cache_schema();
    ParamSpec authorizer = param("authorizer", ParamType::record, "", "",
                                 "optional: a Cognito or Lambda authorizer checks each request's token (the workload's "
                                 "`tokens:`) before the stage cache and the integration");
    authorizer.record = &authorizer_schema();
    return Schema{"apigateway", "An Amazon API Gateway stage (REST or HTTP API) with throttling and an integration timeout.",
                  {kind, throttle, latency, timeout, integration, routes, cache, authorizer},
                  {{"throttling_rate_limit", "write 'throttle: {rate: 1000/s, burst: 500}'"},
                   {"throttling_burst_limit", "write 'throttle: {rate: 1000/s, burst: 500}'"},
                   {"rate_limit", "write 'throttle: {rate: 1000/s, burst: 500}'"},
                   {"burst_limit", "write 'throttle: {rate: 1000/s, burst: 500}'"},
                   {"timeout_in_millis", "write 'timeout' with its unit, e.g. timeout: 29s"},
                   {"timeout_milliseconds", "write 'timeout' with its unit, e.g. timeout: 29s"},
                   {"integration_timeout", "write 'timeout' with its unit, e.g. timeout: 29s"},
                   {"protocol_type", "write 'kind: http' (an HTTP API) or 'kind: rest' (a REST API)"},
                   {"integration_uri", "write 'integration: SERVICE' (the backend's name under services:)"},
                   {"target", "write 'integration: SERVICE' (the backend's name under services:)"},
                   {"route_key", "write 'routes: [{route: GET /todos, to: SERVICE}]'"},
                   {"stage_name", "a service's name is its key under services:, e.g. services: {api: {type: apigateway}}"},
                   {"cache_cluster_enabled", "write 'cache: {size: 0.5GB, ttl: 300s, hit_ratio: 0.5}' (REST APIs only)"},
                   {"cache_cluster_size", "write 'cache: {size: 0.5GB, ...}' (REST APIs only)"},
                   {"caching_enabled", "write 'cache: {size: 0.5GB, ttl: 300s, hit_ratio: 0.5}' (REST APIs only)"},
                   {"authorizer_id", "write 'authorizer: {to: SERVICE}' (a cognito or lambda service)"},
                   {"authorization_type", "write 'authorizer: {to: SERVICE}' (a cognito or lambda service)"},
                   {"authorization", "write 'authorizer: {to: SERVICE}' (a cognito or lambda service)"}}};
  }();
  return s;
}

std::vector<std::string> route_names(const ServiceDecl& d) {
  std::vector<std::string> out;
  if (d.params.schema == nullptr) return out;
  for (const Value& item : d.params.list("routes"))
    if (item.record) out.push_back(item.record->text("route"));
  return out;
}

// The stage cache: REST APIs only, a size AWS offers, hit_ratio or capacity_items.
void check_stage_cache(const Record& p, Diagnostics& diags) {
  const Value& cache = p.get("cache");
  if (!cache.present || !cache.record) return;
  if (p.text("kind") == "http") {
    diags.error(cache.loc, cache.path, "HTTP APIs have no stage cache (only REST APIs do)",
                "use kind: rest for a cached API, or leave 'cache:' out");
    return;
  }
  const Record& c = *cache.record;
  const Value& size = c.get("size");
  if (cache_size_index(size.number) < 0) {
    std::string sizes;
    for (int i = 0; i < static_cast<int>(std::size(kCacheSizesGB)); ++i) sizes += (i > 0 ? ", " : "") + cache_size_text(i);
    int larger = 0;
    while (larger < static_cast<int>(std::size(kCacheSizesGB)) && kCacheSizesGB[larger] * kGB < size.number) ++larger;
    const std::string hint = larger < static_cast<int>(std::size(kCacheSizesGB))
                                 ? fmt::format("the smallest size that holds {} is {}", size.text, cache_size_text(larger))
                                 : "237GB is the largest";
    diags.error(size.loc, size.path,
                fmt::format("expected one of the stage cache sizes API Gateway offers ({}), found '{}'", sizes, size.text),
                hint);
  }
  check_cache_params(c, diags);
}

// The authorizer: a cognito or lambda service; a warning for each workload
// reaching it without `tokens:` while results are cached.
void check_authorizer(const ServiceDecl& d, const Scenario& sc, Diagnostics& diags) {
  const Value& authorizer = d.params.get("authorizer");
  if (!authorizer.present || !authorizer.record) return;
  const Record& a = *authorizer.record;
  const Value& to = a.get("to");
  const ServiceDecl* target = sc.find_service(to.text);
  if (target == nullptr || target->type == nullptr) return;
  if (target->type->name != "cognito" && target->type->name != "lambda") {
    diags.error(to.loc, to.path,
                fmt::format("'{}' is {} service; an authorizer is a cognito user pool or a lambda function", to.text,
                            a_or_an(target->type->name)),
                "name a cognito service (a user-pool authorizer) or a lambda service (a Lambda authorizer)");
    return;
  }
  if (a.duration("cache_ttl") == 0) return;
  std::map<std::string, std::vector<std::string>> next;
  for (const auto& e : sc.edges) next[e.from].push_back(e.to);
  for (const auto& w : sc.workloads) {
    if (w.params.has("tokens")) continue;
    std::set<std::string> seen;
    std::deque<std::string> frontier{"workload:" + w.name};
    while (!frontier.empty() && seen.count(d.name) == 0) {
      const std::string v = frontier.front();
      frontier.pop_front();
      for (const auto& n : next[v])
        if (seen.insert(n).second) frontier.push_back(n);
    }
    if (seen.count(d.name) == 0) continue;
    const Value& ttl = a.get("cache_ttl");
    diags.warning(ttl.loc, ttl.path,
                  fmt::format("workload '{}' reaches this authorizer without `tokens:`: each of its requests carries "
                              "a token of its own, so the authorizer's cache never hits",
                              w.name),
                  "give the workload its users' tokens, e.g. tokens: {count: 5000, zipf: 1.0}");
  }
}

void check(const ServiceDecl& d, const Scenario& sc, Diagnostics& diags) {
  const Record& p = d.params;
  const Value& integration = p.get("integration");
  const Value& routes = p.get("routes");
  const std::string path = "services." + d.name;
  if (!integration.present && !routes.present) {
    diags.error(d.loc, path, "missing 'integration' or 'routes' (an apigateway needs a backend)",
                "write 'integration: SERVICE' for one backend, or 'routes: [{route: GET /x, to: SERVICE}]'");
  } else if (integration.present && routes.present) {
    diags.error(routes.loc, routes.path, "give 'integration' or 'routes', not both",
                "'integration' sends every request to one backend; 'routes' picks a backend per route");
  } else if (routes.present && routes.items.empty()) {
    diags.error(routes.loc, routes.path, "expected at least one route");
  }
  // Routes: unique names (weights above 0 are checked by their declaration).
  std::vector<std::string> seen;
  for (const Value& item : routes.items) {
    if (!item.record) continue;
    const Value& name = item.record->get("route");
    for (const auto& s : seen)
      if (s == name.text) diags.error(name.loc, name.path, fmt::format("duplicate route '{}'", name.text));
    seen.push_back(name.text);
  }
  // Backends must take requests.
  const auto check_backend = [&](const Value& v) {
    const ServiceDecl* t = sc.find_service(v.text);
    if (t != nullptr && t->type != nullptr && t->type->ops.empty())
      diags.error(v.loc, v.path, fmt::format("'{}' is a {} service, which takes no requests", v.text, t->type->name));
  };
  if (integration.present) check_backend(integration);
  for (const Value& item : routes.items)
    if (item.record && item.record->has("to")) check_backend(item.record->get("to"));
  // Timeout limits of the API kind.
  const Value& timeout = p.get("timeout");
  const SimTime limit = round_ns(timeout.number);
  if (p.text("kind") == "http" && limit > kHttpMaxTimeout) {
    diags.error(timeout.loc, timeout.path,
                fmt::format("an HTTP API's integration timeout is at most 30s, found {}", timeout.text),
                "HTTP APIs cannot raise it; a REST API (kind: rest) allows up to 300s through a quota increase");
  } else if (p.text("kind") == "rest" && limit > kRestDefaultMaxTimeout) {
    diags.warning(timeout.loc, timeout.path,
                  fmt::format("a REST API's integration timeout above 29s ({}) needs a quota increase", timeout.text),
                  "available for Regional and private REST APIs only, and AWS may lower the account throttle in exchange");
  }
  check_stage_cache(p, diags);
  check_authorizer(d, sc, diags);
}

class ApiGateway;

// Account-level state shared by every API of one simulation: the account
// throttle, and the list of APIs (request prices are tiered per account).
struct ApiAccount final : SimulationExtension {
  bool configured = false;
  TokenBucket bucket;
  std::vector<const ApiGateway*> apis;
};

struct Backend {
  ComponentId id = 0;
  std::uint16_t op = 0;
};

// What a request in flight waits for: the integration (or nothing yet), or
// the authorizer. A timeout event carries the phase it was set for.
constexpr std::uint16_t kIntegrationPhase = 0;
constexpr std::uint16_t kAuthorizerPhase = 1;

// The authorizer result cache's key of a request without a token: unique to
// the request (it is looked up, misses, and is never stored).
std::uint64_t untokened_key(const Request& r) { return (std::uint64_t{1} << 63) | r.id; }

// A request forwarded to its backend and not yet answered.
struct InFlight {
  CallHandle client;          // the caller's call, answered exactly once
  SimTime arrival = 0;        // when the request reached the API
  std::uint32_t backend = 0;  // index into backends_
  bool fill = false;          // a cache miss: an ok answer is cached under `cache_key`
  std::uint64_t cache_key = 0;
  std::uint32_t units = 0;    // billed once authorized
  bool authorized = false;    // the authorizer allowed it (or there is none)
  std::uint16_t phase = kIntegrationPhase;  // what the request waits for; a timer of another phase is stale
};

// The stage cache's key of a request: (route, request key). Keyed requests
// have keys below 10^12 < 2^40 (the workload's `keys.count` limit), so the
// route goes above them; an unkeyed request's key (top bit set) is unique to
// the request and never meets another's anyway.
std::uint64_t stage_cache_key(std::uint32_t route, std::uint64_t key) {
  return key >> 63 != 0 ? key : (static_cast<std::uint64_t>(route) << 40) | key;
}

class ApiGateway final : public Service {
 public:
  explicit ApiGateway(const ServiceBuildContext& ctx)
      : Service(ctx.name(), "apigateway"),
        http_(ctx.params().text("kind") == "http"),
        stage_(ctx.params().record("throttle").rate("rate"), ctx.params().record("throttle").integer("burst")),
        latency_(ctx.params().dist("latency")),
        timeout_(ctx.params().duration("timeout")),
        latency_rng_(ctx.sim().rng("service." + ctx.name() + ".latency")),
        route_rng_(ctx.sim().rng("service." + ctx.name() + ".routes")) {
    const Record& p = ctx.params();
    const auto backend_of = [&](const std::string& target) {
      const ServiceDecl* d = ctx.scenario().find_service(target);
      return Backend{ctx.id_of(target), ctx.op_index(target, d->type->ops.front())};
    };
    if (p.has("integration")) {
      backends_.push_back(backend_of(p.text("integration")));
    } else {
      double total = 0;
      for (const Value& item : p.list("routes")) {
        backends_.push_back(backend_of(item.record->text("to")));
        route_names_.push_back(item.record->text("route"));
        total += item.record->number("weight");
        cumulative_.push_back(total);
      }
      for (double& c : cumulative_) c /= total;
      route_counts_.assign(backends_.size(), Counter{});
    }
    if (p.has("cache")) {
      const Record& c = p.record("cache");
      CacheConfig config = cache_config(c);
      // A TTL of 0 turns API Gateway's caching off: every lookup misses (docs/model-assumptions.md §14.2).
      if (c.duration("ttl") == 0) config = CacheConfig{0.0, 0, 0};
      cache_.emplace(config, ctx.sim().rng("service." + ctx.name() + ".cache"));
      // Only GET is cached; with one integration every request counts as a GET.
      for (const std::string& route : route_names_) cacheable_.push_back(route.rfind("GET ", 0) == 0);
      if (route_names_.empty()) cacheable_.push_back(true);
      cache_hour_usd_ = PriceCatalog(ctx.scenario())(apigateway_cache_price_key(c.size("size")));
    }

    if (p.has("authorizer")) {
      const Record& a = p.record("authorizer");
      const std::string& target = a.text("to");
      const ServiceDecl* d = ctx.scenario().find_service(target);
      authorizer_cognito_ = d->type->name == "cognito";
      authorizer_ = Backend{ctx.id_of(target), ctx.op_index(target, authorizer_cognito_ ? "verify" : d->type->ops.front())};
      has_authorizer_ = true;
      deny_ = a.number("deny");
      // Results are cached by token for cache_ttl; 0 turns the cache off (docs/model-assumptions.md §16.4).
      const SimTime ttl = a.duration("cache_ttl");
      const CacheConfig config = ttl == 0 ? CacheConfig{0.0, 0, 0} : CacheConfig{-1, kAuthorizerCacheTokens, ttl};
      authorizer_cache_.emplace(config, ctx.sim().rng("service." + ctx.name() + ".authorizer_cache"));
      deny_rng_ = ctx.sim().rng("service." + ctx.name() + ".authorizer");
    }

    ApiAccount& account = ctx.sim().extension<ApiAccount>();
    if (!account.configured) {
      const Record& a = ctx.scenario().account;
      account.bucket = TokenBucket(a.rate("api_rate"), a.integer("api_burst"));
      account.configured = true;
    }
    account.apis.push_back(this);
    account_ = &account;

    const PriceCatalog prices(ctx.scenario());
    tiers_ = apigateway_request_tiers(prices, http_);
    free_per_month_ = ctx.scenario().account.flag("free_tier") ? prices("apigateway.free_tier.requests") : 0.0;
  }

  bool http() const { return http_; }
  std::uint64_t billable() const { return billable_.value; }

  void handle(Simulation& sim, const Event& e) override {
    switch (e.kind) {
      case kCallEvent: on_request(sim, CallHandle{e.data}); return;
      case kReplyEvent: on_reply(sim, Handle{e.data}, reply_status(e)); return;
      case kForward: on_forward(sim, Handle{e.data}); return;
      case kTimeout: on_timeout(sim, Handle{e.data}, e.arg); return;
      default: return;
    }
  }

  void reset_statistics(SimTime /*now*/) override {
    requests_.reset();
    throttles_.reset();
    stage_throttles_.reset();
    account_throttles_.reset();
    timeouts_.reset();
    errors_.reset();
    backend_throttles_.reset();
    late_replies_.reset();
    billable_.reset();
    if (cache_) cache_->reset_statistics();
    if (authorizer_cache_) authorizer_cache_->reset_statistics();
    auth_calls_.reset();
    auth_denied_.reset();
    auth_errors_.reset();
    auth_timeouts_.reset();
    auth_throttles_.reset();
    for (Counter& c : route_counts_) c.reset();
    latency_hist_.reset();
    failed_latency_hist_.reset();
  }

  void report(Json& out, double /*measured_seconds*/) const override {
    out["kind"] = http_ ? "http" : "rest";
    out["requests"] = requests_.value;
    out["throttles"] = throttles_.value;
    Json& by = out["throttled_by"];
    by["stage"] = stage_throttles_.value;
    by["account"] = account_throttles_.value;
    out["timeouts"] = timeouts_.value;
    out["errors"] = errors_.value;
    out["backend_throttles"] = backend_throttles_.value;
    out["late_replies"] = late_replies_.value;
    if (cache_) cache_->report(out["cache"]);
    if (has_authorizer_) {
      Json& a = out["authorizer"];
      a["type"] = authorizer_cognito_ ? "cognito" : "lambda";
      a["calls"] = auth_calls_.value;        // evaluations: token checks or function invocations
      authorizer_cache_->report(a["cache"]);
      a["denied"] = auth_denied_.value;      // 401 (Cognito) or 403 (Lambda)
      a["errors"] = auth_errors_.value;      // the authorizer failed: 500
      a["timeouts"] = auth_timeouts_.value;  // no answer within the API's timeout: 500
      a["throttles"] = auth_throttles_.value;  // the authorizer was throttled: 500
    }
    out["latency_ms"] = latency_json(latency_hist_);                  // 2xx answers
    out["latency_failed_ms"] = latency_json(failed_latency_hist_);    // 429, 5xx and 504 answers
    if (!route_names_.empty()) {
      Json& r = out["routes"];
      r = Json::object();
      for (std::size_t i = 0; i < route_names_.size(); ++i) r[route_names_[i]] = route_counts_[i].value;
    }
  }

  void sample(TimeSeriesRow& row) override {
    row.count("requests", static_cast<double>(requests_.value));
    row.count("throttles", static_cast<double>(throttles_.value));
    row.count("timeouts", static_cast<double>(timeouts_.value));
    row.count("errors", static_cast<double>(errors_.value));
    if (cache_) {
      row.count("cache.hits", static_cast<double>(cache_->hits()));
      row.count("cache.misses", static_cast<double>(cache_->misses()));
    }
    if (has_authorizer_) {
      row.count("authorizer.calls", static_cast<double>(auth_calls_.value));
      row.count("authorizer.denied", static_cast<double>(auth_denied_.value));
    }
    row.latency("latency_ms", latency_hist_);
  }

  void bill(CostLedger& ledger, const BillingPeriod& period) const override {
    // Tiers and the free tier apply to the account's volume of this API kind:
    // price the month of every API of the kind, and charge this one its share.
    std::vector<TierUsage> shared;
    for (const ApiGateway* api : account_->apis)
      if (api->http() == http_) shared.push_back({static_cast<double>(api->billable()), period.usage_to_month(api->name())});
    const double mine = static_cast<double>(billable_.value);
    ledger.add(name(), "requests", mine, "requests", shared_tiered_cost(mine, shared, tiers_, free_per_month_));
    // The stage cache is billed by the hour, used or not (docs/model-assumptions.md §14.2).
    if (cache_) {
      const double hours = period.measured_seconds() / 3600.0;
      ledger.add(name(), "cache hours", hours, "cache-hours", hours * cache_hour_usd_, CostBasis::time);
    }
  }

 private:
  enum : std::uint16_t { kForward = kFirstComponentEvent, kTimeout };

  void on_request(Simulation& sim, CallHandle call) {
    requests_.add();
    const SimTime now = sim.now();
    // Stage limit first, then the account limit (AWS's order); a request
    // takes a token from both or from neither.
    const bool stage_ok = stage_.has_token(now);
    const bool account_ok = account_->bucket.has_token(now);
    if (!stage_ok || !account_ok) {
      throttles_.add();
      (stage_ok ? account_throttles_ : stage_throttles_).add();
      failed_latency_hist_.record(0);
      sim.reply(call, CallStatus::throttled);
      return;
    }
    stage_.take();
    account_->bucket.take();

    const Request& r = sim.request(sim.call_info(call).request);
    // REST: one billed request; HTTP: one per started 512 KB of payload (at least one).
    const std::uint64_t bytes = r.payload_bytes;
    const std::uint64_t units = http_ && bytes > kHttpMeterBytes ? (bytes + kHttpMeterBytes - 1) / kHttpMeterBytes : 1;
    // Requests an authorizer refuses (or fails on) are not billed: with one,
    // billing waits for its answer (docs/model-assumptions.md §16.4).
    if (!has_authorizer_) billable_.add(units);
    std::size_t b = 0;
    if (!cumulative_.empty()) {
      // A workload's `route:` applies when the request comes straight from it (first hop).
      if (r.hops == 1 && r.route > 0 && r.route <= backends_.size()) {
        b = r.route - 1u;
      } else {
        const double u = route_rng_.uniform01();
        while (b + 1 < cumulative_.size() && u >= cumulative_[b]) ++b;
      }
      route_counts_[b].add();
    }
    // The overhead passes before the backend is called (an event of our own,
    // not a delayed call, so the backend sees the call when it really starts).
    InFlight pending{call, now, static_cast<std::uint32_t>(b)};
    pending.units = static_cast<std::uint32_t>(units);
    pending.authorized = !has_authorizer_;
    const Handle f = in_flight_.alloc(pending);
    sim.schedule_in(latency_.sample_ns(latency_rng_), id(), kForward, f.bits);
  }

  void on_forward(Simulation& sim, Handle h) {
    if (!in_flight_.at(h).authorized) {
      authorize(sim, h);
      return;
    }
    integrate(sim, h);
  }

  // The authorizer's cached result for the request's token, or an evaluation.
  void authorize(Simulation& sim, Handle h) {
    InFlight& f = in_flight_.at(h);
    const RequestHandle request = sim.call_info(f.client).request;
    const Request& r = sim.request(request);
    const std::uint64_t key = r.token != 0 ? r.token : untokened_key(r);
    if (authorizer_cache_->lookup(key, sim.now())) {
      decide(sim, h, denied_tokens_.count(r.token) != 0);
      return;
    }
    auth_calls_.add();
    f.phase = kAuthorizerPhase;
    sim.call(id(), authorizer_.id, authorizer_.op, request, h.bits);
    // The authorizer gets the API's timeout too (then 500).
    sim.schedule_in(timeout_, id(), kTimeout, h.bits, kAuthorizerPhase);
  }

  void on_authorizer_reply(Simulation& sim, Handle h, CallStatus status) {
    InFlight& f = in_flight_.at(h);
    f.phase = kIntegrationPhase;
    if (status != CallStatus::ok) {
      // A failed, timed-out or throttled authorizer: API Gateway answers 500 (§16.4).
      (status == CallStatus::throttled ? auth_throttles_ : status == CallStatus::timeout ? auth_timeouts_ : auth_errors_)
          .add();
      answer(sim, h, CallStatus::error);
      return;
    }
    const bool deny = deny_ > 0 && deny_rng_.uniform01() < deny_;
    const std::uint32_t token = sim.request(sim.call_info(f.client).request).token;
    if (token != 0 && authorizer_cache_->emergent()) {
      authorizer_cache_->fill(token, sim.now());
      if (deny) denied_tokens_.insert(token);
      else denied_tokens_.erase(token);
    }
    decide(sim, h, deny);
  }

  // Allowed: billed, then on to the stage cache and the integration. Denied: 401/403.
  void decide(Simulation& sim, Handle h, bool deny) {
    if (deny) {
      auth_denied_.add();
      answer(sim, h, CallStatus::error);
      return;
    }
    InFlight& f = in_flight_.at(h);
    f.authorized = true;
    billable_.add(f.units);
    integrate(sim, h);
  }

  void integrate(Simulation& sim, Handle h) {
    InFlight& f = in_flight_.at(h);
    if (cache_ && cacheable_[f.backend]) {
      // Hits are answered by the stage without calling the backend (they were
      // throttled and billed like any request: docs/model-assumptions.md §14.2).
      const std::uint64_t key = stage_cache_key(f.backend, sim.request(sim.call_info(f.client).request).key);
      if (cache_->lookup(key, sim.now())) {
        answer(sim, h, CallStatus::ok);
        return;
      }
      f.fill = true;
      f.cache_key = key;
    }
    const Backend& target = backends_[f.backend];
    sim.call(id(), target.id, target.op, sim.call_info(f.client).request, h.bits);
    // The integration timeout runs from the moment the backend is called.
    sim.schedule_in(timeout_, id(), kTimeout, h.bits, kIntegrationPhase);
  }

  void on_reply(Simulation& sim, Handle h, CallStatus status) {
    const InFlight* f = in_flight_.get(h);
    if (f == nullptr) {  // the client already got its 504 (or 500): ignore the late answer
      late_replies_.add();
      return;
    }
    if (f->phase == kAuthorizerPhase) {
      on_authorizer_reply(sim, h, status);
      return;
    }
    on_backend_reply(sim, h, status);
  }

  void on_backend_reply(Simulation& sim, Handle h, CallStatus status) {
    const InFlight* f = in_flight_.get(h);
    switch (status) {
      case CallStatus::ok:
        if (f->fill) cache_->fill(f->cache_key, sim.now());
        break;
      case CallStatus::throttled: backend_throttles_.add(); break;
      case CallStatus::error: errors_.add(); break;
      case CallStatus::timeout: timeouts_.add(); break;
    }
    answer(sim, h, status);
  }

  void on_timeout(Simulation& sim, Handle h, std::uint16_t phase) {
    const InFlight* f = in_flight_.get(h);
    if (f == nullptr || f->phase != phase) return;  // answered in time: a stale timer
    if (phase == kAuthorizerPhase) {
      auth_timeouts_.add();
      answer(sim, h, CallStatus::error);  // 500: the authorizer did not answer
      return;
    }
    timeouts_.add();
    answer(sim, h, CallStatus::timeout);
  }

  void answer(Simulation& sim, Handle h, CallStatus status) {
    const InFlight f = in_flight_.at(h);
    in_flight_.free(h);
    (status == CallStatus::ok ? latency_hist_ : failed_latency_hist_).record(sim.now() - f.arrival);
    sim.reply(f.client, status);
  }

  bool http_;
  TokenBucket stage_;
  ApiAccount* account_ = nullptr;
  Distribution latency_;
  SimTime timeout_;
  Rng latency_rng_;
  Rng route_rng_;
  std::vector<Backend> backends_;       // one (integration) or one per route
  std::vector<std::string> route_names_;
  std::vector<double> cumulative_;      // normalised cumulative route weights (empty: integration)
  std::optional<ItemCache> cache_;      // the stage cache, when configured
  std::vector<bool> cacheable_;         // per backend index: its route is a GET (the integration: always)
  double cache_hour_usd_ = 0;
  bool has_authorizer_ = false;
  bool authorizer_cognito_ = false;
  Backend authorizer_;
  double deny_ = 0;
  Rng deny_rng_{Rng(0)};
  std::optional<ItemCache> authorizer_cache_;      // results by token (hit_ratio 0 when cache_ttl is 0)
  std::unordered_set<std::uint32_t> denied_tokens_;  // tokens whose cached result is a deny (looked up only)
  Counter auth_calls_, auth_denied_, auth_errors_, auth_timeouts_, auth_throttles_;
  Pool<InFlight> in_flight_;
  std::vector<Tier> tiers_;
  double free_per_month_ = 0;
  Counter requests_, throttles_, stage_throttles_, account_throttles_, timeouts_, errors_, backend_throttles_,
      late_replies_, billable_;
  std::vector<Counter> route_counts_;
  LatencyHistogram latency_hist_, failed_latency_hist_;
};

}  // namespace

std::vector<Tier> apigateway_request_tiers(const PriceCatalog& prices, bool http) {
  if (http)
    return {{300e6, prices("apigateway.http.request.tier1")},
            {std::numeric_limits<double>::infinity(), prices("apigateway.http.request.tier2")}};
  return {{333e6, prices("apigateway.rest.request.tier1")},
          {1e9, prices("apigateway.rest.request.tier2")},
          {20e9, prices("apigateway.rest.request.tier3")},
          {std::numeric_limits<double>::infinity(), prices("apigateway.rest.request.tier4")}};
}

std::string apigateway_cache_price_key(double size_bytes) {
  const int size = cache_size_index(size_bytes);
  return "apigateway.cache." + cache_size_text(size < 0 ? 0 : size);
}

ServiceType apigateway_type() {
  ServiceType t;
  t.name = "apigateway";
  t.summary = "an API Gateway stage: stage and account throttling, overhead latency, integration timeout, routes, cache";
  t.table = {"requests",   "throttles",    "timeouts",        "errors",     "backend_throttles",
             "cache.hits", "cache.misses", "cache.hit_ratio", "authorizer.calls", "authorizer.cache.hits",
             "authorizer.denied", "authorizer.errors", "authorizer.throttles", "latency_ms", "latency_failed_ms"};
  t.schema = &apigateway_schema();
  t.ops = {"request"};
  const std::string route = "an API's one operation is 'request'; choose a route with 'route:', e.g. route: GET /todos";
  t.op_aliases = {{"GET", route}, {"POST", route}, {"PUT", route}, {"DELETE", route}, {"PATCH", route}};
  t.forwards = {{"request", {"integration", "route", "authorizer"}}};
  t.routes = true;
  t.route_names = &route_names;
  t.build = &make_service<ApiGateway>;
  t.analytic = &apigateway_analytic;
  t.check = &check;
  return t;
}

}  // namespace slsim::models
