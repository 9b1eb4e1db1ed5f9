// The insights of one Lambda function (docs/insights.md): throttles caused by
// another function exhausting the account's unreserved pool, and a high
// cold-start share. Each names a fix that `slsim run` confirms by a rerun.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "models/lambda/lambda.hpp"
#include "models/lambda/schema.hpp"
#include "sim/analysis/insights.hpp"
#include "sim/report/number_text.hpp"
#include "sim/scenario/scenario.hpp"

namespace slsim::models {

namespace {

// What the account has carved out of its concurrency: every reservation, and
// the provisioned concurrency of unreserved functions (as LambdaAccount does).
std::int64_t carved(const Scenario& sc) {
  std::int64_t sum = 0;
  for (const auto& s : sc.services) {
    if (s.type == nullptr || s.type->name != "lambda") continue;
    sum += s.params.has("reserved_concurrency") ? s.params.integer("reserved_concurrency") : initial_provisioned(s.params);
  }
  return sum;
}

// The fewest slots that lose at most `loss` of Poisson arrivals offering
// `erlangs` (Erlang-B, by its recurrence).
std::int64_t erlang_b_slots(double erlangs, double loss) {
  double b = 1.0;
  for (std::int64_t n = 1; n < 1'000'000; ++n) {
    b = erlangs * b / (static_cast<double>(n) + erlangs * b);
    if (b <= loss) return n;
  }
  return 1'000'000;
}

// Throttles because other functions took the account's unreserved pool.
void account_pool_insight(const InsightInput& in, const Json& me, std::vector<InsightCandidate>& out) {
  const ServiceDecl& decl = *in.decl;
  const Record& p = decl.params;
  if (p.has("reserved_concurrency")) return;
  const double pool_throttles = number_at(me, "throttle_causes.account_pool");
  const double invocations = number_at(me, "invocations");
  const double attempts = invocations + number_at(me, "throttles");
  if (pool_throttles <= 0 || attempts <= 0) return;
  const double share = pool_throttles / attempts;
  if (share < 0.001) return;  // below 0.1%: noise, not a finding
  // The hog: the other unreserved function with the most concurrency on average.
  const ServiceDecl* hog = nullptr;
  double hog_mean = 0, hog_max = 0;
  for (const auto& s : in.scenario.services) {
    if (&s == &decl || s.type == nullptr || s.type->name != "lambda" || s.params.has("reserved_concurrency")) continue;
    const Json* r = service_result(in.result, s.name);
    if (r == nullptr) continue;
    const double mean = number_at(*r, "concurrency.mean");
    if (hog == nullptr || mean > hog_mean) hog = &s, hog_mean = mean, hog_max = number_at(*r, "concurrency.max");
  }
  const double my_mean = number_at(me, "concurrency.mean");
  if (hog == nullptr || hog_mean <= my_mean) return;  // this function is the pool's main user itself

  const std::int64_t limit = in.scenario.account.integer("lambda_concurrency");
  const std::int64_t floor = in.scenario.account.integer("unreserved_min");
  const std::int64_t taken = carved(in.scenario);
  const std::int64_t unreserved = limit - taken;
  // The concurrency this function was offered (Little's law: its mean busy
  // count scaled up by the throttled attempts), and the slots that serve
  // Poisson arrivals of it with at most 0.01% throttled.
  const double offered = invocations > 0 ? my_mean * attempts / invocations : number_at(me, "concurrency.max");
  const std::int64_t mine = initial_provisioned(p);
  const std::int64_t need = std::max({erlang_b_slots(offered, 1e-4),
                                      static_cast<std::int64_t>(std::ceil(number_at(me, "concurrency.max"))), mine,
                                      std::int64_t{1}});

  InsightCandidate c;
  c.id = "account-concurrency-exhausted";
  c.service = decl.name;
  c.severity = share >= 0.01 ? InsightSeverity::high : InsightSeverity::medium;
  c.evidence["throttles"] = pool_throttles;
  c.evidence["attempts"] = attempts;
  c.evidence["throttled_share"] = share;
  c.evidence["unreserved_concurrency"] = unreserved;
  c.evidence["hog"] = hog->name;
  c.evidence["hog_concurrency_mean"] = hog_mean;
  c.evidence["hog_concurrency_max"] = hog_max;
  c.evidence["offered_concurrency"] = offered;
  c.metric = "services." + decl.name + ".throttles";
  c.metric_label = "throttled invocations of " + decl.name;
  c.weight = share;
  const std::string head = fmt::format("{} invocations of {} ({}) were throttled because the account's unreserved "
                                       "pool of {} was exhausted by {} (mean {}, peak {} concurrent)",
                                       number_text(pool_throttles), decl.name, percent_text(share), unreserved, hog->name,
                                       number_text(hog_mean), number_text(hog_max));
  // Reserving for this function replaces its provisioned share of the carve-out.
  if (taken - mine + need <= limit - floor) {
    c.fix = {fmt::format("services.{}.reserved_concurrency={}", decl.name, need)};
    c.title = head;
    c.fix_summary = fmt::format("reserving {} for {}", need, decl.name);
    c.fix_note = fmt::format("{} slots lose at most 0.01% of Poisson arrivals offering {} concurrent (Erlang-B), "
                             "and no fewer than the peak seen",
                             need, number_text(offered));
  } else {
    // The account cannot keep its unreserved floor: a quota increase makes the room.
    const std::int64_t raised = taken - mine + need + floor;
    c.fix = {fmt::format("account.lambda_concurrency={}", raised),
             fmt::format("services.{}.reserved_concurrency={}", decl.name, need)};
    c.title = head;
    c.fix_summary = fmt::format("a quota of {} with {} reserved for {}", raised, need, decl.name);
    c.fix_note = fmt::format("account.lambda_concurrency {} cannot reserve {} for {} and keep {} unreserved: the fix "
                             "is a quota increase (Service Quotas) and the reservation",
                             limit, need, decl.name, floor);
  }
  out.push_back(std::move(c));
}

// A high cold-start share with a material init time.
void cold_start_insight(const InsightInput& in, const Json& me, std::vector<InsightCandidate>& out) {
  const ServiceDecl& decl = *in.decl;
  const Record& p = decl.params;
  // Provisioned or SnapStart functions made their choice; Lambda@Edge has neither.
  if (p.has("provisioned_concurrency") || p.has("provisioned_scaling") || p.has("snapstart") || p.flag("edge")) return;
  const double invocations = number_at(me, "invocations");
  const double cold = number_at(me, "cold_starts");
  const double timeouts = number_at(me, "timeouts");
  if (invocations < 100) return;  // too few to call a share
  // A timeout resets its environment, whose next invocation starts cold:
  // those cold starts are the timeouts' doing, which provisioning does not fix.
  const double share = std::max(0.0, cold - timeouts) / invocations;
  const double init_mean = number_at(me, "init_ms.mean");
  const double handler_mean = number_at(me, "duration_ms.mean");
  // Material: above 5% of invocations, adding 5% or more to the mean invocation time.
  if (share <= 0.05 || share * init_mean < 0.05 * handler_mean) return;
  const double mean = number_at(me, "concurrency.mean");
  const double peak = number_at(me, "concurrency.max");
  // The mean concurrency plus two Poisson standard deviations, at most the peak seen.
  const double steady = mean + 2 * std::sqrt(mean);
  auto pc = static_cast<std::int64_t>(std::ceil(std::min(peak, steady)));
  pc = std::max<std::int64_t>(pc, 1);
  if (p.has("reserved_concurrency")) pc = std::min(pc, p.integer("reserved_concurrency"));

  InsightCandidate c;
  c.id = "cold-start-share-high";
  c.service = decl.name;
  c.severity = InsightSeverity::medium;
  c.evidence["invocations"] = invocations;
  c.evidence["cold_starts"] = cold;
  c.evidence["timeouts"] = timeouts;
  c.evidence["cold_start_share"] = cold / invocations;
  c.evidence["init_ms_mean"] = init_mean;
  c.evidence["handler_ms_mean"] = handler_mean;
  c.evidence["concurrency_mean"] = mean;
  c.evidence["concurrency_max"] = peak;
  c.metric = "services." + decl.name + ".cold_starts";
  c.per = "services." + decl.name + ".invocations";
  c.metric_label = "cold-start share of " + decl.name;
  c.weight = share;
  const std::string head = fmt::format("{} of {}'s {} invocations were cold starts, each adding {} ms of init "
                                       "(handler mean {} ms)",
                                       percent_text(cold / invocations), decl.name, number_text(invocations), number_text(init_mean),
                                       number_text(handler_mean));
  const std::int64_t limit = in.scenario.account.integer("lambda_concurrency");
  const std::int64_t floor = in.scenario.account.integer("unreserved_min");
  // Unreserved provisioned concurrency is carved from the account too.
  if (peak > 2 * steady + 2) {
    // Bursts: a fixed allocation for the whole window would sit idle between them.
    c.title = head;
    c.fix_note = fmt::format("the cold starts come with bursts (peak {} concurrent against a mean of {}): schedule "
                             "provisioned concurrency for them (provisioned_scaling.schedule) rather than for the "
                             "whole window",
                             number_text(peak), number_text(mean));
  } else if (pc < 1 || (!p.has("reserved_concurrency") && carved(in.scenario) + pc > limit - floor)) {
    c.title = head;
    c.fix_note = "the account has no room left to provision concurrency for it";
  } else {
    c.fix = {fmt::format("services.{}.provisioned_concurrency={}", decl.name, pc)};
    c.title = head;
    c.fix_summary = fmt::format("provisioning {} environments", pc);
    c.fix_note = fmt::format("{}: the mean concurrency ({}) plus two Poisson standard deviations, at most the peak "
                             "({}); it is billed for the whole window",
                             pc, number_text(mean), number_text(peak));
  }
  out.push_back(std::move(c));
}

}  // namespace

void lambda_insights(const InsightInput& in, std::vector<InsightCandidate>& out) {
  if (in.decl == nullptr) return;
  const Json* me = service_result(in.result, in.decl->name);
  if (me == nullptr) return;
  account_pool_insight(in, *me, out);
  cold_start_insight(in, *me, out);
}

}  // namespace slsim::models
