#include "sim/report/html_report.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

#include <fmt/format.h>

#include "sim/report/number_text.hpp"
#include "sim/report/report_charts.hpp"
#include "sim/report/result.hpp"
#include "sim/report/svg.hpp"
#include "sim/report/topology_svg.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/scenario/topology.hpp"
#include "sim/scenario/units.hpp"

namespace slsim {

using svg::escape;

namespace html {

namespace {

// Inline only: a system font stack (no web font), no @import, no url().
constexpr const char* kStyle = R"(
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: #222;
       margin: 0 auto; max-width: 1100px; padding: 16px 24px 48px; line-height: 1.4; }
h1 { font-size: 24px; margin: 8px 0 4px; }
h2 { font-size: 19px; margin: 32px 0 8px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
p.description, p.note { color: #444; margin: 4px 0 12px; }
dl.facts { display: grid; grid-template-columns: max-content auto; gap: 2px 16px; margin: 8px 0; }
dl.facts dt { color: #555; }
dl.facts dd { margin: 0; }
div.table { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; margin: 8px 0 16px; font-size: 13px; }
th, td { border-bottom: 1px solid #e4e4e4; padding: 4px 10px; text-align: left; vertical-align: top; }
th { background: #f6f6f6; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.pass { color: #00734d; font-weight: bold; }
.fail { color: #b03000; font-weight: bold; }
.severity-high { color: #b03000; font-weight: bold; }
.severity-medium { color: #a05a00; font-weight: bold; }
.severity-info, .severity-low { color: #0b5a8c; }
svg { max-width: 100%; height: auto; display: block; margin: 8px 0 16px; }
.charts { display: flex; flex-wrap: wrap; gap: 0 16px; }
footer { color: #777; font-size: 12px; margin-top: 40px; }
code { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12px; }
)";

}  // namespace

std::string page(const std::string& title, const std::string& body) {
  return fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n"
      "<style>{}</style>\n</head>\n<body>\n{}<footer>Written by slsim {}. Self-contained: open it in any browser, "
      "offline.</footer>\n</body>\n</html>\n",
      escape(title), kStyle, body, kSlsimVersion);
}

std::string table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows,
                  const std::vector<bool>& numeric) {
  const auto cls = [&numeric](std::size_t c) { return c < numeric.size() && numeric[c] ? " class=\"num\"" : ""; };
  // A wide table (a sweep's points) scrolls sideways inside the page instead of overflowing it.
  std::string out = "<div class=\"table\"><table>\n<thead><tr>";
  for (std::size_t c = 0; c < header.size(); ++c) out += fmt::format("<th{}>{}</th>", cls(c), header[c]);
  out += "</tr></thead>\n<tbody>\n";
  for (const auto& row : rows) {
    out += "<tr>";
    for (std::size_t c = 0; c < row.size(); ++c) out += fmt::format("<td{}>{}</td>", cls(c), row[c]);
    out += "</tr>\n";
  }
  return out + "</tbody>\n</table></div>\n";
}

std::string section(const std::string& id, const std::string& title, const std::string& body) {
  return fmt::format("<section id=\"{}\">\n<h2>{}</h2>\n{}</section>\n", escape(id), escape(title), body);
}

std::string figure(const Json& result, const std::string& path, bool money) {
  const Json* v = result.find_path(path);
  if (v == nullptr || !v->is_number()) return "-";
  std::string shown = money ? usd_text(v->as_double()) : number_text(v->as_double());
  if (const Json* ci = result.find("ci95"); ci != nullptr)
    if (const Json* h = ci->find_path(path); h != nullptr && h->is_number() && h->as_double() != 0)
      shown += " \u00b1" + ci_text(h->as_double(), money);
  return escape(shown);
}

}  // namespace html

namespace {

// A JSON value in a table cell.
std::string value_text(const Json& v) {
  if (v.is_number()) return number_text(v.as_double());
  if (v.is_bool()) return v.as_bool() ? "true" : "false";
  if (v.is_string()) return v.as_string();
  if (v.is_null()) return "-";
  if (v.is_array()) {
    std::string out;
    for (const auto& e : v.elements()) out += (out.empty() ? "" : ", ") + value_text(e);
    return "[" + out + "]";
  }
  std::string out;
  for (const auto& [k, e] : v.items()) out += (out.empty() ? "" : "; ") + k + " " + value_text(e);
  return out;
}

// A description as written in YAML: wrapped lines flow together; a line that
// starts a list item ("- ") or follows one ending with ':' starts a new line.
std::string description_html(const std::string& text) {
  std::string out;
  bool after_colon = false;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    start = end + 1;
    const auto first = line.find_first_not_of(" \t");
    if (first == std::string::npos) {
      if (!out.empty()) out += "<br>\n";
      after_colon = false;
      continue;
    }
    line = line.substr(first);
    if (!out.empty()) out += line.starts_with("- ") || after_colon ? "<br>\n" : " ";
    out += escape(line);
    after_colon = line.ends_with(':');
  }
  return out;
}

std::string header_part(const Scenario& sc, const Json& r) {
  std::string out = fmt::format("<header>\n<h1>{}</h1>\n", escape(sc.name));
  if (!sc.description.empty()) out += fmt::format("<p class=\"description\">{}</p>\n", description_html(sc.description));
  std::string window = format_duration(static_cast<double>(sc.duration)) + " measured";
  if (sc.warmup > 0) window += " after " + format_duration(static_cast<double>(sc.warmup)) + " of warm-up";
  const Json* wall = r.find_path("run.wall_s");
  out += "<dl class=\"facts\">\n";
  const std::vector<std::pair<std::string, std::string>> facts = {
      {"file", escape(sc.file)},
      {"seed", fmt::format("{}", sc.seed)},
      {"simulated time", escape(window)},
      {"replications", sc.replications > 1 ? fmt::format("{} (figures are means, \u00b1 the 95% confidence "
                                                        "half-width)", sc.replications)
                                           : "1"},
      {"events", html::figure(r, "run.events")},
      {"wall-clock time", fmt::format("<span data-wall-clock>{:.2f} s</span>",
                                      wall != nullptr && wall->is_number() ? wall->as_double() : 0.0)},
      {"slsim", escape(kSlsimVersion)},
  };
  for (const auto& [k, v] : facts) out += fmt::format("<dt>{}</dt><dd>{}</dd>\n", k, v);
  return out + "</dl>\n</header>\n";
}

// "$1.20 for the simulated window, $864 for 30 days" (no month when the run cannot be projected).
std::string cost_summary(const Json& r) {
  std::string out = html::figure(r, "cost.total_usd", true) + " for the simulated window";
  if (const Json* m = r.find_path("cost.monthly_usd"); m != nullptr && m->is_number())
    out += ", " + html::figure(r, "cost.monthly_usd", true) + " for 30 days";
  return out;
}

std::string headline_part(const Scenario& sc, const Json& r) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& w : sc.workloads) {
    const std::string base = "workloads." + w.name + ".";
    std::vector<std::string> row{escape(w.name)};
    for (const char* key : {"arrived", "succeeded", "failed", "throttled", "latency_ms.mean", "latency_ms.p50",
                            "latency_ms.p90", "latency_ms.p99", "latency_ms.p999", "latency_ms.max"})
      row.push_back(html::figure(r, base + key));
    rows.push_back(std::move(row));
  }
  std::string body = html::table({"workload", "arrived", "succeeded", "failed", "throttled", "mean ms", "p50 ms",
                                  "p90 ms", "p99 ms", "p99.9 ms", "max ms"},
                                 rows, {false, true, true, true, true, true, true, true, true, true, true});
  body += "<p class=\"note\">Latency of the succeeded requests as their caller saw the first service's answer; "
          "failed counts errors and timeouts.</p>\n";
  const Json* balanced = r.find_path("accounting.balanced");
  body += fmt::format("<p>Accounting: {} requests arrived; {}. Cost: {}.</p>\n", html::figure(r, "accounting.arrived"),
                      balanced != nullptr && balanced->is_bool() && balanced->as_bool()
                          ? "<span class=\"pass\">balanced</span>"
                          : "<span class=\"fail\">not balanced</span>",
                      cost_summary(r));
  return html::section("headline", "Headline figures", body);
}

std::string topology_part(const Scenario& sc) {
  return html::section("topology", "Topology",
                       "<p class=\"note\">Workloads (rounded) call services from left to right; an arrow is labelled "
                       "with how one part reaches the next and the operation it sends.</p>\n" +
                           topology_svg(Topology(sc)));
}

std::string latency_part(const Scenario& sc, const std::vector<LatencyHistogram>& latency) {
  std::vector<std::string> names;
  for (const auto& w : sc.workloads) names.push_back(w.name);
  const svg::LineChart cdf = latency_cdf_chart(names, latency);
  if (cdf.series.empty())
    return html::section("latency", "Latency distributions", "<p class=\"note\">No request succeeded in the window.</p>\n");
  std::string body = "<p class=\"note\">Every succeeded request of the measured window, over all replications.</p>\n";
  body += svg::line_chart(cdf) + svg::line_chart(latency_histogram_chart(names, latency));
  return html::section("latency", "Latency distributions", body);
}

std::string series_part(const Scenario& sc, const TimeSeries& series) {
  const std::vector<svg::LineChart> charts = time_series_charts(series, sc.duration);
  std::string body;
  if (charts.empty()) body = "<p class=\"note\">Nothing to show: every series is zero.</p>\n";
  else
    body = "<p class=\"note\">Per interval of the measured window (the mean over replications); "
           "families with nothing but zeros are left out.</p>\n";
  for (const auto& c : charts) body += svg::line_chart(c);
  return html::section("time-series", "Over time", body);
}

std::string cost_part(const Json& r) {
  const Json* items = r.find_path("cost.items");
  std::string body = "<p>" + cost_summary(r);
  if (const Json* note = r.find_path("cost.projection.note"); note != nullptr && note->is_string())
    body += " (" + escape(note->as_string()) + ")";
  body += ".</p>\n";
  if (items == nullptr || items->size() == 0) return html::section("cost", "Cost", body + "<p class=\"note\">Nothing billed.</p>\n");
  std::vector<const Json*> sorted;
  for (const auto& item : items->elements()) sorted.push_back(&item);
  const auto usd = [](const Json* i) {
    const Json* v = i->find("usd");
    return v != nullptr && v->is_number() ? v->as_double() : 0.0;
  };
  std::stable_sort(sorted.begin(), sorted.end(), [&usd](const Json* a, const Json* b) { return usd(a) > usd(b); });
  const auto text = [](const Json* i, const char* key) {
    const Json* v = i->find(key);
    return v != nullptr ? value_text(*v) : std::string{};
  };
  svg::BarChart chart;
  chart.id = "cost";
  chart.title = "Cost by item (largest first)";
  chart.value_label = "USD for the simulated window";
  svg::BarSeries bars{"cost", {}};
  std::vector<std::vector<std::string>> rows;
  for (const Json* i : sorted) {
    if (chart.categories.size() < 20 && usd(i) != 0) {
      chart.categories.push_back(text(i, "service") + ": " + text(i, "item"));
      bars.values.push_back(usd(i));
    }
    rows.push_back({escape(text(i, "service")), escape(text(i, "item")), escape(text(i, "quantity")),
                    escape(text(i, "unit")), escape(usd_text(usd(i)))});
  }
  chart.series.push_back(std::move(bars));
  if (!chart.categories.empty()) body += svg::bar_chart(chart);
  body += html::table({"service", "item", "quantity", "unit", "USD"}, rows, {false, false, true, false, true});
  return html::section("cost", "Cost", body);
}

std::string effect_text(const Json& insight) {
  const Json* e = insight.find("effect");
  if (e == nullptr || !e->is_object()) return "-";
  const auto get = [e](const char* key) {
    const Json* v = e->find(key);
    return v != nullptr ? value_text(*v) : std::string("-");
  };
  const Json* improved = e->find("improved");
  return fmt::format("{}: {} \u2192 {} ({})", get("metric"), get("before"), get("after"),
                     improved != nullptr && improved->is_bool() && improved->as_bool() ? "improved" : "not improved");
}

std::string insights_part(const Json& r) {
  const Json* insights = r.find("insights");
  if (insights == nullptr)
    return html::section("insights", "Insights", "<p class=\"note\">Not looked for (--no-insights).</p>\n");
  if (insights->size() == 0)
    return html::section("insights", "Insights", "<p class=\"note\">Nothing stood out.</p>\n");
  std::vector<std::vector<std::string>> rows;
  for (const auto& i : insights->elements()) {
    const auto get = [&i](const char* key) {
      const Json* v = i.find(key);
      return v != nullptr ? value_text(*v) : std::string{};
    };
    std::string fix;
    if (const Json* f = i.find("fix"); f != nullptr && f->is_array())
      for (const auto& s : f->elements()) fix += "<code>--set " + escape(value_text(s)) + "</code><br>";
    fix += escape(get("fix_note"));
    const std::string severity = get("severity");
    rows.push_back({fmt::format("<span class=\"severity-{}\">{}</span>", escape(severity), escape(severity)),
                    escape(get("title")), escape(get("evidence")), fix, escape(effect_text(i))});
  }
  return html::section("insights", "Insights",
                       html::table({"severity", "finding", "evidence", "fix", "measured effect"}, rows));
}

std::string expectations_part(const Json& r) {
  const Json* expect = r.find("expect");
  if (expect == nullptr || expect->size() == 0)
    return html::section("expectations", "Expectations", "<p class=\"note\">The scenario has no expect: block.</p>\n");
  std::vector<std::vector<std::string>> rows;
  std::size_t failed = 0;
  for (const auto& e : expect->elements()) {
    const Json* pass = e.find("pass");
    const bool ok = pass != nullptr && pass->is_bool() && pass->as_bool();
    failed += ok ? 0 : 1;
    const auto get = [&e](const char* key) {
      const Json* v = e.find(key);
      return v != nullptr ? value_text(*v) : std::string{};
    };
    std::string actual = get("actual");
    if (const Json* err = e.find("error"); err != nullptr) actual += " - " + value_text(*err);
    rows.push_back({ok ? "<span class=\"pass\">PASS</span>" : "<span class=\"fail\">FAIL</span>",
                    "<code>" + escape(get("metric")) + "</code>", escape(get("op")), escape(get("value")),
                    escape(actual)});
  }
  const std::string summary = fmt::format("<p>{} of {} expectations hold.</p>\n", expect->size() - failed, expect->size());
  return html::section("expectations", "Expectations",
                       summary + html::table({"", "metric", "op", "expected", "actual"}, rows,
                                             {false, false, false, true, true}));
}

}  // namespace

std::string html_run_report(const RunReportInput& in) {
  std::string body = header_part(in.scenario, in.result);
  body += headline_part(in.scenario, in.result);
  body += topology_part(in.scenario);
  body += latency_part(in.scenario, in.latency);
  body += series_part(in.scenario, in.series);
  body += cost_part(in.result);
  body += insights_part(in.result);
  body += expectations_part(in.result);
  return html::page(in.scenario.name + " - slsim report", body);
}

}  // namespace slsim
