#pragma once
// A small JSON value with insertion-ordered objects, so results print in a
// stable, readable order and byte-identical output follows from identical
// values. Numbers print in the shortest form that reads back exactly.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace slsim {

class Json {
 public:
  enum class Type { null, boolean, integer, number, string, array, object };

  Json() = default;
  Json(std::nullptr_t) {}
  Json(bool b) : type_(Type::boolean), bool_(b) {}
  Json(int v) : type_(Type::integer), int_(v) {}
  Json(long v) : type_(Type::integer), int_(v) {}
  Json(long long v) : type_(Type::integer), int_(v) {}
  Json(unsigned v) : type_(Type::integer), int_(static_cast<std::int64_t>(v)) {}
  Json(unsigned long v) : type_(Type::integer), int_(static_cast<std::int64_t>(v)) {}
  Json(unsigned long long v) : type_(Type::integer), int_(static_cast<std::int64_t>(v)) {}
  Json(double v) : type_(Type::number), number_(v) {}
  Json(const char* s) : type_(Type::string), string_(s) {}
  Json(std::string s) : type_(Type::string), string_(std::move(s)) {}
  Json(std::string_view s) : type_(Type::string), string_(s) {}

  static Json object() { Json j; j.type_ = Type::object; return j; }
  static Json array() { Json j; j.type_ = Type::array; return j; }

  Type type() const { return type_; }
  bool is_object() const { return type_ == Type::object; }
  bool is_array() const { return type_ == Type::array; }
  bool is_number() const { return type_ == Type::integer || type_ == Type::number; }
  bool is_string() const { return type_ == Type::string; }
  bool is_bool() const { return type_ == Type::boolean; }
  bool is_null() const { return type_ == Type::null; }

  double as_double() const { return type_ == Type::integer ? static_cast<double>(int_) : number_; }
  std::int64_t as_int() const { return int_; }
  bool as_bool() const { return bool_; }
  const std::string& as_string() const { return string_; }

  // Objects: finds `key` or appends it (a null value) at the end. Turns a null into an object.
  Json& operator[](std::string_view key);
  const Json* find(std::string_view key) const;
  // Follows a dotted path of object keys (and array indices); nullptr if absent.
  const Json* find_path(std::string_view dotted) const;
  const std::vector<std::pair<std::string, Json>>& items() const { return object_; }
  std::vector<std::pair<std::string, Json>>& items() { return object_; }

  // Arrays.
  void push_back(Json v);
  const std::vector<Json>& elements() const { return array_; }
  std::vector<Json>& elements() { return array_; }
  std::size_t size() const { return type_ == Type::array ? array_.size() : object_.size(); }

  // indent < 0: one line.
  std::string dump(int indent = 2) const;

 private:
  void dump_to(std::string& out, int indent, int depth) const;

  Type type_ = Type::null;
  bool bool_ = false;
  std::int64_t int_ = 0;
  double number_ = 0.0;
  std::string string_;
  std::vector<Json> array_;
  std::vector<std::pair<std::string, Json>> object_;
};

// Formats a double the way Json::dump does (shortest round-trip; NaN/inf -> null).
std::string json_number(double v);
std::string json_quote(std::string_view s);

}  // namespace slsim
