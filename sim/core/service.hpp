#pragma once
// A service is a component that answers calls (kCallEvent) and reports
// metrics and billable quantities. Models in models/ derive from it.
#include <string>
#include <string_view>
#include <utility>

#include "sim/core/component.hpp"
#include "sim/report/cost.hpp"
#include "sim/report/json.hpp"
#include "sim/report/time_series.hpp"

namespace slsim {

class Service : public Component {
 public:
  Service(std::string name, std::string type) : Component(std::move(name)), type_(std::move(type)) {}
  const std::string& type() const { return type_; }

  // Per-type metrics for the result's services.NAME object (after finish).
  // `out` already holds {"type": ...}; times in ms, counts as integers.
  virtual void report(Json& out, double measured_seconds) const = 0;
  // Billable quantities of the measured window, priced, into the ledger.
  // Monthly tiers and allowances apply to a month's usage (see BillingPeriod).
  virtual void bill(CostLedger& /*ledger*/, const BillingPeriod& /*period*/) const {}
  // Figures for a time series (`run --csv`), at each interval boundary: the
  // same metrics in the same order every time (see TimeSeriesRow). Reading
  // state only: sampling must not change the run.
  virtual void sample(TimeSeriesRow& /*row*/) {}

 private:
  std::string type_;
};

}  // namespace slsim
