#pragma once
// The scenario as a plain tree of YAML nodes with source positions. Loading
// goes YAML text -> Document (syntax, positions, duplicate keys kept so they
// can be reported) -> --set overrides applied -> schema-checked values.
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sim/scenario/diagnostics.hpp"

namespace slsim {

struct DocNode {
  // Declared here and defaulted in document.cpp: DocNode contains vectors of
  // itself, which clang 14 with libstdc++ 12 only accepts this way.
  DocNode();
  ~DocNode();
  DocNode(const DocNode&);
  DocNode(DocNode&&) noexcept;
  DocNode& operator=(const DocNode&);
  DocNode& operator=(DocNode&&) noexcept;

  enum class Kind { null, scalar, map, seq };
  Kind kind = Kind::null;
  std::string scalar;   // the text of a scalar
  bool quoted = false;  // written in quotes: always a string
  std::string tag;      // an explicit local tag such as `!Ref` (CloudFormation's short forms); "" when none
  std::vector<std::pair<std::string, DocNode>> entries;  // a map's keys in file order (duplicates kept)
  std::vector<SourceLoc> key_locs;                       // parallel to entries
  std::vector<DocNode> items;                            // a sequence
  SourceLoc loc;

  bool is_map() const { return kind == Kind::map; }
  bool is_seq() const { return kind == Kind::seq; }
  bool is_scalar() const { return kind == Kind::scalar; }
  bool is_null() const { return kind == Kind::null; }
  // First entry with this key, or nullptr.
  const DocNode* find(std::string_view key) const;
  DocNode* find(std::string_view key);
  std::string_view kind_name() const;  // "a mapping", "a list", "a value", "nothing"
  std::string describe() const;        // for "found ..." in messages: 'text' or the kind
};

// Bounds on a parsed document: YAML aliases are expanded into copies, so a
// small text can describe a huge tree ("billion laughs"); a scenario needs a
// few thousand nodes and fewer than ten levels.
inline constexpr std::size_t kMaxDocumentNodes = 100'000;
inline constexpr int kMaxNestingDepth = 256;

// Parses YAML text; syntax errors, alias cycles and documents beyond the
// bounds above go to `diags` with their position.
DocNode parse_yaml(const std::string& text, const std::string& origin, Diagnostics& diags);
// Reads and parses a file; an unreadable file is an error in `diags`.
DocNode load_yaml_file(const std::string& path, Diagnostics& diags);

// Applies `--set PATH=VALUE`: PATH is dotted; list items are chosen by their
// `name` (workloads.visitors.payload), by their target `to` when they have no
// name (services.fn.calls.table.probability), or by index (workloads.0.payload).
// Missing map keys are created (the schema check then rejects unknown ones);
// a missing service or workload name is an error here.
// `origin` names the override in messages ("" for "--set ASSIGNMENT").
void apply_override(DocNode& root, const std::string& assignment, Diagnostics& diags, const std::string& origin = {});

}  // namespace slsim
