#pragma once
// The topology diagram of the HTML report: a layered drawing of the service
// graph (sim/scenario/topology.hpp) as inline SVG. Deterministic: the same
// scenario gives the same bytes.
#include <string>
#include <vector>

#include "sim/scenario/topology.hpp"

namespace slsim {

// Each vertex's column: its longest distance from a workload (or from a
// vertex nothing calls) along the graph's edges, ignoring back edges (those
// that close a loop in a depth-first search started at the workloads).
std::vector<int> topology_columns(const Topology::Graph& g);

// `<svg class="diagram" data-chart="topology" data-nodes="N" data-edges="E">`:
// boxes with name and type (workloads rounded), arrows labelled "label: op"
// (parallel edges share one arrow and list their labels).
std::string topology_svg(const Topology& topology);

}  // namespace slsim
