#pragma once
// The service graph of a scenario (Boost.Graph): vertices are services and
// workloads, edges are integrations, calls, consumers, DLQs, destinations...
// Used to warn about cycles and to export Graphviz DOT (`slsim graph`).
#include <string>
#include <vector>

#include <boost/graph/adjacency_list.hpp>

namespace slsim {

struct Scenario;

class Topology {
 public:
  struct Vertex {
    std::string name;
    std::string type;  // service type, or "workload"
  };
  struct Edge {
    std::string label;
  };
  using Graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS, Vertex, Edge>;

  explicit Topology(const Scenario& scenario);

  const Graph& graph() const { return graph_; }
  // Groups of services that can reach each other (each sorted; self-loops included).
  std::vector<std::vector<std::string>> cycles() const;
  // Graphviz DOT, workloads as ellipses and services as boxes, edges labelled.
  std::string dot(const std::string& title) const;

 private:
  Graph graph_;
};

}  // namespace slsim
