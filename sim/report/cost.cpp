#include "sim/report/cost.hpp"

namespace slsim {

double BillingPeriod::usage_to_month(std::string_view service) const {
  for (const auto& [name, factor] : factors_)
    if (name == service) return factor;
  return fallback_;
}

double CostLedger::total_usd() const {
  double total = 0;
  for (const auto& i : items_) total += i.usd;
  return total;
}

double CostLedger::monthly_usd(const BillingPeriod& period) const {
  double total = 0;
  for (const auto& i : items_)
    total += i.usd * (i.basis == CostBasis::time ? period.time_to_month() : period.usage_to_month(i.service));
  return total;
}

Json CostLedger::to_json(const BillingPeriod& period, const CostProjection& projection) const {
  Json out = Json::object();
  out["total_usd"] = total_usd();
  out["monthly_usd"] = projection.available ? Json(monthly_usd(period)) : Json(nullptr);
  Json& p = out["projection"];
  p["basis"] = projection.basis;
  p["note"] = projection.note;
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
    item["basis"] = i.basis == CostBasis::time ? "time" : "usage";
    if (!i.note.empty()) item["note"] = i.note;
    list.push_back(std::move(item));
  }
  out["items"] = std::move(list);
  return out;
}

}  // namespace slsim
