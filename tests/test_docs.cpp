// The documentation is part of the product: it must stand on its own in a
// clone (no references to material outside the repository), its YAML examples
// must load with the real loader, and the files it names must exist.
//
// How a ```yaml block in a Markdown file is checked (the line just before the
// fence says so, in an HTML comment that renders as nothing):
//   (no comment)                                     a complete scenario; it must load
//   <!-- check: inside FILE under services -->       the block is added to FILE's services:
//   <!-- check: inside FILE under workloads -->      the block is added to FILE's workloads:
//   <!-- check: inside FILE at the top level -->     the block's top-level keys replace FILE's
//   <!-- check: fails with the message below -->     a complete scenario that must fail to
//                                                    load, as scenario.yaml, with exactly the
//                                                    text of the next fenced block
// Any other comment of the form <!-- check: ... --> fails the test.
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "sim/scenario/registry.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/scenario/schema.hpp"

namespace fs = std::filesystem;
using namespace slsim;

namespace {

const fs::path kRoot{SLSIM_SOURCE_DIR};

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string fmt_count(const std::string& name, long n) {
  return name + ": listed " + std::to_string(n) + " times in scenarios/README.md (once expected)\n";
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    out.push_back(line);
  }
  return out;
}

// Every regular text file of the source tree, relative to it: not the build
// trees (build*/ at the top), not .git, nothing with a NUL byte.
std::vector<fs::path> source_files() {
  std::vector<fs::path> out;
  for (auto it = fs::recursive_directory_iterator(kRoot); it != fs::recursive_directory_iterator(); ++it) {
    const fs::path rel = fs::relative(it->path(), kRoot);
    const std::string first = rel.begin()->string();
    const std::string name = it->path().filename().string();
    if (it->is_directory() && (name == ".git" || (rel == rel.filename() && first.starts_with("build")))) {
      it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file() || it->file_size() > 4u << 20) continue;
    const std::string text = slurp(it->path());
    if (text.find('\0') != std::string::npos) continue;
    out.push_back(rel);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<fs::path> markdown_files() {
  std::vector<fs::path> out;
  for (const auto& f : source_files())
    if (f.extension() == ".md") out.push_back(f);
  return out;
}

struct Fence {
  std::size_t line = 0;    // 1-based line of the opening fence
  std::string lang;        // "yaml", "text", ""
  std::string marker;      // the <!-- check: ... --> comment just before it, if any
  std::string body;
};

std::vector<Fence> fences(const std::string& text) {
  std::vector<Fence> out;
  const auto lines = lines_of(text);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const auto start = lines[i].find_first_not_of(' ');
    if (start == std::string::npos || lines[i].compare(start, 3, "```") != 0) continue;
    Fence f;
    f.line = i + 1;
    f.lang = lines[i].substr(start + 3);
    for (std::size_t k = i; k-- > 0;) {
      if (lines[k].empty()) continue;
      if (lines[k].find("<!-- check:") != std::string::npos) f.marker = lines[k];
      break;
    }
    std::size_t j = i + 1;
    for (; j < lines.size(); ++j) {
      const auto s = lines[j].find_first_not_of(' ');
      if (s != std::string::npos && lines[j].compare(s, 3, "```") == 0) break;
      f.body += (lines[j].size() > start ? lines[j].substr(start) : std::string{}) + "\n";
    }
    out.push_back(f);
    i = j;
  }
  return out;
}

std::string indent(const std::string& block, const std::string& by) {
  std::string out;
  for (const auto& line : lines_of(block)) out += (line.empty() ? line : by + line) + "\n";
  return out;
}

bool top_level_key_line(const std::string& line, std::string* key = nullptr) {
  if (line.empty() || line[0] == ' ' || line[0] == '#' || line[0] == '-') return false;
  const auto colon = line.find(':');
  if (colon == std::string::npos) return false;
  if (key != nullptr) *key = line.substr(0, colon);
  return true;
}

// FILE with the block added under its `key:` line (services or workloads).
std::string insert_under(const std::string& file_text, const std::string& key, const std::string& block) {
  std::string out;
  bool done = false;
  for (const auto& line : lines_of(file_text)) {
    out += line + "\n";
    if (!done && line == key + ":") {
      out += indent(block, "  ");
      done = true;
    }
  }
  if (!done) FAIL("no line '" << key << ":' to insert under");
  return out;
}

// FILE without the top-level keys the block sets, then the block.
std::string replace_top_level(const std::string& file_text, const std::string& block) {
  std::vector<std::string> keys;
  for (const auto& line : lines_of(block)) {
    std::string k;
    if (top_level_key_line(line, &k)) keys.push_back(k);
  }
  std::string out;
  bool skipping = false;
  for (const auto& line : lines_of(file_text)) {
    std::string k;
    if (top_level_key_line(line, &k)) skipping = std::find(keys.begin(), keys.end(), k) != keys.end();
    if (!skipping) out += line + "\n";
  }
  return out + block;
}

std::string load_message(const std::string& text, const std::string& origin) {
  try {
    (void)load_scenario_text(text, origin, builtin_services());
    return "";
  } catch (const InputError& e) {
    return e.what();
  }
}

// GitHub's anchor for a heading: lower case, punctuation dropped, spaces as '-'.
std::string anchor_of(const std::string& heading) {
  std::string out;
  for (const char c : heading) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) != 0) out += static_cast<char>(std::tolower(u));
    else if (c == ' ' || c == '-') out += '-';
    else if (c == '_') out += '_';
  }
  return out;
}

std::vector<std::string> anchors(const std::string& markdown) {
  std::vector<std::string> out;
  bool in_fence = false;
  for (const auto& line : lines_of(markdown)) {
    if (line.starts_with("```")) in_fence = !in_fence;
    if (in_fence || !line.starts_with("#")) continue;
    const auto text = line.find_first_not_of('#');
    if (text != std::string::npos && line[text] == ' ') out.push_back(anchor_of(line.substr(text + 1)));
  }
  return out;
}

}  // namespace

TEST_CASE("docs: nothing in the repository points outside it", "[docs]") {
  // Built by concatenation so that this file does not match itself.
  const std::string shared = "shared", design = "design/";
  const std::vector<std::string> needles = {"../" + shared,         "aws" + std::string("-facts"),
                                            shared + "/design",     shared + "/reference",
                                            design + "OUTPUT.md",   design + "SCENARIO.md",
                                            design + "ARCHITECTURE.md"};
  const auto files = source_files();
  REQUIRE(files.size() > 100);  // the walk found the tree
  std::string found;
  for (const auto& f : files) {
    const auto lines = lines_of(slurp(kRoot / f));
    for (std::size_t i = 0; i < lines.size(); ++i) {
      const bool hit = std::any_of(needles.begin(), needles.end(),
                                   [&](const std::string& n) { return lines[i].find(n) != std::string::npos; });
      if (hit) found += f.string() + ":" + std::to_string(i + 1) + ": " + lines[i] + "\n";
    }
  }
  INFO("cite docs/model-assumptions.md (and a section) instead:\n" << found);
  REQUIRE(found.empty());
}

TEST_CASE("docs: every YAML example loads with the real loader (or fails as shown)", "[docs]") {
  const std::regex inside(R"(<!-- check: inside (\S+) (under (services|workloads)|at the top level) -->)");
  const std::string fails = "<!-- check: fails with the message below -->";
  int checked = 0, failing = 0;
  for (const auto& md : markdown_files()) {
    const auto blocks = fences(slurp(kRoot / md));
    for (std::size_t b = 0; b < blocks.size(); ++b) {
      const Fence& f = blocks[b];
      const std::string where = md.string() + ":" + std::to_string(f.line);
      if (f.lang != "yaml") {
        INFO(where << ": a check comment before a ```" << f.lang << " block");
        CHECK(f.marker.empty());
        continue;
      }
      INFO(where);
      ++checked;
      std::smatch m;
      if (f.marker.empty()) {
        CHECK(load_message(f.body, "scenario.yaml") == "");
      } else if (f.marker.find(fails) != std::string::npos) {
        ++failing;
        REQUIRE(b + 1 < blocks.size());  // the message is the next fenced block
        const std::string message = load_message(f.body, "scenario.yaml");
        CHECK(message != "");
        CHECK(message == blocks[b + 1].body);
      } else if (std::regex_search(f.marker, m, inside)) {
        const fs::path file = kRoot / m[1].str();
        REQUIRE(fs::is_regular_file(file));
        const std::string base = slurp(file);
        const std::string text =
            m[3].matched ? insert_under(base, m[3].str(), f.body) : replace_top_level(base, f.body);
        INFO("as loaded:\n" << text);
        CHECK(load_message(text, file.string()) == "");
      } else {
        FAIL_CHECK("unknown check comment (see tests/test_docs.cpp): " << f.marker);
      }
    }
  }
  // The docs show many examples and a few errors: a broken fence parser would find none.
  CHECK(checked >= 25);
  CHECK(failing >= 2);
}

TEST_CASE("docs: the scenarios and files the docs name exist", "[docs]") {
  const std::regex scenario_ref(R"(((bench/)?scenarios/[A-Za-z0-9_./-]+\.(yaml|csv)))");
  const std::regex link(R"(\]\(([^)#\s]+)(#[^)]*)?\))");
  int scenarios = 0;
  std::string missing;
  for (const auto& md : markdown_files()) {
    const std::string text = slurp(kRoot / md);
    for (auto it = std::sregex_iterator(text.begin(), text.end(), scenario_ref); it != std::sregex_iterator(); ++it) {
      ++scenarios;
      if (!fs::is_regular_file(kRoot / (*it)[1].str())) missing += md.string() + ": " + (*it)[1].str() + "\n";
    }
    for (auto it = std::sregex_iterator(text.begin(), text.end(), link); it != std::sregex_iterator(); ++it) {
      const std::string target = (*it)[1].str();
      if (target.find("://") != std::string::npos || target.starts_with("mailto:")) continue;
      const fs::path file = (kRoot / md).parent_path() / target;
      if (!fs::exists(file)) {
        missing += md.string() + ": link " + target + "\n";
      } else if ((*it)[2].matched && file.extension() == ".md") {
        const std::string anchor = (*it)[2].str().substr(1);
        const auto known = anchors(slurp(file));
        if (std::find(known.begin(), known.end(), anchor) == known.end())
          missing += md.string() + ": link " + target + "#" + anchor + " (no such heading)\n";
      }
    }
  }
  CHECK(scenarios >= 10);
  INFO(missing);
  CHECK(missing.empty());
}

TEST_CASE("docs: scenarios/README.md indexes every scenario once, in its folder, marking the lessons", "[docs]") {
  // The index: "## FOLDER" headings, then "- `NAME` - ..." lines; "**lesson**" marks a lesson.
  const auto index = lines_of(slurp(kRoot / "scenarios" / "README.md"));
  const std::regex entry(R"(^- `([A-Za-z0-9_-]+)` — (\*\*lesson\*\*)?)");
  std::string folder, problems;
  std::vector<std::string> listed;
  for (const auto& line : index) {
    if (line.starts_with("## ")) folder = line.substr(3, line.find(' ', 3) - 3);
    std::smatch m;
    if (!std::regex_search(line, m, entry)) continue;
    const std::string name = m[1].str();
    listed.push_back(name);
    const fs::path file = kRoot / "scenarios" / folder / (name + ".yaml");
    if (!fs::is_regular_file(file)) {
      problems += "listed but not in scenarios/" + folder + "/: " + name + "\n";
      continue;
    }
    const std::string text = slurp(file);
    const bool lesson = text.starts_with("lesson:") || text.find("\nlesson:") != std::string::npos;
    if (lesson != m[2].matched)
      problems += name + (lesson ? ": a lesson, not marked **lesson**\n" : ": marked **lesson** without a lesson: block\n");
  }
  int scenarios = 0;
  for (const auto& e : fs::recursive_directory_iterator(kRoot / "scenarios")) {
    if (!e.is_regular_file() || e.path().extension() != ".yaml") continue;
    ++scenarios;
    const auto n = std::count(listed.begin(), listed.end(), e.path().stem().string());
    if (n != 1) problems += fmt_count(e.path().stem().string(), n);
  }
  CHECK(scenarios >= 40);
  INFO(problems);
  CHECK(problems.empty());
}

TEST_CASE("docs: ranges are shown as they are checked", "[docs]") {
  // A mean of 0 is rejected, so the docs must not say ">= 0s".
  const std::string md = schema_markdown(distribution_schema(), 2);
  CHECK(md.find("| `mean` | duration |  | **required** | > 0s, ≤ 3650d | the mean |") != std::string::npos);
  CHECK(md.find("≥ 0s | the mean") == std::string::npos);
  const std::string zero_mean =
      "name: t\nduration: 1s\nworkloads: [{name: w, target: x, arrival: {process: constant, rate: 1/s}}]\n"
      "services:\n  x: {type: external, latency: {dist: exponential, mean: 0s}}\n";
  CHECK(load_message(zero_mean, "t.yaml") ==
        "t.yaml:5:58: error: services.x.latency.mean: expected a duration above 0s and at most 3650d, found '0s'\n");
  // Sizes are exact and readable, in the declared unit when it divides them.
  ParamSpec size = param("s", ParamType::size, "KB", "", "");
  CHECK(format_value(size, 4294967295.0) == "4294967295B");
  CHECK(format_value(size, 1.0) == "1B");
  CHECK(format_value(size, 1048576.0) == "1024KB");
  CHECK(format_value(size, 0.0) == "0KB");
  ParamSpec memory = param("m", ParamType::size, "MB", "", "");
  CHECK(format_value(memory, 10240.0 * 1048576.0) == "10240MB");
  ParamSpec plain = param("p", ParamType::size, "", "", "");
  CHECK(format_value(plain, 3.0 * 1073741824.0) == "3GB");
}
