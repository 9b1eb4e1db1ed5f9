#pragma once
// Reading the files a scenario names (the scenario itself, traces, samples of
// an empirical distribution) with bounds, so that no input can read without
// end or exhaust memory: only regular files, at most a given size, lines of a
// bounded length and a bounded number of data rows.
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace slsim {

inline constexpr std::size_t kMaxScenarioBytes = std::size_t{8} << 20;   // 8 MiB
inline constexpr std::size_t kMaxDataFileBytes = std::size_t{256} << 20;  // 256 MiB
inline constexpr std::size_t kMaxDataLineBytes = 4096;
inline constexpr std::size_t kMaxDataRows = 10'000'000;

struct FileText {
  std::optional<std::string> text;
  // When text is empty: why, to follow the path in a message ("is a directory, not a file").
  std::string error;
  bool missing = false;  // the path does not exist or cannot be opened
};

// The whole content of the regular file at `path`, if it holds at most
// `max_bytes`. A directory, a device, a pipe or a socket is refused before
// anything is read; a read error after opening is reported too.
FileText read_input_file(const std::string& path, std::size_t max_bytes);

// "8 MiB", "256 MiB", "4096 bytes": a byte limit for messages.
std::string byte_limit_text(std::size_t bytes);

// Calls `row(line_number, line)` for each line of `text` (without its end of
// line). Returns an error text (for "FILE:LINE: ...") when a line is longer
// than kMaxDataLineBytes, when there are more than kMaxDataRows lines, or
// when `row` returns one; "" when every line was accepted.
std::string for_each_data_line(std::string_view text,
                               const std::function<std::string(std::size_t, std::string_view)>& row);

}  // namespace slsim
