// A sweep's table and CSV, read from its JSON alone (so `merge` prints what
// the single process prints): one row per point with each workload's p50 and
// p99 latency, throttles and failures, the cost per million requests and the
// monthly cost (mean ±95% half-width), then the goals, the best point and the
// power-tuning verdicts.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "sim/analysis/sweep.hpp"
#include "sim/report/number_text.hpp"

namespace slsim {

namespace {

// A figure of a point: result path (or derived.PATH) and how to show it.
struct Column {
  std::string header;
  std::string path;  // inside the point's entry: "result.…" or "derived.…"
  bool money = false;
};

const Json* at(const Json& point, const std::string& path) { return point.find_path(path); }

// "result.a.b" -> "result.ci95.a.b"; "derived.x" -> "derived.ci95.x".
std::string ci_path(const std::string& path) {
  const auto dot = path.find('.');
  return path.substr(0, dot) + ".ci95" + path.substr(dot);
}

std::string cell(const Json& point, const Column& c) {
  const Json* v = at(point, c.path);
  if (v == nullptr || !v->is_number()) return "-";
  std::string text = c.money ? usd_text(v->as_double()) : number_text(v->as_double());
  const Json* h = at(point, ci_path(c.path));
  if (h != nullptr && h->is_number() && h->as_double() > 0) text += " ±" + ci_text(h->as_double(), c.money);
  return text;
}

std::vector<Column> columns(const Json& sweep) {
  std::vector<Column> out;
  const Json& points = *sweep.find("points");
  if (points.size() == 0) return out;
  const Json* workloads = points.elements().front().find_path("result.workloads");
  if (workloads != nullptr)
    for (const auto& [name, w] : workloads->items()) {
      const std::string base = "result.workloads." + name;
      out.push_back({name + " p50 ms", base + ".latency_ms.p50"});
      out.push_back({name + " p99 ms", base + ".latency_ms.p99"});
      out.push_back({name + " throttled", base + ".throttled"});
      out.push_back({name + " failed", base + ".failed"});
    }
  out.push_back({"$ per 1M requests", "derived.cost_per_million_requests_usd", true});
  out.push_back({"monthly", "result.cost.monthly_usd", true});
  return out;
}

std::string set_text(const Json& point) {
  std::vector<std::string> parts;
  for (const auto& [path, value] : point.find("set")->items()) parts.push_back(path + "=" + value.as_string());
  return fmt::format("{}", fmt::join(parts, " "));
}

// Columns padded to their widest cell: the first `text_columns` left-aligned, the rest right-aligned.
std::string layout(const std::vector<std::vector<std::string>>& rows, std::size_t text_columns) {
  std::vector<std::size_t> width;
  const auto length = [](const std::string& s) {  // display width: UTF-8 continuation bytes take none
    return static_cast<std::size_t>(std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
  };
  for (const auto& row : rows)
    for (std::size_t i = 0; i < row.size(); ++i) {
      if (width.size() <= i) width.push_back(0);
      width[i] = std::max(width[i], length(row[i]));
    }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      const std::string pad(width[i] - length(row[i]), ' ');
      if (i > 0) line += "  ";
      line += i < text_columns ? row[i] + pad : pad + row[i];
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

std::string goal_failures(const Json& point, const std::vector<std::string>& goals) {
  const Json* marks = point.find("goals");
  std::vector<std::string> failed;
  for (std::size_t g = 0; g < goals.size(); ++g) {
    const Json* m = marks != nullptr ? marks->find(goals[g]) : nullptr;
    if (m == nullptr || !m->as_bool()) failed.push_back(std::to_string(g + 1));
  }
  return failed.empty() ? "yes" : "no: " + fmt::format("{}", fmt::join(failed, ","));
}

}  // namespace

std::string format_sweep_table(const Json& sweep) {
  const Json& header = *sweep.find("sweep");
  const Json& points = *sweep.find("points");
  const auto replications = header.find("replications")->as_int();
  const Json* search = header.find("search");
  std::vector<std::string> goals;
  if (const Json* g = header.find("goals")) for (const auto& e : g->elements()) goals.push_back(e.as_string());
  const Json* best = best_point(sweep);
  const auto best_index = best != nullptr ? best->find("point")->as_int() : -1;

  std::string out = fmt::format("slsim sweep | {} | {} point{} x {} replication{}", header.find("scenario")->as_string(),
                                points.size(), points.size() == 1 ? "" : "s", replications,
                                replications == 1 ? "" : "s");
  out += replications > 1 ? " | means ±95% confidence half-widths\n" : "\n";
  if (search != nullptr)
    out += fmt::format("search: the smallest {} in {} ({} values) that meets every goal, by bisection; points in the "
                       "order tried\n",
                       search->find("path")->as_string(), search->find("range")->as_string(),
                       search->find("values")->as_int());
  out += "\n";

  const std::vector<Column> cols = columns(sweep);
  std::vector<std::string> vary_paths;
  if (points.size() > 0)
    for (const auto& [path, v] : points.elements().front().find("set")->items()) vary_paths.push_back(path);
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> head{"point"};
  head.insert(head.end(), vary_paths.begin(), vary_paths.end());
  for (const auto& c : cols) head.push_back(c.header);
  if (!goals.empty()) head.push_back("meets goals");
  rows.push_back(head);
  for (std::size_t p = 0; p < points.size(); ++p) {
    const Json& point = points.elements()[p];
    std::vector<std::string> row{fmt::format("{}{}", static_cast<long long>(p) == best_index ? "*" : "", p)};
    for (const auto& [path, value] : point.find("set")->items()) row.push_back(value.as_string());
    for (const auto& c : cols) row.push_back(cell(point, c));
    if (!goals.empty()) row.push_back(goal_failures(point, goals));
    rows.push_back(std::move(row));
  }
  out += layout(rows, 1 + vary_paths.size());

  if (!goals.empty()) {
    out += "\ngoals (a point meets a goal only when its whole 95% interval does):\n";
    for (std::size_t g = 0; g < goals.size(); ++g) {
      std::size_t met = 0;
      for (const auto& point : points.elements())
        if (const Json* m = point.find_path("goals"); m != nullptr && m->find(goals[g]) && m->find(goals[g])->as_bool())
          ++met;
      out += fmt::format("  {}. {}: met by {} of {} points\n", g + 1, goals[g], met, points.size());
    }
    // Why the others fail, briefly: the first goal each misses.
    std::vector<Goal> parsed;
    for (const auto& g : goals) parsed.push_back(parse_goal(g));
    std::size_t shown = 0, failing = 0;
    std::string why;
    for (std::size_t p = 0; p < points.size(); ++p) {
      const Json& point = points.elements()[p];
      if (point.find("meets_goals")->as_bool()) continue;
      ++failing;
      if (shown == 8) continue;
      ++shown;
      for (const Goal& g : parsed) {
        const GoalCheck c = check_goal(g, point);
        if (c.met) continue;
        why += fmt::format("  point {} ({}): {}\n", p, set_text(point), c.why);
        break;
      }
    }
    if (failing > 0) out += "why points fail (the first goal each misses):\n" + why;
    if (failing > shown) out += fmt::format("  ... and {} more\n", failing - shown);
  }

  if (const Json* b = sweep.find("best")) {
    const std::string rule =
        search != nullptr ? "the smallest value tried that meets every goal"
        : header.find("maximize") != nullptr
            ? fmt::format("the highest {} among the points that meet every goal", header.find("maximize")->as_string())
            : fmt::format("the lowest {} among the points that meet every goal", header.find("minimize")->as_string());
    if (b->is_null()) {
      out += fmt::format("\nbest ({}): none: no point meets every goal\n", rule);
    } else {
      const Json& point = points.elements()[static_cast<std::size_t>(best_index)];
      out += fmt::format("\nbest ({}): point {}: {}\n", rule, best_index, set_text(point));
      std::vector<std::string> figures;
      for (const auto& c : cols) figures.push_back(c.header + " " + cell(point, c));
      out += fmt::format("  {}\n", fmt::join(figures, " | "));
    }
  }

  if (const Json* verdicts = sweep.find("power_tuning")) {
    for (const auto& v : verdicts->elements()) {
      const std::string fn = v.find("function")->as_string();
      out += fmt::format("\npower tuning of {} ({}):\n", fn,
                         goals.empty() ? "over every point" : "over the points that meet every goal");
      std::vector<std::vector<std::string>> lines;
      for (const char* which : {"cheapest", "fastest", "balanced"}) {
        const Json* ref = v.find(which);
        if (ref == nullptr || ref->is_null()) {
          lines.push_back({which, "-", "", ""});
          continue;
        }
        const Json& point = points.elements()[static_cast<std::size_t>(ref->find("point")->as_int())];
        lines.push_back({which, fmt::format("point {}: {}", ref->find("point")->as_int(), set_text(point)),
                         usd_text(ref->find("cost_usd")->as_double()) + " in the run's window",
                         number_text(ref->find("duration_ms")->as_double()) + " ms mean duration"});
      }
      std::string table = layout(lines, 2);
      for (std::size_t pos = 0; pos < table.size(); pos = table.find('\n', pos) + 1) table.insert(pos, "  ");
      out += table;
      out += fmt::format("  rule: cheapest = the lowest cost of {} (cost.by_service.{});\n"
                         "        fastest = the lowest mean duration (services.{}.duration_ms.mean);\n"
                         "        balanced = the lowest cost x duration product: more memory is worth it while doubling "
                         "it cuts the duration by 29% or more\n",
                         fn, fn, fn);
    }
  }
  return out;
}

namespace {

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (const char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string csv_number(const Json* v) {
  if (v == nullptr || !v->is_number()) return "";
  return v->type() == Json::Type::integer ? std::to_string(v->as_int()) : json_number(v->as_double());
}

}  // namespace

std::string format_sweep_csv(const Json& sweep) {
  const Json& points = *sweep.find("points");
  const bool goals = sweep.find("sweep")->find("goals") != nullptr;
  bool intervals = false;
  for (const auto& p : points.elements()) intervals = intervals || p.find_path("result.ci95") != nullptr;
  const std::vector<Column> cols = columns(sweep);

  std::vector<std::string> head{"point"};
  if (points.size() > 0)
    for (const auto& [path, v] : points.elements().front().find("set")->items()) head.push_back(csv_field(path));
  for (const auto& c : cols) {
    const std::string name = c.path.substr(c.path.find('.') + 1);  // the result's own path (derived.… stays)
    const std::string shown = c.path.starts_with("derived.") ? c.path : name;
    head.push_back(shown);
    if (intervals) head.push_back("ci95." + shown);
  }
  if (goals) head.push_back("meets_goals");
  std::string out = fmt::format("{}\n", fmt::join(head, ","));
  for (std::size_t p = 0; p < points.size(); ++p) {
    const Json& point = points.elements()[p];
    std::vector<std::string> row{std::to_string(p)};
    for (const auto& [path, value] : point.find("set")->items()) row.push_back(csv_field(value.as_string()));
    for (const auto& c : cols) {
      row.push_back(csv_number(at(point, c.path)));
      if (intervals) row.push_back(csv_number(at(point, ci_path(c.path))));
    }
    if (goals) row.push_back(point.find("meets_goals")->as_bool() ? "true" : "false");
    out += fmt::format("{}\n", fmt::join(row, ","));
  }
  return out;
}

}  // namespace slsim
