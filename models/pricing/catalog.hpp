#pragma once
// The price catalog: USD prices per region as data, overridable by the
// scenario's `pricing:` block, plus the arithmetic every model shares
// (monthly tiers, proration of monthly allowances to the measured period).
//
// Tiers and free tiers are monthly. A run measures a shorter window, so each
// billed quantity is projected to 30 days by the BillingPeriod (as often as
// the window's work happens in a month), priced through the tiers after the
// monthly free allowance, and scaled back to the window.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace slsim {
struct Scenario;
}

namespace slsim::models {

struct PriceEntry {
  std::string key;   // "lambda.request", "lambda.duration.x86_64.tier1", ...
  double usd = 0;    // per `unit`
  std::string unit;  // "request", "GB-s", ...
  std::string note;  // source, and "UNCONFIRMED" where the reference could not confirm it
};

// Every catalog key (for validating `pricing:` overrides).
std::vector<std::string> price_item_names();
// Regions that have a catalog.
std::vector<std::string> priced_regions();
const std::vector<PriceEntry>& region_prices(std::string_view region);

class PriceCatalog {
 public:
  // The scenario's region catalog with its `pricing:` overrides applied.
  explicit PriceCatalog(const Scenario& scenario);
  // Throws std::logic_error for an unknown key (a model bug: keys are fixed).
  double operator()(std::string_view key) const;

 private:
  std::vector<std::pair<std::string, double>> prices_;
};

// One pricing tier: `upto` units per month (cumulative upper bound) at `usd` each.
struct Tier {
  double upto;
  double usd;
};
// USD for `monthly_volume` units through cumulative tiers (the last tier's `upto` may be infinite).
double tiered_monthly_cost(double monthly_volume, const std::vector<Tier>& tiers);

inline constexpr double kMonthSeconds = 30.0 * 86400.0;

// Window quantity of one service and its usage_to_month factor (BillingPeriod).
struct TierUsage {
  double quantity = 0;
  double to_month = 1;
};

// One service's cost for the measured window when monthly tiers and a monthly
// free allowance apply to a volume shared by several services (an account's
// API requests, queue requests, Lambda GB-s): `shared` lists every service
// that shares the tiers, this one included. The month's volume is the sum of
// each quantity times its factor; it is priced through the tiers after the
// free allowance, and this service pays the window's part in proportion to
// its quantity: monthly cost x mine / monthly volume.
double shared_tiered_cost(double mine, const std::vector<TierUsage>& shared, const std::vector<Tier>& tiers,
                          double free_per_month = 0);

}  // namespace slsim::models
