#include "models/cloudfront/cloudfront.hpp"

#include <algorithm>
#include <array>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "models/cloudfront/schema.hpp"
#include "models/lambda/environments.hpp"
#include "models/pricing/catalog.hpp"
#include "sim/cache/cache_params.hpp"
#include "sim/cache/item_cache.hpp"
#include "sim/core/simulation.hpp"
#include "sim/scenario/build.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/stats/counter.hpp"
#include "sim/stats/gauge.hpp"
#include "sim/stats/histogram.hpp"
#include "sim/workload/workload.hpp"

namespace slsim::models {

namespace {

constexpr double kMB = 1048576.0;
constexpr double kGB = 1073741824.0;  // billing GB (2^30 bytes), as S3's

// How one run of an edge function ended.
enum class RunEnd : std::uint16_t { ok = 0, error = 1, timeout = 2, compute_limit = 3 };

// One edge function of the distribution. A Lambda@Edge function owns a pool
// of execution environments, picked and expired as the Lambda model does
// (Environment and IdleSet from models/lambda/environments.hpp).
struct EdgeFunction {
  EdgeFunction(const Record& f, Simulation& sim, const std::string& base)
      : trigger(trigger_of(f.text("trigger"))),
        lambda_edge(f.text("kind") == "lambda_edge"),
        named(f.has("function")),
        duration(f.has("duration") ? f.dist("duration") : Distribution{}),
        compute_limit(f.duration("compute_limit")),
        timeout(f.has("timeout") ? f.duration("timeout") : lambda_edge_time_limit(trigger)),
        memory_gb(f.size("memory") / 1024.0 / kMB),
        error_probability(f.number("errors")),
        init(f.dist("cold_start")),
        idle_timeout(f.dist("idle_timeout")),
        concurrency(f.integer("concurrency")),
        idle(f.text("warm_selection") == "newest" ? WarmSelection::newest
             : f.text("warm_selection") == "lru"  ? WarmSelection::lru
             : f.text("warm_selection") == "random" ? WarmSelection::random
                                                    : WarmSelection::mru,
             envs),
        duration_rng(sim.rng(base + "duration")),
        init_rng(sim.rng(base + "init")),
        idle_rng(sim.rng(base + "idle")),
        error_rng(sim.rng(base + "errors")),
        select_rng(sim.rng(base + "select")) {}
  EdgeFunction(const EdgeFunction&) = delete;
  EdgeFunction& operator=(const EdgeFunction&) = delete;

  Trigger trigger;
  bool lambda_edge;
  bool named;                 // `function: NAME`: a lambda service runs it (target, op)
  ComponentId target = 0;
  std::uint16_t op = 0;
  Distribution duration;
  SimTime compute_limit;
  SimTime timeout;
  double memory_gb;
  double error_probability;
  Distribution init;
  Distribution idle_timeout;
  std::int64_t concurrency;

  Pool<Environment> envs;
  IdleSet idle;
  std::uint64_t created_seq = 0;
  std::int64_t busy = 0;
  std::int64_t environments = 0;
  Rng duration_rng, init_rng, idle_rng, error_rng, select_rng;

  Counter invocations, cold_starts, throttles, errors, timeouts, over_compute_limit;
  TimeWeightedGauge concurrency_gauge, environments_gauge;
  LatencyHistogram duration_hist, init_hist;
  double billed_gb_s = 0;
};

// Replies from a named function carry the request's handle with this bit set
// (origin replies carry it plain). Pool generations stay below 2^31 in any run.
constexpr std::uint64_t kFunctionTag = std::uint64_t{1} << 63;

// Where a request is in the distribution. Each step is done in order; the
// function steps are skipped when no function has that trigger.
enum class Step : std::uint8_t {
  viewer_request, lookup, origin_request, shield, origin, origin_response, fill, viewer_response, done
};

Step step_of(Trigger t) {
  switch (t) {
    case Trigger::viewer_request: return Step::viewer_request;
    case Trigger::origin_request: return Step::origin_request;
    case Trigger::origin_response: return Step::origin_response;
    case Trigger::viewer_response: return Step::viewer_response;
  }
  return Step::done;
}

struct InFlight {
  CallHandle client;
  SimTime arrival = 0;
  SimTime fn_began = 0;       // the running function's start (its environment's, init included)
  SimTime handler_ns = 0;     // the running function's handler time
  std::uint32_t env = kNoEnv; // the running Lambda@Edge function's environment
  std::int8_t function = -1;  // the running function's index, or -1
  bool edge_miss = false;
  bool shield_miss = false;
  bool awaiting_origin = false;
};

// Every distribution of the simulation: the free tier and the data transfer
// tiers apply to the account's monthly volume (docs/model-assumptions.md §15.4).
class CloudFront;
struct CloudFrontAccount final : SimulationExtension {
  std::vector<const CloudFront*> distributions;
};

class CloudFront final : public Service {
 public:
  explicit CloudFront(const ServiceBuildContext& ctx)
      : Service(ctx.name(), "cloudfront"),
        scenario_(ctx.scenario()),
        cache_(distribution_cache_config(ctx.params()), ctx.sim().rng("service." + ctx.name() + ".cache")),
        edge_latency_(ctx.params().dist("edge_latency")),
        origin_timeout_(ctx.params().duration("origin_timeout")),
        latency_rng_(ctx.sim().rng("service." + ctx.name() + ".latency")),
        https_(ctx.params().text("protocol") == "https") {
    const Record& p = ctx.params();
    const std::string& origin = p.text("origin");
    std::string op;
    if (p.has("origin_op")) {
      op = p.text("origin_op");
    } else {
      const auto& ops = ctx.scenario().find_service(origin)->type->ops;
      op = ops.front();
      for (const std::string& preferred : origin_preferred_ops())
        if (std::find(ops.begin(), ops.end(), preferred) != ops.end()) {
          op = preferred;
          break;
        }
    }
    origin_ = ctx.id_of(origin);
    origin_op_ = ctx.op_index(origin, op);
    if (p.has("origin_shield") && p.record("origin_shield").flag("enabled")) {
      const Record& s = p.record("origin_shield");
      CacheConfig config = distribution_cache_config(p);
      if (s.has("hit_ratio")) config = CacheConfig{s.number("hit_ratio"), 0, 0};
      if (s.has("capacity_items"))
        config = CacheConfig{-1, static_cast<std::uint64_t>(s.integer("capacity_items")), p.duration("ttl")};
      if (p.duration("ttl") == 0) config = CacheConfig{0.0, 0, 0};  // nothing is cached
      shield_.emplace(config, ctx.sim().rng("service." + ctx.name() + ".shield"));
      shield_latency_ = s.dist("latency");
    }
    if (p.has("response_size")) response_bytes_ = static_cast<std::int64_t>(p.size("response_size"));
    by_trigger_.fill(-1);
    for (const Value& v : p.list("functions")) {
      const Record& f = *v.record;
      const std::string base = fmt::format("service.{}.{}.", ctx.name(), f.text("trigger"));
      functions_.push_back(std::make_unique<EdgeFunction>(f, ctx.sim(), base));
      if (f.has("function")) {
        functions_.back()->target = ctx.id_of(f.text("function"));
        functions_.back()->op = ctx.op_index(f.text("function"), "invoke");
      }
      by_trigger_[static_cast<std::size_t>(functions_.back()->trigger)] = static_cast<std::int8_t>(functions_.size() - 1);
    }
    CloudFrontAccount& account = ctx.sim().extension<CloudFrontAccount>();
    account.distributions.push_back(this);
    account_ = &account;
  }

  // Billable volumes of the measured window (for the account-wide tiers).
  double billed_requests() const { return static_cast<double>(requests_.value); }
  double transfer_gb() const { return static_cast<double>(bytes_out_) / kGB; }
  double function_invocations() const {
    double n = 0;
    for (const auto& f : functions_)
      if (!f->lambda_edge) n += static_cast<double>(f->invocations.value);
    return n;
  }

  void handle(Simulation& sim, const Event& e) override {
    switch (e.kind) {
      case kCallEvent: on_request(sim, CallHandle{e.data}); return;
      case kEdgeArrived: advance(sim, Handle{e.data}, Step::viewer_request); return;
      case kShieldArrived: on_shield(sim, Handle{e.data}); return;
      case kFunctionDone: on_function_done(sim, Handle{e.data}, static_cast<RunEnd>(e.arg)); return;
      case kReplyEvent:
        if ((e.data & kFunctionTag) != 0) on_named_function_reply(sim, Handle{e.data & ~kFunctionTag}, reply_status(e));
        else on_origin_reply(sim, Handle{e.data}, reply_status(e));
        return;
      case kOriginTimeout: on_origin_timeout(sim, Handle{e.data}); return;
      case kExpire: on_expire(sim, Handle{e.data}, e.arg); return;
      default: return;
    }
  }

  void reset_statistics(SimTime now) override {
    window_start_ = now;
    for (Counter* c : {&requests_, &origin_requests_, &late_replies_, &shield_requests_, &fail_origin_error_,
                       &fail_origin_timeout_, &fail_origin_throttled_, &fail_function_error_, &fail_function_timeout_,
                       &fail_function_throttled_, &fail_compute_limit_})
      c->reset();
    cache_.reset_statistics();
    if (shield_) shield_->reset_statistics();
    bytes_out_ = 0;
    latency_hist_.reset();
    failed_latency_hist_.reset();
    for (auto& f : functions_) {
      for (Counter* c : {&f->invocations, &f->cold_starts, &f->throttles, &f->errors, &f->timeouts, &f->over_compute_limit})
        c->reset();
      f->concurrency_gauge.reset(now);
      f->environments_gauge.reset(now);
      f->duration_hist.reset();
      f->init_hist.reset();
      f->billed_gb_s = 0;
    }
  }

  void finish(Simulation& sim) override {
    end_ = sim.now();
    // Lambda@Edge runs still going at the end are billed for their part inside the window.
    in_flight_.for_each_live([&](const InFlight& r) {
      if (r.function >= 0 && functions_[static_cast<std::size_t>(r.function)]->lambda_edge &&
          !functions_[static_cast<std::size_t>(r.function)]->named) {
        EdgeFunction& f = *functions_[static_cast<std::size_t>(r.function)];
        f.billed_gb_s += billed_gb_s(f, r.fn_began, end_);
      }
    });
  }

  void report(Json& out, double /*measured_seconds*/) const override {
    out["requests"] = requests_.value;
    cache_.report(out["cache"]);
    out["evictions"] = cache_.evictions();
    out["origin_requests"] = origin_requests_.value;
    out["late_replies"] = late_replies_.value;
    if (shield_) {
      Json& s = out["origin_shield"];
      s["requests"] = shield_requests_.value;
      s["hits"] = shield_->hits();
      s["misses"] = shield_->misses();
      const std::uint64_t lookups = shield_->hits() + shield_->misses();
      s["hit_ratio"] = lookups > 0 ? Json(static_cast<double>(shield_->hits()) / static_cast<double>(lookups)) : Json(nullptr);
    }
    std::uint64_t invocations = 0, cold = 0;
    for (const auto& f : functions_) {
      invocations += f->invocations.value;
      cold += f->cold_starts.value;
    }
    out["function_invocations"] = invocations;
    out["cold_starts"] = cold;
    Json& fail = out["failures"];
    fail["total"] = fail_origin_error_.value + fail_origin_timeout_.value + fail_origin_throttled_.value +
                    fail_function_error_.value + fail_function_timeout_.value + fail_function_throttled_.value +
                    fail_compute_limit_.value;
    fail["origin_error"] = fail_origin_error_.value;
    fail["origin_timeout"] = fail_origin_timeout_.value;
    fail["origin_throttled"] = fail_origin_throttled_.value;
    fail["function_error"] = fail_function_error_.value;
    fail["function_timeout"] = fail_function_timeout_.value;
    fail["function_throttled"] = fail_function_throttled_.value;
    fail["compute_limit"] = fail_compute_limit_.value;
    out["data_transfer_gb"] = transfer_gb();
    out["latency_ms"] = latency_json(latency_hist_);                // 2xx answers
    out["latency_failed_ms"] = latency_json(failed_latency_hist_);  // 4xx and 5xx answers
    if (!functions_.empty()) {
      Json& fns = out["functions"];
      for (const auto& f : functions_) {
        Json& j = fns[std::string(trigger_name(f->trigger))];
        j["kind"] = f->lambda_edge ? "lambda_edge" : "cloudfront_function";
        j["invocations"] = f->invocations.value;
        j["errors"] = f->errors.value;
        if (f->named) {
          // The function's own figures (cold starts, duration, cost) are in its service's report.
          j["throttles"] = f->throttles.value;
          j["timeouts"] = f->timeouts.value;
          continue;
        }
        j["duration_ms"] = latency_json(f->duration_hist);
        if (f->lambda_edge) {
          j["cold_starts"] = f->cold_starts.value;
          j["throttles"] = f->throttles.value;
          j["timeouts"] = f->timeouts.value;
          Json& c = j["concurrency"];
          c["max"] = f->concurrency_gauge.max();
          c["mean"] = f->concurrency_gauge.mean(end_);
          Json& env = j["environments"];
          env["max"] = f->environments_gauge.max();
          env["mean"] = f->environments_gauge.mean(end_);
          j["init_ms"] = latency_json(f->init_hist);
          j["billed_gb_s"] = f->billed_gb_s;
        } else {
          j["compute_limit_exceeded"] = f->over_compute_limit.value;
        }
      }
    }
  }

  void sample(TimeSeriesRow& row) override {
    row.count("requests", static_cast<double>(requests_.value));
    row.count("cache.hits", static_cast<double>(cache_.hits()));
    row.count("cache.misses", static_cast<double>(cache_.misses()));
    row.count("origin_requests", static_cast<double>(origin_requests_.value));
    std::uint64_t invocations = 0, cold = 0;
    for (const auto& f : functions_) {
      invocations += f->invocations.value;
      cold += f->cold_starts.value;
    }
    row.count("function_invocations", static_cast<double>(invocations));
    row.count("cold_starts", static_cast<double>(cold));
    row.latency("latency_ms", latency_hist_);
  }

  void bill(CostLedger& ledger, const BillingPeriod& period) const override {
    // docs/model-assumptions.md §15.4: requests, data transfer out and CloudFront
    // Functions share the account's always-free tier; Lambda@Edge has none.
    const PriceCatalog price(scenario_);
    const bool free_tier = scenario_.account.flag("free_tier");
    constexpr double inf = std::numeric_limits<double>::infinity();
    std::vector<TierUsage> requests, transfer, functions;
    for (const CloudFront* d : account_->distributions) {
      const double to_month = period.usage_to_month(d->name());
      requests.push_back({d->billed_requests(), to_month});
      transfer.push_back({d->transfer_gb(), to_month});
      functions.push_back({d->function_invocations(), to_month});
    }
    const double n = billed_requests();
    const double request_usd = price(https_ ? "cloudfront.request.https" : "cloudfront.request.http");
    ledger.add(name(), "requests", n, "requests",
               shared_tiered_cost(n, requests, {{inf, request_usd}},
                                  free_tier ? price("cloudfront.free_tier.requests") : 0.0));
    const double gb = transfer_gb();
    if (gb > 0)
      ledger.add(name(), "data transfer out", gb, "GB",
                 shared_tiered_cost(gb, transfer, transfer_tiers(price),
                                    free_tier ? price("cloudfront.free_tier.transfer_gb") : 0.0));
    const double cf_invocations = function_invocations();
    if (cf_invocations > 0)
      ledger.add(name(), "cloudfront functions", cf_invocations, "invocations",
                 shared_tiered_cost(cf_invocations, functions, {{inf, price("cloudfront.function.invocation")}},
                                    free_tier ? price("cloudfront.free_tier.function_invocations") : 0.0));
    double edge_requests = 0, edge_gb_s = 0;
    for (const auto& f : functions_) {
      if (!f->lambda_edge || f->named) continue;  // a named function bills itself
      edge_requests += static_cast<double>(f->invocations.value);
      edge_gb_s += f->billed_gb_s;
    }
    if (edge_requests > 0) {
      ledger.add(name(), "lambda@edge requests", edge_requests, "requests", edge_requests * price("lambda_edge.request"));
      ledger.add(name(), "lambda@edge duration", edge_gb_s, "GB-s", edge_gb_s * price("lambda_edge.duration"));
    }
    if (shield_) {
      const double shield_requests = static_cast<double>(shield_requests_.value);
      ledger.add(name(), "origin shield requests", shield_requests, "requests",
                 shield_requests * price("cloudfront.origin_shield.request"));
    }
  }

 private:
  enum : std::uint16_t { kEdgeArrived = kFirstComponentEvent, kShieldArrived, kFunctionDone, kOriginTimeout, kExpire };

  static std::vector<Tier> transfer_tiers(const PriceCatalog& price) {
    // Cumulative GB per month (1 TB = 1,024 GB), docs/model-assumptions.md §15.4.
    constexpr double tb = 1024.0;
    return {{10 * tb, price("cloudfront.transfer.tier1")},   {50 * tb, price("cloudfront.transfer.tier2")},
            {150 * tb, price("cloudfront.transfer.tier3")},  {500 * tb, price("cloudfront.transfer.tier4")},
            {1024 * tb, price("cloudfront.transfer.tier5")}, {5 * 1024 * tb, price("cloudfront.transfer.tier6")},
            {std::numeric_limits<double>::infinity(), price("cloudfront.transfer.tier7")}};
  }

  void on_request(Simulation& sim, CallHandle call) {
    requests_.add();
    InFlight r;
    r.client = call;
    r.arrival = sim.now();
    const Handle h = in_flight_.alloc(r);
    sim.schedule_in(edge_latency_.sample_ns(latency_rng_), id(), kEdgeArrived, h.bits);
  }

  std::uint64_t key_of(Simulation& sim, const InFlight& r) const { return sim.request(sim.call_info(r.client).request).key; }

  // Does `step` and the ones after it until something takes time.
  void advance(Simulation& sim, Handle h, Step step) {
    for (;;) {
      InFlight& r = in_flight_.at(h);
      switch (step) {
        case Step::viewer_request:
        case Step::origin_request:
        case Step::origin_response:
        case Step::viewer_response: {
          const Trigger t = step == Step::viewer_request    ? Trigger::viewer_request
                            : step == Step::origin_request  ? Trigger::origin_request
                            : step == Step::origin_response ? Trigger::origin_response
                                                            : Trigger::viewer_response;
          const std::int8_t f = by_trigger_[static_cast<std::size_t>(t)];
          if (f >= 0) {
            run_function(sim, h, f);
            return;
          }
          step = static_cast<Step>(static_cast<int>(step) + 1);
          break;
        }
        case Step::lookup:
          if (cache_.lookup(key_of(sim, r), sim.now())) {
            step = Step::viewer_response;
          } else {
            r.edge_miss = true;
            step = Step::origin_request;
          }
          break;
        case Step::shield:
          if (shield_) {
            shield_requests_.add();
            sim.schedule_in(shield_latency_.sample_ns(latency_rng_), id(), kShieldArrived, h.bits);
            return;
          }
          step = Step::origin;
          break;
        case Step::origin:
          origin_requests_.add();
          r.awaiting_origin = true;
          sim.call(id(), origin_, origin_op_, sim.call_info(r.client).request, h.bits);
          sim.schedule_in(origin_timeout_, id(), kOriginTimeout, h.bits);
          return;
        case Step::fill:
          if (r.edge_miss) cache_.fill(key_of(sim, r), sim.now());
          step = Step::viewer_response;
          break;
        case Step::done: answer(sim, h, CallStatus::ok); return;
      }
    }
  }

  void on_shield(Simulation& sim, Handle h) {
    InFlight& r = in_flight_.at(h);
    if (shield_->lookup(key_of(sim, r), sim.now())) {
      advance(sim, h, Step::origin_response);  // the shield answers: the origin is not asked
      return;
    }
    r.shield_miss = true;
    advance(sim, h, Step::origin);
  }

  void on_origin_reply(Simulation& sim, Handle h, CallStatus status) {
    InFlight* r = in_flight_.get(h);
    if (r == nullptr || !r->awaiting_origin) {  // the viewer already got its 504
      late_replies_.add();
      return;
    }
    r->awaiting_origin = false;
    switch (status) {
      case CallStatus::ok:
        if (r->shield_miss) shield_->fill(key_of(sim, *r), sim.now());
        advance(sim, h, Step::origin_response);
        return;
      // A 4xx of the origin (a throttle) is passed on; its 5xx is a 502 (docs/model-assumptions.md §15.2).
      case CallStatus::throttled: fail(sim, h, fail_origin_throttled_, CallStatus::throttled); return;
      case CallStatus::error: fail(sim, h, fail_origin_error_, CallStatus::error); return;
      case CallStatus::timeout: fail(sim, h, fail_origin_timeout_, CallStatus::error); return;
    }
  }

  void on_origin_timeout(Simulation& sim, Handle h) {
    const InFlight* r = in_flight_.get(h);
    if (r == nullptr || !r->awaiting_origin) return;  // answered in time: a stale timer
    fail(sim, h, fail_origin_timeout_, CallStatus::error);  // 504
  }

  // Starts function `index` on the request; kFunctionDone ends it.
  void run_function(Simulation& sim, Handle h, std::int8_t index) {
    EdgeFunction& f = *functions_[static_cast<std::size_t>(index)];
    InFlight& r = in_flight_.at(h);
    const SimTime now = sim.now();
    if (!f.lambda_edge) {
      // A CloudFront Function: no environments; a run past the compute limit fails.
      f.invocations.add();
      const SimTime drawn = f.duration.sample_ns(f.duration_rng);
      const bool error = f.error_rng.bernoulli(f.error_probability);
      RunEnd end = RunEnd::ok;
      SimTime ran = drawn;
      if (drawn > f.compute_limit) {
        end = RunEnd::compute_limit;
        ran = f.compute_limit;
      } else if (error) {
        end = RunEnd::error;
      }
      f.duration_hist.record(ran);
      r.function = index;
      r.fn_began = now;
      sim.schedule_in(ran, id(), kFunctionDone, h.bits, static_cast<std::uint16_t>(end));
      return;
    }
    if (f.named) {
      // A lambda service runs it: CloudFront waits for its answer.
      f.invocations.add();
      r.function = index;
      sim.call(id(), f.target, f.op, sim.call_info(r.client).request, h.bits | kFunctionTag);
      return;
    }
    // Lambda@Edge: a warm environment, or a new one (a cold start), within the concurrency limit.
    if (f.busy >= f.concurrency) {
      f.throttles.add();
      fail(sim, h, fail_function_throttled_, CallStatus::throttled);  // 503
      return;
    }
    bool cold = false;
    std::uint32_t env = kNoEnv;
    if (!f.idle.empty()) {
      env = f.idle.take(f.select_rng);
      f.envs.live_at(env).busy = true;
    } else {
      Environment e;
      e.created_seq = ++f.created_seq;
      e.busy = true;
      const Handle eh = f.envs.alloc(e);
      f.envs.at(eh).self = eh.index();
      env = eh.index();
      ++f.environments;
      f.environments_gauge.set(now, static_cast<double>(f.environments));
      cold = true;
    }
    f.invocations.add();
    ++f.busy;
    f.concurrency_gauge.set(now, static_cast<double>(f.busy));
    SimTime init = 0;
    if (cold) {
      f.cold_starts.add();
      init = f.init.sample_ns(f.init_rng);
      f.init_hist.record(init);
    }
    const SimTime drawn = f.duration.sample_ns(f.duration_rng);
    const bool error = f.error_rng.bernoulli(f.error_probability);
    RunEnd end = RunEnd::ok;
    SimTime handler = drawn;
    // As the Lambda model: a handler that reaches its time limit is stopped there.
    if (drawn >= f.timeout) {
      end = RunEnd::timeout;
      handler = f.timeout;
    } else if (error) {
      end = RunEnd::error;
    }
    r.function = index;
    r.env = env;
    r.fn_began = now;
    r.handler_ns = handler;
    sim.schedule_in(add_saturating(init, handler), id(), kFunctionDone, h.bits, static_cast<std::uint16_t>(end));
  }

  void on_function_done(Simulation& sim, Handle h, RunEnd end) {
    InFlight& r = in_flight_.at(h);
    EdgeFunction& f = *functions_[static_cast<std::size_t>(r.function)];
    const Trigger trigger = f.trigger;
    r.function = -1;
    if (f.lambda_edge) {
      const SimTime now = sim.now();
      f.duration_hist.record(r.handler_ns);
      f.billed_gb_s += billed_gb_s(f, r.fn_began, now);
      --f.busy;
      f.concurrency_gauge.set(now, static_cast<double>(f.busy));
      Environment& e = f.envs.live_at(r.env);
      r.env = kNoEnv;
      if (end == RunEnd::timeout) {
        // The runtime is reset after a timeout: the environment is gone (as in the Lambda model).
        f.envs.free(f.envs.handle_at(e.self));
        --f.environments;
        f.environments_gauge.set(now, static_cast<double>(f.environments));
      } else {
        environment_idle(sim, f, e);
      }
    }
    switch (end) {
      case RunEnd::ok: advance(sim, h, static_cast<Step>(static_cast<int>(step_of(trigger)) + 1)); return;
      case RunEnd::error:
        f.errors.add();
        fail(sim, h, fail_function_error_, CallStatus::error);
        return;
      case RunEnd::timeout:
        f.timeouts.add();
        fail(sim, h, fail_function_timeout_, CallStatus::error);
        return;
      case RunEnd::compute_limit:
        f.over_compute_limit.add();
        fail(sim, h, fail_compute_limit_, CallStatus::error);
        return;
    }
  }

  void on_named_function_reply(Simulation& sim, Handle h, CallStatus status) {
    InFlight& r = in_flight_.at(h);
    EdgeFunction& f = *functions_[static_cast<std::size_t>(r.function)];
    r.function = -1;
    switch (status) {
      case CallStatus::ok: advance(sim, h, static_cast<Step>(static_cast<int>(step_of(f.trigger)) + 1)); return;
      case CallStatus::throttled:
        f.throttles.add();
        fail(sim, h, fail_function_throttled_, CallStatus::throttled);
        return;
      case CallStatus::error:
        f.errors.add();
        fail(sim, h, fail_function_error_, CallStatus::error);
        return;
      case CallStatus::timeout:
        f.timeouts.add();
        fail(sim, h, fail_function_timeout_, CallStatus::error);
        return;
    }
  }

  void environment_idle(Simulation& sim, EdgeFunction& f, Environment& e) {
    const SimTime now = sim.now();
    e.busy = false;
    e.idle_since = now;
    ++e.idle_stamp;
    f.idle.insert(e);
    e.expires_at = now + f.idle_timeout.sample_ns(f.idle_rng);
    // At most one pending expiry event per environment; a later one reschedules itself.
    if (e.expiry_event_at < 0 || e.expiry_event_at > e.expires_at) {
      e.expiry_event_at = e.expires_at;
      sim.schedule_at(e.expires_at, id(), kExpire, f.envs.handle_at(e.self).bits, function_index(f));
    }
  }

  std::uint16_t function_index(const EdgeFunction& f) const {
    for (std::size_t i = 0; i < functions_.size(); ++i)
      if (functions_[i].get() == &f) return static_cast<std::uint16_t>(i);
    return 0;
  }

  void on_expire(Simulation& sim, Handle env_handle, std::uint16_t index) {
    EdgeFunction& f = *functions_[index];
    Environment* e = f.envs.get(env_handle);
    if (e == nullptr || e->expiry_event_at != sim.now()) return;  // stale
    e->expiry_event_at = -1;
    if (e->busy) return;  // it schedules again when it next becomes idle
    if (sim.now() < e->expires_at) {
      e->expiry_event_at = e->expires_at;
      sim.schedule_at(e->expires_at, id(), kExpire, env_handle.bits, index);
      return;
    }
    f.idle.erase(*e);
    f.envs.free(env_handle);
    --f.environments;
    f.environments_gauge.set(sim.now(), static_cast<double>(f.environments));
  }

  // GB-s billed for a run inside the measured window, rounded up to 1 ms
  // (init included, as Lambda bills it since August 2025: docs/model-assumptions.md §15.3).
  double billed_gb_s(const EdgeFunction& f, SimTime began, SimTime until) const {
    const SimTime from = std::max(began, window_start_);
    if (until <= from) return 0.0;
    const SimTime billed_ms = (until - from + kMillisecond - 1) / kMillisecond;
    return static_cast<double>(billed_ms) / 1000.0 * f.memory_gb;
  }

  void fail(Simulation& sim, Handle h, Counter& reason, CallStatus status) {
    reason.add();
    answer(sim, h, status);
  }

  void answer(Simulation& sim, Handle h, CallStatus status) {
    const InFlight r = in_flight_.at(h);
    in_flight_.free(h);
    const SimTime latency = sim.now() - r.arrival;
    if (status == CallStatus::ok) {
      latency_hist_.record(latency);
      const Request& q = sim.request(sim.call_info(r.client).request);
      bytes_out_ += response_bytes_ >= 0 ? response_bytes_ : static_cast<std::int64_t>(q.payload_bytes);
    } else {
      failed_latency_hist_.record(latency);
    }
    sim.reply(r.client, status);
  }

  const Scenario& scenario_;
  ItemCache cache_;
  std::optional<ItemCache> shield_;
  Distribution edge_latency_;
  Distribution shield_latency_;
  SimTime origin_timeout_;
  Rng latency_rng_;
  bool https_;
  ComponentId origin_ = 0;
  std::uint16_t origin_op_ = 0;
  std::int64_t response_bytes_ = -1;  // -1: the request's payload
  std::vector<std::unique_ptr<EdgeFunction>> functions_;
  std::array<std::int8_t, kTriggers> by_trigger_{};
  CloudFrontAccount* account_ = nullptr;
  Pool<InFlight> in_flight_;
  Counter requests_, origin_requests_, late_replies_, shield_requests_;
  Counter fail_origin_error_, fail_origin_timeout_, fail_origin_throttled_, fail_function_error_,
      fail_function_timeout_, fail_function_throttled_, fail_compute_limit_;
  std::int64_t bytes_out_ = 0;
  LatencyHistogram latency_hist_, failed_latency_hist_;
  SimTime window_start_ = 0;
  SimTime end_ = 0;
};

}  // namespace

ServiceType cloudfront_type() {
  ServiceType t;
  t.name = "cloudfront";
  t.summary = "a CloudFront distribution: edge cache, Origin Shield, CloudFront Functions and Lambda@Edge, one origin";
  t.table = {"requests",       "cache.hits",       "cache.misses", "cache.hit_ratio",   "evictions", "origin_shield.hits",
             "origin_requests", "function_invocations", "cold_starts", "failures.total", "data_transfer_gb",
             "latency_ms",     "latency_failed_ms"};
  t.schema = &cloudfront_schema();
  t.ops = {"request"};
  const std::string request = "a distribution's one operation is 'request'";
  t.op_aliases = {{"GET", request}, {"get", request}, {"HEAD", request}, {"POST", request}};
  // A miss goes on to the origin.
  t.forwards = {{"request", {"origin", "function"}}};
  t.build = &make_service<CloudFront>;
  t.check = &check_cloudfront;
  t.analytic = &cloudfront_analytic;
  return t;
}

}  // namespace slsim::models
