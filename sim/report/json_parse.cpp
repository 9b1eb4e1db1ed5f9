#include "sim/report/json_parse.hpp"

#include <charconv>
#include <cstdint>
#include <utility>

#include <fmt/format.h>

namespace slsim {

namespace {

class Parser {
 public:
  Parser(std::string_view text, std::size_t max_depth) : text_(text), max_depth_(max_depth) {}

  JsonParseResult run() {
    JsonParseResult out;
    skip_space();
    out.value = value(0);
    skip_space();
    if (error_.empty() && pos_ < text_.size()) fail("expected the end of the text after the value");
    if (!error_.empty()) return {Json(), error_};
    return out;
  }

 private:
  bool failed() const { return !error_.empty(); }

  void fail(const std::string& what) {
    if (failed()) return;
    std::size_t line = 1, column = 1;
    for (std::size_t i = 0; i < pos_ && i < text_.size(); ++i) {
      if (text_[i] == '\n') ++line, column = 1;
      else ++column;
    }
    error_ = fmt::format("line {}, column {}: {}", line, column, what);
  }

  void skip_space() {
    while (pos_ < text_.size() &&
           (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' || text_[pos_] == '\r'))
      ++pos_;
  }

  bool take(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  Json value(std::size_t depth) {
    if (depth > max_depth_) {
      fail(fmt::format("nested deeper than {} levels", max_depth_));
      return {};
    }
    if (pos_ >= text_.size()) {
      fail("expected a value, found the end of the text");
      return {};
    }
    const char c = text_[pos_];
    if (c == '{') return object(depth);
    if (c == '[') return array(depth);
    if (c == '"') return Json(string());
    if (c == '-' || (c >= '0' && c <= '9')) return number();
    if (take("true")) return Json(true);
    if (take("false")) return Json(false);
    if (take("null")) return Json();
    fail(fmt::format("expected a value, found '{}'", c));
    return {};
  }

  Json object(std::size_t depth) {
    Json out = Json::object();
    ++pos_;  // {
    skip_space();
    if (pos_ < text_.size() && text_[pos_] == '}') {
      ++pos_;
      return out;
    }
    while (!failed()) {
      skip_space();
      if (pos_ >= text_.size() || text_[pos_] != '"') {
        fail("expected a key in quotes");
        break;
      }
      std::string key = string();
      skip_space();
      if (pos_ >= text_.size() || text_[pos_] != ':') {
        fail("expected ':' after the key");
        break;
      }
      ++pos_;
      skip_space();
      Json v = value(depth + 1);
      if (failed()) break;
      if (out.find(key) != nullptr) {
        fail(fmt::format("the key '{}' appears twice in one object", key));
        break;
      }
      out.items().emplace_back(std::move(key), std::move(v));
      skip_space();
      if (pos_ < text_.size() && text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < text_.size() && text_[pos_] == '}') {
        ++pos_;
        break;
      }
      fail("expected ',' or '}' in an object");
    }
    return out;
  }

  Json array(std::size_t depth) {
    Json out = Json::array();
    ++pos_;  // [
    skip_space();
    if (pos_ < text_.size() && text_[pos_] == ']') {
      ++pos_;
      return out;
    }
    while (!failed()) {
      skip_space();
      Json v = value(depth + 1);
      if (failed()) break;
      out.push_back(std::move(v));
      skip_space();
      if (pos_ < text_.size() && text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < text_.size() && text_[pos_] == ']') {
        ++pos_;
        break;
      }
      fail("expected ',' or ']' in a list");
    }
    return out;
  }

  unsigned hex4() {
    unsigned v = 0;
    for (int i = 0; i < 4; ++i) {
      if (pos_ >= text_.size()) {
        fail("expected 4 hexadecimal digits after \\u");
        return 0;
      }
      const char c = text_[pos_++];
      v <<= 4;
      if (c >= '0' && c <= '9') v |= static_cast<unsigned>(c - '0');
      else if (c >= 'a' && c <= 'f') v |= static_cast<unsigned>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') v |= static_cast<unsigned>(c - 'A' + 10);
      else {
        fail("expected 4 hexadecimal digits after \\u");
        return 0;
      }
    }
    return v;
  }

  static void append_utf8(std::string& out, unsigned cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  std::string string() {
    std::string out;
    ++pos_;  // "
    while (!failed()) {
      if (pos_ >= text_.size()) {
        fail("a string without its closing quote");
        break;
      }
      const char c = text_[pos_++];
      if (c == '"') break;
      if (static_cast<unsigned char>(c) < 0x20) {
        --pos_;
        fail("a control character inside a string (write it as \\u00XX)");
        break;
      }
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ >= text_.size()) {
        fail("a string without its closing quote");
        break;
      }
      switch (const char e = text_[pos_++]; e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          unsigned cp = hex4();
          // A surrogate pair stands for one code point above U+FFFF.
          if (cp >= 0xD800 && cp < 0xDC00 && take("\\u")) {
            const unsigned low = hex4();
            if (low >= 0xDC00 && low < 0xE000) cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            else fail("a \\u escape of a high surrogate must be followed by a low one");
          }
          if (!failed()) append_utf8(out, cp);
          break;
        }
        default:
          --pos_;
          fail(fmt::format("unknown escape '\\{}' in a string", e));
      }
    }
    return out;
  }

  Json number() {
    const std::size_t start = pos_;
    bool integral = true;
    if (text_[pos_] == '-') ++pos_;
    const auto digits = [&] {
      const std::size_t from = pos_;
      while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') ++pos_;
      return pos_ > from;
    };
    if (!digits()) {
      fail("expected digits in a number");
      return {};
    }
    if (pos_ < text_.size() && text_[pos_] == '.') {
      integral = false;
      ++pos_;
      if (!digits()) {
        fail("expected digits after the decimal point");
        return {};
      }
    }
    if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      integral = false;
      ++pos_;
      if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
      if (!digits()) {
        fail("expected digits in the exponent");
        return {};
      }
    }
    const char* first = text_.data() + start;
    const char* last = text_.data() + pos_;
    if (integral) {
      std::int64_t i = 0;
      const auto [end, ec] = std::from_chars(first, last, i);
      if (ec == std::errc{} && end == last) return Json(static_cast<long long>(i));
    }
    double d = 0;
    const auto [end, ec] = std::from_chars(first, last, d);
    if (ec != std::errc{} || end != last) {
      pos_ = start;
      fail("a number out of the range of a double");
      return {};
    }
    return Json(d);
  }

  std::string_view text_;
  std::size_t max_depth_;
  std::size_t pos_ = 0;
  std::string error_;
};

}  // namespace

JsonParseResult parse_json(std::string_view text, std::size_t max_depth) { return Parser(text, max_depth).run(); }

}  // namespace slsim
