#pragma once
// `apigateway`: an API Gateway stage (REST or HTTP API) in front of one
// integration or a set of routes. A request takes a token from the stage's
// bucket and from the account's bucket (shared by every API of the
// simulation) or is rejected with 429; otherwise it pays the overhead latency
// and is forwarded; a backend slower than the integration timeout gets the
// client a 504 while it keeps running. See models/apigateway/README.md.
#include "sim/scenario/registry.hpp"

namespace slsim::models {
ServiceType apigateway_type();
}
