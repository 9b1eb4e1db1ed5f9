#include "sim/report/svg.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "sim/report/number_text.hpp"

namespace slsim::svg {

std::string escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string fixed(double v, int decimals) {
  std::string s = fmt::format("{:.{}f}", v, decimals);
  // "-0.0" and "0.0" are the same coordinate: one spelling keeps the bytes stable.
  if (s[0] == '-' && s.find_first_not_of("-0.") == std::string::npos) s.erase(0, 1);
  return s;
}

std::vector<double> nice_ticks(double lo, double hi, int target) {
  if (!std::isfinite(lo) || !std::isfinite(hi)) return {0, 1};
  if (hi < lo) std::swap(lo, hi);
  if (hi == lo) hi = lo + (lo == 0 ? 1 : std::fabs(lo) * 0.1);
  const double raw = (hi - lo) / std::max(1, target);
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  const double residual = raw / magnitude;
  const double step = (residual <= 1 ? 1 : residual <= 2 ? 2 : residual <= 5 ? 5 : 10) * magnitude;
  // Tolerances of a millionth of a step: 0.30000000000000004 is the tick 0.3.
  const auto first = static_cast<long long>(std::floor(lo / step + 1e-6));
  const auto last = static_cast<long long>(std::ceil(hi / step - 1e-6));
  std::vector<double> out;
  for (long long k = first; k <= std::max(last, first + 1); ++k) out.push_back(static_cast<double>(k) * step);
  return out;
}

std::vector<double> log_ticks(double lo, double hi) {
  if (!(lo > 0) || !std::isfinite(hi)) return {1, 10};
  hi = std::max(hi, lo);
  const int d0 = static_cast<int>(std::floor(std::log10(lo) + 1e-9));
  int d1 = static_cast<int>(std::ceil(std::log10(hi) - 1e-9));
  if (d1 <= d0) d1 = d0 + 1;
  std::vector<double> all;
  const bool fine = d1 - d0 < 3;
  for (int d = d0; d <= d1; ++d) {
    const double p = std::pow(10.0, d);
    all.push_back(p);
    if (fine && d < d1) all.insert(all.end(), {2 * p, 5 * p});
  }
  // The last tick at or below lo to the first at or above hi.
  std::size_t a = 0, b = all.size() - 1;
  while (a + 1 < all.size() && all[a + 1] <= lo * (1 + 1e-9)) ++a;
  while (b > a + 1 && all[b - 1] >= hi * (1 - 1e-9)) --b;
  return {all.begin() + static_cast<std::ptrdiff_t>(a), all.begin() + static_cast<std::ptrdiff_t>(b) + 1};
}

std::string tick_label(double v, double step) {
  const int decimals = step > 0 ? std::clamp(static_cast<int>(-std::floor(std::log10(step) + 1e-9)), 0, 9) : 0;
  const std::string s = fixed(v, decimals);
  const auto dot = s.find('.');
  return dot == std::string::npos ? group_thousands(s) : group_thousands(s.substr(0, dot)) + s.substr(dot);
}

const std::vector<std::string>& palette() {
  static const std::vector<std::string> colours = {"#0072B2", "#E69F00", "#009E73", "#D55E00",
                                                   "#CC79A7", "#56B4E9", "#000000", "#B8A000"};
  return colours;
}

namespace {

constexpr double kWidth = 760;
constexpr double kLeft = 76, kRight = 20, kTop = 36, kPlotHeight = 220;
constexpr double kLegendItem = 228, kLegendRow = 18;

std::string colour(std::size_t i) { return palette()[i % palette().size()]; }
std::string dash(std::size_t i) { return i < palette().size() ? "" : " stroke-dasharray=\"6 3\""; }

std::string open_svg(const std::string& id, std::size_t series, double height, const std::string& title) {
  return fmt::format(
      "<svg class=\"chart\" data-chart=\"{}\" data-series-count=\"{}\" "
      "viewBox=\"0 0 {} {}\" width=\"{}\" height=\"{}\" font-family=\"system-ui, sans-serif\" font-size=\"11\" "
      "role=\"img\" aria-label=\"{}\">\n"
      "<text x=\"{}\" y=\"20\" font-size=\"14\" font-weight=\"bold\" fill=\"#222\">{}</text>\n",
      escape(id), series, fixed(kWidth, 0), fixed(height, 0), fixed(kWidth, 0), fixed(height, 0), escape(title),
      fixed(kLeft, 0), escape(title));
}

// Names that would overflow their legend slot are cut (the table beside the chart has them whole).
std::string shortened(const std::string& name, std::size_t max_chars) {
  if (name.size() <= max_chars) return name;
  std::size_t cut = max_chars - 1;
  while (cut > 0 && (static_cast<unsigned char>(name[cut]) & 0xC0) == 0x80) --cut;  // not inside a UTF-8 character
  return name.substr(0, cut) + "\u2026";
}

std::size_t legend_columns() { return static_cast<std::size_t>((kWidth - kLeft) / kLegendItem); }

double legend_height(std::size_t n) {
  const std::size_t columns = legend_columns();
  return static_cast<double>((n + columns - 1) / columns) * kLegendRow;
}

std::string legend(const std::vector<std::string>& names, double top, bool bars) {
  std::string out = "<g class=\"legend\">\n";
  const std::size_t columns = legend_columns();
  for (std::size_t i = 0; i < names.size(); ++i) {
    const double x = kLeft + static_cast<double>(i % columns) * kLegendItem;
    const double y = top + static_cast<double>(i / columns) * kLegendRow;
    if (bars)
      out += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"18\" height=\"10\" fill=\"{}\"/>", fixed(x, 1),
                         fixed(y - 8, 1), colour(i));
    else
      out += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{}\" stroke-width=\"2.5\"{}/>",
                         fixed(x, 1), fixed(y - 4, 1), fixed(x + 18, 1), fixed(y - 4, 1), colour(i), dash(i));
    out += fmt::format("<text x=\"{}\" y=\"{}\" fill=\"#222\">{}</text>\n", fixed(x + 24, 1), fixed(y, 1),
                       escape(shortened(names[i], 34)));
  }
  return out + "</g>\n";
}

// A linear or log10 scale from a data domain onto pixels.
struct Scale {
  double d0 = 0, d1 = 1, p0 = 0, p1 = 1;
  bool log = false;
  double operator()(double v) const {
    const double t = log ? std::log10(v) : v;
    const double a = log ? std::log10(d0) : d0, b = log ? std::log10(d1) : d1;
    return p0 + (t - a) / (b - a) * (p1 - p0);
  }
};

struct Point {
  double x, y;
  bool gap;  // starts a new sub-path
};

// The points to draw of one series (in data units); NaN y and, on a log axis, x <= 0 break the line.
std::vector<Point> series_points(const Series& s, const LineChart& chart) {
  std::vector<Point> out;
  bool gap = true;
  const std::size_t n = std::min(s.x.size(), s.y.size());
  for (std::size_t i = 0; i < n; ++i) {
    const double y = s.y[i];
    if (!std::isfinite(y) || !std::isfinite(s.x[i]) || (chart.log_x && !(s.x[i] > 0))) {
      gap = true;
      continue;
    }
    if (chart.step) {
      const double x1 = i + 1 < s.x.size() ? s.x[i + 1] : chart.x_end;
      out.push_back({s.x[i], y, gap});
      out.push_back({x1, y, false});
    } else {
      out.push_back({s.x[i], y, gap});
    }
    gap = false;
  }
  return out;
}

std::string path_data(const std::vector<Point>& points, const Scale& x, const Scale& y) {
  std::string d;
  for (const Point& p : points) {
    if (!d.empty()) d += ' ';
    d += fmt::format("{}{} {}", p.gap ? 'M' : 'L', fixed(x(p.x), 1), fixed(y(p.y), 1));
  }
  return d;
}

std::string y_axis(const std::vector<double>& ticks, const Scale& y, double plot_right, const std::string& label,
                   double plot_mid) {
  std::string out = "<g class=\"y-axis\">\n";
  const double step = ticks.size() > 1 ? ticks[1] - ticks[0] : 1;
  for (const double t : ticks) {
    out += fmt::format(
        "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#ddd\"/><text x=\"{}\" y=\"{}\" "
        "text-anchor=\"end\" fill=\"#444\">{}</text>\n",
        fixed(kLeft, 1), fixed(y(t), 1), fixed(plot_right, 1), fixed(y(t), 1), fixed(kLeft - 6, 1),
        fixed(y(t) + 4, 1), tick_label(t, step));
  }
  out += fmt::format(
      "<text transform=\"translate(14 {}) rotate(-90)\" text-anchor=\"middle\" fill=\"#222\">{}</text>\n</g>\n",
      fixed(plot_mid, 1), escape(label));
  return out;
}

std::string x_axis(const std::vector<double>& ticks, const Scale& x, double plot_bottom, const std::string& label,
                   bool log, const std::vector<std::string>& categories) {
  std::string out = fmt::format("<g class=\"x-axis\">\n<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#888\"/>\n",
                                fixed(kLeft, 1), fixed(plot_bottom, 1), fixed(kWidth - kRight, 1), fixed(plot_bottom, 1));
  const double step = ticks.size() > 1 ? ticks[1] - ticks[0] : 1;
  for (const double t : ticks) {
    out += fmt::format(
        "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#888\"/><text x=\"{}\" y=\"{}\" "
        "text-anchor=\"middle\" fill=\"#444\">{}</text>\n",
        fixed(x(t), 1), fixed(plot_bottom, 1), fixed(x(t), 1), fixed(plot_bottom + 4, 1), fixed(x(t), 1),
        fixed(plot_bottom + 16, 1),
        categories.empty() ? tick_label(t, log ? t : step)
                           : escape(shortened(categories[static_cast<std::size_t>(t)], 18)));
  }
  out += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"#222\">{}</text>\n</g>\n",
                     fixed((kLeft + kWidth - kRight) / 2, 1), fixed(plot_bottom + 34, 1), escape(label));
  return out;
}

}  // namespace

std::string line_chart(const LineChart& chart) {
  // What is drawn: series with at least two points.
  std::vector<const Series*> drawn;
  std::vector<std::vector<Point>> points;
  double x_lo = std::numeric_limits<double>::infinity(), x_hi = -x_lo, y_lo = x_lo, y_hi = -x_lo;
  for (const Series& s : chart.series) {
    std::vector<Point> p = series_points(s, chart);
    if (p.size() < 2) continue;
    for (const Point& q : p) {
      x_lo = std::min(x_lo, q.x), x_hi = std::max(x_hi, q.x);
      y_lo = std::min(y_lo, q.y), y_hi = std::max(y_hi, q.y);
    }
    drawn.push_back(&s);
    points.push_back(std::move(p));
  }
  if (drawn.empty()) x_lo = y_lo = 0, x_hi = y_hi = 1;
  if (chart.y_from_zero) y_lo = std::min(y_lo, 0.0), y_hi = std::max(y_hi, 0.0);
  const std::vector<double> yt = nice_ticks(y_lo, y_hi, 4);
  const std::size_t categories = chart.x_categories.size();
  std::vector<double> xt;
  if (categories > 0)
    for (std::size_t i = 0; i < categories; ++i) xt.push_back(static_cast<double>(i));
  else
    xt = chart.log_x ? log_ticks(x_lo, x_hi) : nice_ticks(x_lo, x_hi, 6);

  const double plot_bottom = kTop + kPlotHeight, plot_right = kWidth - kRight;
  // Categories sit inside the axis, half a slot from its ends.
  const Scale x = categories > 0 ? Scale{-0.5, static_cast<double>(categories) - 0.5, kLeft, plot_right, false}
                                 : Scale{xt.front(), xt.back(), kLeft, plot_right, chart.log_x};
  const Scale y{yt.front(), yt.back(), plot_bottom, kTop, false};
  const double legend_top = plot_bottom + 56;
  const double height = legend_top + legend_height(drawn.size()) + 4;

  std::string out = open_svg(chart.id, drawn.size(), height, chart.title);
  out += y_axis(yt, y, plot_right, chart.y_label, kTop + kPlotHeight / 2);
  out += x_axis(xt, x, plot_bottom, chart.x_label, chart.log_x, chart.x_categories);
  std::vector<std::string> names;
  for (std::size_t i = 0; i < drawn.size(); ++i) {
    out += fmt::format(
        "<path class=\"series\" data-series=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"1.8\" "
        "stroke-linejoin=\"round\"{} d=\"{}\"/>\n",
        escape(drawn[i]->name), colour(i), dash(i), path_data(points[i], x, y));
    if (categories > 0)
      for (const Point& p : points[i])
        out += fmt::format("<circle cx=\"{}\" cy=\"{}\" r=\"3\" fill=\"{}\"/>\n", fixed(x(p.x), 1), fixed(y(p.y), 1),
                           colour(i));
    names.push_back(drawn[i]->name);
  }
  out += legend(names, legend_top, false);
  return out + "</svg>\n";
}

std::string bar_chart(const BarChart& chart) {
  std::vector<const BarSeries*> drawn;
  double lo = 0, hi = 0;
  for (const BarSeries& s : chart.series) {
    bool any = false;
    for (const double v : s.values)
      if (std::isfinite(v)) any = true, lo = std::min(lo, v), hi = std::max(hi, v);
    if (any) drawn.push_back(&s);
  }
  const std::vector<double> ticks = nice_ticks(lo, hi, 5);
  constexpr double kLabelWidth = 190, kBar = 13;
  const double band = kBar * static_cast<double>(std::max<std::size_t>(1, drawn.size())) + 10;
  const double plot_left = kLeft + kLabelWidth, plot_right = kWidth - kRight;
  const double plot_bottom = kTop + band * static_cast<double>(chart.categories.size());
  const Scale x{ticks.front(), ticks.back(), plot_left, plot_right, false};
  const double legend_top = plot_bottom + 56;
  const double height = legend_top + (drawn.size() > 1 ? legend_height(drawn.size()) : 0) + 4;

  std::string out = open_svg(chart.id, drawn.size(), height, chart.title);
  // The value axis: grid lines at the ticks, labels under the bars.
  out += "<g class=\"x-axis\">\n";
  const double step = ticks.size() > 1 ? ticks[1] - ticks[0] : 1;
  for (const double t : ticks)
    out += fmt::format(
        "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#ddd\"/><text x=\"{}\" y=\"{}\" "
        "text-anchor=\"middle\" fill=\"#444\">{}</text>\n",
        fixed(x(t), 1), fixed(kTop, 1), fixed(x(t), 1), fixed(plot_bottom, 1), fixed(x(t), 1),
        fixed(plot_bottom + 16, 1), tick_label(t, step));
  out += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"#222\">{}</text>\n</g>\n",
                     fixed((plot_left + plot_right) / 2, 1), fixed(plot_bottom + 34, 1), escape(chart.value_label));
  out += "<g class=\"categories\">\n";
  for (std::size_t c = 0; c < chart.categories.size(); ++c)
    out += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"end\" fill=\"#222\">{}</text>\n", fixed(plot_left - 6, 1),
                       fixed(kTop + band * static_cast<double>(c) + band / 2 + 4, 1),
                       escape(shortened(chart.categories[c], 40)));
  out += "</g>\n";
  std::vector<std::string> names;
  for (std::size_t i = 0; i < drawn.size(); ++i) {
    std::string d;
    for (std::size_t c = 0; c < chart.categories.size() && c < drawn[i]->values.size(); ++c) {
      const double v = drawn[i]->values[c];
      if (!std::isfinite(v)) continue;
      const double top = kTop + band * static_cast<double>(c) + 5 + kBar * static_cast<double>(i);
      const std::string x0 = fixed(x(0), 1), x1 = fixed(x(v), 1), y0 = fixed(top, 1), y1 = fixed(top + kBar - 2, 1);
      if (!d.empty()) d += ' ';
      d += fmt::format("M{} {} L{} {} L{} {} L{} {} Z", x0, y0, x1, y0, x1, y1, x0, y1);
    }
    out += fmt::format("<path class=\"series\" data-series=\"{}\" fill=\"{}\" d=\"{}\"/>\n", escape(drawn[i]->name),
                       colour(i), d);
    names.push_back(drawn[i]->name);
  }
  out += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#888\"/>\n", fixed(x(0), 1),
                     fixed(kTop, 1), fixed(x(0), 1), fixed(plot_bottom, 1));
  if (drawn.size() > 1) out += legend(names, legend_top, true);
  return out + "</svg>\n";
}

}  // namespace slsim::svg
