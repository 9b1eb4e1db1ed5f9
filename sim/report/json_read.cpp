#include "sim/report/json_read.hpp"

#include <charconv>
#include <cstdint>
#include <unordered_set>

#include <fmt/format.h>

namespace slsim {

namespace {

class Reader {
 public:
  explicit Reader(std::string_view text) : text_(text) {}

  bool document(Json& out, JsonReadError& error) {
    skip_space();
    if (!value(out, 0)) return fail_into(error);
    skip_space();
    if (pos_ < text_.size()) {
      set_error("unexpected text after the JSON value");
      return fail_into(error);
    }
    return true;
  }

 private:
  bool fail_into(JsonReadError& error) {
    error = error_;
    return false;
  }

  // The error at the current position (the first one found wins).
  bool set_error(std::string message) {
    if (!error_.message.empty()) return false;
    int line = 1, column = 1;
    for (std::size_t i = 0; i < pos_ && i < text_.size(); ++i) {
      if (text_[i] == '\n') ++line, column = 1;
      else ++column;
    }
    error_ = {line, column, std::move(message)};
    return false;
  }

  void skip_space() {
    while (pos_ < text_.size() &&
           (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' || text_[pos_] == '\r'))
      ++pos_;
  }

  std::string found() const {
    if (pos_ >= text_.size()) return "the end of the text";
    const unsigned char c = static_cast<unsigned char>(text_[pos_]);
    if (c >= 0x20 && c < 0x7f) return fmt::format("'{}'", text_[pos_]);
    return fmt::format("byte 0x{:02x}", c);
  }

  bool literal(std::string_view word, Json value, Json& out) {
    if (text_.substr(pos_, word.size()) != word)
      return set_error(fmt::format("expected a JSON value, found {}", found()));
    pos_ += word.size();
    out = std::move(value);
    return true;
  }

  bool value(Json& out, int depth) {
    if (pos_ >= text_.size()) return set_error("expected a JSON value, found the end of the text");
    switch (text_[pos_]) {
      case '{': return object(out, depth + 1);
      case '[': return array(out, depth + 1);
      case '"': {
        std::string s;
        if (!string(s)) return false;
        out = Json(std::move(s));
        return true;
      }
      case 't': return literal("true", Json(true), out);
      case 'f': return literal("false", Json(false), out);
      case 'n': return literal("null", Json(), out);
      default: return number(out);
    }
  }

  bool object(Json& out, int depth) {
    if (depth > kMaxJsonDepth) return set_error(fmt::format("nested deeper than {} levels", kMaxJsonDepth));
    ++pos_;  // '{'
    out = Json::object();
    auto& items = out.items();
    std::unordered_set<std::string> keys;
    skip_space();
    if (pos_ < text_.size() && text_[pos_] == '}') {
      ++pos_;
      return true;
    }
    for (;;) {
      skip_space();
      if (pos_ >= text_.size() || text_[pos_] != '"')
        return set_error(fmt::format("expected a key in double quotes, found {}", found()));
      const std::size_t key_at = pos_;
      std::string key;
      if (!string(key)) return false;
      if (!keys.insert(key).second) {
        pos_ = key_at;
        return set_error(fmt::format("the key \"{}\" appears twice in this object", key));
      }
      skip_space();
      if (pos_ >= text_.size() || text_[pos_] != ':') return set_error(fmt::format("expected ':', found {}", found()));
      ++pos_;
      skip_space();
      Json v;
      if (!value(v, depth)) return false;
      items.emplace_back(std::move(key), std::move(v));
      skip_space();
      if (pos_ < text_.size() && text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < text_.size() && text_[pos_] == '}') {
        ++pos_;
        return true;
      }
      return set_error(fmt::format("expected ',' or '}}', found {}", found()));
    }
  }

  bool array(Json& out, int depth) {
    if (depth > kMaxJsonDepth) return set_error(fmt::format("nested deeper than {} levels", kMaxJsonDepth));
    ++pos_;  // '['
    out = Json::array();
    skip_space();
    if (pos_ < text_.size() && text_[pos_] == ']') {
      ++pos_;
      return true;
    }
    for (;;) {
      skip_space();
      Json v;
      if (!value(v, depth)) return false;
      out.push_back(std::move(v));
      skip_space();
      if (pos_ < text_.size() && text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < text_.size() && text_[pos_] == ']') {
        ++pos_;
        return true;
      }
      return set_error(fmt::format("expected ',' or ']', found {}", found()));
    }
  }

  bool hex4(std::uint32_t& v) {
    v = 0;
    for (int i = 0; i < 4; ++i, ++pos_) {
      if (pos_ >= text_.size()) return set_error("expected four hex digits after \\u");
      const char c = text_[pos_];
      v <<= 4;
      if (c >= '0' && c <= '9') v |= static_cast<std::uint32_t>(c - '0');
      else if (c >= 'a' && c <= 'f') v |= static_cast<std::uint32_t>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') v |= static_cast<std::uint32_t>(c - 'A' + 10);
      else return set_error("expected four hex digits after \\u");
    }
    return true;
  }

  static void append_utf8(std::string& s, std::uint32_t cp) {
    if (cp < 0x80) {
      s += static_cast<char>(cp);
    } else if (cp < 0x800) {
      s += static_cast<char>(0xC0 | (cp >> 6));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      s += static_cast<char>(0xE0 | (cp >> 12));
      s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      s += static_cast<char>(0xF0 | (cp >> 18));
      s += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  bool string(std::string& s) {
    ++pos_;  // '"'
    for (;;) {
      if (pos_ >= text_.size()) return set_error("a string without its closing '\"'");
      const char c = text_[pos_];
      if (c == '"') {
        ++pos_;
        return true;
      }
      if (static_cast<unsigned char>(c) < 0x20) return set_error(fmt::format("{} inside a string", found()));
      if (c != '\\') {
        s += c;
        ++pos_;
        continue;
      }
      ++pos_;
      if (pos_ >= text_.size()) return set_error("a string without its closing '\"'");
      const char e = text_[pos_++];
      switch (e) {
        case '"': s += '"'; break;
        case '\\': s += '\\'; break;
        case '/': s += '/'; break;
        case 'b': s += '\b'; break;
        case 'f': s += '\f'; break;
        case 'n': s += '\n'; break;
        case 'r': s += '\r'; break;
        case 't': s += '\t'; break;
        case 'u': {
          std::uint32_t cp = 0;
          if (!hex4(cp)) return false;
          if (cp >= 0xD800 && cp < 0xDC00 && text_.substr(pos_, 2) == "\\u") {
            pos_ += 2;
            std::uint32_t low = 0;
            if (!hex4(low)) return false;
            if (low >= 0xDC00 && low < 0xE000) cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            else append_utf8(s, 0xFFFD), cp = low;
          }
          append_utf8(s, cp >= 0xD800 && cp < 0xE000 ? 0xFFFD : cp);  // a lone surrogate
          break;
        }
        default:
          --pos_;
          return set_error(fmt::format("unknown escape '\\{}' in a string", e));
      }
    }
  }

  bool number(Json& out) {
    const std::size_t start = pos_;
    const auto digits = [&] {
      const std::size_t from = pos_;
      while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') ++pos_;
      return pos_ - from;
    };
    if (pos_ < text_.size() && text_[pos_] == '-') ++pos_;
    const std::size_t int_start = pos_;
    const std::size_t int_digits = digits();
    if (int_digits == 0 || (int_digits > 1 && text_[int_start] == '0')) {
      pos_ = start;
      return set_error(fmt::format("expected a JSON value, found {}", found()));
    }
    bool integral = true;
    if (pos_ < text_.size() && text_[pos_] == '.') {
      ++pos_;
      integral = false;
      if (digits() == 0) return set_error(fmt::format("expected a digit after '.', found {}", found()));
    }
    if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      ++pos_;
      integral = false;
      if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
      if (digits() == 0) return set_error(fmt::format("expected a digit in the exponent, found {}", found()));
    }
    const char* first = text_.data() + start;
    const char* last = text_.data() + pos_;
    if (integral) {
      std::int64_t v = 0;
      if (std::from_chars(first, last, v).ec == std::errc{}) {
        out = Json(static_cast<long long>(v));
        return true;
      }
    }
    double d = 0;
    const auto [ptr, ec] = std::from_chars(first, last, d);
    if (ec != std::errc{} || ptr != last) {
      pos_ = start;
      return set_error(fmt::format("the number {} is out of range", std::string(first, last)));
    }
    out = Json(d);
    return true;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  JsonReadError error_;
};

}  // namespace

bool read_json(std::string_view text, Json& out, JsonReadError& error) {
  Reader reader(text);
  return reader.document(out, error);
}

JsonParseResult parse_json(std::string_view text) {
  JsonParseResult r;
  JsonReadError e;
  if (!read_json(text, r.value, e)) r.error = fmt::format("line {}, column {}: {}", e.line, e.column, e.message);
  return r;
}

}  // namespace slsim
