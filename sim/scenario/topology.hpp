#pragma once
// The service graph of a scenario (Boost.Graph): vertices are services and
// workloads, edges are integrations, calls, consumers, DLQs, destinations...,
// each with the operation it sends. Used to warn about loops that can carry
// messages and to export Graphviz DOT (`slsim graph`).
#include <cstddef>
#include <string>
#include <vector>

#include <boost/graph/adjacency_list.hpp>

namespace slsim {

struct Scenario;
struct ServiceType;

class Topology {
 public:
  struct Vertex {
    std::string name;
    std::string type;  // service type, or "workload"
    const ServiceType* service_type = nullptr;  // null for workloads
  };
  struct Edge {
    std::string label;
    std::string op;
  };
  using Graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS, Vertex, Edge>;

  // A loop messages can go round: every edge on it is taken by an operation
  // that makes its target send along the next edge.
  struct Cycle {
    std::vector<std::string> services;  // every service of the loop's group, sorted
    std::string start;                  // the service the path starts from
    std::string path;                   // one loop: "fn -[calls: put]-> photos -[notification: invoke_async]-> fn"
  };

  explicit Topology(const Scenario& scenario);

  const Graph& graph() const { return graph_; }
  // The loops, one per group of edges that can pass messages round to each
  // other, sorted by their services.
  std::vector<Cycle> cycles() const;
  // Graphviz DOT, workloads as ellipses and services as boxes, edges labelled "label: op".
  std::string dot(const std::string& title) const;

 private:
  Graph graph_;
};

}  // namespace slsim
