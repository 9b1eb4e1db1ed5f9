#include "models/lambda/lambda_account.hpp"

#include "models/lambda/schema.hpp"
#include "sim/scenario/scenario.hpp"

namespace slsim::models {

double legacy_burst_for_region(const std::string& region) {
  if (region == "us-east-1" || region == "us-west-2" || region == "eu-west-1") return 3000;
  if (region == "ap-northeast-1" || region == "eu-central-1" || region == "us-east-2") return 1000;
  return 500;
}

void LambdaAccount::configure(const Scenario& scenario) {
  if (configured) return;
  configured = true;
  account_limit = scenario.account.integer("lambda_concurrency");
  const std::string& mode = scenario.account.text("lambda_scaling");
  scaling = mode == "legacy" ? ScalingMode::legacy : mode == "none" ? ScalingMode::none : ScalingMode::per_function;
  std::int64_t carved = 0;
  for (const auto& s : scenario.services) {
    if (s.type == nullptr || s.type->name != "lambda") continue;
    if (s.params.has("reserved_concurrency")) carved += s.params.integer("reserved_concurrency");
    else carved += initial_provisioned(s.params);
  }
  unreserved_min = scenario.account.integer("unreserved_min");
  unreserved_capacity = account_limit - carved;
  // The burst can never exceed the account's concurrency (docs/model-assumptions.md §1.2); refilled at 500 per minute.
  legacy_burst = TokenBucket(500.0 / 60.0, static_cast<std::int64_t>(std::min<double>(
                                                 legacy_burst_for_region(scenario.region), static_cast<double>(account_limit))));
}

}  // namespace slsim::models
