// The HTML report of a sweep, read from its JSON alone: the figures of the
// sweep's table (each workload's p50 and p99 latency, throttled and failed
// requests, the cost per million requests and the monthly cost), each as a
// chart against the first varied value with one series per combination of
// the other varied values, then the best point and the table of points.
#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "sim/analysis/html_reports.hpp"
#include "sim/analysis/sweep.hpp"
#include "sim/report/html_report.hpp"
#include "sim/report/number_text.hpp"
#include "sim/report/result.hpp"
#include "sim/report/svg.hpp"
#include "sim/scenario/units.hpp"

namespace slsim {

namespace {

using svg::escape;

struct Figure {
  std::string title;  // "checkout p99 latency (ms)"
  std::string path;   // inside a point: "result.…" or "derived.…"
  bool money = false;
};

std::vector<Figure> figures(const Json& points) {
  std::vector<Figure> out;
  if (points.size() == 0) return out;
  if (const Json* workloads = points.elements().front().find_path("result.workloads"))
    for (const auto& [name, w] : workloads->items()) {
      const std::string base = "result.workloads." + name;
      out.push_back({name + " p50 latency (ms)", base + ".latency_ms.p50"});
      out.push_back({name + " p99 latency (ms)", base + ".latency_ms.p99"});
      out.push_back({name + " throttled requests", base + ".throttled"});
      out.push_back({name + " failed requests", base + ".failed"});
    }
  out.push_back({"cost per million requests (USD)", "derived.cost_per_million_requests_usd", true});
  out.push_back({"monthly cost (USD)", "result.cost.monthly_usd", true});
  out.push_back({"cost of the simulated window (USD)", "result.cost.total_usd", true});
  return out;
}

std::optional<double> number_at(const Json& point, const std::string& path) {
  const Json* v = point.find_path(path);
  if (v == nullptr || !v->is_number()) return std::nullopt;
  return v->as_double();
}

// A point's figure with its 95% half-width: "result.a.b" has it at "result.ci95.a.b".
std::string cell(const Json& point, const Figure& f) {
  const std::optional<double> v = number_at(point, f.path);
  if (!v) return "-";
  std::string text = f.money ? usd_text(*v) : number_text(*v);
  const auto dot = f.path.find('.');
  if (const auto h = number_at(point, f.path.substr(0, dot) + ".ci95" + f.path.substr(dot)); h && *h > 0)
    text += " \u00b1" + ci_text(*h, f.money);
  return escape(text);
}

std::string value_of(const Json& point, const std::string& path) {
  const Json* v = point.find_path("set");
  const Json* s = v != nullptr ? v->find(path) : nullptr;
  return s != nullptr && s->is_string() ? s->as_string() : std::string{};
}

// The distinct values of a varied path, in order: numerically when every one
// reads as the same kind of quantity (a search's points come in bisection
// order), otherwise as they first appear.
std::vector<std::string> values_of(const Json& points, const std::string& path) {
  std::vector<std::string> out;
  for (const auto& p : points.elements()) {
    const std::string v = value_of(p, path);
    if (std::find(out.begin(), out.end(), v) == out.end()) out.push_back(v);
  }
  const std::vector<std::function<ParsedNumber(std::string_view)>> readers = {
      [](std::string_view t) {
        ParsedNumber n;
        n.value = parse_plain_number(t);
        return n;
      },
      parse_size, parse_duration, parse_rate};
  for (const auto& read : readers) {
    std::vector<std::pair<double, std::string>> keyed;
    for (const auto& v : out)
      if (const ParsedNumber n = read(v); n.value) keyed.emplace_back(*n.value, v);
    if (keyed.size() != out.size()) continue;
    std::stable_sort(keyed.begin(), keyed.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    for (std::size_t i = 0; i < keyed.size(); ++i) out[i] = keyed[i].second;
    break;
  }
  return out;
}

std::vector<std::string> varied_paths(const Json& header) {
  std::vector<std::string> out;
  if (const Json* vary = header.find("vary"))
    for (const auto& [path, spec] : vary->items()) out.push_back(path);
  if (const Json* search = header.find("search"); search != nullptr && search->is_object())
    if (const Json* p = search->find("path"); p != nullptr && p->is_string()) out.push_back(p->as_string());
  return out;
}

std::string header_part(const Json& sweep) {
  const Json& header = *sweep.find("sweep");
  const auto text = [&header](const char* key) {
    const Json* v = header.find(key);
    return v == nullptr ? std::string("-") : v->is_string() ? v->as_string() : v->dump(-1);
  };
  std::string out = fmt::format("<header>\n<h1>Sweep of {}</h1>\n<dl class=\"facts\">\n", escape(text("scenario")));
  out += fmt::format("<dt>seed</dt><dd>{}</dd>\n<dt>replications per point</dt><dd>{}</dd>\n", escape(text("seed")),
                     escape(text("replications")));
  out += fmt::format("<dt>points</dt><dd>{}</dd>\n", sweep.find("points")->size());
  if (const Json* vary = header.find("vary"))
    for (const auto& [path, spec] : vary->items())
      out += fmt::format("<dt>--vary</dt><dd><code>{}={}</code></dd>\n", escape(path),
                         escape(spec.is_string() ? spec.as_string() : spec.dump(-1)));
  if (const Json* search = header.find("search"); search != nullptr && search->is_object())
    if (const Json* path = search->find("path"), *range = search->find("range");
        path != nullptr && range != nullptr && path->is_string() && range->is_string())
      out += fmt::format("<dt>--search</dt><dd><code>{}={}</code> (bisection)</dd>\n", escape(path->as_string()),
                         escape(range->as_string()));
  if (const Json* goals = header.find("goals"))
    for (const auto& g : goals->elements())
      out += fmt::format("<dt>--goal</dt><dd><code>{}</code></dd>\n", escape(g.is_string() ? g.as_string() : g.dump(-1)));
  out += fmt::format("<dt>slsim</dt><dd>{}</dd>\n</dl>\n</header>\n", escape(kSlsimVersion));
  return out;
}

std::string charts_part(const Json& points, const std::vector<std::string>& paths) {
  if (paths.empty() || points.size() == 0) return {};
  const std::vector<std::string> xs = values_of(points, paths.front());
  if (xs.size() < 2)
    return html::section("charts", "Figures against the varied value",
                         "<p class=\"note\">One value of the first varied path: nothing to draw a line through.</p>\n");
  // One series per combination of the other paths' values, in the points' order.
  std::vector<std::string> series_names;
  std::map<std::string, std::size_t> series_of;
  std::vector<std::pair<std::size_t, std::size_t>> slot;  // (series, x index) of each point
  for (const auto& p : points.elements()) {
    std::string name;
    for (std::size_t k = 1; k < paths.size(); ++k) name += (name.empty() ? "" : " ") + paths[k] + "=" + value_of(p, paths[k]);
    if (name.empty()) name = paths.front();
    const auto [it, fresh] = series_of.emplace(name, series_names.size());
    if (fresh) series_names.push_back(name);
    const auto x = std::find(xs.begin(), xs.end(), value_of(p, paths.front())) - xs.begin();
    slot.emplace_back(it->second, static_cast<std::size_t>(x));
  }
  std::string body = fmt::format("<p class=\"note\">Each figure against <code>{}</code>{}; with replications, the "
                                 "means.</p>\n",
                                 escape(paths.front()),
                                 paths.size() > 1 ? ", one line per value of the other varied paths" : "");
  std::size_t index = 0;
  for (const Figure& f : figures(points)) {
    svg::LineChart chart;
    chart.id = fmt::format("sweep-{}", index++);
    chart.title = f.title;
    chart.x_label = paths.front();
    chart.y_label = f.title;
    chart.x_categories = xs;
    for (const auto& name : series_names) {
      svg::Series s;
      s.name = name;
      for (std::size_t i = 0; i < xs.size(); ++i) s.x.push_back(static_cast<double>(i));
      s.y.assign(xs.size(), std::nan(""));
      chart.series.push_back(std::move(s));
    }
    bool any = false;
    for (std::size_t i = 0; i < points.size(); ++i) {
      const std::optional<double> v = number_at(points.elements()[i], f.path);
      if (!v) continue;
      chart.series[slot[i].first].y[slot[i].second] = *v;
      any = any || *v != 0;
    }
    if (any) body += svg::line_chart(chart);  // a figure that is zero everywhere says nothing
  }
  return html::section("charts", "Figures against the varied value", body);
}

std::string best_part(const Json& sweep) {
  const Json* header = sweep.find("sweep");
  if (header == nullptr || header->find("goals") == nullptr) return {};
  const Json* best = best_point(sweep);
  if (best == nullptr)
    return html::section("best", "Best point", "<p class=\"fail\">No point meets every goal.</p>\n");
  std::string set;
  if (const Json* s = best->find("set"))
    for (const auto& [path, value] : s->items())
      set += fmt::format("<code>--set {}={}</code> ", escape(path), escape(value.is_string() ? value.as_string() : value.dump(-1)));
  std::string objective;
  if (const Json* m = header->find("minimize"); m != nullptr && m->is_string())
    objective = " with the lowest <code>" + escape(m->as_string()) + "</code>";
  if (const Json* m = header->find("maximize"); m != nullptr && m->is_string())
    objective = " with the highest <code>" + escape(m->as_string()) + "</code>";
  return html::section("best", "Best point",
                       fmt::format("<p>The point that meets every goal{}: {}</p>\n", objective, set));
}

std::string points_part(const Json& points, const std::vector<std::string>& paths) {
  const std::vector<Figure> fs = figures(points);
  std::vector<std::string> header{"#"};
  std::vector<bool> numeric{true};
  for (const auto& p : paths) header.push_back("<code>" + escape(p) + "</code>"), numeric.push_back(false);
  for (const auto& f : fs) header.push_back(escape(f.title)), numeric.push_back(true);
  header.push_back("goals met");
  numeric.push_back(false);
  std::vector<std::vector<std::string>> rows;
  std::size_t i = 0;
  for (const auto& p : points.elements()) {
    std::vector<std::string> row{fmt::format("{}", i++)};
    for (const auto& path : paths) row.push_back(escape(value_of(p, path)));
    for (const auto& f : fs) row.push_back(cell(p, f));
    const Json* meets = p.find("meets_goals");
    row.push_back(meets == nullptr || !meets->is_bool() ? "-"
                  : meets->as_bool()                    ? "<span class=\"pass\">yes</span>"
                                                        : "<span class=\"fail\">no</span>");
    rows.push_back(std::move(row));
  }
  return html::section("points", "Points", html::table(header, rows, numeric));
}

}  // namespace

std::string html_sweep_report(const Json& sweep) {
  const Json& points = *sweep.find("points");
  const std::vector<std::string> paths = varied_paths(*sweep.find("sweep"));
  std::string body = header_part(sweep);
  body += best_part(sweep);
  body += charts_part(points, paths);
  body += points_part(points, paths);
  const Json* name = sweep.find_path("sweep.scenario");
  return html::page((name != nullptr && name->is_string() ? name->as_string() : "sweep") + " - slsim sweep report", body);
}

}  // namespace slsim
