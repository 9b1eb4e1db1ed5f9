#pragma once
// The scenario `slsim import` writes, as a tree of keys before it becomes
// text: every value remembers where in the template it came from, so that a
// value the scenario loader refuses (a MemorySize above 10240) is reported at
// the template's line, and every placeholder carries its TODO comment.
#include <string>
#include <string_view>
#include <vector>

#include "sim/scenario/diagnostics.hpp"

namespace slsim::cfn {

// Where a value of the scenario comes from in the template (no line: a placeholder or a structure).
struct Origin {
  SourceLoc loc;
  std::string path;  // Resources.Fn.Properties.MemorySize
};

// One key of the scenario, or one item of a list.
struct YNode {
  std::string key;                 // "" for a list item
  std::string value;               // a scalar, as YAML text; "" for a mapping or a list
  std::vector<YNode> children;     // the keys of a mapping, or the items of a list
  bool list = false;               // children are the items of a list
  std::string comment;             // after the value, on the same line (without '#')
  std::vector<std::string> above;  // comment lines before the key (without '#')
  std::vector<std::string> below;  // comment lines after the children, at their indentation
  Origin origin;

  YNode* find(std::string_view k);
  // Sets a scalar key (replacing one already there) and returns it.
  YNode& set(const std::string& k, std::string v, Origin o = {}, std::string note = {});
  // The mapping under a key, created (empty) when absent.
  YNode& child(const std::string& k, Origin o = {});
  // A new list item (a mapping) under a list key, created when absent.
  YNode& append(const std::string& list_key, Origin o = {});
};

// A scalar written so that YAML reads it back as the same text.
std::string yaml_scalar(std::string_view text);
// A whole number of seconds in the largest unit that divides it: 30s, 15min, 4d.
std::string seconds_text(long long seconds);

// The whole scenario before it becomes text.
struct Draft {
  std::string name;
  std::string description;
  std::vector<std::string> header;  // comment lines at the top
  std::vector<YNode> workloads;     // list items
  std::vector<YNode> services;      // each keyed by the service's name
};

// The scenario text, and for each of its lines (1-based; [0] unused) the template position of its value.
struct Written {
  std::string text;
  std::vector<Origin> origins;
  std::vector<std::string> paths;  // the scenario key path of each line (services.fn.memory)
};
Written write_draft(const Draft& d);

}  // namespace slsim::cfn
