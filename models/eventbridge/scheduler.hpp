#pragma once
// EventBridge Scheduler: a workload with `process: schedule` stands for a
// schedule whose firings AWS bills as Scheduler invocations (not as events
// put on a bus). They are priced here, for the whole account at once (the
// monthly free invocations are the account's), and each schedule is charged
// its share. Prices: docs/model-assumptions.md (EventBridge Scheduler).
#include <cstdint>
#include <vector>

namespace slsim {
class CostLedger;
class BillingPeriod;
struct Scenario;
}  // namespace slsim

namespace slsim::models {

// Fills ServiceRegistry::bill_workloads: one cost line per schedule workload,
// service "workload:NAME", item "scheduler invocations".
void bill_schedules(const Scenario& scenario, const std::vector<std::uint64_t>& measured_arrivals, CostLedger& ledger,
                    const BillingPeriod& period);

}  // namespace slsim::models
