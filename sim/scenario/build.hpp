#pragma once
// Turns a checked scenario into a ready-to-run Simulation: services first, in
// file order (their component ids follow that order), then workloads. Names
// are resolved here, once; nothing is looked up by string while running.
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "sim/core/simulation.hpp"
#include "sim/scenario/scenario.hpp"

namespace slsim {

class Workload;

class ServiceBuildContext {
 public:
  ServiceBuildContext(const Scenario& scenario, const ServiceDecl& decl, Simulation& sim)
      : scenario_(scenario), decl_(decl), sim_(sim) {}
  const Scenario& scenario() const { return scenario_; }
  const std::string& name() const { return decl_.name; }
  const Record& params() const { return decl_.params; }
  Simulation& sim() const { return sim_; }
  // The component id of a service (references were checked at load time).
  ComponentId id_of(std::string_view service) const;
  // The operation index of `op` on `service` (its position in the type's ops).
  std::uint16_t op_index(std::string_view service, std::string_view op) const;

 private:
  const Scenario& scenario_;
  const ServiceDecl& decl_;
  Simulation& sim_;
};

struct BuiltModel {
  std::unique_ptr<Simulation> sim;
  std::vector<Service*> services;    // scenario order
  std::vector<Workload*> workloads;  // scenario order
};

// One replication of the scenario, ready to run().
BuiltModel build_model(const Scenario& scenario, std::uint64_t replication);

}  // namespace slsim
