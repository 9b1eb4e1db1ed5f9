#include "models/pricing/catalog.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include <fmt/format.h>

#include "sim/scenario/scenario.hpp"

namespace slsim::models {

namespace {

// us-east-1, from shared/reference/aws-facts.md (section numbers in the notes).
const std::vector<PriceEntry>& us_east_1() {
  static const std::vector<PriceEntry> prices = {
      {"lambda.request", 2.0e-7, "request", "§1.5: $0.20 per 1M requests"},
      {"lambda.duration.x86_64.tier1", 0.0000166667, "GB-s", "§1.5: first 6B GB-s per month"},
      {"lambda.duration.x86_64.tier2", 0.000015, "GB-s", "§1.5: next 9B GB-s"},
      {"lambda.duration.x86_64.tier3", 0.0000133334, "GB-s", "§1.5: over 15B GB-s"},
      {"lambda.duration.arm64.tier1", 0.0000133334, "GB-s", "§1.5: first 7.5B GB-s per month"},
      {"lambda.duration.arm64.tier2", 0.0000120001, "GB-s", "§1.5: next 11.25B GB-s"},
      {"lambda.duration.arm64.tier3", 0.0000106667, "GB-s", "§1.5: over 18.75B GB-s (UNCONFIRMED)"},
      {"lambda.provisioned.x86_64", 0.0000041667, "GB-s", "§1.5: provisioned concurrency, per GB-s enabled"},
      {"lambda.provisioned_duration.x86_64", 0.0000097222, "GB-s", "§1.5: duration on provisioned environments"},
      {"lambda.provisioned.arm64", 0.0000033334, "GB-s", "§1.5: (UNCONFIRMED)"},
      {"lambda.provisioned_duration.arm64", 0.0000077778, "GB-s", "§1.5: (UNCONFIRMED)"},
      {"lambda.free_tier.requests", 1.0e6, "requests/month", "§1.5: free tier, does not expire"},
      {"lambda.free_tier.gb_s", 400000, "GB-s/month", "§1.5: free tier, shared by x86_64 and arm64"},
      {"apigateway.rest.request.tier1", 3.5e-6, "request", "§4: first 333M per month"},
      {"apigateway.rest.request.tier2", 2.8e-6, "request", "§4: next 667M"},
      {"apigateway.rest.request.tier3", 2.38e-6, "request", "§4: next 19B (UNCONFIRMED)"},
      {"apigateway.rest.request.tier4", 1.51e-6, "request", "§4: over 20B (UNCONFIRMED)"},
      {"apigateway.http.request.tier1", 1.0e-6, "request", "§4: first 300M per month"},
      {"apigateway.http.request.tier2", 0.9e-6, "request", "§4: over 300M"},
      {"apigateway.free_tier.requests", 1.0e6, "requests/month", "§4: first 12 months only"},
  };
  return prices;
}

}  // namespace

std::vector<std::string> priced_regions() { return {"us-east-1"}; }

const std::vector<PriceEntry>& region_prices(std::string_view region) {
  if (region == "us-east-1") return us_east_1();
  throw std::logic_error(fmt::format("no price catalog for region '{}'", region));
}

std::vector<std::string> price_item_names() {
  std::vector<std::string> out;
  for (const auto& e : us_east_1()) out.push_back(e.key);
  return out;
}

PriceCatalog::PriceCatalog(const Scenario& scenario) {
  for (const auto& e : region_prices(scenario.region)) prices_.emplace_back(e.key, e.usd);
  for (const auto& [key, usd] : scenario.pricing)
    for (auto& [k, v] : prices_)
      if (k == key) v = usd;
}

double PriceCatalog::operator()(std::string_view key) const {
  for (const auto& [k, v] : prices_)
    if (k == key) return v;
  throw std::logic_error(fmt::format("unknown price item '{}'", key));
}

double tiered_monthly_cost(double monthly_volume, const std::vector<Tier>& tiers) {
  double cost = 0, below = 0;
  for (const Tier& t : tiers) {
    if (monthly_volume <= below) break;
    const double in_tier = std::min(monthly_volume, t.upto) - below;
    cost += in_tier * t.usd;
    below = t.upto;
  }
  return cost;
}

double prorated_tiered_cost(double quantity, double measured_seconds, const std::vector<Tier>& tiers,
                            double free_per_month) {
  if (measured_seconds <= 0 || quantity <= 0) return 0;
  const double scale = kMonthSeconds / measured_seconds;
  const double monthly = std::max(0.0, quantity * scale - free_per_month);
  return tiered_monthly_cost(monthly, tiers) / scale;
}

}  // namespace slsim::models
