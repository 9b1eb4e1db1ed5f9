#pragma once
// A small chart writer for the HTML report: inline SVG, no script. Line and
// step charts over time, log-x curves (a latency CDF or histogram) and
// horizontal bar charts (single or grouped). Every chart is
// `<svg class="chart" data-chart="ID" data-series-count="N">` and every series
// one `<path class="series" data-series="NAME" d="...">` (a bar series: one
// sub-path per bar), so tests and the browser check can count what was drawn.
// Coordinates use fixed decimals: the same data gives the same bytes.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace slsim::svg {

// Text for HTML or XML (element text and attribute values): & < > " ' escaped.
std::string escape(std::string_view text);
// `v` with `decimals` fixed decimals ("-0.0" written "0.0").
std::string fixed(double v, int decimals);

// Ticks at 1-2-5 multiples of a power of ten covering [lo, hi]: the first is
// <= lo, the last >= hi, about `target` intervals between them (at least 2 ticks).
std::vector<double> nice_ticks(double lo, double hi, int target = 5);
// Ticks of a log axis covering [lo, hi] (lo > 0): the powers of ten, with the
// 2 and 5 multiples too when the range spans fewer than three decades.
std::vector<double> log_ticks(double lo, double hi);
// A tick's label: as many decimals as the step between ticks needs, thousands grouped.
std::string tick_label(double v, double step);

// The fixed, colour-blind-safe palette (Okabe-Ito); series beyond it repeat
// the colours with a dash pattern.
const std::vector<std::string>& palette();

struct Series {
  std::string name;
  std::vector<double> x, y;  // a NaN y breaks the line
};

struct LineChart {
  std::string id;      // data-chart
  std::string title;
  std::string x_label;  // with its unit: "time (min)"
  std::string y_label;
  std::vector<Series> series;
  // A step chart: y[i] holds from x[i] to x[i + 1] (the last to x_end).
  bool step = false;
  double x_end = 0;
  bool log_x = false;
  bool y_from_zero = true;
  // A categorical x axis: x holds indices into these labels (0, 1, ...),
  // evenly spaced, and every point gets a marker.
  std::vector<std::string> x_categories;
};
// Series with fewer than two drawable points are left out (and not counted).
std::string line_chart(const LineChart& chart);

struct BarSeries {
  std::string name;
  std::vector<double> values;  // one per category (NaN: no bar)
};
struct BarChart {
  std::string id, title;
  std::string value_label;  // the axis under the bars, with its unit
  std::vector<std::string> categories;  // one row each
  std::vector<BarSeries> series;        // bars of a row, in order (grouped when several)
};
// Horizontal bars from zero (the axis covers negative values too).
std::string bar_chart(const BarChart& chart);

}  // namespace slsim::svg
