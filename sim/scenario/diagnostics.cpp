#include "sim/scenario/diagnostics.hpp"

#include <algorithm>
#include <cstdint>
#include <tuple>

#include <fmt/format.h>

namespace slsim {

std::string SourceLoc::str() const {
  const std::string name = origin ? *origin : std::string("<input>");
  if (from_override || line <= 0) return name;
  return fmt::format("{}:{}:{}", name, line, column);
}

std::string Diagnostic::str() const {
  // Escaped here as well, so no message can carry a raw control byte or an
  // invalid UTF-8 sequence to the terminal, whatever its origin.
  std::string out = fmt::format("{}: {}: ", escape_text(loc.str()), severity == Severity::error ? "error" : "warning");
  if (!path.empty()) out += escape_text(path) + ": ";
  out += escape_text(message);
  if (!hint.empty()) out += "\n    hint: " + escape_text(hint);
  return out;
}

void Diagnostics::error(const SourceLoc& loc, std::string path, std::string message, std::string hint) {
  items_.push_back({Severity::error, loc, std::move(path), std::move(message), std::move(hint)});
  ++errors_;
}

void Diagnostics::warning(const SourceLoc& loc, std::string path, std::string message, std::string hint) {
  items_.push_back({Severity::warning, loc, std::move(path), std::move(message), std::move(hint)});
}

std::string Diagnostics::str() const {
  // In reading order: by source (the file first, then each --set), line, column.
  std::vector<const Diagnostic*> sorted;
  for (const auto& d : items_) sorted.push_back(&d);
  std::stable_sort(sorted.begin(), sorted.end(), [](const Diagnostic* a, const Diagnostic* b) {
    const auto key = [](const Diagnostic* d) { return std::tuple(d->loc.from_override, d->loc.line, d->loc.column); };
    return key(a) < key(b);
  });
  std::string out;
  for (const Diagnostic* dp : sorted) {
    const Diagnostic& d = *dp;
    out += d.str();
    out += '\n';
  }
  return out;
}

void Diagnostics::append(const Diagnostics& other) {
  for (const auto& d : other.items_) {
    items_.push_back(d);
    if (d.severity == Severity::error) ++errors_;
  }
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  const std::size_t n = a.size(), m = b.size();
  std::vector<std::vector<std::size_t>> d(n + 1, std::vector<std::size_t>(m + 1));
  for (std::size_t i = 0; i <= n; ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= m; ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= n; ++i) {
    for (std::size_t j = 1; j <= m; ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[n][m];
}

std::string closest_match(std::string_view word, const std::vector<std::string>& candidates) {
  std::string best;
  std::size_t best_distance = 0;
  for (const auto& c : candidates) {
    const std::size_t dist = edit_distance(word, c);
    if (best.empty() || dist < best_distance) {
      best = c;
      best_distance = dist;
    }
  }
  // A typo changes a few characters: allow 1 edit for short words, up to a third of the length.
  const std::size_t allowed = std::max<std::size_t>(1, std::max(word.size(), best.size()) / 3);
  if (!best.empty() && best_distance <= allowed) return best;
  // A truncated name ("partner" for "partner_api") is also a likely slip.
  if (word.size() >= 3)
    for (const auto& c : candidates)
      if (c.size() > word.size() && c.compare(0, word.size(), word) == 0) return c;
  return {};
}

std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates) {
  const std::string best = closest_match(word, candidates);
  return best.empty() ? std::string{} : fmt::format("did you mean '{}'?", best);
}

std::string quoted_list(const std::vector<std::string>& items) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ", ";
    out += "'" + items[i] + "'";
  }
  return out;
}

namespace {

// The length of the valid UTF-8 sequence at the start of `s`, or 0.
std::size_t utf8_sequence(std::string_view s) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  const unsigned char lead = byte(0);
  std::size_t n = 0;
  std::uint32_t cp = 0;
  if (lead >= 0xc2 && lead <= 0xdf) { n = 2; cp = lead & 0x1fu; }
  else if (lead >= 0xe0 && lead <= 0xef) { n = 3; cp = lead & 0x0fu; }
  else if (lead >= 0xf0 && lead <= 0xf4) { n = 4; cp = lead & 0x07u; }
  else return 0;
  if (s.size() < n) return 0;
  for (std::size_t i = 1; i < n; ++i) {
    if ((byte(i) & 0xc0u) != 0x80u) return 0;
    cp = (cp << 6) | (byte(i) & 0x3fu);
  }
  // Overlong forms, UTF-16 surrogates and values beyond U+10FFFF are not UTF-8.
  if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff))
    return 0;
  return n;
}

// Appends the character at the start of `s` (escaped if needed); returns the bytes it used.
std::size_t append_escaped(std::string_view s, std::string& out) {
  const auto c = static_cast<unsigned char>(s[0]);
  if (c >= 0x20 && c < 0x7f) {
    out += static_cast<char>(c);
    return 1;
  }
  if (c == '\t') { out += "\\t"; return 1; }
  if (c == '\n') { out += "\\n"; return 1; }
  if (c == '\r') { out += "\\r"; return 1; }
  if (c >= 0x80) {
    if (const std::size_t n = utf8_sequence(s); n > 0) {
      out.append(s.substr(0, n));
      return n;
    }
  }
  out += fmt::format("\\x{:02x}", c);
  return 1;
}

}  // namespace

std::string escape_text(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) i += append_escaped(text.substr(i), out);
  return out;
}

std::string echo(std::string_view text, std::size_t max_chars) {
  std::string out;
  std::size_t i = 0;
  for (std::size_t chars = 0; i < text.size() && chars < max_chars; ++chars) i += append_escaped(text.substr(i), out);
  if (i < text.size()) out += "...";
  return out;
}

}  // namespace slsim
