// The HTML report of a lesson run: its concept and story, then for each
// metric a try checks a grouped bar chart of the base run and every try that
// checks it, and per try the figures that changed and its verdicts, judged
// as `slsim lesson` judges them (sim/analysis/lesson.hpp).
#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "sim/analysis/html_reports.hpp"
#include "sim/analysis/lesson.hpp"
#include "sim/report/html_report.hpp"
#include "sim/report/number_text.hpp"
#include "sim/report/result.hpp"
#include "sim/report/svg.hpp"
#include "sim/scenario/units.hpp"

namespace slsim {

namespace {

using svg::escape;

std::optional<double> number_at(const Json& result, const std::string& path) {
  const Json* v = result.find_path(path);
  if (v == nullptr) return std::nullopt;
  if (v->is_bool()) return v->as_bool() ? 1.0 : 0.0;
  if (!v->is_number()) return std::nullopt;
  return v->as_double();
}

// Paragraphs of a story: blank lines separate them, wrapped lines flow together.
std::string paragraphs(const std::string& text) {
  std::string out, current;
  std::size_t start = 0;
  const auto flush = [&] {
    if (!current.empty()) out += fmt::format("<p>{}</p>\n", escape(current));
    current.clear();
  };
  while (start <= text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(start, end - start);
    start = end + 1;
    const auto first = line.find_first_not_of(" \t");
    if (first == std::string::npos) flush();
    else {
      if (!current.empty()) current += ' ';
      current += line.substr(first);
    }
    if (end == text.size()) break;
  }
  flush();
  return out;
}

std::string header_part(const LessonReportInput& in) {
  const Record& lesson = *in.base.lesson;
  std::string out = fmt::format("<header>\n<h1>Lesson {}</h1>\n", escape(in.name));
  if (lesson.has("concept")) out += fmt::format("<p class=\"description\">{}</p>\n", escape(lesson.text("concept")));
  out += "<dl class=\"facts\">\n";
  std::string exams;
  for (const auto& e : lesson.list("exam")) {
    if (!exams.empty()) exams += ", ";
    exams += e.text;
  }
  if (!exams.empty()) out += fmt::format("<dt>exams</dt><dd>{}</dd>\n", escape(exams));
  std::string window = format_duration(static_cast<double>(in.base.duration)) + " measured";
  if (in.base.warmup > 0)
    window += fmt::format(" after {} of warm-up", format_duration(static_cast<double>(in.base.warmup)));
  out += fmt::format(
      "<dt>scenario</dt><dd>{} ({})</dd>\n<dt>seed</dt><dd>{}</dd>\n<dt>simulated time</dt><dd>{}</dd>\n"
      "<dt>what-ifs</dt><dd>{}</dd>\n<dt>slsim</dt><dd>{}</dd>\n</dl>\n</header>\n",
      escape(in.base.name), escape(in.base.file), in.base.seed, escape(window), in.base.lesson_tries.size(),
      escape(kSlsimVersion));
  if (lesson.has("story")) out += html::section("story", "Story", paragraphs(lesson.text("story")));
  return out;
}

// Per checked metric (in the order the tries check them): base and each try that checks it.
std::string charts_part(const LessonReportInput& in) {
  std::vector<std::string> metrics;
  for (const auto& t : in.base.lesson_tries)
    for (const auto& c : t.checks)
      if (std::find(metrics.begin(), metrics.end(), c.x.metric) == metrics.end()) metrics.push_back(c.x.metric);
  if (metrics.empty()) return {};
  std::string body = "<p class=\"note\">Each checked figure in the base run and in every what-if that checks it.</p>\n";
  for (std::size_t m = 0; m < metrics.size(); ++m) {
    svg::BarChart chart;
    chart.id = fmt::format("lesson-{}", m);
    chart.title = metric_words(metrics[m]);
    chart.value_label = metrics[m];
    chart.categories = {metric_words(metrics[m])};
    const auto base = number_at(in.base_result, metrics[m]);
    chart.series.push_back({"base", {base.value_or(std::nan(""))}});
    for (std::size_t i = 0; i < in.base.lesson_tries.size() && i < in.try_results.size(); ++i) {
      const LessonTry& t = in.base.lesson_tries[i];
      const bool checks = std::any_of(t.checks.begin(), t.checks.end(),
                                      [&](const LessonCheck& c) { return c.x.metric == metrics[m]; });
      if (!checks) continue;
      chart.series.push_back({fmt::format("try {}: {}", i + 1, t.set_text()),
                              {number_at(in.try_results[i], metrics[m]).value_or(std::nan(""))}});
    }
    body += svg::bar_chart(chart);
  }
  return html::section("checked-figures", "Checked figures", body);
}

std::string try_part(const LessonReportInput& in, std::size_t i) {
  const LessonTry& t = in.base.lesson_tries[i];
  const Json& now = in.try_results[i];
  std::string body = fmt::format("<p>With <code>{}</code></p>\n", escape(t.set_text()));
  if (!t.expect.empty()) body += fmt::format("<p class=\"note\">Expect: {}</p>\n", escape(t.expect));
  const std::vector<ChangedFigure> rows = changed_figures(t, in.base_result, now);
  if (rows.empty()) {
    body += "<p>No figure changed materially.</p>\n";
  } else {
    std::vector<std::vector<std::string>> cells;
    const auto shown = [](const std::optional<double>& v) { return v ? escape(lesson_number(*v)) : std::string("-"); };
    const std::vector<std::string> words = explain_changes(rows);
    for (std::size_t r = 0; r < rows.size(); ++r)
      cells.push_back({escape(metric_words(rows[r].metric)), shown(rows[r].base), shown(rows[r].now),
                       r < words.size() ? escape(words[r]) : std::string{}});
    body += html::table({"figure", "base", "with the change", "in words"}, cells, {false, true, true, false});
  }
  // The cause, in the lesson's words with this run's figures (as `slsim lesson` prints it).
  if (!t.why.empty()) body += fmt::format("<p class=\"why\"><b>Why:</b> {}</p>\n", escape(lesson_why(t, in.base_result, now)));
  if (t.checks.empty()) {
    body += "<p class=\"note\">No checks: compare the figures with the sentence above.</p>\n";
  } else {
    std::vector<std::vector<std::string>> verdicts;
    std::size_t failed = 0;
    for (const auto& c : t.checks) {
      const CheckVerdict v = evaluate_lesson_check(c, in.base_result, now);
      failed += v.pass ? 0 : 1;
      verdicts.push_back({v.pass ? "<span class=\"pass\">ok</span>" : "<span class=\"fail\">FAIL</span>",
                          fmt::format("<code>{}</code>", escape(v.text))});
    }
    body += html::table({"", "check"}, verdicts);
    body += failed == 0 ? fmt::format("<p class=\"pass\">The effect shows ({} of {} checks hold).</p>\n",
                                      t.checks.size(), t.checks.size())
                        : fmt::format("<p class=\"fail\">The effect no longer shows: {} of {} checks fail.</p>\n",
                                      failed, t.checks.size());
  }
  return html::section(fmt::format("try-{}", i + 1), fmt::format("Try {}", i + 1), body);
}

}  // namespace

std::string html_lesson_report(const LessonReportInput& in) {
  std::string body = header_part(in);
  body += charts_part(in);
  for (std::size_t i = 0; i < in.base.lesson_tries.size() && i < in.try_results.size(); ++i) body += try_part(in, i);
  return html::page(fmt::format("Lesson {} - slsim", in.name), body);
}

}  // namespace slsim
