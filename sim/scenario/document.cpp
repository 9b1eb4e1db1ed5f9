#include "sim/scenario/document.hpp"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <memory>
#include <optional>
#include <system_error>

#include <fmt/format.h>
#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/yaml.h>

#include "sim/scenario/input_file.hpp"

namespace slsim {

DocNode::DocNode() = default;
DocNode::~DocNode() = default;
DocNode::DocNode(const DocNode&) = default;
DocNode::DocNode(DocNode&&) noexcept = default;
DocNode& DocNode::operator=(const DocNode&) = default;
DocNode& DocNode::operator=(DocNode&&) noexcept = default;

const DocNode* DocNode::find(std::string_view key) const {
  for (const auto& [k, v] : entries)
    if (k == key) return &v;
  return nullptr;
}
DocNode* DocNode::find(std::string_view key) {
  for (auto& [k, v] : entries)
    if (k == key) return &v;
  return nullptr;
}

std::string_view DocNode::kind_name() const {
  switch (kind) {
    case Kind::null: return "nothing";
    case Kind::scalar: return "a value";
    case Kind::map: return "a mapping";
    case Kind::seq: return "a list";
  }
  return "?";
}

std::string DocNode::describe() const {
  if (kind == Kind::scalar) return fmt::format("'{}'", echo(scalar));
  return std::string(kind_name());
}

namespace {

SourceLoc loc_of(const YAML::Mark& mark, const std::shared_ptr<const std::string>& origin, bool override_origin) {
  SourceLoc loc;
  loc.origin = origin;
  loc.from_override = override_origin;
  if (!override_origin && mark.line >= 0) {
    loc.line = mark.line + 1;
    loc.column = mark.column + 1;
  }
  return loc;
}

// A document the loader refuses although it is valid YAML (see the bounds in document.hpp).
struct DocumentTooLarge {
  SourceLoc loc;
  std::string message;
};

class Converter {
 public:
  Converter(std::shared_ptr<const std::string> origin, bool override_origin)
      : origin_(std::move(origin)), override_origin_(override_origin) {}

  DocNode convert(const YAML::Node& node) {
    DocNode out;
    out.loc = loc_of(node.Mark(), origin_, override_origin_);
    if (++nodes_ > kMaxDocumentNodes)
      throw DocumentTooLarge{out.loc, fmt::format("the document expands to more than {} nodes (each use of a YAML "
                                                  "alias counts as a copy); a scenario needs far fewer",
                                                  kMaxDocumentNodes)};
    if (static_cast<int>(path_.size()) >= kMaxNestingDepth) throw DocumentTooLarge{out.loc, nesting_message()};
    // yaml-cpp resolves an alias to the node it names: one that contains the
    // alias itself would make the tree infinite.
    for (const YAML::Node& ancestor : path_)
      if (ancestor.is(node))
        throw DocumentTooLarge{out.loc, "a YAML alias refers to a node that contains the alias (an endless cycle)"};
    // yaml-cpp reports "?" for an untagged node and "!" for a quoted scalar.
    if (const std::string& tag = node.Tag(); tag.size() > 1 && tag[0] == '!') out.tag = tag;
    switch (node.Type()) {
      case YAML::NodeType::Undefined:
      case YAML::NodeType::Null:
        out.kind = DocNode::Kind::null;
        break;
      case YAML::NodeType::Scalar:
        out.kind = DocNode::Kind::scalar;
        out.scalar = node.Scalar();
        out.quoted = node.Tag() == "!";
        break;
      case YAML::NodeType::Sequence:
        out.kind = DocNode::Kind::seq;
        path_.push_back(node);
        for (const auto& item : node) out.items.push_back(convert(item));
        path_.pop_back();
        break;
      case YAML::NodeType::Map:
        out.kind = DocNode::Kind::map;
        path_.push_back(node);
        for (auto it = node.begin(); it != node.end(); ++it) {
          // Keys are scalars in scenarios; a complex key is shown by its text.
          std::string key = it->first.IsScalar() ? it->first.Scalar() : std::string("<complex key>");
          out.key_locs.push_back(loc_of(it->first.Mark(), origin_, override_origin_));
          out.entries.emplace_back(std::move(key), convert(it->second));
        }
        path_.pop_back();
        break;
    }
    return out;
  }

  static std::string nesting_message() {
    return fmt::format("invalid YAML: the document nests deeper than {} levels (a scenario needs fewer than ten)",
                       kMaxNestingDepth);
  }

 private:
  std::shared_ptr<const std::string> origin_;
  bool override_origin_;
  std::size_t nodes_ = 0;
  std::vector<YAML::Node> path_;  // the maps and lists that enclose the node being converted
};

// The first tab in the indentation of a line up to `last_line` (1-based), if any.
std::optional<std::pair<int, int>> indentation_tab(const std::string& text, int last_line) {
  int line = 1;
  bool indent = true;
  int column = 0;
  for (const char c : text) {
    if (line > last_line) break;
    ++column;
    if (c == '\n') {
      ++line;
      indent = true;
      column = 0;
    } else if (indent && c == '\t') {
      return std::pair{line, column};
    } else if (c != ' ') {
      indent = false;
    }
  }
  return std::nullopt;
}

}  // namespace

DocNode parse_yaml(const std::string& text, const std::string& origin, Diagnostics& diags) {
  auto origin_ptr = std::make_shared<const std::string>(origin);
  SourceLoc loc;
  loc.origin = origin_ptr;
  try {
    const YAML::Node root = YAML::Load(text);
    return Converter(origin_ptr, false).convert(root);
  } catch (const DocumentTooLarge& e) {
    diags.error(e.loc, "", e.message);
  } catch (const YAML::DeepRecursion& e) {
    loc.line = e.mark.line + 1;
    loc.column = e.mark.column + 1;
    diags.error(loc, "", Converter::nesting_message());
  } catch (const YAML::Exception& e) {
    loc.line = e.mark.line + 1;
    loc.column = e.mark.column + 1;
    // yaml-cpp names a tab in the indentation in several ways, or not at all.
    if (const auto tab = indentation_tab(text, loc.line + 1)) {
      loc.line = tab->first;
      loc.column = tab->second;
      diags.error(loc, "", "invalid YAML: found a tab character in the indentation: YAML indents with spaces");
    } else {
      diags.error(loc, "", fmt::format("invalid YAML: {}", e.msg));
    }
  }
  return DocNode{};
}

DocNode load_yaml_file(const std::string& path, Diagnostics& diags) {
  FileText file = read_input_file(path, kMaxScenarioBytes);
  if (!file.text) {
    SourceLoc loc;
    loc.origin = std::make_shared<const std::string>(path);
    diags.error(loc, "", file.missing ? "cannot read the file (does it exist?)" : "this path " + file.error);
    return DocNode{};
  }
  return parse_yaml(*file.text, path, diags);
}

namespace {

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= path.size()) {
    const auto dot = path.find('.', start);
    parts.emplace_back(path.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return parts;
}

// How --set names a list item: its `name`, else its target `to` ("" for neither).
std::string item_label(const DocNode& item) {
  for (const char* key : {"name", "to"}) {
    const DocNode* label = item.is_map() ? item.find(key) : nullptr;
    if (label != nullptr) return label->is_scalar() ? label->scalar : std::string{};
  }
  return {};
}

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (const char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

}  // namespace

void apply_override(DocNode& root, const std::string& assignment, Diagnostics& diags, const std::string& origin) {
  SourceLoc loc;
  loc.origin = std::make_shared<const std::string>(origin.empty() ? "--set " + assignment : origin);
  loc.from_override = true;
  const auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0) {
    diags.error(loc, "", "expected PATH=VALUE, e.g. --set services.worker.memory=2048MB");
    return;
  }
  const std::string path = assignment.substr(0, eq);
  const std::string value_text = assignment.substr(eq + 1);
  const auto parts = split_path(path);
  if (parts.size() > static_cast<std::size_t>(kMaxNestingDepth)) {
    diags.error(loc, "", fmt::format("the path has more than {} segments", kMaxNestingDepth));
    return;
  }
  for (const auto& p : parts) {
    if (p.empty()) {
      diags.error(loc, path, "the path has an empty segment");
      return;
    }
  }

  // Parse the value with YAML so maps and lists can be set too; fall back to plain text.
  DocNode value;
  {
    Diagnostics ignored;
    value = parse_yaml(value_text, loc.origin ? *loc.origin : std::string{}, ignored);
    if (ignored.has_errors()) {
      value = DocNode{};
      value.kind = DocNode::Kind::scalar;
      value.scalar = value_text;
    }
  }
  // Mark every node of the value as coming from the override.
  struct Marker {
    const SourceLoc& loc;
    void operator()(DocNode& n) const {
      n.loc = loc;
      for (auto& k : n.key_locs) k = loc;
      for (auto& [k, v] : n.entries) (*this)(v);
      for (auto& i : n.items) (*this)(i);
    }
  };
  Marker{loc}(value);

  DocNode* node = &root;
  std::string walked;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const std::string& part = parts[i];
    const bool last = i + 1 == parts.size();
    const std::string here = walked.empty() ? part : walked + "." + part;
    if (node->is_seq()) {
      DocNode* next = nullptr;
      if (all_digits(part)) {
        std::size_t index = 0;
        const auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), index);
        if (ec == std::errc{} && end == part.data() + part.size() && index < node->items.size())
          next = &node->items[index];
      } else {
        // An item is picked by its `name`, else by its target `to` (a function's calls).
        std::vector<std::size_t> by_target;
        for (std::size_t k = 0; k < node->items.size(); ++k) {
          const std::string label = item_label(node->items[k]);
          if (label == part && node->items[k].find("name") != nullptr) next = &node->items[k];
          else if (label == part) by_target.push_back(k);
        }
        if (next == nullptr && by_target.size() == 1) next = &node->items[by_target[0]];
        if (next == nullptr && by_target.size() > 1) {
          std::vector<std::string> indices;
          for (const std::size_t k : by_target) indices.push_back(std::to_string(k));
          diags.error(loc, here, fmt::format("'{}' is the target of {} items of {}: pick one by its index ({})", part,
                                             by_target.size(), walked, fmt::join(indices, ", ")));
          return;
        }
      }
      if (next == nullptr) {
        std::vector<std::string> names;
        for (auto& item : node->items)
          if (const std::string label = item_label(item);
              !label.empty() && std::find(names.begin(), names.end(), label) == names.end())
            names.push_back(label);
        diags.error(loc, here, fmt::format("'{}' is not an item of {} (items: {})", echo(part),
                                           walked.empty() ? "the list" : walked, quoted_list(names)),
                    did_you_mean(part, names));
        return;
      }
      if (last) { *next = value; return; }
      node = next;
    } else {
      if (node->is_null()) node->kind = DocNode::Kind::map;
      if (!node->is_map()) {
        diags.error(loc, here, fmt::format("cannot set a key inside {} ({} is {})", node->describe(),
                                           walked, node->kind_name()));
        return;
      }
      DocNode* next = node->find(part);
      if (next == nullptr) {
        // Services are named by the scenario: setting inside one that does not exist is a typo.
        if (walked == "services") {
          std::vector<std::string> names;
          for (const auto& [k, v] : node->entries) names.push_back(k);
          diags.error(loc, here, fmt::format("there is no service '{}'", echo(part)), did_you_mean(part, names));
          return;
        }
        node->entries.emplace_back(part, DocNode{});
        node->key_locs.push_back(loc);
        next = &node->entries.back().second;
        next->loc = loc;
      }
      if (last) { *next = value; return; }
      node = next;
    }
    walked = here;
  }
}

}  // namespace slsim
