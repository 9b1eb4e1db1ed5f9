#include "models/cognito/cognito.hpp"

#include <cmath>
#include <limits>
#include <string>
#include <unordered_set>
#include <vector>

#include <fmt/format.h>

#include "models/pricing/catalog.hpp"
#include "sim/core/simulation.hpp"
#include "sim/core/token_bucket.hpp"
#include "sim/scenario/build.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/stats/counter.hpp"
#include "sim/stats/histogram.hpp"
#include "sim/workload/workload.hpp"

namespace slsim::models {

namespace {

// Operation indices (the type's ops, in order).
enum Op : std::uint16_t { kSignIn = 0, kRefresh, kSignUp, kGetUser, kVerify, kOpCount };
constexpr const char* kOpNames[kOpCount] = {"sign_in", "refresh", "sign_up", "get_user", "verify"};

// The account's request-rate quota categories (docs/model-assumptions.md §16.2).
enum Category : std::uint8_t { kAuthentication = 0, kCreation, kRead, kCategoryCount, kNoQuota = kCategoryCount };
constexpr const char* kCategoryNames[kCategoryCount] = {"user_authentication", "user_creation", "user_read"};
constexpr Category kCategoryOf[kOpCount] = {kAuthentication, kAuthentication, kCreation, kRead, kNoQuota};

const Schema& cognito_schema() {
  static const Schema s = [] {
    ParamSpec plan = param("plan", ParamType::choice, "", "essentials",
                           "the user pool's feature plan: lite, essentials (AWS's default for new pools) or plus; "
                           "sets the price per monthly active user");
    plan.choices = {"lite", "essentials", "plus"};
    ParamSpec mau = param("mau", ParamType::integer, "", "",
                          "monthly active users billed; when omitted, the distinct users (workload tokens) the pool "
                          "and its authorizers saw during the run");
    mau.min = 0;
    mau.max = 1e10;
    const auto latency = [](const std::string& name, const std::string& def, const std::string& what) {
      ParamSpec p = param(name, ParamType::distribution, "ms", def,
                          what + ". UNCONFIRMED: AWS publishes no figure; set it from your measurements");
      p.min = 0;
      return p;
    };
    ParamSpec sign_in = latency("sign_in_latency", "{dist: lognormal, median: 120ms, p99: 400ms}",
                                "time to answer a sign_in (InitiateAuth with a password, SRP rounds included)");
    ParamSpec refresh = latency("refresh_latency", "{dist: lognormal, median: 50ms, p99: 200ms}",
                                "time to answer a refresh (InitiateAuth with a refresh token)");
    ParamSpec sign_up = latency("sign_up_latency", "{dist: lognormal, median: 150ms, p99: 500ms}",
                                "time to answer a sign_up (SignUp)");
    ParamSpec get_user = latency("get_user_latency", "{dist: lognormal, median: 30ms, p99: 120ms}",
                                 "time to answer a get_user (GetUser)");
    ParamSpec verify = latency("verify_latency", "1ms",
                               "time an API Gateway Cognito authorizer spends checking a token against the pool's "
                               "signing keys (no call to Cognito's API)");
    return Schema{"cognito", "An Amazon Cognito user pool: sign-in, token refresh, sign-up, quotas, MAU pricing.",
                  {plan, mau, sign_in, refresh, sign_up, get_user, verify},
                  {{"user_pool_name", "a service's name is its key under services:, e.g. services: {users: {type: cognito}}"},
                   {"user_pool_tier", "write 'plan', e.g. plan: essentials"},
                   {"feature_plan", "write 'plan', e.g. plan: essentials"},
                   {"tier", "write 'plan', e.g. plan: lite"},
                   {"monthly_active_users", "write 'mau', e.g. mau: 50000"},
                   {"latency", "each operation has its own: sign_in_latency, refresh_latency, sign_up_latency, "
                               "get_user_latency, verify_latency"},
                   {"lambda_config", "Cognito triggers are not modelled: leave it out"},
                   {"mfa_configuration", "not modelled: leave it out"},
                   {"password_policy", "not modelled: leave it out"}}};
  }();
  return s;
}

class Cognito;

// The account's quota buckets, shared by every user pool of the simulation
// (AWS counts the quotas per account and Region), and the list of pools (the
// free MAU allowance is the account's).
struct CognitoAccount final : SimulationExtension {
  bool configured = false;
  TokenBucket buckets[kCategoryCount];
  std::vector<const Cognito*> pools;
};

// A bucket of `rate` requests per second holding one second's worth (rate >= 0 by the schema).
TokenBucket quota_bucket(double rate) { return TokenBucket(rate, static_cast<std::int64_t>(std::ceil(rate))); }

class Cognito final : public Service {
 public:
  explicit Cognito(const ServiceBuildContext& ctx)
      : Service(ctx.name(), "cognito"),
        plan_(ctx.params().text("plan")),
        latency_rng_(ctx.sim().rng("service." + ctx.name() + ".latency")),
        prices_(ctx.scenario()) {
    const Record& p = ctx.params();
    if (p.has("mau")) declared_mau_ = static_cast<double>(p.integer("mau"));
    for (int op = 0; op < kOpCount; ++op) latency_.push_back(p.dist(std::string(kOpNames[op]) + "_latency"));
    CognitoAccount& account = ctx.sim().extension<CognitoAccount>();
    if (!account.configured) {
      const Record& a = ctx.scenario().account;
      account.buckets[kAuthentication] = quota_bucket(a.rate("cognito_auth_rate"));
      account.buckets[kCreation] = quota_bucket(a.rate("cognito_signup_rate"));
      account.buckets[kRead] = quota_bucket(a.rate("cognito_read_rate"));
      account.configured = true;
    }
    account.pools.push_back(this);
    account_ = &account;
    free_tier_ = ctx.scenario().account.flag("free_tier");
  }

  const std::string& plan() const { return plan_; }
  // The MAUs billed: declared, or the distinct users seen.
  double mau() const { return declared_mau_ >= 0 ? declared_mau_ : static_cast<double>(users()); }
  std::uint64_t users() const { return tokens_.size() + anonymous_users_; }

  void handle(Simulation& sim, const Event& e) override {
    if (e.kind == kCallEvent) {
      on_call(sim, CallHandle{e.data});
      return;
    }
    if (e.kind == kAnswer) {
      const CallHandle call{e.data};
      latency_hist_.record(sim.now() - sim.call_info(call).delivered);
      sim.reply(call, CallStatus::ok);
    }
  }

  void reset_statistics(SimTime /*now*/) override {
    requests_.reset();
    throttles_.reset();
    for (Counter& c : by_op_) c.reset();
    for (Counter& c : throttled_by_) c.reset();
    latency_hist_.reset();
    failed_latency_hist_.reset();
    // Users stay: a month's active users include those of the warm-up.
  }

  void report(Json& out, double /*measured_seconds*/) const override {
    out["plan"] = plan_;
    out["requests"] = requests_.value;
    Json& ops = out["operations"];
    for (int op = 0; op < kOpCount; ++op) ops[kOpNames[op]] = by_op_[op].value;
    out["throttles"] = throttles_.value;
    Json& by = out["throttled_by"];
    for (int c = 0; c < kCategoryCount; ++c) by[kCategoryNames[c]] = throttled_by_[c].value;
    out["users"] = users();
    out["mau"] = mau();
    out["latency_ms"] = latency_json(latency_hist_);
    out["latency_failed_ms"] = latency_json(failed_latency_hist_);
  }

  void sample(TimeSeriesRow& row) override {
    row.count("requests", static_cast<double>(requests_.value));
    row.count("throttles", static_cast<double>(throttles_.value));
    row.level("users", static_cast<double>(users()));
    row.latency("latency_ms", latency_hist_);
  }

  void bill(CostLedger& ledger, const BillingPeriod& period) const override {
    // MAUs are a monthly quantity: the month's charge, prorated to the window
    // (docs/model-assumptions.md §16.3). The account's free allowance is shared
    // by the pools whose plan has one, in proportion to their MAUs.
    double free_mau = 0;
    if (free_tier_ && plan_ != "plus") {
      double total = 0;
      for (const Cognito* pool : account_->pools)
        if (pool->plan() != "plus") total += pool->mau();
      free_mau = total > 0 ? prices_("cognito.free_tier.mau") * mau() / total : prices_("cognito.free_tier.mau");
    }
    const double monthly = cognito_monthly_usd(prices_, plan_, mau(), free_mau);
    const double share = period.measured_seconds() / kSecondsPer30Days;
    ledger.add(name(), "monthly active users", mau() * share, "MAU-months", monthly * share, CostBasis::time,
               fmt::format("{} MAUs a month, prorated to the measured window", mau()));
  }

 private:
  enum : std::uint16_t { kAnswer = kFirstComponentEvent };

  void on_call(Simulation& sim, CallHandle call) {
    requests_.add();
    const Call info = sim.call_info(call);
    const std::uint16_t op = info.op < kOpCount ? info.op : std::uint16_t{kSignIn};
    by_op_[op].add();
    const Category category = kCategoryOf[op];
    if (category != kNoQuota && !account_->buckets[category].try_take(sim.now())) {
      throttles_.add();
      throttled_by_[category].add();
      failed_latency_hist_.record(0);
      sim.reply(call, CallStatus::throttled);
      return;
    }
    // An accepted identity operation (or a token presented to an authorizer)
    // makes its user active this month.
    const std::uint32_t token = sim.request(info.request).token;
    if (token == 0) ++anonymous_users_;
    else tokens_.insert(token);
    sim.schedule_in(latency_[op].sample_ns(latency_rng_), id(), kAnswer, call.bits);
  }

  std::string plan_;
  double declared_mau_ = -1;
  std::vector<Distribution> latency_;
  Rng latency_rng_;
  PriceCatalog prices_;
  CognitoAccount* account_ = nullptr;
  bool free_tier_ = false;
  std::unordered_set<std::uint32_t> tokens_;  // distinct users seen (only its size is read: deterministic)
  std::uint64_t anonymous_users_ = 0;         // requests without a token: a user each
  Counter requests_, throttles_;
  Counter by_op_[kOpCount];
  Counter throttled_by_[kCategoryCount];
  LatencyHistogram latency_hist_, failed_latency_hist_;
};

}  // namespace

std::vector<Tier> cognito_mau_tiers(const PriceCatalog& prices, const std::string& plan, double free_mau) {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  std::vector<Tier> tiers;
  if (plan == "lite")
    tiers = {{100e3, prices("cognito.lite.mau.tier1")},
             {1e6, prices("cognito.lite.mau.tier2")},
             {10e6, prices("cognito.lite.mau.tier3")},
             {kInf, prices("cognito.lite.mau.tier4")}};
  else if (plan == "plus")
    tiers = {{kInf, prices("cognito.plus.mau")}};
  else
    tiers = {{kInf, prices("cognito.essentials.mau")}};
  if (!(free_mau > 0)) return tiers;
  // The first `free_mau` users of the month cost nothing; the tiers keep their bounds.
  std::vector<Tier> out = {{free_mau, 0.0}};
  for (const Tier& t : tiers)
    if (t.upto > free_mau) out.push_back(t);
  return out;
}

double cognito_monthly_usd(const PriceCatalog& prices, const std::string& plan, double mau, double free_mau) {
  return tiered_monthly_cost(mau, cognito_mau_tiers(prices, plan, free_mau));
}

ServiceType cognito_type() {
  ServiceType t;
  t.name = "cognito";
  t.summary = "a Cognito user pool: sign-in, refresh, sign-up, account rate quotas, MAU pricing by plan";
  t.table = {"requests", "throttles", "users", "mau", "latency_ms", "latency_failed_ms"};
  t.schema = &cognito_schema();
  t.ops = {"sign_in", "refresh", "sign_up", "get_user", "verify"};  // indices of Op
  const std::string sign_in = "write 'sign_in' (InitiateAuth and RespondToAuthChallenge together)";
  t.op_aliases = {{"InitiateAuth", sign_in},
                  {"AdminInitiateAuth", sign_in},
                  {"RespondToAuthChallenge", sign_in},
                  {"login", "write 'sign_in'"},
                  {"signin", "write 'sign_in'"},
                  {"REFRESH_TOKEN_AUTH", "write 'refresh'"},
                  {"GetTokensFromRefreshToken", "write 'refresh'"},
                  {"SignUp", "write 'sign_up'"},
                  {"signup", "write 'sign_up'"},
                  {"AdminCreateUser", "write 'sign_up'"},
                  {"GetUser", "write 'get_user'"},
                  {"AdminGetUser", "write 'get_user'"},
                  {"validate", "write 'verify' (a token checked against the pool's keys)"}};
  t.build = &make_service<Cognito>;
  t.analytic = &cognito_analytic;
  return t;
}

}  // namespace slsim::models
