#include "models/apigateway/apigateway.hpp"

#include <limits>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "sim/core/token_bucket.hpp"
#include "models/pricing/catalog.hpp"
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
    return Schema{"apigateway", "An Amazon API Gateway stage (REST or HTTP API) with throttling and an integration timeout.",
                  {kind, throttle, latency, timeout, integration, routes},
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
                   {"stage_name", "a service's name is its key under services:, e.g. services: {api: {type: apigateway}}"}}};
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

// A request forwarded to its backend and not yet answered.
struct InFlight {
  CallHandle client;          // the caller's call, answered exactly once
  SimTime arrival = 0;        // when the request reached the API
  std::uint32_t backend = 0;  // index into backends_
};

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

    ApiAccount& account = ctx.sim().extension<ApiAccount>();
    if (!account.configured) {
      const Record& a = ctx.scenario().account;
      account.bucket = TokenBucket(a.rate("api_rate"), a.integer("api_burst"));
      account.configured = true;
    }
    account.apis.push_back(this);
    account_ = &account;

    const PriceCatalog prices(ctx.scenario());
    if (http_) {
      tiers_ = {{300e6, prices("apigateway.http.request.tier1")},
                {std::numeric_limits<double>::infinity(), prices("apigateway.http.request.tier2")}};
    } else {
      tiers_ = {{333e6, prices("apigateway.rest.request.tier1")},
                {1e9, prices("apigateway.rest.request.tier2")},
                {20e9, prices("apigateway.rest.request.tier3")},
                {std::numeric_limits<double>::infinity(), prices("apigateway.rest.request.tier4")}};
    }
    free_per_month_ = ctx.scenario().account.flag("free_tier") ? prices("apigateway.free_tier.requests") : 0.0;
  }

  bool http() const { return http_; }
  std::uint64_t billable() const { return billable_.value; }

  void handle(Simulation& sim, const Event& e) override {
    switch (e.kind) {
      case kCallEvent: on_request(sim, CallHandle{e.data}); return;
      case kReplyEvent: on_backend_reply(sim, Handle{e.data}, reply_status(e)); return;
      case kForward: on_forward(sim, Handle{e.data}); return;
      case kTimeout: on_timeout(sim, Handle{e.data}); return;
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
    out["latency_ms"] = latency_json(latency_hist_);                  // 2xx answers
    out["latency_failed_ms"] = latency_json(failed_latency_hist_);    // 429, 5xx and 504 answers
    if (!route_names_.empty()) {
      Json& r = out["routes"];
      r = Json::object();
      for (std::size_t i = 0; i < route_names_.size(); ++i) r[route_names_[i]] = route_counts_[i].value;
    }
  }

  void bill(CostLedger& ledger, const BillingPeriod& period) const override {
    // Tiers and the free tier apply to the account's volume of this API kind:
    // price the month of every API of the kind, and charge this one its share.
    std::vector<TierUsage> shared;
    for (const ApiGateway* api : account_->apis)
      if (api->http() == http_) shared.push_back({static_cast<double>(api->billable()), period.usage_to_month(api->name())});
    const double mine = static_cast<double>(billable_.value);
    ledger.add(name(), "requests", mine, "requests", shared_tiered_cost(mine, shared, tiers_, free_per_month_));
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
    billable_.add(http_ && bytes > kHttpMeterBytes ? (bytes + kHttpMeterBytes - 1) / kHttpMeterBytes : 1);
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
    const Handle f = in_flight_.alloc(InFlight{call, now, static_cast<std::uint32_t>(b)});
    sim.schedule_in(latency_.sample_ns(latency_rng_), id(), kForward, f.bits);
  }

  void on_forward(Simulation& sim, Handle h) {
    const InFlight& f = in_flight_.at(h);
    const Backend& target = backends_[f.backend];
    sim.call(id(), target.id, target.op, sim.call_info(f.client).request, h.bits);
    // The integration timeout runs from the moment the backend is called.
    sim.schedule_in(timeout_, id(), kTimeout, h.bits);
  }

  void on_backend_reply(Simulation& sim, Handle h, CallStatus status) {
    const InFlight* f = in_flight_.get(h);
    if (f == nullptr) {  // the client already got its 504: ignore the late answer
      late_replies_.add();
      return;
    }
    switch (status) {
      case CallStatus::ok: break;
      case CallStatus::throttled: backend_throttles_.add(); break;
      case CallStatus::error: errors_.add(); break;
      case CallStatus::timeout: timeouts_.add(); break;
    }
    answer(sim, h, status);
  }

  void on_timeout(Simulation& sim, Handle h) {
    if (in_flight_.get(h) == nullptr) return;  // answered in time: a stale timer
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
  Pool<InFlight> in_flight_;
  std::vector<Tier> tiers_;
  double free_per_month_ = 0;
  Counter requests_, throttles_, stage_throttles_, account_throttles_, timeouts_, errors_, backend_throttles_,
      late_replies_, billable_;
  std::vector<Counter> route_counts_;
  LatencyHistogram latency_hist_, failed_latency_hist_;
};

}  // namespace

ServiceType apigateway_type() {
  ServiceType t;
  t.name = "apigateway";
  t.summary = "an API Gateway stage: stage and account throttling, overhead latency, integration timeout, routes";
  t.table = {"requests", "throttles", "timeouts", "errors", "backend_throttles", "latency_ms", "latency_failed_ms"};
  t.schema = &apigateway_schema();
  t.ops = {"request"};
  const std::string route = "an API's one operation is 'request'; choose a route with 'route:', e.g. route: GET /todos";
  t.op_aliases = {{"GET", route}, {"POST", route}, {"PUT", route}, {"DELETE", route}, {"PATCH", route}};
  t.forwards = {{"request", {"integration", "route"}}};
  t.routes = true;
  t.route_names = &route_names;
  t.build = &make_service<ApiGateway>;
  t.check = &check;
  return t;
}

}  // namespace slsim::models
