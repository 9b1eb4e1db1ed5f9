#pragma once
// The number formats of the human tables (the run's table, a sweep's table),
// so that the same figure reads the same everywhere.
#include <string>

namespace slsim {

// "12,345" with thousands separators.
std::string group_thousands(const std::string& digits);
// Fixed notation (never an exponent) with `significant` digits, thousands grouped.
std::string fixed_significant(double v, int significant);
// Whole numbers grouped; others with 4 significant digits, one decimal from 100 up; "-" when not finite.
std::string number_text(double v);
// Dollars: cents from $1 up, 4 significant digits below.
std::string usd_text(double v);
// A 95% half-width: two significant digits.
std::string ci_text(double h, bool money);

}  // namespace slsim
