#pragma once
// Account-wide Lambda state shared by every function of one simulation:
// the unreserved concurrency pool, the legacy account scaling bucket, and
// the usage totals that monthly price tiers and free tiers apply to.
#include <algorithm>
#include <cstdint>
#include <string>

#include "sim/core/simulation.hpp"
#include "sim/core/time.hpp"

namespace slsim {
struct Scenario;
}

namespace slsim::models {

// A token bucket refilled continuously: `rate` tokens per second up to
// `capacity`. Refill is computed from the time elapsed since the last use.
class TokenBucket {
 public:
  TokenBucket() = default;
  TokenBucket(double capacity, double per_second) : capacity_(capacity), per_ns_(per_second / 1e9), tokens_(capacity) {}
  bool try_take(SimTime now) {
    refill(now);
    if (tokens_ < 1.0) return false;
    tokens_ -= 1.0;
    return true;
  }
  double tokens(SimTime now) {
    refill(now);
    return tokens_;
  }

 private:
  void refill(SimTime now) {
    if (now > last_) {
      tokens_ = std::min(capacity_, tokens_ + per_ns_ * static_cast<double>(now - last_));
      last_ = now;
    }
  }
  double capacity_ = 0;
  double per_ns_ = 0;
  double tokens_ = 0;
  SimTime last_ = 0;
};

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
  TokenBucket legacy_burst;  // legacy scaling: one bucket for the whole account

  // Usage totals over the measured period, filled by each function's finish().
  double free_eligible_requests = 0;  // functions without provisioned concurrency
  double free_eligible_gb_s = 0;
  double on_demand_gb_s_x86 = 0;
  double on_demand_gb_s_arm = 0;

  // Reads the account block and every function's reservations (once).
  void configure(const Scenario& scenario);
};

// The initial burst of the legacy account-wide scaling model by region (aws-facts §1.2).
double legacy_burst_for_region(const std::string& region);

}  // namespace slsim::models
