#pragma once
// A service is a component that answers calls (kCallEvent) and reports
// metrics and billable quantities. Models in models/ derive from it.
#include <string>
#include <string_view>
#include <utility>

#include "sim/core/component.hpp"
#include "sim/report/cost.hpp"
#include "sim/report/json.hpp"

namespace slsim {

class Service : public Component {
 public:
  Service(std::string name, std::string type) : Component(std::move(name)), type_(std::move(type)) {}
  const std::string& type() const { return type_; }

  // Per-type metrics for the result's services.NAME object (after finish).
  // `out` already holds {"type": ...}; times in ms, counts as integers.
  virtual void report(Json& out, double measured_seconds) const = 0;
  // Billable quantities of the measured period, priced, into the ledger.
  virtual void bill(CostLedger& /*ledger*/, double /*measured_seconds*/) const {}

 private:
  std::string type_;
};

}  // namespace slsim
