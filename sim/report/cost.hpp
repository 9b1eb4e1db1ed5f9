#pragma once
// The cost ledger: services report billable quantities as line items; the
// result shows them per service, per item, in total and projected to 30 days.
//
// A run measures a window (often an hour) while prices have monthly tiers and
// free allowances, and users ask what a month costs. The BillingPeriod says
// how the window relates to a month: time-based charges (shard-hours,
// provisioned capacity, storage) scale with time; usage-based ones (requests,
// GB-seconds, messages) scale with how often the window's work happens in 30
// days, which the workloads decide (steady traffic: 30 days / window; a
// nightly job: its firings in 30 days over its firings in the run).
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sim/report/json.hpp"

namespace slsim {

inline constexpr double kSecondsPer30Days = 30.0 * 86400.0;

// What a line item scales with when projected to a month.
enum class CostBasis : std::uint8_t {
  usage,  // requests, GB-seconds, messages, bytes: as often as the work happens
  time,   // capacity billed by the hour or month, used or not
};

class BillingPeriod {
 public:
  // `measured_seconds` > 0. Services without a factor of their own use `fallback_usage_to_month`.
  BillingPeriod(double measured_seconds, double fallback_usage_to_month)
      : measured_seconds_(measured_seconds), fallback_(fallback_usage_to_month) {}

  double measured_seconds() const { return measured_seconds_; }
  // 30 days / the measured window.
  double time_to_month() const { return kSecondsPer30Days / measured_seconds_; }
  // A month's usage of this service over its usage in the window (> 0): what
  // monthly tiers and free allowances apply to.
  double usage_to_month(std::string_view service) const;
  // The window's share of a monthly allowance for this service's usage.
  double month_share(std::string_view service) const { return 1.0 / usage_to_month(service); }

  void set_usage_to_month(std::string service, double factor) { factors_.emplace_back(std::move(service), factor); }

 private:
  double measured_seconds_;
  double fallback_;
  std::vector<std::pair<std::string, double>> factors_;
};

struct CostItem {
  std::string service;
  std::string item;      // e.g. "requests", "duration"
  double quantity = 0;   // in `unit`
  std::string unit;      // e.g. "requests", "GB-s"
  double usd = 0;
  CostBasis basis = CostBasis::usage;
  std::string note;      // why a quantity is negative or fractional (a credit, a prorated allowance)
};

// How the 30-day figure was made, for the result and the table's one line.
struct CostProjection {
  std::string basis;  // steady | per_firing | mixed | none
  std::string note;   // one line, for people
  bool available = true;
};

class CostLedger {
 public:
  void add(std::string service, std::string item, double quantity, std::string unit, double usd,
           CostBasis basis = CostBasis::usage, std::string note = {}) {
    items_.push_back({std::move(service), std::move(item), quantity, std::move(unit), usd, basis, std::move(note)});
  }
  const std::vector<CostItem>& items() const { return items_; }
  double total_usd() const;
  // The 30-day cost: usage items scaled by their service's usage factor, time items by 30 days / window.
  double monthly_usd(const BillingPeriod& period) const;
  // {total_usd, monthly_usd (null when the projection is not available), projection{basis, note},
  //  by_service, items[{service, item, quantity, unit, usd, basis[, note]}]}
  Json to_json(const BillingPeriod& period, const CostProjection& projection) const;

 private:
  std::vector<CostItem> items_;
};

}  // namespace slsim
