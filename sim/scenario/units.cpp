#include "sim/scenario/units.hpp"

#include <array>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <utility>

#include <fmt/format.h>

namespace slsim {

std::optional<double> parse_plain_number(std::string_view text) {
  if (text.empty() || text.size() > 64) return std::nullopt;
  // strtod accepts things we don't want (hex, inf, nan, leading spaces): allow digits, sign, '.', e/E.
  for (const char c : text) {
    const bool ok = (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E';
    if (!ok) return std::nullopt;
  }
  const std::string copy(text);
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(copy.c_str(), &end);
  if (end != copy.c_str() + copy.size() || errno == ERANGE || !std::isfinite(v)) return std::nullopt;
  return v;
}

namespace {

// Splits "12.5ms" into ("12.5", "ms") at the first character that cannot be part of a number.
std::pair<std::string_view, std::string_view> split_unit(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    const bool numeric = (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '+';
    const bool exponent = (c == 'e' || c == 'E') && i + 1 < text.size() &&
                          ((text[i + 1] >= '0' && text[i + 1] <= '9') || text[i + 1] == '-' || text[i + 1] == '+');
    if (!numeric && !exponent) break;
    i += exponent ? 2 : 1;
  }
  return {text.substr(0, i), text.substr(i)};
}

struct Unit {
  std::string_view name;
  double factor;
};

constexpr std::array<Unit, 7> kDurationUnits{{{"ns", 1.0}, {"us", 1e3}, {"ms", 1e6}, {"s", 1e9},
                                              {"min", 60e9}, {"h", 3600e9}, {"d", 86400e9}}};
constexpr std::array<Unit, 4> kRateUnits{{{"s", 1.0}, {"min", 60.0}, {"h", 3600.0}, {"d", 86400.0}}};
constexpr std::array<Unit, 5> kSizeUnits{{{"B", 1.0}, {"KB", 1024.0}, {"MB", 1048576.0},
                                          {"GB", 1073741824.0}, {"TB", 1099511627776.0}}};

}  // namespace

ParsedNumber parse_duration(std::string_view text) {
  static const std::string expected = "a duration with a unit (ns, us, ms, s, min, h, d), e.g. 250ms";
  const auto [number, unit] = split_unit(text);
  const auto v = parse_plain_number(number);
  if (!v || unit.empty()) return {std::nullopt, expected};
  for (const auto& u : kDurationUnits)
    if (unit == u.name) {
      if (*v < 0) return {std::nullopt, "a non-negative duration"};
      return {*v * u.factor, {}};
    }
  return {std::nullopt, expected};
}

ParsedNumber parse_rate(std::string_view text) {
  static const std::string expected = "a rate like 50/s, 3000/min, 1e6/h or 1/d";
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) return {std::nullopt, expected};
  const auto v = parse_plain_number(text.substr(0, slash));
  const std::string_view unit = text.substr(slash + 1);
  if (!v) return {std::nullopt, expected};
  for (const auto& u : kRateUnits)
    if (unit == u.name) {
      if (*v < 0) return {std::nullopt, "a non-negative rate"};
      return {*v / u.factor, {}};
    }
  return {std::nullopt, expected};
}

ParsedNumber parse_size(std::string_view text) {
  static const std::string expected = "a size with a unit (B, KB, MB, GB, TB), e.g. 512MB";
  const auto [number, unit] = split_unit(text);
  const auto v = parse_plain_number(number);
  if (!v || unit.empty()) return {std::nullopt, expected};
  for (const auto& u : kSizeUnits)
    if (unit == u.name) {
      if (*v < 0) return {std::nullopt, "a non-negative size"};
      return {*v * u.factor, {}};
    }
  return {std::nullopt, expected};
}

std::string format_number(double v) {
  if (v == 0.0) return "0";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return fmt::format("{}", v);
}

std::string format_duration(double ns) {
  if (ns == 0.0) return "0s";
  // The largest unit that gives a value >= 1, preferring exact integers.
  for (auto it = kDurationUnits.rbegin(); it != kDurationUnits.rend(); ++it) {
    const double v = ns / it->factor;
    if (std::fabs(v) >= 1.0 && std::fabs(v - std::round(v)) < 1e-9 * std::fabs(v)) return format_number(std::round(v)) + std::string(it->name);
  }
  for (auto it = kDurationUnits.rbegin(); it != kDurationUnits.rend(); ++it) {
    const double v = ns / it->factor;
    if (std::fabs(v) >= 1.0) return format_number(v) + std::string(it->name);
  }
  return format_number(ns) + "ns";
}

std::string format_rate(double per_second) {
  if (per_second == 0.0 || per_second >= 1.0) return format_number(per_second) + "/s";
  if (per_second * 60 >= 1.0) return format_number(per_second * 60) + "/min";
  if (per_second * 3600 >= 1.0) return format_number(per_second * 3600) + "/h";
  return format_number(per_second * 86400) + "/d";
}

std::string format_size(double bytes, std::string_view unit) {
  for (const auto& u : kSizeUnits)
    if (unit == u.name) return format_number(bytes / u.factor) + std::string(u.name);
  for (auto it = kSizeUnits.rbegin(); it != kSizeUnits.rend(); ++it)
    if (bytes >= it->factor) return format_number(bytes / it->factor) + std::string(it->name);
  return format_number(bytes) + "B";
}

}  // namespace slsim
