#include "sim/report/topology_svg.hpp"

#include <algorithm>
#include <cstddef>
#include <map>
#include <utility>

#include <fmt/format.h>

#include "sim/report/svg.hpp"

namespace slsim {

namespace {

using Graph = Topology::Graph;

struct Adjacency {
  std::vector<std::vector<std::size_t>> out;  // targets, in edge order
};

Adjacency adjacency(const Graph& g) {
  Adjacency a;
  a.out.resize(boost::num_vertices(g));
  for (auto [e, end] = boost::edges(g); e != end; ++e) a.out[boost::source(*e, g)].push_back(boost::target(*e, g));
  return a;
}

// Depth-first search from the workloads first, then every other vertex, in
// vertex order: the back edges (to a vertex still on the stack, self-loops
// included) and the reverse post-order, a topological order of the rest.
struct Search {
  std::vector<std::pair<std::size_t, std::size_t>> back;
  std::vector<std::size_t> order;
};

Search depth_first(const Graph& g, const Adjacency& a) {
  const std::size_t n = a.out.size();
  std::vector<std::size_t> starts;
  for (std::size_t v = 0; v < n; ++v)
    if (g[v].type == "workload") starts.push_back(v);
  for (std::size_t v = 0; v < n; ++v)
    if (g[v].type != "workload") starts.push_back(v);
  enum : char { unseen, open, done };
  std::vector<char> state(n, unseen);
  Search s;
  std::vector<std::pair<std::size_t, std::size_t>> stack;  // (vertex, next edge index); no recursion
  for (const std::size_t root : starts) {
    if (state[root] != unseen) continue;
    state[root] = open;
    stack.emplace_back(root, 0);
    while (!stack.empty()) {
      auto& [v, i] = stack.back();
      if (i == a.out[v].size()) {
        state[v] = done;
        s.order.push_back(v);
        stack.pop_back();
        continue;
      }
      const std::size_t w = a.out[v][i++];
      if (state[w] == open) s.back.emplace_back(v, w);
      else if (state[w] == unseen) {
        state[w] = open;
        stack.emplace_back(w, 0);
      }
    }
  }
  std::reverse(s.order.begin(), s.order.end());
  return s;
}

bool is_back(const Search& s, std::size_t from, std::size_t to) {
  return std::find(s.back.begin(), s.back.end(), std::make_pair(from, to)) != s.back.end();
}

constexpr double kBoxW = 156, kBoxH = 42, kColumn = 280, kRow = 66, kMargin = 12;

std::string shortened(const std::string& s, std::size_t n) {
  if (s.size() <= n) return s;
  std::size_t cut = n - 1;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return s.substr(0, cut) + "\u2026";
}

}  // namespace

std::vector<int> topology_columns(const Graph& g) {
  const Adjacency a = adjacency(g);
  const Search s = depth_first(g, a);
  std::vector<int> column(a.out.size(), 0);
  for (const std::size_t v : s.order)
    for (const std::size_t w : a.out[v])
      if (!is_back(s, v, w)) column[w] = std::max(column[w], column[v] + 1);
  return column;
}

std::string topology_svg(const Topology& topology) {
  const Graph& g = topology.graph();
  const std::size_t n = boost::num_vertices(g);
  const Adjacency a = adjacency(g);
  const Search search = depth_first(g, a);
  const std::vector<int> column = topology_columns(g);
  const int columns = n == 0 ? 1 : *std::max_element(column.begin(), column.end()) + 1;

  // Rows: a column's vertices ordered by the mean row of what calls them
  // (fewer crossings), ties by vertex order; columns centred on the tallest.
  std::vector<std::vector<std::size_t>> by_column(static_cast<std::size_t>(columns));
  std::vector<double> row(n, 0);
  for (int c = 0; c < columns; ++c) {
    std::vector<std::pair<double, std::size_t>> keyed;
    for (std::size_t v = 0; v < n; ++v) {
      if (column[v] != c) continue;
      double sum = 0;
      int count = 0;
      for (std::size_t u = 0; u < n; ++u)
        for (const std::size_t w : a.out[u])
          if (w == v && column[u] < c) sum += row[u], ++count;
      keyed.emplace_back(count > 0 ? sum / count : static_cast<double>(v) * 1e-6, v);
    }
    std::stable_sort(keyed.begin(), keyed.end());
    for (std::size_t i = 0; i < keyed.size(); ++i) {
      row[keyed[i].second] = static_cast<double>(i);
      by_column[static_cast<std::size_t>(c)].push_back(keyed[i].second);
    }
  }
  std::size_t tallest = 1;
  for (const auto& col : by_column) tallest = std::max(tallest, col.size());
  std::vector<double> x(n), y(n);
  for (const auto& col : by_column)
    for (std::size_t i = 0; i < col.size(); ++i) {
      const std::size_t v = col[i];
      x[v] = kMargin + kColumn * column[v];
      y[v] = kMargin + kRow * (static_cast<double>(i) + static_cast<double>(tallest - col.size()) / 2);
    }

  // Parallel edges share one arrow; their labels are listed.
  std::map<std::pair<std::size_t, std::size_t>, std::string> labels;
  std::vector<std::pair<std::size_t, std::size_t>> arrows;
  for (auto [e, end] = boost::edges(g); e != end; ++e) {
    const auto key = std::make_pair(boost::source(*e, g), boost::target(*e, g));
    const Topology::Edge& edge = g[*e];
    const std::string text = edge.op.empty() ? edge.label : edge.label + ": " + edge.op;
    auto [it, fresh] = labels.emplace(key, text);
    if (fresh) arrows.push_back(key);
    else it->second += ", " + text;
  }
  const bool any_back = !search.back.empty();
  const double width = kMargin * 2 + kColumn * (columns - 1) + kBoxW + (any_back ? 50 : 0);
  const double height = kMargin * 2 + kRow * static_cast<double>(tallest - 1) + kBoxH + (any_back ? 44 : 0);
  using svg::fixed;
  std::string out = fmt::format(
      "<svg class=\"diagram\" data-chart=\"topology\" data-nodes=\"{}\" data-edges=\"{}\" viewBox=\"0 0 {} {}\" "
      "width=\"{}\" height=\"{}\" font-family=\"system-ui, sans-serif\" font-size=\"11\" role=\"img\" "
      "aria-label=\"service topology\">\n",
      n, arrows.size(), fixed(width, 0), fixed(height, 0), fixed(width, 0), fixed(height, 0));

  out += "<g class=\"edges\">\n";
  for (const auto& [from, to] : arrows) {
    const std::string label = svg::escape(shortened(labels[{from, to}], 22));
    std::string d, head;
    double lx = 0, ly = 0;
    if (from == to) {  // a loop on the box's right side
      const double x0 = x[from] + kBoxW, y0 = y[from];
      d = fmt::format("M{} {} C{} {} {} {} {} {}", fixed(x0, 1), fixed(y0 + 12, 1), fixed(x0 + 44, 1), fixed(y0 - 8, 1),
                      fixed(x0 + 44, 1), fixed(y0 + kBoxH + 8, 1), fixed(x0 + 1, 1), fixed(y0 + kBoxH - 12, 1));
      head = fmt::format("{},{} {},{} {},{}", fixed(x0, 1), fixed(y0 + kBoxH - 12, 1), fixed(x0 + 9, 1),
                         fixed(y0 + kBoxH - 17, 1), fixed(x0 + 8, 1), fixed(y0 + kBoxH - 7, 1));
      lx = x0 + 4, ly = y0 - 4;
    } else if (is_back(search, from, to) || column[to] <= column[from]) {  // under the boxes, back to the left
      const double x0 = x[from] + kBoxW / 2, y0 = y[from] + kBoxH, x1 = x[to] + kBoxW / 2 + 10, y1 = y[to] + kBoxH;
      const double low = std::max(y0, y1) + 40;
      d = fmt::format("M{} {} C{} {} {} {} {} {}", fixed(x0, 1), fixed(y0, 1), fixed(x0, 1), fixed(low, 1),
                      fixed(x1, 1), fixed(low, 1), fixed(x1, 1), fixed(y1 + 8, 1));
      head = fmt::format("{},{} {},{} {},{}", fixed(x1, 1), fixed(y1, 1), fixed(x1 - 4, 1), fixed(y1 + 9, 1),
                         fixed(x1 + 4, 1), fixed(y1 + 9, 1));
      lx = (x0 + x1) / 2, ly = low - 6;
    } else {  // left to right
      const double x0 = x[from] + kBoxW, y0 = y[from] + kBoxH / 2, x1 = x[to], y1 = y[to] + kBoxH / 2;
      const double bend = (x1 - x0) / 2;
      d = fmt::format("M{} {} C{} {} {} {} {} {}", fixed(x0, 1), fixed(y0, 1), fixed(x0 + bend, 1), fixed(y0, 1),
                      fixed(x1 - bend, 1), fixed(y1, 1), fixed(x1 - 8, 1), fixed(y1, 1));
      head = fmt::format("{},{} {},{} {},{}", fixed(x1, 1), fixed(y1, 1), fixed(x1 - 9, 1), fixed(y1 - 4, 1),
                         fixed(x1 - 9, 1), fixed(y1 + 4, 1));
      // The label beside the arrow's start, where arrows from one box have not merged yet.
      lx = x0 + 6, ly = y0 + (y1 - y0) * 0.18 - 4;
    }
    out += fmt::format(
        "<path class=\"edge\" fill=\"none\" stroke=\"#666\" stroke-width=\"1.3\" d=\"{}\"/><polygon fill=\"#666\" "
        "points=\"{}\"/>\n<text x=\"{}\" y=\"{}\" font-size=\"10\" fill=\"#444\">{}</text>\n",
        d, head, fixed(lx, 1), fixed(ly, 1), label);
  }
  out += "</g>\n<g class=\"nodes\">\n";
  for (std::size_t v = 0; v < n; ++v) {
    const bool workload = g[v].type == "workload";
    out += fmt::format(
        "<g class=\"node\" data-node=\"{}\"><rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"{}\" fill=\"{}\" "
        "stroke=\"{}\"/><text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-weight=\"bold\" fill=\"#111\">{}</text>"
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"#555\">{}</text></g>\n",
        svg::escape(g[v].name), fixed(x[v], 1), fixed(y[v], 1), fixed(kBoxW, 0), fixed(kBoxH, 0), workload ? 18 : 4,
        workload ? "#E3F0FA" : "#F4F4F4", workload ? "#0072B2" : "#888", fixed(x[v] + kBoxW / 2, 1),
        fixed(y[v] + 18, 1), svg::escape(shortened(g[v].name, 24)), fixed(x[v] + kBoxW / 2, 1), fixed(y[v] + 33, 1),
        svg::escape(workload ? "workload" : g[v].type));
  }
  return out + "</g>\n</svg>\n";
}

}  // namespace slsim
