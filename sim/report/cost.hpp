#pragma once
// The cost ledger: services report billable quantities as line items; the
// result shows them per service, per item, in total and projected to 30 days.
#include <string>
#include <vector>

#include "sim/report/json.hpp"

namespace slsim {

struct CostItem {
  std::string service;
  std::string item;      // e.g. "requests", "duration"
  double quantity = 0;   // in `unit`
  std::string unit;      // e.g. "requests", "GB-s"
  double usd = 0;
};

class CostLedger {
 public:
  void add(std::string service, std::string item, double quantity, std::string unit, double usd) {
    items_.push_back({std::move(service), std::move(item), quantity, std::move(unit), usd});
  }
  const std::vector<CostItem>& items() const { return items_; }
  double total_usd() const;
  // {total_usd, monthly_usd, by_service, items}; monthly projects the measured seconds to 30 days.
  Json to_json(double measured_seconds) const;

 private:
  std::vector<CostItem> items_;
};

}  // namespace slsim
