#include "sim/scenario/topology.hpp"

#include <algorithm>
#include <deque>
#include <map>
#include <tuple>

#include <boost/graph/strong_components.hpp>
#include <fmt/format.h>

#include "sim/scenario/scenario.hpp"

namespace slsim {

namespace {
// A DOT string literal: quotes and backslashes escaped, "\n" kept as DOT's line break.
std::string dot_quote(const std::string& s) {
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"') out += "\\\"";
    else out += c;
  }
  return out + "\"";
}

std::string edge_text(const Topology::Edge& e) { return e.op.empty() ? e.label : e.label + ": " + e.op; }
}  // namespace

Topology::Topology(const Scenario& sc) {
  std::map<std::string, Graph::vertex_descriptor> index;
  for (const auto& s : sc.services)
    index[s.name] = boost::add_vertex(Vertex{s.name, s.type != nullptr ? s.type->name : "?", s.type}, graph_);
  for (const auto& w : sc.workloads)
    index["workload:" + w.name] = boost::add_vertex(Vertex{w.name, "workload", nullptr}, graph_);
  for (const auto& e : sc.edges) {
    const auto from = index.find(e.from), to = index.find(e.to);
    if (from != index.end() && to != index.end())
      boost::add_edge(from->second, to->second, Edge{e.label, e.op}, graph_);
  }
}

std::vector<Topology::Cycle> Topology::cycles() const {
  // The line graph of the edges between services: an arc e -> f when a message
  // that arrives by e (with e's operation) can make its target send along f.
  std::vector<Graph::edge_descriptor> edges;
  for (auto [e, end] = boost::edges(graph_); e != end; ++e)
    if (graph_[boost::source(*e, graph_)].service_type != nullptr) edges.push_back(*e);
  using LineGraph = boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS>;
  LineGraph line(edges.size());
  std::vector<std::vector<std::size_t>> next(edges.size());
  for (std::size_t i = 0; i < edges.size(); ++i) {
    const auto via = boost::target(edges[i], graph_);
    const ServiceType* type = graph_[via].service_type;
    if (type == nullptr) continue;
    for (std::size_t j = 0; j < edges.size(); ++j) {
      if (boost::source(edges[j], graph_) != via) continue;
      if (!type->forwards_along(graph_[edges[i]].op, graph_[edges[j]].label)) continue;
      boost::add_edge(i, j, line);
      next[i].push_back(j);
    }
  }
  std::vector<int> component(edges.size());
  const int count = boost::strong_components(
      line, boost::make_iterator_property_map(component.begin(), boost::get(boost::vertex_index, line)));
  std::vector<std::vector<std::size_t>> groups(static_cast<std::size_t>(count));
  for (std::size_t i = 0; i < edges.size(); ++i) groups[static_cast<std::size_t>(component[i])].push_back(i);

  const auto name_of = [&](Graph::vertex_descriptor v) -> const std::string& { return graph_[v].name; };
  const auto edge_key = [&](std::size_t i) {
    return std::tuple(name_of(boost::source(edges[i], graph_)), name_of(boost::target(edges[i], graph_)),
                      graph_[edges[i]].label, i);
  };
  std::vector<Cycle> out;
  for (const auto& group : groups) {
    const std::size_t first = group.front();
    const bool self_loop = std::find(next[first].begin(), next[first].end(), first) != next[first].end();
    if (group.size() == 1 && !self_loop) continue;
    // One loop through the group's first edge (by name): the shortest way back to it.
    std::size_t start = group.front();
    for (const std::size_t i : group)
      if (edge_key(i) < edge_key(start)) start = i;
    std::vector<bool> in_group(edges.size(), false);
    for (const std::size_t i : group) in_group[i] = true;
    std::vector<std::size_t> parent(edges.size(), edges.size());
    std::deque<std::size_t> queue{start};
    parent[start] = start;
    std::size_t last = edges.size();
    while (!queue.empty() && last == edges.size()) {
      const std::size_t i = queue.front();
      queue.pop_front();
      for (const std::size_t j : next[i]) {
        if (j == start) {
          last = i;
          break;
        }
        if (!in_group[j] || parent[j] != edges.size()) continue;
        parent[j] = i;
        queue.push_back(j);
      }
    }
    if (last == edges.size()) continue;  // not reached: a strong component always loops back
    std::vector<std::size_t> loop;
    for (std::size_t i = last; i != start; i = parent[i]) loop.push_back(i);
    loop.push_back(start);
    std::reverse(loop.begin(), loop.end());
    Cycle c;
    c.start = name_of(boost::source(edges[start], graph_));
    c.path = c.start;
    for (const std::size_t i : loop)
      c.path += fmt::format(" -[{}]-> {}", edge_text(graph_[edges[i]]), name_of(boost::target(edges[i], graph_)));
    for (const std::size_t i : group) c.services.push_back(name_of(boost::source(edges[i], graph_)));
    std::sort(c.services.begin(), c.services.end());
    c.services.erase(std::unique(c.services.begin(), c.services.end()), c.services.end());
    out.push_back(std::move(c));
  }
  std::sort(out.begin(), out.end(),
            [](const Cycle& a, const Cycle& b) { return std::tie(a.services, a.path) < std::tie(b.services, b.path); });
  return out;
}

std::string Topology::dot(const std::string& title) const {
  std::string out = fmt::format("digraph {} {{\n  rankdir=LR;\n  node [fontname=\"Helvetica\"];\n", dot_quote(title));
  for (auto [v, end] = boost::vertices(graph_); v != end; ++v) {
    const Vertex& x = graph_[*v];
    const bool workload = x.type == "workload";
    out += fmt::format("  {} [label={}, shape={}];\n", dot_quote((workload ? "workload:" : "") + x.name),
                       dot_quote(x.name + "\\n(" + x.type + ")"), workload ? "ellipse" : "box");
  }
  for (auto [e, end] = boost::edges(graph_); e != end; ++e) {
    const Vertex& a = graph_[boost::source(*e, graph_)];
    const Vertex& b = graph_[boost::target(*e, graph_)];
    out += fmt::format("  {} -> {} [label={}];\n", dot_quote((a.type == "workload" ? "workload:" : "") + a.name),
                       dot_quote((b.type == "workload" ? "workload:" : "") + b.name), dot_quote(edge_text(graph_[*e])));
  }
  out += "}\n";
  return out;
}

}  // namespace slsim
