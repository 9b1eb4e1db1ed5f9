#include "models/eventbridge/scheduler.hpp"

#include <limits>

#include "models/pricing/catalog.hpp"
#include "sim/report/cost.hpp"
#include "sim/scenario/scenario.hpp"

namespace slsim::models {

void bill_schedules(const Scenario& scenario, const std::vector<std::uint64_t>& measured_arrivals, CostLedger& ledger,
                    double measured_seconds) {
  std::vector<std::size_t> schedules;  // workload indexes
  double total = 0;
  for (std::size_t i = 0; i < scenario.workloads.size() && i < measured_arrivals.size(); ++i) {
    const Record& w = scenario.workloads[i].params;
    if (!w.has("arrival") || w.record("arrival").variant != "schedule") continue;
    schedules.push_back(i);
    total += static_cast<double>(measured_arrivals[i]);
  }
  if (schedules.empty()) return;
  const PriceCatalog prices(scenario);
  const double free = scenario.account.flag("free_tier") ? prices("scheduler.free_tier.invocations") : 0.0;
  const std::vector<Tier> tiers{{std::numeric_limits<double>::infinity(), prices("scheduler.invocation")}};
  const double usd = prorated_tiered_cost(total, measured_seconds, tiers, free);
  for (const std::size_t i : schedules) {
    const double mine = static_cast<double>(measured_arrivals[i]);
    ledger.add("workload:" + scenario.workloads[i].name, "scheduler invocations", mine, "invocations",
               total > 0 ? usd * (mine / total) : 0.0);
  }
}

}  // namespace slsim::models
