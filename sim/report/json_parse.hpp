#pragma once
// Reading JSON back (the part files of a sharded sweep). Numbers written
// without a fraction or an exponent become integers, the others doubles, so
// that dump(parse(dump(x))) == dump(x) for every value Json::dump writes.
#include <cstddef>
#include <string>
#include <string_view>

#include "sim/report/json.hpp"

namespace slsim {

struct JsonParseResult {
  Json value;
  std::string error;  // empty on success; else "line L, column C: what was expected"
};

// The whole of `text` as one JSON value (surrounding white space allowed).
// Nesting deeper than `max_depth` is an error, not a stack overflow.
JsonParseResult parse_json(std::string_view text, std::size_t max_depth = 256);

}  // namespace slsim
