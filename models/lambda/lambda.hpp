#pragma once
// `lambda`: an AWS Lambda function with its concurrency pools (account,
// reserved, provisioned), per-function scaling rate, execution environment
// lifecycle (cold starts, keep-alive, warm selection), timeouts, errors,
// synchronous downstream calls, and cost (requests, GB-s with monthly tiers,
// provisioned concurrency, free tier).
#include "sim/scenario/registry.hpp"

namespace slsim::models {
ServiceType lambda_type();
}
