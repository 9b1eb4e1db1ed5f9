#include "sim/scenario/input_file.hpp"

#include <filesystem>
#include <fstream>
#include <system_error>

#include <fmt/format.h>

namespace slsim {

std::string byte_limit_text(std::size_t bytes) {
  if (bytes >= (std::size_t{1} << 20) && bytes % (std::size_t{1} << 20) == 0) return fmt::format("{} MiB", bytes >> 20);
  return fmt::format("{} bytes", bytes);
}

FileText read_input_file(const std::string& path, std::size_t max_bytes) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);  // follows symbolic links
  if (ec || !fs::exists(st)) return {std::nullopt, "does not exist", true};
  if (fs::is_directory(st)) return {std::nullopt, "is a directory, not a file"};
  if (!fs::is_regular_file(st))
    return {std::nullopt, "is not a regular file (a device, pipe or socket): give the path of a file"};
  const auto size = fs::file_size(path, ec);
  if (!ec && size > max_bytes)
    return {std::nullopt, fmt::format("is larger than {}, the limit for this file", byte_limit_text(max_bytes))};
  std::ifstream in(path, std::ios::binary);
  if (!in) return {std::nullopt, "cannot be opened (permission denied?)", true};
  std::string text;
  if (!ec) text.reserve(static_cast<std::size_t>(size));
  // Read in chunks up to one byte beyond the limit: a file that grows while it is read is still refused.
  char chunk[65536];
  while (text.size() <= max_bytes && in.read(chunk, sizeof chunk).gcount() > 0)
    text.append(chunk, static_cast<std::size_t>(in.gcount()));
  if (in.bad()) return {std::nullopt, "could not be read to its end (an I/O error)"};
  if (text.size() > max_bytes)
    return {std::nullopt, fmt::format("is larger than {}, the limit for this file", byte_limit_text(max_bytes))};
  return {std::move(text), {}};
}

std::string for_each_data_line(std::string_view text,
                               const std::function<std::string(std::size_t, std::string_view)>& row) {
  std::size_t line_no = 0;
  std::size_t start = 0;
  while (start < text.size()) {
    ++line_no;
    const std::size_t end = text.find('\n', start);
    const std::size_t stop = end == std::string_view::npos ? text.size() : end;
    if (stop - start > kMaxDataLineBytes)
      return fmt::format("{}: the line is longer than {} characters", line_no, kMaxDataLineBytes);
    if (line_no > kMaxDataRows)
      return fmt::format("{}: more than {} lines (the limit for a data file)", line_no, kMaxDataRows);
    std::string error = row(line_no, text.substr(start, stop - start));
    if (!error.empty()) return fmt::format("{}: {}", line_no, error);
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return {};
}

}  // namespace slsim
