#include "sim/report/json.hpp"

#include <cmath>
#include <cstdlib>

#include <fmt/format.h>

namespace slsim {

Json& Json::operator[](std::string_view key) {
  if (type_ == Type::null) type_ = Type::object;
  for (auto& [k, v] : object_)
    if (k == key) return v;
  object_.emplace_back(std::string(key), Json{});
  return object_.back().second;
}

const Json* Json::find(std::string_view key) const {
  if (type_ != Type::object) return nullptr;
  for (const auto& [k, v] : object_)
    if (k == key) return &v;
  return nullptr;
}

const Json* Json::find_path(std::string_view dotted) const {
  const Json* node = this;
  while (node != nullptr && !dotted.empty()) {
    const auto dot = dotted.find('.');
    const std::string_view part = dotted.substr(0, dot);
    if (node->type_ == Type::array) {
      char* end = nullptr;
      const std::string index_text(part);
      const unsigned long index = std::strtoul(index_text.c_str(), &end, 10);
      node = (end != nullptr && *end == '\0' && index < node->array_.size()) ? &node->array_[index]
                                                                            : nullptr;
    } else {
      node = node->find(part);
    }
    dotted = dot == std::string_view::npos ? std::string_view{} : dotted.substr(dot + 1);
  }
  return node;
}

void Json::push_back(Json v) {
  if (type_ == Type::null) type_ = Type::array;
  array_.push_back(std::move(v));
}

std::string json_number(double v) {
  if (!std::isfinite(v)) return "null";
  if (v == 0.0) return "0";  // also folds -0
  return fmt::format("{}", v);
}

std::string json_quote(std::string_view s) {
  std::string out = "\"";
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) out += fmt::format("\\u{:04x}", c);
        else out += ch;
    }
  }
  out += '"';
  return out;
}

std::string Json::dump(int indent) const {
  std::string out;
  dump_to(out, indent, 0);
  if (indent >= 0) out += '\n';
  return out;
}

void Json::dump_to(std::string& out, int indent, int depth) const {
  const auto newline = [&](int d) {
    if (indent < 0) return;
    out += '\n';
    out.append(static_cast<std::size_t>(indent * d), ' ');
  };
  switch (type_) {
    case Type::null: out += "null"; return;
    case Type::boolean: out += bool_ ? "true" : "false"; return;
    case Type::integer: out += fmt::format("{}", int_); return;
    case Type::number: out += json_number(number_); return;
    case Type::string: out += json_quote(string_); return;
    case Type::array: {
      if (array_.empty()) { out += "[]"; return; }
      // Arrays of scalars stay on one line; arrays of objects get one element per line.
      bool scalars = true;
      for (const auto& e : array_) scalars = scalars && !e.is_object() && !e.is_array();
      out += '[';
      for (std::size_t i = 0; i < array_.size(); ++i) {
        if (i > 0) out += scalars ? ", " : ",";
        if (!scalars) newline(depth + 1);
        array_[i].dump_to(out, indent, depth + 1);
      }
      if (!scalars) newline(depth);
      out += ']';
      return;
    }
    case Type::object: {
      if (object_.empty()) { out += "{}"; return; }
      out += '{';
      for (std::size_t i = 0; i < object_.size(); ++i) {
        if (i > 0) out += ',';
        newline(depth + 1);
        out += json_quote(object_[i].first);
        out += indent < 0 ? ":" : ": ";
        object_[i].second.dump_to(out, indent, depth + 1);
      }
      newline(depth);
      out += '}';
      return;
    }
  }
}

}  // namespace slsim
