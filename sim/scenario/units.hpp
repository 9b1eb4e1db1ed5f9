#pragma once
// Strict parsing of the scenario's values: durations, rates, sizes, plain
// numbers. Each parser returns the value in a base unit (ns, per second,
// bytes) or an explanation of what was expected.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "sim/core/time.hpp"

namespace slsim {

struct ParsedNumber {
  std::optional<double> value;
  std::string expected;   // set when value is empty: what the text should look like
  bool overflow = false;  // the text is well formed but its number is too large for a double
};

// A plain number (decimal or exponent form) that uses the whole text.
std::optional<double> parse_plain_number(std::string_view text);
// True when `text` is written as a plain number whose magnitude no double
// holds (e.g. 1e400): "too large" rather than "not a number".
bool number_overflows(std::string_view text);

// "250us", "12ms", "1.5s", "10min", "2h", "1d", "3ns" -> nanoseconds (as double, exact up to 2^53).
ParsedNumber parse_duration(std::string_view text);
// "50/s", "3000/min", "1e6/h", "1/d" -> per second.
ParsedNumber parse_rate(std::string_view text);
// "512MB", "1KB", "10GB", "0.5GB", "100B", "1TB" -> bytes (binary multiples).
ParsedNumber parse_size(std::string_view text);

// The value as it was probably meant, for a "did you mean ...?" hint when it
// failed to parse: "10 sec" -> "10s", "5 minutes" -> "5min", "128 MB" and
// "128MiB" -> "128MB", "50 per second" and "50/sec" -> "50/s", "20%" ->
// "0.2"; "" when nothing fits.
std::string suggest_duration(std::string_view text);
std::string suggest_rate(std::string_view text);
std::string suggest_size(std::string_view text);
std::string suggest_probability(std::string_view text);

// Formatting back for messages and docs, in the most natural unit.
std::string format_duration(double ns);
std::string format_rate(double per_second);
std::string format_size(double bytes, std::string_view unit = {});  // unit "MB" forces MB
std::string format_number(double v);

}  // namespace slsim
