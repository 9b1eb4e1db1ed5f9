// The function's statistics over the measured window, its time series, its
// part of the result and its bill (docs/model-assumptions.md §1.3-§1.5).
#include "models/lambda/function.hpp"
#include "models/lambda/lambda.hpp"

#include <algorithm>
#include <string>

#include "models/pricing/catalog.hpp"
#include "sim/core/simulation.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/workload/workload.hpp"  // latency_json

namespace slsim::models::lambda_function {

double Lambda::billed_gb_s(const Invocation& inv, SimTime until) const {
  const SimTime from = std::max(inv.began, window_start_);
  if (until <= from) return 0.0;
  const SimTime billed_ms = (until - from + kMillisecond - 1) / kMillisecond;
  return static_cast<double>(billed_ms) / 1000.0 * memory_gb_;
}

void Lambda::reset_statistics(SimTime now) {
  window_start_ = now;
  for (Counter* c : {&invocations_count_, &cold_starts_, &throttles_, &errors_, &timeouts_, &provisioned_invocations_,
                     &async_queued_, &async_retries_, &async_expired_, &async_to_on_failure_, &async_dropped_,
                     &async_throttles_, &recursive_loops_, &throttles_reserved_, &throttles_account_pool_,
                     &throttles_scaling_})
    c->reset();
  concurrency_.reset(now);
  environments_gauge_.reset(now);
  idle_gauge_.reset(now);
  if (pc_scaling_) {
    pc_accrue(now);
    for (Counter* c : {&pc_scale_outs_, &pc_scale_ins_, &pc_scheduled_actions_}) c->reset();
    pc_allocated_gauge_.reset(now);
    pc_ready_gauge_.reset(now);
    pc_busy_gauge_.reset(now);
    pc_allocated_min_ = pc_configured_;
    pc_timeline_to_ = now;
  }
  duration_hist_.reset();
  init_hist_.reset();
  on_demand_gb_s_ = 0;
  provisioned_gb_s_ = 0;
}

void Lambda::finish(Simulation& sim) {
  end_ = sim.now();
  pc_accrue(end_);
  // Work still running at the end is billed for its part inside the window.
  invocations_.for_each_live([&](const Invocation& inv) {
    (envs_.live_at(inv.env).provisioned ? provisioned_gb_s_ : on_demand_gb_s_) += billed_gb_s(inv, end_);
  });
  // Lambda@Edge is priced on its own: it shares no tier or free tier with the account's functions.
  if (!edge_)
    account_.usage.push_back({name(), arm_, !pc_enabled(), static_cast<double>(invocations_count_.value),
                              on_demand_gb_s_});
}

void Lambda::sample(TimeSeriesRow& row) {
  row.count("invocations", static_cast<double>(invocations_count_.value));
  row.count("cold_starts", static_cast<double>(cold_starts_.value));
  row.count("throttles", static_cast<double>(throttles_.value));
  row.count("errors", static_cast<double>(errors_.value));
  row.count("timeouts", static_cast<double>(timeouts_.value));
  row.gauge("concurrency", concurrency_);
  row.gauge("environments", environments_gauge_);
  row.latency("duration_ms", duration_hist_);
  if (pc_scaling_) {
    row.gauge("provisioned.allocated", pc_allocated_gauge_);
    row.gauge("provisioned.ready", pc_ready_gauge_);
  }
}

void Lambda::report(Json& out, double /*measured_seconds*/) const {
  out["invocations"] = invocations_count_.value;
  out["cold_starts"] = cold_starts_.value;
  out["throttles"] = throttles_.value;
  // Why synchronous invocations were throttled: the function's reserved
  // concurrency, the account's unreserved pool (shared), or the scaling rate.
  Json& causes = out["throttle_causes"];
  causes["reserved"] = throttles_reserved_.value;
  causes["account_pool"] = throttles_account_pool_.value;
  causes["scaling_rate"] = throttles_scaling_.value;
  out["errors"] = errors_.value;
  out["timeouts"] = timeouts_.value;
  if (pc_enabled()) out["provisioned_invocations"] = provisioned_invocations_.value;
  Json& c = out["concurrency"];
  c["max"] = concurrency_.max();
  c["mean"] = concurrency_.mean(end_);
  Json& env = out["environments"];
  env["max"] = environments_gauge_.max();
  env["mean"] = environments_gauge_.mean(end_);
  env["mean_idle"] = idle_gauge_.mean(end_);
  out["duration_ms"] = latency_json(duration_hist_);
  out["init_ms"] = latency_json(init_hist_);
  out["billed_gb_s"] = on_demand_gb_s_ + provisioned_gb_s_;
  Json& async = out["async"];
  async["queued"] = async_queued_.value;
  async["retries"] = async_retries_.value;
  async["throttles"] = async_throttles_.value;
  async["expired"] = async_expired_.value;
  async["to_on_failure"] = async_to_on_failure_.value;
  async["dropped"] = async_dropped_.value;
  out["recursive_loops"] = recursive_loops_.value;
  if (pc_scaling_) {
    // Allocated: the configured count (billed); ready: allocated and usable.
    Json& pc = out["provisioned"];
    pc["allocated_mean"] = pc_allocated_gauge_.mean(end_);
    pc["allocated_max"] = pc_allocated_gauge_.max();
    pc["allocated_min"] = pc_allocated_min_;
    pc["allocated_final"] = pc_configured_;
    pc["ready_mean"] = pc_ready_gauge_.mean(end_);
    // Busy over allocated, over the window (the mean busy count over the mean allocated count).
    const double allocated = pc_allocated_gauge_.mean(end_);
    pc["utilization"] = allocated > 0 ? pc_busy_gauge_.mean(end_) / allocated : 0.0;
    pc["spillover_invocations"] = invocations_count_.value - provisioned_invocations_.value;
    pc["scale_outs"] = pc_scale_outs_.value;
    pc["scale_ins"] = pc_scale_ins_.value;
    pc["scheduled_actions"] = pc_scheduled_actions_.value;
    // The mean allocated count of each step of the window (the last step may be shorter).
    Json& timeline = pc["timeline"];
    const SimTime from0 = pc_allocated_gauge_.measure_start();
    timeline["step_s"] = static_cast<double>(pc_timeline_step_) / 1e9;
    Json allocated_steps = Json::array();
    for (std::size_t i = 0; i < pc_timeline_area_.size(); ++i) {
      const SimTime from = from0 + static_cast<SimTime>(i) * pc_timeline_step_;
      const SimTime to = std::min(from + pc_timeline_step_, std::max(end_, from + 1));
      allocated_steps.push_back(static_cast<double>(pc_timeline_area_[i] / static_cast<long double>(to - from)));
    }
    timeline["allocated"] = std::move(allocated_steps);
  }
}

void Lambda::bill(CostLedger& ledger, const BillingPeriod& period) const {
  const PriceCatalog price(scenario_);
  const bool free_tier = scenario_.account.flag("free_tier") && !pc_enabled();
  const double requests = static_cast<double>(invocations_count_.value);
  if (edge_) {
    // Lambda@Edge: flat prices, 1 ms steps, no free tier (docs/model-assumptions.md §15.3).
    const double gb_s = on_demand_gb_s_ + provisioned_gb_s_;
    ledger.add(name(), "lambda@edge requests", requests, "requests", requests * price("lambda_edge.request"));
    if (gb_s > 0) ledger.add(name(), "lambda@edge duration", gb_s, "GB-s", gb_s * price("lambda_edge.duration"));
    return;
  }
  ledger.add(name(), "requests", requests, "requests", requests * price("lambda.request"));
  // Duration: tiers apply to the account's monthly volume per architecture; this
  // function pays its share of the tiered cost in proportion to its GB-s.
  std::vector<TierUsage> arch_usage;
  double free_requests_month = 0, free_gb_s_month = 0;  // the eligible functions' month
  for (const auto& u : account_.usage) {
    const double to_month = period.usage_to_month(u.name);
    if (u.arm == arm_) arch_usage.push_back({u.on_demand_gb_s, to_month});
    if (u.free_eligible) {
      free_requests_month += u.requests * to_month;
      free_gb_s_month += u.on_demand_gb_s * to_month;
    }
  }
  if (on_demand_gb_s_ > 0)
    ledger.add(name(), "duration", on_demand_gb_s_, "GB-s",
               shared_tiered_cost(on_demand_gb_s_, arch_usage, lambda_duration_tiers(price, arm_)));
  if (pc_enabled()) {
    const std::string arch = arm_ ? "arm64" : "x86_64";
    // Scaled: the allocated count integrated exactly over the window, from
    // when each configuration was applied (docs/model-assumptions.md §1.8).
    const double allocated =
        pc_scaling_ ? static_cast<double>(pc_allocated_gauge_.integral(end_) / 1e9L) * memory_gb_
                    : static_cast<double>(provisioned_) * memory_gb_ * period.measured_seconds();
    ledger.add(name(), "provisioned concurrency", allocated, "GB-s", allocated * price("lambda.provisioned." + arch),
               CostBasis::time);
    ledger.add(name(), "provisioned duration", provisioned_gb_s_, "GB-s",
               provisioned_gb_s_ * price("lambda.provisioned_duration." + arch));
  }
  if (free_tier) {
    // The monthly free tier, shared by the eligible functions in proportion to
    // their monthly use (valued at the first tier); this function's credit for
    // the window is its share of the allowance over its own month, scaled back.
    const double request_credit =
        free_requests_month > 0 ? std::min(requests, price("lambda.free_tier.requests") * requests / free_requests_month)
                                : 0.0;
    const double gb_s_credit =
        free_gb_s_month > 0 ? std::min(on_demand_gb_s_, price("lambda.free_tier.gb_s") * on_demand_gb_s_ / free_gb_s_month)
                            : 0.0;
    const std::string why = "the window's share of the monthly free tier (a credit)";
    if (request_credit > 0)
      ledger.add(name(), "free tier requests", -request_credit, "requests", -request_credit * price("lambda.request"),
                 CostBasis::usage, why);
    if (gb_s_credit > 0)
      ledger.add(name(), "free tier duration", -gb_s_credit, "GB-s", -gb_s_credit * lambda_duration_tiers(price, arm_)[0].usd,
                 CostBasis::usage, why);
  }
}

}  // namespace slsim::models::lambda_function
