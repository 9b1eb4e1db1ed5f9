#pragma once
// Diagnostics for bad input: every message names where (file:line:column, or
// the --set override it came from), the key path, what was expected and what
// was found, and a did-you-mean hint where one fits.
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace slsim {

// A position in the input. `origin` is the file name, or "--set PATH=VALUE".
struct SourceLoc {
  std::shared_ptr<const std::string> origin;
  int line = 0;    // 1-based; 0 when unknown
  int column = 0;  // 1-based; 0 when unknown
  bool from_override = false;
  std::string str() const;  // "file:12:5" or "--set a.b=c"
};

enum class Severity { error, warning };

struct Diagnostic {
  Severity severity = Severity::error;
  SourceLoc loc;
  std::string path;     // dotted key path, e.g. services.api.throttle.rate
  std::string message;  // what was expected and what was found
  std::string hint;     // e.g. "did you mean 'reserved_concurrency'?"
  std::string str() const;
};

class Diagnostics {
 public:
  void error(const SourceLoc& loc, std::string path, std::string message, std::string hint = {});
  void warning(const SourceLoc& loc, std::string path, std::string message, std::string hint = {});
  bool has_errors() const { return errors_ > 0; }
  std::size_t error_count() const { return errors_; }
  const std::vector<Diagnostic>& all() const { return items_; }
  std::string str() const;  // every diagnostic, one per line (hints indented below)
  void append(const Diagnostics& other);

 private:
  std::vector<Diagnostic> items_;
  std::size_t errors_ = 0;
};

// Thrown when input cannot be used; the CLI prints it and exits with code 2.
class InputError : public std::runtime_error {
 public:
  explicit InputError(Diagnostics d) : std::runtime_error(d.str()), diagnostics_(std::move(d)) {}
  const Diagnostics& diagnostics() const { return diagnostics_; }

 private:
  Diagnostics diagnostics_;
};

// Optimal string alignment distance (Levenshtein plus adjacent transpositions).
std::size_t edit_distance(std::string_view a, std::string_view b);
// The closest candidate if it is close enough to be a likely typo, else "".
std::string closest_match(std::string_view word, const std::vector<std::string>& candidates);
// "did you mean 'x'?" or "" when nothing is close.
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);
// "a, b, c" with quotes: 'a', 'b', 'c'
std::string quoted_list(const std::vector<std::string>& items);

// Input text made safe to print: control bytes and bytes that are not UTF-8
// become \xNN (a tab \t, a newline \n); valid UTF-8 is kept.
std::string escape_text(std::string_view text);
// Input text as a message echoes it: escaped, and cut after `max_chars`
// characters with "..." so that a long (or binary) value stays readable.
inline constexpr std::size_t kEchoChars = 60;
std::string echo(std::string_view text, std::size_t max_chars = kEchoChars);

}  // namespace slsim
