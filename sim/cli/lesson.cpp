// `slsim lesson [NAME]`: lists the scenarios with a lesson: block, or runs one:
// its concept and story, the base run and each what-if (lesson.try) with the
// figures that changed side by side, said in words, and its checks. Exit 1
// when a what-if no longer shows its effect, so lessons are regression tests.
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "sim/analysis/html_reports.hpp"
#include "sim/analysis/lesson.hpp"
#include "sim/cli/commands.hpp"
#include "sim/report/result.hpp"
#include "sim/scenario/document.hpp"
#include "sim/scenario/units.hpp"

namespace slsim::cli {

namespace {

struct LessonArgs {
  std::string name, dir;
  std::vector<std::string> sets;
  RunFlags flags;
};

struct LessonEntry {
  std::string name;  // the file's stem
  std::string concept_text;
  std::vector<std::string> exams;
  std::string file;
};

// Text from the scenario made safe to print, line by line (escape_text would escape the newlines).
std::string safe(const std::string& text) {
  std::string out;
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    out += escape_text(std::string_view(text).substr(start, end - start));
    if (end < text.size()) out += "\n";
    start = end + 1;
  }
  return out;
}

bool is_yaml(const std::filesystem::path& p) { return p.extension() == ".yaml" || p.extension() == ".yml"; }

// The scenarios under `dir` (recursively) with a lesson: block, sorted by name
// then file. Read as YAML only: a listing does not load or build anything.
std::vector<LessonEntry> find_lessons(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    input_error(dir, "no such directory: lessons are looked for in the scenarios/ directory of the current directory",
                "run slsim lesson from the project's directory, or give --dir DIR");
  std::vector<std::string> files;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec))
    if (is_yaml(it->path()) && it->is_regular_file(ec)) files.push_back(it->path().generic_string());
  if (ec) input_error(dir, fmt::format("cannot list the directory: {}", ec.message()));
  std::vector<LessonEntry> out;
  for (const auto& f : files) {
    Diagnostics ignored;  // a file that does not parse is not listed (slsim validate says why)
    const DocNode root = load_yaml_file(f, ignored);
    const DocNode* lesson = root.is_map() ? root.find("lesson") : nullptr;
    if (ignored.has_errors() || lesson == nullptr || !lesson->is_map()) continue;
    LessonEntry e;
    e.name = fs::path(f).stem().string();
    e.file = f;
    if (const DocNode* c = lesson->find("concept"); c != nullptr && c->is_scalar()) e.concept_text = c->scalar;
    if (const DocNode* x = lesson->find("exam"); x != nullptr && x->is_seq())
      for (const auto& item : x->items)
        if (item.is_scalar()) e.exams.push_back(item.scalar);
    out.push_back(std::move(e));
  }
  std::sort(out.begin(), out.end(),
            [](const LessonEntry& a, const LessonEntry& b) { return std::tie(a.name, a.file) < std::tie(b.name, b.file); });
  return out;
}

int list_lessons(const std::string& dir) {
  const std::vector<LessonEntry> lessons = find_lessons(dir);
  if (lessons.empty()) {
    std::cout << fmt::format("no lessons in {} (a lesson is a scenario with a lesson: block)\n", dir);
    return kExitOk;
  }
  std::vector<std::vector<std::string>> rows{{"LESSON", "EXAMS", "FILE", "CONCEPT"}};
  for (const auto& e : lessons)
    rows.push_back({e.name, e.exams.empty() ? "-" : fmt::format("{}", fmt::join(e.exams, ", ")), e.file, e.concept_text});
  std::size_t w0 = 0, w1 = 0, w2 = 0;
  for (const auto& r : rows) {
    w0 = std::max(w0, r[0].size());
    w1 = std::max(w1, r[1].size());
    w2 = std::max(w2, r[2].size());
  }
  for (const auto& r : rows) std::cout << safe(fmt::format("{:<{}}  {:<{}}  {:<{}}  {}", r[0], w0, r[1], w1, r[2], w2, r[3])) << "\n";
  std::cout << fmt::format("{} lesson{}; run one with: slsim lesson NAME\n", lessons.size(),
                           lessons.size() == 1 ? "" : "s");
  return kExitOk;
}

// NAME (a lesson under `dir`) or a scenario file.
std::string lesson_file(const std::string& arg, const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (arg == "-" || is_yaml(arg) || arg.find('/') != std::string::npos || fs::is_regular_file(arg, ec)) return arg;
  const std::vector<LessonEntry> lessons = find_lessons(dir);
  std::vector<std::string> names, files;
  for (const auto& e : lessons) {
    names.push_back(e.name);
    if (e.name == arg) files.push_back(e.file);
  }
  if (files.empty()) {
    std::string hint = did_you_mean(arg, names);
    if (hint.empty()) hint = "slsim lesson lists them";
    input_error("slsim lesson", fmt::format("no lesson named '{}' in {}", echo(arg), dir), hint);
  }
  if (files.size() > 1)
    input_error("slsim lesson", fmt::format("{} lessons are named '{}': {}", files.size(), arg, quoted_list(files)),
                "give the file instead of the name");
  return files.front();
}

std::string indented(const std::string& text, const std::string& indent) {
  std::string out;
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(start, end - start);
    out += line.empty() ? "\n" : indent + line + "\n";
    start = end + 1;
  }
  return out;
}

int run_lesson(const LessonArgs& a) {
  const std::string file = lesson_file(a.name, a.dir);
  const LoadOptions base_options = load_options(a.sets, a.flags);
  const Scenario base = load_input(file, base_options);
  print_warnings(base);
  if (!base.lesson)
    input_error(shown_name(file), "this scenario has no lesson: block", "slsim lesson lists the scenarios that have one");
  if (file == "-" && !base.lesson_tries.empty())
    input_error("<stdin>", "a lesson's what-ifs reload the scenario, which standard input cannot give twice",
                "save it to a file and give the file");
  const Record& lesson = *base.lesson;
  const unsigned threads = a.flags.threads == 0 ? default_threads() : a.flags.threads;

  // Load every variation before running anything: bad input is found at once.
  std::set<std::string> warnings_seen;
  for (const auto& d : base.warnings.all()) warnings_seen.insert(d.str());
  std::vector<Scenario> variations;
  for (const auto& t : base.lesson_tries) {
    variations.push_back(load_input(file, lesson_try_options(base_options, t)));
    for (const auto& d : variations.back().warnings.all())
      if (warnings_seen.insert(d.str()).second) std::cerr << d.str() << "\n";
  }

  std::string out;
  const std::string stem = std::filesystem::path(file).stem().string();
  out += fmt::format("Lesson {}: {}\n", stem, lesson.text("concept"));
  std::vector<std::string> exams;
  for (const auto& e : lesson.list("exam")) exams.push_back(e.text);
  if (!exams.empty()) out += fmt::format("Exams: {}\n", fmt::join(exams, ", "));
  out += fmt::format("Scenario: {} ({}, seed {}, {} measured{})\n", shown_name(file), base.name, base.seed,
                     format_duration(static_cast<double>(base.duration)),
                     base.warmup > 0 ? " after " + format_duration(static_cast<double>(base.warmup)) + " warm-up" : "");
  if (lesson.has("story")) out += "\n" + indented(lesson.text("story"), "  ");
  std::cout << safe(out) << std::flush;

  const Json base_result = run_loaded(base, threads).result;
  std::vector<Json> try_results;  // for --report
  std::vector<std::string> failures;
  std::size_t shown_effect = 0;
  for (std::size_t i = 0; i < base.lesson_tries.size(); ++i) {
    const LessonTry& t = base.lesson_tries[i];
    const Json now = run_loaded(variations[i], threads).result;
    if (!a.flags.report_out.empty()) try_results.push_back(now);
    std::string s = fmt::format("\nTry {}: {}\n", i + 1, t.set_text());
    if (!t.expect.empty()) s += fmt::format("  Expect: {}\n", t.expect);
    const std::vector<ChangedFigure> rows = changed_figures(t, base_result, now);
    if (rows.empty()) {
      s += "  No figure changed materially.\n";
    } else {
      s += "\n" + format_changed_figures(rows) + "\n";
      s += "  What changed:\n";
      for (const auto& said : explain_changes(rows)) s += fmt::format("    - {}\n", said);
    }
    if (!t.why.empty()) s += wrap_paragraph(lesson_why(t, base_result, now), "  Why: ", "       ", kLessonWidth);
    std::size_t failed = 0;
    if (t.checks.empty()) {
      s += "  No checks: compare the figures with the sentence above.\n";
      ++shown_effect;
    } else {
      s += "  Checks:\n";
      for (const auto& c : t.checks) {
        const CheckVerdict v = evaluate_lesson_check(c, base_result, now);
        s += fmt::format("    {:<4}  {}\n", v.pass ? "ok" : "FAIL", v.text);
        if (!v.pass) {
          ++failed;
          failures.push_back(fmt::format("try {} ({}): {}", i + 1, t.set_text(), v.text));
        }
      }
      if (failed == 0) {
        ++shown_effect;
        s += fmt::format("  The effect shows ({} of {} checks hold).\n", t.checks.size(), t.checks.size());
      } else {
        s += fmt::format("  The effect no longer shows: {} of {} checks fail.\n", failed, t.checks.size());
      }
    }
    std::cout << safe(s) << std::flush;
  }
  std::string summary = fmt::format("\n{}: {} of {} what-ifs show their effect\n", stem, shown_effect,
                                    base.lesson_tries.size());
  for (const auto& f : failures) summary += fmt::format("{}: FAIL {}\n", stem, f);
  std::cout << safe(summary);
  if (!a.flags.report_out.empty() &&
      !write_text(a.flags.report_out, html_lesson_report({stem, base, base_result, try_results})))
    input_error(a.flags.report_out, "cannot write the HTML report here", "check that the directory exists and is writable");
  return failures.empty() ? kExitOk : kExitExpectationFailed;
}

}  // namespace

Command add_lesson_command(CLI::App& app) {
  auto a = std::make_shared<LessonArgs>();
  CLI::App* cmd = app.add_subcommand(
      "lesson", "list the lessons, or run one: its story, each what-if against the base, and its checks (exit 1 "
                "when a what-if no longer shows its effect)");
  cmd->add_option("name", a->name, "a lesson's name (the scenario file's stem) or a scenario file; none: list them");
  cmd->add_option("--dir", a->dir, "where to look for lessons, recursively (default: scenarios)");
  cmd->add_option("--seed", a->flags.seed, "random seed of every run (overrides the scenario's)");
  cmd->add_option("--duration", a->flags.duration,
                  "measured simulated time of every run, e.g. 10min (overrides the scenario's)");
  cmd->add_option("--threads", a->flags.threads, "threads for replications (default: one per core)")
      ->check(CLI::Range(1u, 1024u));
  cmd->add_option("--set", a->sets, "override a value of the base and every what-if: PATH=VALUE (repeatable)")
      ->allow_extra_args(false);
  cmd->add_option("--report", a->flags.report_out,
                  "write a self-contained HTML report (the story, the checked figures as charts, the verdicts)");
  return {cmd, [a] {
            if (a->dir.empty()) a->dir = "scenarios";
            return a->name.empty() ? list_lessons(a->dir) : run_lesson(*a);
          }};
}

}  // namespace slsim::cli
