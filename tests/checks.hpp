#pragma once
// Test helpers that assert (Catch2): shared by the test files that read
// results. support.hpp holds the ones that do not need Catch2.
#include <cmath>
#include <string>

#include <catch2/catch.hpp>

#include "sim/report/json.hpp"
#include "support.hpp"

namespace slsim::testing {

// A metric the result must have: the test fails, naming the path, if it is
// missing or not a number.
inline double required_metric(const Json& r, const std::string& path) {
  const double v = metric(r, path);
  INFO(path);
  REQUIRE_FALSE(std::isnan(v));
  return v;
}

// The cost line `item` of `service`, or nullptr when there is none.
inline const Json* cost_item(const Json& r, const std::string& service, const std::string& item) {
  const Json* items = r.find_path("cost.items");
  REQUIRE(items != nullptr);
  for (const Json& it : items->elements())
    if (it.find("service")->as_string() == service && it.find("item")->as_string() == item) return &it;
  return nullptr;
}

// A field ("quantity", "usd") of the cost line `item` of `service`; NaN when
// there is no such line.
inline double cost_field(const Json& r, const std::string& service, const std::string& item, const char* field) {
  const Json* line = cost_item(r, service, item);
  return line != nullptr ? line->find(field)->as_double() : std::nan("");
}

}  // namespace slsim::testing
