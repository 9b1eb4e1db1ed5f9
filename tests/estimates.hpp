#pragma once
// Test helpers that read an analytic estimate (slsim analyze).
#include <cmath>
#include <string>

#include "sim/analysis/analytic.hpp"

namespace slsim::testing {

// The estimate of services.SERVICE.PATH as the result JSON would hold it
// (counts over the measured window, levels as they are); NaN when absent.
inline double estimate(const AnalyticResult& r, const std::string& service, const std::string& path) {
  for (const auto& s : r.services)
    if (s.name == service)
      for (const AnalyticFigure& f : s.estimate.figures)
        if (f.path == path) return f.count ? f.value * r.seconds : f.value;
  return std::nan("");
}

// The estimated cost (USD) of the line `item` of `service`; NaN when absent.
inline double estimated_cost(const AnalyticResult& r, const std::string& service, const std::string& item) {
  for (const auto& s : r.services)
    if (s.name == service)
      for (const auto& c : s.estimate.costs)
        if (c.item == item) return c.usd;
  return std::nan("");
}

}  // namespace slsim::testing
