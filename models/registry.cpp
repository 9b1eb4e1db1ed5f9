// The one place that lists the service types: one line per type.
#include "models/account.hpp"
#include "models/apigateway/apigateway.hpp"
#include "models/external/external.hpp"
#include "models/lambda/lambda.hpp"
#include "models/pricing/catalog.hpp"
#include "sim/scenario/registry.hpp"

namespace slsim {

const ServiceRegistry& builtin_services() {
  static const ServiceRegistry registry = [] {
    ServiceRegistry r;
    r.account = &models::account_schema();
    r.price_items = models::price_item_names();
    r.regions = models::priced_regions();
    r.types.push_back(models::external_type());
    r.types.push_back(models::apigateway_type());
    r.types.push_back(models::lambda_type());
    return r;
  }();
  return registry;
}

}  // namespace slsim
