#pragma once
// Account-wide Lambda state shared by every function of one simulation:
// the unreserved concurrency pool, the legacy account scaling bucket, and
// the usage totals that monthly price tiers and free tiers apply to.
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "sim/core/simulation.hpp"
#include "sim/core/time.hpp"
#include "sim/core/token_bucket.hpp"

namespace slsim {
struct Scenario;
}

namespace slsim::models {

enum class ScalingMode { per_function, legacy, none };

struct LambdaAccount final : SimulationExtension {
  bool configured = false;
  std::int64_t account_limit = 1000;
  ScalingMode scaling = ScalingMode::per_function;
  // On-demand capacity shared by functions without reserved concurrency:
  // the account limit minus every reservation and minus the provisioned
  // concurrency of unreserved functions (always allocated).
  std::int64_t unreserved_capacity = 0;
  std::int64_t unreserved_busy = 0;
  // What reservations must leave unreserved: provisioned concurrency that
  // scales out on an unreserved function stops there (docs/model-assumptions.md §1.8).
  std::int64_t unreserved_min = 100;
  TokenBucket legacy_burst;  // legacy scaling: one bucket for the whole account

  // Each function's usage over the measured window, filled by its finish():
  // monthly duration tiers (per architecture) and the free tier apply to the
  // account's month, which the BillingPeriod projects function by function.
  struct FunctionUsage {
    std::string name;
    bool arm = false;
    bool free_eligible = false;  // functions without provisioned concurrency
    double requests = 0;
    double on_demand_gb_s = 0;
  };
  std::vector<FunctionUsage> usage;

  // Reads the account block and every function's reservations (once).
  void configure(const Scenario& scenario);
};

// The initial burst of the legacy account-wide scaling model by region (docs/model-assumptions.md §1.2).
double legacy_burst_for_region(const std::string& region);

}  // namespace slsim::models
