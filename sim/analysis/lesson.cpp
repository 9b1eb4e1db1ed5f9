#include "sim/analysis/lesson.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

namespace slsim {

double relative_change(double base, double now) {
  if (base == now) return 0;
  if (base == 0) return now > 0 ? std::numeric_limits<double>::infinity() : -std::numeric_limits<double>::infinity();
  return (now - base) / std::abs(base);
}

bool relative_check_holds(const std::string& than_base, double by, double base, double now) {
  const double change = relative_change(base, now);
  if (than_base == "lower") return now < base && -change >= by;
  if (than_base == "higher") return now > base && change >= by;
  return std::abs(change) <= by;  // same
}

namespace {

std::optional<double> number_at(const Json& result, const std::string& metric) {
  const Json* v = result.find_path(metric);
  if (v == nullptr) return std::nullopt;
  if (v->is_bool()) return v->as_bool() ? 1.0 : 0.0;
  if (!v->is_number()) return std::nullopt;
  return v->as_double();
}

std::string percent_text(double fraction) { return fmt::format("{:g}%", fraction * 100); }

std::string change_text(double base, double now) {
  if (base == now) return "0%";
  if (base == 0) return "new";
  return fmt::format("{:+.1f}%", relative_change(base, now) * 100);
}

// A count (a whole number in both runs) moves by chance about its square
// root: a change smaller than twice that is noise, however large in percent.
bool material_change(double base, double now) {
  if (!(std::abs(relative_change(base, now)) >= kMaterialChange)) return false;
  const bool counts = base == std::round(base) && now == std::round(now) && base >= 0 && now >= 0;
  return !counts || std::abs(now - base) > 2 * std::sqrt(std::max(base, now));
}

std::string shown(const std::optional<double>& v) { return v ? lesson_number(*v) : "-"; }

}  // namespace

std::string lesson_number(double v) {
  if (!std::isfinite(v)) return fmt::format("{}", v);
  if ((v == std::round(v) || std::abs(v) >= 1000) && std::abs(v) < 1e15) {
    // Whole numbers, and the others from 1,000 up rounded to one, with thousands separators: 1,234,567.
    const std::string digits = fmt::format("{:.0f}", std::abs(v));
    std::string out = v < 0 ? "-" : "";
    for (std::size_t i = 0; i < digits.size(); ++i) {
      if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
      out += digits[i];
    }
    return out;
  }
  if (std::abs(v) >= 100) return fmt::format("{:.1f}", v);  // 100 to 1,000: one decimal
  return fmt::format("{:.4g}", v);
}

CheckVerdict evaluate_lesson_check(const LessonCheck& check, const Json& base, const Json& now) {
  const Expectation& x = check.x;
  CheckVerdict out;
  const std::optional<double> n = number_at(now, x.metric);
  if (check.than_base.empty()) {
    const std::string bound =
        x.op == "between" ? fmt::format("[{}, {}]", lesson_number(x.value), lesson_number(x.upper)) : lesson_number(x.value);
    out.text = fmt::format("{} {} {}: {}", x.metric, x.op, bound, n ? lesson_number(*n) : "no value in this run");
    if (!n) return out;
    const double v = *n;
    if (x.op == "<") out.pass = v < x.value;
    else if (x.op == "<=") out.pass = v <= x.value;
    else if (x.op == ">") out.pass = v > x.value;
    else if (x.op == ">=") out.pass = v >= x.value;
    else if (x.op == "==") out.pass = v == x.value;
    else out.pass = v >= x.value && v <= x.upper;  // between
    return out;
  }
  const std::optional<double> b = number_at(base, x.metric);
  std::string how;
  if (check.than_base == "same")
    how = check.by > 0 ? fmt::format("the same as the base within {}", percent_text(check.by)) : "the same as the base";
  else
    how = check.by > 0 ? fmt::format("{} than the base by at least {}", check.than_base, percent_text(check.by))
                       : fmt::format("{} than the base", check.than_base);
  if (!b || !n) {
    out.text = fmt::format("{} {}: no value in the {} run", x.metric, how, b ? "varied" : "base");
    return out;
  }
  out.text = fmt::format("{} {}: {} -> {} ({})", x.metric, how, lesson_number(*b), lesson_number(*n), change_text(*b, *n));
  out.pass = relative_check_holds(check.than_base, check.by, *b, *n);
  return out;
}

std::vector<ChangedFigure> changed_figures(const LessonTry& t, const Json& base, const Json& now) {
  std::vector<ChangedFigure> rows;
  const auto add = [&](const std::string& metric, bool always) {
    for (const auto& r : rows)
      if (r.metric == metric) return;
    ChangedFigure f{metric, number_at(base, metric), number_at(now, metric)};
    if (!always && !(f.base && f.now && material_change(*f.base, *f.now))) return;
    rows.push_back(std::move(f));
  };
  for (const auto& c : t.checks) add(c.x.metric, true);
  if (const Json* workloads = base.find("workloads"); workloads != nullptr && workloads->is_object())
    for (const auto& [name, w] : workloads->items())
      for (const char* m : {"succeeded", "throttled", "failed", "latency_ms.p50", "latency_ms.p99"})
        add(fmt::format("workloads.{}.{}", name, m), false);
  if (const Json* services = base.find("services"); services != nullptr && services->is_object())
    for (const auto& [name, s] : services->items())
      if (s.find("cold_starts") != nullptr) add(fmt::format("services.{}.cold_starts", name), false);
  add("cost.total_usd", false);
  return rows;
}

std::string format_changed_figures(const std::vector<ChangedFigure>& rows) {
  std::vector<std::vector<std::string>> cells{{"metric", "base", "with the change", "change"}};
  for (const auto& r : rows)
    cells.push_back({r.metric, shown(r.base), shown(r.now), r.base && r.now ? change_text(*r.base, *r.now) : "-"});
  std::vector<std::size_t> width(4, 0);
  for (const auto& row : cells)
    for (std::size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  std::string out;
  for (const auto& row : cells)
    out += fmt::format("  {:<{}}  {:>{}}  {:>{}}  {:>{}}\n", row[0], width[0], row[1], width[1], row[2], width[2],
                       row[3], width[3]);
  return out;
}

std::string metric_words(const std::string& metric) {
  if (metric == "cost.total_usd") return "total cost (USD)";
  if (metric.starts_with("cost.by_service.")) return fmt::format("{} cost (USD)", metric.substr(16));
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= metric.size()) {
    const auto dot = metric.find('.', start);
    parts.push_back(metric.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  std::string out, unit;
  std::size_t first = 0;
  if (parts.size() > 2 && (parts[0] == "workloads" || parts[0] == "services")) {
    out = parts[1];  // a name, as written
    first = 2;
  }
  for (std::size_t i = first; i < parts.size(); ++i) {
    std::string p = parts[i];
    for (const std::string suffix : {"_ms", "_usd", "_s"}) {
      if (p.size() > suffix.size() && p.ends_with(suffix)) {
        p.resize(p.size() - suffix.size());
        unit = suffix == "_usd" ? "USD" : suffix.substr(1);
        break;
      }
    }
    std::replace(p.begin(), p.end(), '_', ' ');
    out += (out.empty() ? "" : " ") + p;
  }
  return unit.empty() ? out : fmt::format("{} ({})", out, unit);
}

std::string change_words(double base, double now) {
  if (base == now) return "0%";
  if (base == 0) return "new";
  const double percent = relative_change(base, now) * 100;
  return std::abs(percent) >= 10 ? fmt::format("{:+.0f}%", percent) : fmt::format("{:+.1f}%", percent);
}

std::string lesson_why(const LessonTry& t, const Json& base, const Json& now) {
  std::string out;
  for (const auto& p : t.why) {
    if (p.kind == WhyPart::Kind::text) {
      out += p.text;
      continue;
    }
    const std::optional<double> b = number_at(base, p.text), n = number_at(now, p.text);
    if (p.kind == WhyPart::Kind::base) out += b ? lesson_number(*b) : "n/a";
    else if (p.kind == WhyPart::Kind::now) out += n ? lesson_number(*n) : "n/a";
    else out += b && n ? change_words(*b, *n) : "n/a";
  }
  return out;
}

std::string wrap_paragraph(const std::string& text, const std::string& first, const std::string& indent,
                           std::size_t width) {
  std::string out = first, line;
  std::size_t lead = first.size();
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t begin = text.find_first_not_of(" \t\r\n", start);
    if (begin == std::string::npos) break;
    std::size_t end = text.find_first_of(" \t\r\n", begin);
    if (end == std::string::npos) end = text.size();
    const std::string word = text.substr(begin, end - begin);
    if (!line.empty() && lead + line.size() + 1 + word.size() > width) {
      out += line + "\n" + indent;
      lead = indent.size();
      line.clear();
    }
    line += (line.empty() ? "" : " ") + word;
    start = end;
  }
  return out + line + "\n";
}

std::vector<std::string> explain_changes(const std::vector<ChangedFigure>& rows) {
  std::vector<std::string> said;
  for (const auto& r : rows) {
    const std::string words = metric_words(r.metric);
    if (!r.base || !r.now) {
      said.push_back(fmt::format("{} has no value in the {} run", words, r.base ? "varied" : "base"));
      continue;
    }
    const double b = *r.base, n = *r.now;
    if (b == n) {
      said.push_back(fmt::format("{} stayed at {}", words, lesson_number(b)));
      continue;
    }
    const bool material = std::abs(relative_change(b, n)) >= kMaterialChange;
    std::string s = fmt::format("{} {} from {} to {}", words, !material ? "moved" : n > b ? "rose" : "fell",
                                lesson_number(b), lesson_number(n));
    if (b != 0) s += fmt::format(" ({})", change_text(b, n));
    said.push_back(std::move(s));
  }
  return said;
}

}  // namespace slsim
