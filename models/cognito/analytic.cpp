// The analytic estimate of a Cognito user pool: each operation answers after
// its mean latency; the account's quota categories throttle the excess of the
// offered rate over the quota (a fluid estimate, shared by every pool of the
// account); a declared `mau` is priced, distinct users seen are not estimated.
#include <algorithm>
#include <string>

#include <fmt/format.h>

#include "models/cognito/cognito.hpp"
#include "models/pricing/catalog.hpp"
#include "sim/analysis/analytic.hpp"
#include "sim/scenario/scenario.hpp"

namespace slsim::models {

void cognito_analytic(const AnalyticView& view, ServiceEstimate& out) {
  const Record& p = view.service().params;
  const Record& account = view.scenario().account;
  struct Category {
    const char* key;
    const char* quota;
    std::vector<std::string> ops;
  };
  const Category categories[] = {{"user_authentication", "cognito_auth_rate", {"sign_in", "refresh"}},
                                 {"user_creation", "cognito_signup_rate", {"sign_up"}},
                                 {"user_read", "cognito_read_rate", {"get_user"}}};
  double throttles = 0;
  for (const Category& c : categories) {
    double mine = 0;
    for (const std::string& op : c.ops) mine += view.calls(op);
    out.share(c.key, mine);
    // The quota is the account's: every pool's offered rate counts.
    double total = 0;
    for (const ServiceDecl* pool : view.services_of_type("cognito"))
      total += pool->name == view.name() ? mine : view.shared(pool->name, c.key, 0.0);
    const double quota = account.rate(c.quota);
    const double blocked = total > quota ? 1.0 - quota / total : 0.0;
    throttles += mine * blocked;
    out.rate(fmt::format("throttled_by.{}", c.key), mine * blocked,
             fmt::format("offered x (1 - quota / offered), quota {}/s over the account's pools", quota),
             ReasonClass::bursts, "a fluid estimate: a bucket of one second's quota absorbs short bursts");
    for (const std::string& op : c.ops) {
      const double s = p.dist(op + "_latency").mean() / 1e9;
      out.answer(op, AnalyticAnswer{1.0 - blocked, blocked, 0, (1.0 - blocked) * s, 0, s});
    }
  }
  const double verify_s = p.dist("verify_latency").mean() / 1e9;
  out.answer("verify", AnalyticAnswer{1, 0, 0, verify_s, 0, verify_s});
  out.rate("requests", view.calls(), "calls arriving");
  out.rate("throttles", throttles, "the sum over the quota categories");
  if (p.has("mau")) {
    const PriceCatalog prices(view.scenario());
    const std::string plan = p.text("plan");
    const double mau = static_cast<double>(p.integer("mau"));
    const double free = account.flag("free_tier") && plan != "plus" ? prices("cognito.free_tier.mau") : 0.0;
    const double share = view.seconds() / kSecondsPer30Days;
    out.cost("monthly active users", mau * share, "MAU-months", cognito_monthly_usd(prices, plan, mau, free) * share,
             true);
  } else {
    out.not_estimated("users", "the distinct users a run sees depend on its token draws");
    out.note("without a declared `mau` the MAU charge is not estimated");
  }
}

}  // namespace slsim::models
