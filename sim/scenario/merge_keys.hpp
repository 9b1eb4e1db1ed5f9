#pragma once
// YAML merge keys (`<<: *defaults`), which yaml-cpp 0.7 reads as a plain key
// "<<": resolved on the document tree, with the positions where the merged
// keys were written.
#include <string>

#include "sim/scenario/diagnostics.hpp"
#include "sim/scenario/document.hpp"

namespace slsim {

// Replaces every `<<` entry of a mapping by the entries of the mapping (or
// list of mappings) it names, in its place, except for keys the mapping
// writes itself (those win) or an earlier merged mapping gave. A `<<` whose
// value is not a mapping or a list of mappings is an error in `diags`.
// `path` is the key path of `node`, for messages.
void resolve_merge_keys(DocNode& node, Diagnostics& diags, const std::string& path = {});

}  // namespace slsim
