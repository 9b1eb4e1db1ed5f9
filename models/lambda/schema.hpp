#pragma once
#include "sim/scenario/schema.hpp"

namespace slsim::models {
const Schema& lambda_schema();
const Schema& lambda_call_schema();
}
