// The one place that lists the service types: one line per type.
#include "models/account.hpp"
#include "models/external/external.hpp"
#include "sim/scenario/registry.hpp"

namespace slsim {

const ServiceRegistry& builtin_services() {
  static const ServiceRegistry registry = [] {
    ServiceRegistry r;
    r.account = &models::account_schema();
    r.types.push_back(models::external_type());
    return r;
  }();
  return registry;
}

}  // namespace slsim
