#include "sim/scenario/topology.hpp"

#include <algorithm>
#include <map>

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
}  // namespace

Topology::Topology(const Scenario& sc) {
  std::map<std::string, Graph::vertex_descriptor> index;
  for (const auto& s : sc.services)
    index[s.name] = boost::add_vertex(Vertex{s.name, s.type != nullptr ? s.type->name : "?"}, graph_);
  for (const auto& w : sc.workloads)
    index["workload:" + w.name] = boost::add_vertex(Vertex{w.name, "workload"}, graph_);
  for (const auto& e : sc.edges) {
    const auto from = index.find(e.from), to = index.find(e.to);
    if (from != index.end() && to != index.end()) boost::add_edge(from->second, to->second, Edge{e.label}, graph_);
  }
}

std::vector<std::vector<std::string>> Topology::cycles() const {
  const auto n = boost::num_vertices(graph_);
  std::vector<int> component(n);
  const int count = boost::strong_components(
      graph_, boost::make_iterator_property_map(component.begin(), boost::get(boost::vertex_index, graph_)));
  std::vector<std::vector<std::string>> groups(static_cast<std::size_t>(count));
  for (std::size_t v = 0; v < n; ++v) groups[static_cast<std::size_t>(component[v])].push_back(graph_[v].name);
  std::vector<std::vector<std::string>> out;
  for (auto& g : groups) {
    bool cyclic = g.size() > 1;
    if (g.size() == 1) {
      for (auto [e, end] = boost::edges(graph_); e != end; ++e)
        if (boost::source(*e, graph_) == boost::target(*e, graph_) && graph_[boost::source(*e, graph_)].name == g[0])
          cyclic = true;
    }
    if (cyclic) {
      std::sort(g.begin(), g.end());
      out.push_back(g);
    }
  }
  std::sort(out.begin(), out.end());
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
                       dot_quote((b.type == "workload" ? "workload:" : "") + b.name), dot_quote(graph_[*e].label));
  }
  out += "}\n";
  return out;
}

}  // namespace slsim
