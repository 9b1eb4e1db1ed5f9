#include "models/account.hpp"

namespace slsim::models {

namespace {
ParamSpec spec(std::string name, ParamType type, std::string def, std::string help) {
  ParamSpec p;
  p.name = std::move(name);
  p.type = type;
  p.default_text = std::move(def);
  p.help = std::move(help);
  return p;
}
}  // namespace

// Defaults: docs/model-assumptions.md §1.1, §1.2, §4 and §16.2.
const Schema& account_schema() {
  static const Schema s = [] {
    ParamSpec concurrency = spec("lambda_concurrency", ParamType::integer, "1000",
                                 "Lambda concurrent executions quota of the account (soft limit, default 1000)");
    concurrency.min = 1;
    concurrency.max = 1e6;
    ParamSpec unreserved = spec("unreserved_min", ParamType::integer, "100",
                                "concurrency that reservations must leave unreserved (AWS keeps 100)");
    unreserved.min = 0;
    unreserved.max = 1e6;
    ParamSpec scaling = spec("lambda_scaling", ParamType::choice, "per_function",
                             "per_function: 1000 new environments per 10 s per function (since Nov 2023); "
                             "legacy: one account burst (3000 in us-east-1) then +500/min; none: no limit");
    scaling.choices = {"per_function", "legacy", "none"};
    ParamSpec api_rate = spec("api_rate", ParamType::rate, "10000/s", "API Gateway account throttle rate");
    api_rate.unit = "/s";
    api_rate.min = 0;
    api_rate.max = 1e9;  // the token bucket's range
    ParamSpec api_burst = spec("api_burst", ParamType::integer, "5000", "API Gateway account burst (bucket size)");
    api_burst.min = 0;
    api_burst.max = 1e9;
    // Cognito's request-rate quotas per account and Region (docs/model-assumptions.md §16.2).
    const auto cognito_rate = [](std::string name, std::string def, std::string help) {
      ParamSpec p = spec(std::move(name), ParamType::rate, std::move(def), std::move(help));
      p.unit = "/s";
      p.min = 0;
      p.max = 1e9;
      return p;
    };
    ParamSpec cognito_auth = cognito_rate("cognito_auth_rate", "120/s",
                                          "Cognito UserAuthentication quota (sign_in and refresh of every user pool)");
    ParamSpec cognito_signup = cognito_rate("cognito_signup_rate", "50/s", "Cognito UserCreation quota (sign_up)");
    ParamSpec cognito_read = cognito_rate("cognito_read_rate", "120/s", "Cognito UserRead quota (get_user)");
    ParamSpec free_tier = spec("free_tier", ParamType::boolean, "false", "subtract the monthly free tiers from the cost");
    return Schema{"account", "Account-wide quotas and settings.",
                  {concurrency, unreserved, scaling, api_rate, api_burst, cognito_auth, cognito_signup, cognito_read, free_tier}};
  }();
  return s;
}

}  // namespace slsim::models
