#include "models/eventbridge/scheduler.hpp"

#include <limits>

#include "models/pricing/catalog.hpp"
#include "sim/report/cost.hpp"
#include "sim/scenario/scenario.hpp"

namespace slsim::models {

void bill_schedules(const Scenario& scenario, const std::vector<std::uint64_t>& measured_arrivals, CostLedger& ledger,
                    const BillingPeriod& period) {
  // The free tier applies to the account's month of invocations, which each
  // schedule projects by its own firings (the BillingPeriod of "workload:NAME").
  std::vector<std::size_t> schedules;  // workload indexes
  std::vector<TierUsage> shared;
  for (std::size_t i = 0; i < scenario.workloads.size() && i < measured_arrivals.size(); ++i) {
    const Record& w = scenario.workloads[i].params;
    if (!w.has("arrival") || w.record("arrival").variant != "schedule") continue;
    schedules.push_back(i);
    shared.push_back({static_cast<double>(measured_arrivals[i]), period.usage_to_month("workload:" + scenario.workloads[i].name)});
  }
  if (schedules.empty()) return;
  const PriceCatalog prices(scenario);
  const double free = scenario.account.flag("free_tier") ? prices("scheduler.free_tier.invocations") : 0.0;
  const std::vector<Tier> tiers{{std::numeric_limits<double>::infinity(), prices("scheduler.invocation")}};
  for (const std::size_t i : schedules) {
    const double mine = static_cast<double>(measured_arrivals[i]);
    ledger.add("workload:" + scenario.workloads[i].name, "scheduler invocations", mine, "invocations",
               shared_tiered_cost(mine, shared, tiers, free));
  }
}

}  // namespace slsim::models
