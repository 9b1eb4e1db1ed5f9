#pragma once
// The scenario's `account:` block: account-wide quotas that several services share.
#include "sim/scenario/schema.hpp"

namespace slsim::models {
const Schema& account_schema();
}
