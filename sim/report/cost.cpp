#include "sim/report/cost.hpp"

namespace slsim {

double CostLedger::total_usd() const {
  double total = 0;
  for (const auto& i : items_) total += i.usd;
  return total;
}

Json CostLedger::to_json(double measured_seconds) const {
  constexpr double kMonthSeconds = 30.0 * 86400.0;
  Json out = Json::object();
  const double total = total_usd();
  out["total_usd"] = total;
  out["monthly_usd"] = measured_seconds > 0 ? total * kMonthSeconds / measured_seconds : 0.0;
  Json by_service = Json::object();
  for (const auto& i : items_) {
    Json& s = by_service[i.service];
    s = Json(s.is_null() ? i.usd : s.as_double() + i.usd);
  }
  out["by_service"] = std::move(by_service);
  Json list = Json::array();
  for (const auto& i : items_) {
    Json item = Json::object();
    item["service"] = i.service;
    item["item"] = i.item;
    item["quantity"] = i.quantity;
    item["unit"] = i.unit;
    item["usd"] = i.usd;
    list.push_back(std::move(item));
  }
  out["items"] = std::move(list);
  return out;
}

}  // namespace slsim
