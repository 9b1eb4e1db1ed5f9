#include "sim/scenario/units.hpp"

#include <array>
#include <cerrno>
#include <cctype>
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

bool number_overflows(std::string_view text) {
  if (text.empty() || text.size() > 64) return false;
  for (const char c : text) {
    const bool ok = (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E';
    if (!ok) return false;
  }
  const std::string copy(text);
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(copy.c_str(), &end);
  return end == copy.c_str() + copy.size() && errno == ERANGE && std::isinf(v);
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

namespace {

// A number with one of `units`: the number in base units, or why not.
template <std::size_t N>
ParsedNumber parse_with_unit(std::string_view number, std::string_view unit, const std::array<Unit, N>& units,
                             const std::string& expected, const char* non_negative, bool divide) {
  for (const auto& u : units) {
    if (unit != u.name) continue;
    if (number_overflows(number)) return {std::nullopt, expected, true};
    const auto v = parse_plain_number(number);
    if (!v) return {std::nullopt, expected};
    if (*v < 0) return {std::nullopt, non_negative};
    const double base = divide ? *v / u.factor : *v * u.factor;
    if (!std::isfinite(base)) return {std::nullopt, expected, true};
    return {base, {}};
  }
  return {std::nullopt, expected};
}

}  // namespace

ParsedNumber parse_duration(std::string_view text) {
  static const std::string expected = "a duration with a unit (ns, us, ms, s, min, h, d), e.g. 250ms";
  const auto [number, unit] = split_unit(text);
  return parse_with_unit(number, unit, kDurationUnits, expected, "a non-negative duration", false);
}

ParsedNumber parse_rate(std::string_view text) {
  static const std::string expected = "a rate like 50/s, 3000/min, 1e6/h or 1/d";
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) return {std::nullopt, expected};
  return parse_with_unit(text.substr(0, slash), text.substr(slash + 1), kRateUnits, expected, "a non-negative rate",
                         true);
}

ParsedNumber parse_size(std::string_view text) {
  static const std::string expected = "a size with a unit (B, KB, MB, GB, TB), e.g. 512MB";
  const auto [number, unit] = split_unit(text);
  return parse_with_unit(number, unit, kSizeUnits, expected, "a non-negative size", false);
}

// --- suggestions for unit mistakes --------------------------------------------

namespace {

struct Spelling {
  std::string_view written;    // lower case
  std::string_view canonical;  // the slsim unit
};

// Ways people write the units, lower-cased; "m" alone is read as minutes for a
// duration and as MB for a size.
constexpr Spelling kDurationSpellings[] = {
    {"ns", "ns"}, {"nsec", "ns"}, {"nanosecond", "ns"}, {"nanoseconds", "ns"},
    {"us", "us"}, {"usec", "us"}, {"micros", "us"}, {"µs", "us"}, {"μs", "us"}, {"microsecond", "us"}, {"microseconds", "us"},
    {"ms", "ms"}, {"msec", "ms"}, {"msecs", "ms"}, {"millis", "ms"}, {"millisecond", "ms"}, {"milliseconds", "ms"},
    {"s", "s"}, {"sec", "s"}, {"secs", "s"}, {"second", "s"}, {"seconds", "s"},
    {"m", "min"}, {"min", "min"}, {"mins", "min"}, {"minute", "min"}, {"minutes", "min"},
    {"h", "h"}, {"hr", "h"}, {"hrs", "h"}, {"hour", "h"}, {"hours", "h"},
    {"d", "d"}, {"day", "d"}, {"days", "d"}};
constexpr Spelling kSizeSpellings[] = {
    {"b", "B"}, {"byte", "B"}, {"bytes", "B"},
    {"k", "KB"}, {"kb", "KB"}, {"kib", "KB"}, {"kilobyte", "KB"}, {"kilobytes", "KB"},
    {"m", "MB"}, {"mb", "MB"}, {"mib", "MB"}, {"megabyte", "MB"}, {"megabytes", "MB"},
    {"g", "GB"}, {"gb", "GB"}, {"gib", "GB"}, {"gigabyte", "GB"}, {"gigabytes", "GB"},
    {"t", "TB"}, {"tb", "TB"}, {"tib", "TB"}, {"terabyte", "TB"}, {"terabytes", "TB"}};
// Per what: the rate units slsim knows.
constexpr Spelling kRateUnitOf[] = {{"s", "s"}, {"min", "min"}, {"h", "h"}, {"d", "d"}};

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

template <std::size_t N>
std::string_view canonical_unit(std::string_view written, const Spelling (&table)[N]) {
  const std::string w = lower(trim(written));
  for (const auto& sp : table)
    if (w == sp.written) return sp.canonical;
  return {};
}

// "10 sec" -> ("10", "sec") when the text starts with a plain number.
std::optional<std::pair<std::string_view, std::string_view>> number_and_rest(std::string_view text) {
  text = trim(text);
  const auto [number, rest] = split_unit(text);
  if (!parse_plain_number(number) || number.empty()) return std::nullopt;
  return std::pair{number, trim(rest)};
}

}  // namespace

// "12h15min", "1h 30m": two or more number-unit pairs, as one duration in one unit.
std::string suggest_compound_duration(std::string_view text) {
  text = trim(text);
  double total = 0;
  int pairs = 0;
  while (!text.empty()) {
    std::size_t i = 0;
    while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) != 0 || text[i] == '.')) ++i;
    std::size_t j = i;
    while (j < text.size() && std::isalpha(static_cast<unsigned char>(text[j])) != 0) ++j;
    const auto number = parse_plain_number(text.substr(0, i));
    const std::string_view unit = canonical_unit(text.substr(i, j - i), kDurationSpellings);
    if (i == 0 || j == i || !number || unit.empty()) return {};
    for (const auto& u : kDurationUnits)
      if (u.name == unit) total += *number * u.factor;
    ++pairs;
    text = trim(text.substr(j));
  }
  return pairs >= 2 ? format_duration(total) : std::string{};
}

std::string suggest_duration(std::string_view text) {
  const auto parts = number_and_rest(text);
  if (parts && !parts->second.empty() && canonical_unit(parts->second, kDurationSpellings).empty())
    return suggest_compound_duration(text);
  if (!parts || parts->second.empty()) return {};
  const std::string_view unit = canonical_unit(parts->second, kDurationSpellings);
  if (unit.empty()) return {};
  std::string fixed = std::string(parts->first) + std::string(unit);
  return fixed == text ? std::string{} : fixed;
}

std::string suggest_size(std::string_view text) {
  const auto parts = number_and_rest(text);
  if (!parts || parts->second.empty()) return {};
  const std::string_view unit = canonical_unit(parts->second, kSizeSpellings);
  if (unit.empty()) return {};
  std::string fixed = std::string(parts->first) + std::string(unit);
  return fixed == text ? std::string{} : fixed;
}

std::string suggest_rate(std::string_view text) {
  const auto parts = number_and_rest(text);
  if (!parts || parts->second.empty()) return {};
  std::string rest = lower(parts->second);
  // "50 requests per second", "50 req/s", "50/sec", "50 per minute", "50 rps".
  for (const std::string_view noun : {"requests", "request", "reqs", "req", "calls", "events", "messages", "msgs"})
    if (rest.rfind(noun, 0) == 0) {
      rest = std::string(trim(std::string_view(rest).substr(noun.size())));
      break;
    }
  std::string_view per;
  if (rest == "rps") per = "s";
  else if (rest == "rpm") per = "min";
  else if (rest == "rph") per = "h";
  else if (!rest.empty() && rest.front() == '/') per = canonical_unit(std::string_view(rest).substr(1), kDurationSpellings);
  else if (rest.rfind("per ", 0) == 0) per = canonical_unit(std::string_view(rest).substr(4), kDurationSpellings);
  if (per.empty() || canonical_unit(per, kRateUnitOf).empty()) return {};
  std::string fixed = std::string(parts->first) + "/" + std::string(per);
  return fixed == text ? std::string{} : fixed;
}

std::string suggest_probability(std::string_view text) {
  text = trim(text);
  if (text.empty() || text.back() != '%') return {};
  const auto v = parse_plain_number(trim(text.substr(0, text.size() - 1)));
  if (!v || *v < 0 || *v > 100) return {};
  return format_number(*v / 100.0);
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
