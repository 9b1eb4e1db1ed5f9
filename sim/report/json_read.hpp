#pragma once
// Reads JSON text back into a Json value: the results slsim wrote, read again
// by `slsim compare`. Strict (RFC 8259: no comments, no trailing commas, no
// duplicate keys), bounded in nesting, and every error names its line and
// column. A number without a fraction or exponent that fits in 64 bits stays
// an integer, so a value read back dumps as it was written.
#include <string>
#include <string_view>

#include "sim/report/json.hpp"

namespace slsim {

inline constexpr int kMaxJsonDepth = 256;

struct JsonReadError {
  int line = 0;    // 1-based
  int column = 0;  // 1-based, in bytes
  std::string message;
};

// False (with `error` set) when `text` is not one JSON value.
bool read_json(std::string_view text, Json& out, JsonReadError& error);

// The same as one value: `error` is empty on success, else "line L, column C: what".
struct JsonParseResult {
  Json value;
  std::string error;
};
JsonParseResult parse_json(std::string_view text);

}  // namespace slsim
