// The HTML report (`slsim run --report`): the chart writer's ticks, escaping
// and series counts; a report's charts hold the series they announce; it is
// self-contained, escapes the scenario's text, is byte-identical for the same
// seed (apart from its wall-clock field) and an unwritable path is bad input.
#include <cmath>
#include <limits>
#include <random>
#include <regex>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "cli_runner.hpp"
#include "sim/cli/common.hpp"
#include "sim/report/html_report.hpp"
#include "sim/report/report_charts.hpp"
#include "sim/report/svg.hpp"
#include "sim/report/topology_svg.hpp"
#include "sim/scenario/registry.hpp"
#include "sim/scenario/topology.hpp"

using namespace slsim;
using namespace slsim::testing;

namespace {

// Two workloads on two functions, one of them capped so that it throttles.
const std::string kTwoWorkloads = R"(
name: report-test
description: two workloads
duration: 2min
seed: 5
workloads:
  - {name: browse, target: pages, arrival: {process: poisson, rate: 50/s}}
  - {name: buy, target: orders, arrival: {process: poisson, rate: 20/s}}
services:
  pages:
    type: lambda
    duration: {dist: lognormal, mean: 40ms, cv: 0.5}
  orders:
    type: lambda
    reserved_concurrency: 2
    duration: {dist: lognormal, mean: 200ms, cv: 0.3}
expect:
  - {metric: accounting.balanced, "==": 1}
)";

std::string report_of(const std::string& yaml) {
  const Scenario sc = load_scenario_text(yaml, "report.yaml", builtin_services());
  const cli::RunOutcome out = cli::run_loaded(sc, 2, default_interval(sc.duration), true);
  return html_run_report({sc, out.result, out.series, out.latency});
}

// The `<svg ...>...</svg>` of chart `id` ("" when absent).
std::string chart_of(const std::string& html, const std::string& id) {
  const auto start = html.find(fmt::format("data-chart=\"{}\"", id));
  if (start == std::string::npos) return {};
  const auto open = html.rfind("<svg", start);
  return html.substr(open, html.find("</svg>", start) + 6 - open);
}

std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++n;
  return n;
}

int announced_series(const std::string& svg) {
  const std::smatch m = [&svg] {
    std::smatch found;
    std::regex_search(svg, found, std::regex("data-series-count=\"([0-9]+)\""));
    return found;
  }();
  return m.empty() ? -1 : std::stoi(m[1].str());
}

// A tick step is 1, 2 or 5 times a power of ten.
bool nice_step(double step) {
  const double magnitude = std::pow(10.0, std::floor(std::log10(step) + 1e-9));
  const double r = step / magnitude;
  return std::fabs(r - 1) < 1e-9 || std::fabs(r - 2) < 1e-9 || std::fabs(r - 5) < 1e-9;
}

}  // namespace

TEST_CASE("report: ticks are 1-2-5 steps that cover the data", "[report]") {
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> exponent(-4, 7), unit(0, 1);
  for (int i = 0; i < 2000; ++i) {
    const double scale = std::pow(10.0, exponent(rng));
    const double lo = i % 3 == 0 ? 0 : (unit(rng) - 0.3) * scale;
    const double hi = lo + unit(rng) * scale + scale * 1e-3;
    const std::vector<double> t = svg::nice_ticks(lo, hi, 5);
    INFO(fmt::format("lo {} hi {}", lo, hi));
    REQUIRE(t.size() >= 2);
    CHECK(t.size() <= 12);
    const double step = t[1] - t[0];
    CHECK(nice_step(step));
    CHECK(t.front() <= lo + step * 1e-6);
    CHECK(t.back() >= hi - step * 1e-6);
    // Not wider than needed: one step inside the data at each end.
    CHECK(t.front() > lo - step);
    CHECK(t.back() < hi + step);
    for (std::size_t k = 1; k < t.size(); ++k) CHECK(std::fabs(t[k] - t[k - 1] - step) < step * 1e-9);
  }
  CHECK(svg::nice_ticks(0, 30, 6) == std::vector<double>{0, 5, 10, 15, 20, 25, 30});
  const std::vector<double> unit_range = svg::nice_ticks(0, 0);  // no range: 0 to 1
  REQUIRE(unit_range.size() == 6);
  for (std::size_t k = 0; k < 6; ++k) CHECK(unit_range[k] == Approx(0.2 * static_cast<double>(k)).margin(1e-12));
  CHECK(svg::tick_label(1500, 500) == "1,500");
  CHECK(svg::tick_label(0.30000000000000004, 0.1) == "0.3");
  CHECK(svg::tick_label(-0.0, 1) == "0");
}

TEST_CASE("report: log ticks cover the data with powers of ten (and 2, 5 on short ranges)", "[report]") {
  CHECK(svg::log_ticks(3, 4000) == std::vector<double>{1, 10, 100, 1000, 10000});
  CHECK(svg::log_ticks(230, 3400) == std::vector<double>{200, 500, 1000, 2000, 5000});
  CHECK(svg::log_ticks(100, 100) == std::vector<double>{100, 200});
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> exponent(-3, 6), span(0, 5);
  for (int i = 0; i < 1000; ++i) {
    const double lo = std::pow(10.0, exponent(rng)), hi = lo * std::pow(10.0, span(rng));
    const std::vector<double> t = svg::log_ticks(lo, hi);
    REQUIRE(t.size() >= 2);
    CHECK(t.front() <= lo * (1 + 1e-9));
    CHECK(t.back() >= hi * (1 - 1e-9));
    CHECK(t[1] > lo * (1 - 1e-9));               // the first is the last at or below lo
    CHECK(t[t.size() - 2] < hi * (1 + 1e-9));    // the last the first at or above hi
  }
}

TEST_CASE("report: text is escaped for HTML and numbers are fixed", "[report]") {
  CHECK(svg::escape("<script>&\"'x") == "&lt;script&gt;&amp;&quot;&#39;x");
  CHECK(svg::fixed(-0.04, 1) == "0.0");
  CHECK(svg::fixed(2.25, 1) == "2.2");  // round-half-even of the binary value, as printf does
  CHECK(svg::fixed(1234.5678, 2) == "1234.57");
}

TEST_CASE("report: a line chart draws the series it announces, NaN breaks a line", "[report]") {
  svg::LineChart c;
  c.id = "t";
  const double nan = std::numeric_limits<double>::quiet_NaN();
  c.series = {{"a", {0, 1, 2, 3, 4}, {1, 2, nan, 4, 5}},
              {"b<&>", {0, 1, 2}, {3, 3, 3}},
              {"one point", {0, 1}, {nan, 7}},   // not drawn: fewer than two points
              {"nothing", {}, {}}};
  const std::string out = svg::line_chart(c);
  CHECK(announced_series(out) == 2);
  CHECK(count_of(out, "class=\"series\"") == 2);
  CHECK(out.find("data-series=\"b&lt;&amp;&gt;\"") != std::string::npos);
  const std::regex path("data-series=\"a\"[^>]* d=\"([^\"]*)\"");
  std::smatch m;
  REQUIRE(std::regex_search(out, m, path));
  CHECK(count_of(m[1].str(), "M") == 2);  // broken at the NaN
  CHECK(count_of(m[1].str(), "L") == 2);

  // A step chart: each value holds over its interval (two points each).
  c.step = true;
  c.x_end = 5;
  c.series = {{"s", {0, 1, 2}, {1, nan, 1}}};
  const std::string steps = svg::line_chart(c);
  REQUIRE(std::regex_search(steps, m, std::regex("data-series=\"s\"[^>]* d=\"([^\"]*)\"")));
  CHECK(count_of(m[1].str(), "M") == 2);
  CHECK(count_of(m[1].str(), "L") == 2);
}

TEST_CASE("report: a grouped bar chart has one path per series, one bar per value", "[report]") {
  svg::BarChart b;
  b.id = "bars";
  b.categories = {"x", "y", "z"};
  b.series = {{"base", {1, 2, 3}}, {"try", {2, std::nan(""), -1}}, {"empty", {std::nan("")}}};
  const std::string out = svg::bar_chart(b);
  CHECK(announced_series(out) == 2);
  CHECK(count_of(out, "class=\"series\"") == 2);
  std::smatch m;
  REQUIRE(std::regex_search(out, m, std::regex("data-series=\"try\"[^>]* d=\"([^\"]*)\"")));
  CHECK(count_of(m[1].str(), "Z") == 2);
}

TEST_CASE("report: the latency CDF reaches 100% at the max and matches the histogram's percentiles", "[report]") {
  LatencyHistogram h;
  for (int i = 1; i <= 1000; ++i) h.record(static_cast<std::int64_t>(i) * 1'000'000);  // 1..1000 ms
  const svg::LineChart cdf = latency_cdf_chart({"w"}, {h}, 200);
  REQUIRE(cdf.series.size() == 1);
  const svg::Series& s = cdf.series[0];
  CHECK(s.x.front() == Approx(1.0));
  CHECK(s.x.back() == Approx(1000.0));
  CHECK(s.y.back() == Approx(100.0));
  for (std::size_t i = 0; i < s.x.size(); ++i) {
    // i ms of 1000 are at or below i ms; buckets are 0.39% wide, so allow a bucket's width.
    CHECK(s.y[i] == Approx(std::floor(s.x[i]) / 10.0).margin(0.4 + s.x[i] * 0.004 / 10.0 * 100));
    if (i > 0) CHECK(s.y[i] >= s.y[i - 1]);
  }
  const svg::LineChart hist = latency_histogram_chart({"w", "idle"}, {h, LatencyHistogram{}}, 40);
  REQUIRE(hist.series.size() == 1);  // a workload without requests is not drawn
  double total = 0;
  for (const double v : hist.series[0].y) total += v;
  CHECK(total == Approx(100.0));
}

TEST_CASE("report: a run's report draws every workload, family and cost item it announces", "[report]") {
  const std::string html = report_of(kTwoWorkloads);
  // Two workloads: two curves in the CDF and in the histogram.
  CHECK(announced_series(chart_of(html, "latency-cdf")) == 2);
  CHECK(count_of(chart_of(html, "latency-cdf"), "class=\"series\"") == 2);
  CHECK(announced_series(chart_of(html, "latency-histogram")) == 2);
  // Every chart draws exactly what it announces.
  const std::regex chart("<svg class=\"chart\" data-chart=\"([^\"]+)\" data-series-count=\"([0-9]+)\"");
  int charts = 0;
  for (auto it = std::sregex_iterator(html.begin(), html.end(), chart); it != std::sregex_iterator(); ++it) {
    ++charts;
    const std::string svg = chart_of(html, (*it)[1].str());
    INFO((*it)[1].str());
    CHECK(count_of(svg, "class=\"series\"") == std::stoul((*it)[2].str()));
    CHECK(std::stoul((*it)[2].str()) > 0);
  }
  // Traffic, concurrency, throttles (orders is capped), cold starts, capacity; CDF, histogram; cost.
  CHECK(chart_of(html, "series-throttles").find("data-series=\"orders throttles\"") != std::string::npos);
  CHECK(announced_series(chart_of(html, "series-traffic")) == 2);
  CHECK(chart_of(html, "series-queue-depth").empty());  // no queue: no family
  CHECK(chart_of(html, "series-errors").empty());  // throttles are not errors
  CHECK(charts == 8);
  // The topology: four boxes, two arrows.
  CHECK(html.find("data-chart=\"topology\" data-nodes=\"4\" data-edges=\"2\"") != std::string::npos);
  // The headline table shows the same numbers as the result.
  CHECK(html.find("<td>browse</td>") != std::string::npos);
  CHECK(html.find("1 of 1 expectations hold") != std::string::npos);
}

TEST_CASE("report: self-contained, with the scenario's text escaped", "[report]") {
  std::string yaml = kTwoWorkloads;
  yaml.replace(yaml.find("name: report-test"), 17, "name: \"<script>&x\"");
  yaml.replace(yaml.find("description: two workloads"), 26, "description: \"a <b>bold</b> & 'quoted' claim\"");
  const std::string html = report_of(yaml);
  CHECK(html.find("<h1>&lt;script&gt;&amp;x</h1>") != std::string::npos);
  CHECK(html.find("a &lt;b&gt;bold&lt;/b&gt; &amp; &#39;quoted&#39; claim") != std::string::npos);
  for (const char* banned : {"<script", "src=", "http://", "https://", "url(", "@import", "<link", "@font-face"})
    CHECK(html.find(banned) == std::string::npos);
  CHECK(html.rfind("<!DOCTYPE html>", 0) == 0);
}

TEST_CASE("report: byte-identical for the same scenario and seed, apart from the wall-clock time", "[report][determinism]") {
  const std::regex wall("<span data-wall-clock>[^<]*</span>");
  const std::string a = std::regex_replace(report_of(kTwoWorkloads), wall, "");
  const std::string b = std::regex_replace(report_of(kTwoWorkloads), wall, "");
  CHECK(a == b);
  CHECK(count_of(report_of(kTwoWorkloads), "data-wall-clock") == 1);
}

TEST_CASE("report: the topology's columns are the longest distance from a workload, ignoring back edges",
          "[report]") {
  const std::string yaml = R"(
name: columns
duration: 1min
workloads:
  - {name: w, target: api, arrival: {process: poisson, rate: 1/s}}
services:
  api:
    type: apigateway
    integration: a
  a:
    type: lambda
    duration: {dist: constant, value: 10ms}
    calls:
      - {to: q, op: send}
      - {to: b, op: invoke}
  b:
    type: lambda
    duration: {dist: constant, value: 10ms}
    calls:
      - {to: q, op: send}
  q:
    type: sqs
    consumer: {function: c}
  c:
    type: lambda
    duration: {dist: constant, value: 10ms}
)";
  const Scenario sc = load_scenario_text(yaml, "columns.yaml", builtin_services());
  const Topology t(sc);
  const std::vector<int> column = topology_columns(t.graph());
  const auto col = [&](const std::string& name) {
    for (std::size_t v = 0; v < boost::num_vertices(t.graph()); ++v)
      if (t.graph()[v].name == name) return column[v];
    return -1;
  };
  CHECK(col("w") == 0);
  CHECK(col("api") == 1);
  CHECK(col("a") == 2);
  CHECK(col("b") == 3);
  CHECK(col("q") == 4);  // longest: w api a b q, not w api a q
  CHECK(col("c") == 5);
  const std::string svg = topology_svg(t);
  CHECK(count_of(svg, "<g class=\"node\"") == 6);
  CHECK(svg == topology_svg(t));
}

TEST_CASE("report: run --report writes the file, and an unwritable path is bad input", "[report][cli]") {
  const std::string scenario = write_temp("report.yaml", kTwoWorkloads);
  const std::string out = fmt::format("/tmp/slsim_report_test_{}.html", ::getpid());
  const Ran ok = run_slsim(fmt::format("run {} --quiet --no-insights --report {}", scenario, out));
  CHECK(ok.exit_code == 0);
  const std::string html = slurp(out);
  CHECK(html.find("<h1>report-test</h1>") != std::string::npos);
  CHECK(announced_series(chart_of(html, "latency-cdf")) == 2);
  CHECK(html.find("Not looked for (--no-insights)") != std::string::npos);
  CHECK(html.find("intervals of 1s)") != std::string::npos);  // 2min: the default gives 120 intervals
  // --interval sets the charts' interval: 2min in intervals of 30s.
  REQUIRE(run_slsim(fmt::format("run {} --quiet --no-insights --interval 30s --report {}", scenario, out)).exit_code == 0);
  const std::string coarse = slurp(out);
  CHECK(coarse.find("intervals of 30s)") != std::string::npos);
  const std::string traffic = chart_of(coarse, "series-traffic");
  std::smatch m;
  REQUIRE(std::regex_search(traffic, m, std::regex("data-series=\"browse \\(workload\\) arrived\"[^>]* d=\"([^\"]*)\"")));
  CHECK(count_of(m[1].str(), "M") + count_of(m[1].str(), "L") == 8);  // 4 intervals, 2 points each
  std::remove(out.c_str());

  const Ran bad = run_slsim(fmt::format("run {} --quiet --no-insights --report /nonexistent-dir/r.html", scenario));
  CHECK(bad.exit_code == 2);
  CHECK(bad.err == "/nonexistent-dir/r.html: error: cannot write the HTML report here\n"
                   "    hint: check that the directory exists and is writable\n");
  std::remove(scenario.c_str());
}

TEST_CASE("report: a sweep's report draws each figure against the first varied value, a line per other value",
          "[report][cli][sweep]") {
  const std::string scenario = write_temp("sweep.yaml", kTwoWorkloads);
  const std::string out = fmt::format("/tmp/slsim_sweep_report_{}.html", ::getpid());
  // Values given out of order are drawn in numeric order.
  const std::string args = fmt::format(
      "sweep {} --vary services.orders.reserved_concurrency=4,1,2 --vary services.pages.memory=128MB,256MB "
      "--duration 20s --quiet --report {}",
      scenario, out);
  const Ran ran = run_slsim(args);
  REQUIRE(ran.exit_code == 0);
  const std::string html = slurp(out);
  const std::regex chart("<svg class=\"chart\" data-chart=\"([^\"]+)\" data-series-count=\"([0-9]+)\"");
  int charts = 0;
  for (auto it = std::sregex_iterator(html.begin(), html.end(), chart); it != std::sregex_iterator(); ++it) {
    ++charts;
    INFO((*it)[1].str());
    CHECK((*it)[2].str() == "2");  // one line per memory size
    const std::string svg = chart_of(html, (*it)[1].str());
    CHECK(count_of(svg, "class=\"series\"") == 2);
    CHECK(count_of(svg, "<circle") == 6);  // three values, two lines
    const auto one = svg.find(">1<"), two = svg.find(">2<"), four = svg.find(">4<");
    CHECK((one < two && two < four && four != std::string::npos));
  }
  CHECK(charts >= 5);  // latencies of both workloads, buy's throttles, the costs
  CHECK(html.find("data-series=\"services.pages.memory=256MB\"") != std::string::npos);
  CHECK(count_of(html, "<tr><td class=\"num\">") == 6);  // the table of points
  for (const char* banned : {"<script", "src=", "http://", "https://", "url(", "@import"})
    CHECK(html.find(banned) == std::string::npos);
  // Deterministic: the same sweep gives the same bytes.
  REQUIRE(run_slsim(args).exit_code == 0);
  CHECK(slurp(out) == html);
  std::remove(out.c_str());
  std::remove(scenario.c_str());
}

TEST_CASE("report: a lesson's report tells the story, charts the checked figures and gives the verdicts",
          "[report][cli][lesson]") {
  const std::string out = fmt::format("/tmp/slsim_lesson_report_{}.html", ::getpid());
  const Ran ran = run_slsim("lesson lesson-concurrency-limit --report " + out);
  REQUIRE(ran.exit_code == 0);
  const std::string html = slurp(out);
  CHECK(html.find("<h1>Lesson lesson-concurrency-limit</h1>") != std::string::npos);
  CHECK(html.find("Erlang") != std::string::npos);
  // Three tries check the same figure: one chart, base and three tries.
  CHECK(announced_series(chart_of(html, "lesson-0")) == 4);
  CHECK(count_of(chart_of(html, "lesson-0"), "class=\"series\"") == 4);
  CHECK(chart_of(html, "lesson-1").empty());
  CHECK(count_of(html, "<section id=\"try-") == 3);
  CHECK(count_of(html, "The effect shows") == 3);
  // Each try's why: with the measured figures in place of its placeholders.
  CHECK(count_of(html, "<p class=\"why\"><b>Why:</b> ") == 3);
  CHECK(html.find("{base:") == std::string::npos);
  CHECK(html.find("{now:") == std::string::npos);
  CHECK(html.find("<script") == std::string::npos);
  std::remove(out.c_str());

  const Ran bad = run_slsim("lesson lesson-concurrency-limit --report /nonexistent-dir/l.html");
  CHECK(bad.exit_code == 2);
}

TEST_CASE("report: --report leaves the result JSON unchanged", "[report][cli][determinism]") {
  const std::string scenario = write_temp("unchanged.yaml", kTwoWorkloads);
  const std::string stem = fmt::format("/tmp/slsim_report_json_{}", ::getpid());
  REQUIRE(run_slsim(fmt::format("run {} --quiet --no-insights --replications 2 --json {}.a.json", scenario, stem))
              .exit_code == 0);
  REQUIRE(run_slsim(fmt::format("run {} --quiet --no-insights --replications 2 --json {}.b.json --report {}.html",
                                scenario, stem, stem))
              .exit_code == 0);
  const std::regex wall("\"(wall_s|events_per_s)\": [^,\n]*");
  const std::string a = std::regex_replace(slurp(stem + ".a.json"), wall, "");
  const std::string b = std::regex_replace(slurp(stem + ".b.json"), wall, "");
  CHECK(a.size() > 1000);
  CHECK(a == b);
  // Replications: the report says so, and its figures carry their half-widths.
  const std::string html = slurp(stem + ".html");
  CHECK(html.find("2 (figures are means") != std::string::npos);
  CHECK(html.find(" \u00b1") != std::string::npos);
  for (const char* suffix : {".a.json", ".b.json", ".html"}) std::remove((stem + suffix).c_str());
  std::remove(scenario.c_str());
}
