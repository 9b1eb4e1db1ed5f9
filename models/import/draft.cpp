#include "models/import/draft.hpp"

#include <algorithm>
#include <array>

#include <fmt/format.h>

namespace slsim::cfn {

YNode* YNode::find(std::string_view k) {
  for (auto& c : children)
    if (c.key == k) return &c;
  return nullptr;
}

YNode& YNode::set(const std::string& k, std::string v, Origin o, std::string note) {
  YNode* n = find(k);
  if (n == nullptr) {
    children.push_back(YNode{});
    n = &children.back();
    n->key = k;
  }
  n->value = std::move(v);
  n->origin = std::move(o);
  n->comment = std::move(note);
  n->children.clear();
  n->list = false;
  return *n;
}

YNode& YNode::child(const std::string& k, Origin o) {
  if (YNode* n = find(k)) return *n;
  children.push_back(YNode{});
  YNode& n = children.back();
  n.key = k;
  n.origin = std::move(o);
  return n;
}

YNode& YNode::append(const std::string& list_key, Origin o) {
  YNode& l = child(list_key);
  l.list = true;
  l.children.push_back(YNode{});
  l.children.back().origin = std::move(o);
  return l.children.back();
}

std::string yaml_scalar(std::string_view text) {
  static constexpr std::array<std::string_view, 12> kWords = {"true", "false", "null", "yes", "no",   "on",
                                                              "off",  "y",     "n",    "~",   "True", "False"};
  const bool plain = !text.empty() && std::find(kWords.begin(), kWords.end(), text) == kWords.end() && text[0] != '-' &&
                     std::all_of(text.begin(), text.end(), [](char c) {
                       return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                              c == '.' || c == '/' || c == '-';
                     });
  if (plain) return std::string(text);
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n')
      out += "\\n";
    else if (c == '\t')
      out += "\\t";
    else if (static_cast<unsigned char>(c) < 0x20)
      out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
    else
      out += c;
  }
  return out + "\"";
}

std::string seconds_text(long long seconds) {
  if (seconds != 0 && seconds % 86400 == 0) return fmt::format("{}d", seconds / 86400);
  if (seconds != 0 && seconds % 3600 == 0) return fmt::format("{}h", seconds / 3600);
  if (seconds != 0 && seconds % 60 == 0) return fmt::format("{}min", seconds / 60);
  return fmt::format("{}s", seconds);
}

namespace {

class Writer {
 public:
  Written out;

  Writer() {
    out.origins.emplace_back();
    out.paths.emplace_back();
  }

  void line(int indent, const std::string& text, const Origin& origin = {}, const std::string& path = {}) {
    out.text += std::string(static_cast<std::size_t>(indent), ' ') + text + "\n";
    out.origins.push_back(origin);
    out.paths.push_back(path);
  }

  void comment(int indent, const std::string& text) { line(indent, text.empty() ? "#" : "# " + text); }

  void node(const YNode& n, int indent, const std::string& path) {
    for (const auto& a : n.above) comment(indent, a);
    const std::string p = path.empty() ? n.key : path + "." + n.key;
    const std::string note = n.comment.empty() ? "" : "  # " + n.comment;
    if (!n.list && n.children.empty()) {
      line(indent, n.key + ": " + n.value + note, n.origin, p);
      return;
    }
    if (n.list && n.children.empty()) {
      line(indent, n.key + ": []" + note, n.origin, p);
      return;
    }
    line(indent, n.key + ":" + note, n.origin, p);
    if (n.list) {
      for (std::size_t i = 0; i < n.children.size(); ++i) item(n.children[i], indent + 2, p, i);
    } else {
      for (const auto& c : n.children) node(c, indent + 2, p);
    }
    for (const auto& b : n.below) comment(indent + 2, b);
  }

  // A list item: a mapping whose first key shares the line of its "- ".
  void item(const YNode& n, int indent, const std::string& path, std::size_t index) {
    for (const auto& a : n.above) comment(indent, a);
    std::string label = std::to_string(index);
    for (const char* key : {"name", "to", "function"})
      if (const auto it =
              std::find_if(n.children.begin(), n.children.end(), [&](const YNode& c) { return c.key == key; });
          it != n.children.end()) {
        label = it->value;
        break;
      }
    const std::string p = path + "." + label;
    if (n.children.empty()) {
      line(indent, "- {}", n.origin, p);
      return;
    }
    const std::size_t first = out.origins.size();
    for (const auto& c : n.children) node(c, indent + 2, p);
    // Turn the first key's indentation into the item's dash.
    std::size_t at = 0;
    for (std::size_t l = 1; l < first; ++l) at = out.text.find('\n', at) + 1;
    out.text.replace(at + static_cast<std::size_t>(indent), 2, "- ");
    if (n.origin.loc.origin) out.origins[first] = n.origin;
    for (const auto& b : n.below) comment(indent + 2, b);
  }
};

}  // namespace

Written write_draft(const Draft& d) {
  Writer w;
  for (const auto& h : d.header) w.comment(0, h);
  w.line(0, "name: " + yaml_scalar(d.name));
  if (!d.description.empty()) w.line(0, "description: " + yaml_scalar(d.description));
  w.line(0, "duration: 10min  # how long to simulate: long enough for the traffic patterns you want to see");
  YNode workloads;
  workloads.key = "workloads";
  workloads.list = true;
  workloads.children = d.workloads;
  w.node(workloads, 0, "");
  YNode services;
  services.key = "services";
  services.children = d.services;
  w.node(services, 0, "");
  return w.out;
}

}  // namespace slsim::cfn
