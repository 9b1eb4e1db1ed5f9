#include "sim/scenario/build.hpp"

#include <stdexcept>

#include <fmt/format.h>

#include "sim/workload/workload.hpp"

namespace slsim {

ComponentId ServiceBuildContext::id_of(std::string_view service) const {
  const std::size_t i = scenario_.service_index(service);
  if (i == static_cast<std::size_t>(-1)) throw std::logic_error(fmt::format("unresolved service '{}'", service));
  return static_cast<ComponentId>(i);
}

std::uint16_t ServiceBuildContext::op_index(std::string_view service, std::string_view op) const {
  const ServiceDecl* d = scenario_.find_service(service);
  if (d == nullptr || d->type == nullptr) throw std::logic_error(fmt::format("unresolved service '{}'", service));
  for (std::size_t i = 0; i < d->type->ops.size(); ++i)
    if (d->type->ops[i] == op) return static_cast<std::uint16_t>(i);
  throw std::logic_error(fmt::format("service '{}' has no operation '{}'", service, op));
}

BuiltModel build_model(const Scenario& scenario, std::uint64_t replication) {
  BuiltModel m;
  SimulationOptions options;
  options.seed = scenario.seed;
  options.replication = replication;
  options.warmup = scenario.warmup;
  options.duration = scenario.duration;
  options.max_events = scenario.max_events;
  m.sim = std::make_unique<Simulation>(options);
  for (const auto& decl : scenario.services) {
    const ServiceBuildContext ctx(scenario, decl, *m.sim);
    std::unique_ptr<Service> service = decl.type->build(ctx);
    Service* raw = service.get();
    const ComponentId id = m.sim->add(std::move(service));
    if (id != m.services.size()) throw std::logic_error("service ids must follow scenario order");
    m.services.push_back(raw);
  }
  for (std::size_t i = 0; i < scenario.workloads.size(); ++i) {
    const WorkloadDecl& w = scenario.workloads[i];
    const ServiceDecl& target = scenario.services[w.target];
    WorkloadConfig config;
    config.index = static_cast<std::uint32_t>(i);
    config.target = static_cast<ComponentId>(w.target);
    const ServiceBuildContext ctx(scenario, target, *m.sim);
    config.op = ctx.op_index(target.name, w.op);
    config.route = w.route;
    config.payload_bytes = static_cast<std::uint32_t>(w.params.size("payload"));
    if (w.params.has("keys")) {
      const Record& keys = w.params.record("keys");
      config.key_count = static_cast<std::uint64_t>(keys.integer("count"));
      config.zipf = keys.number("zipf");
    }
    if (w.params.has("tokens")) {
      const Record& tokens = w.params.record("tokens");
      config.token_count = static_cast<std::uint64_t>(tokens.integer("count"));
      config.token_zipf = tokens.number("zipf");
    }
    Diagnostics diags;  // already checked at load time
    ArrivalProcess arrivals = ArrivalProcess::from_record(w.params.record("arrival"), scenario.base_dir, diags);
    if (diags.has_errors()) throw InputError(diags);
    auto workload = std::make_unique<Workload>(w.name, config, std::move(arrivals));
    m.workloads.push_back(workload.get());
    m.sim->add(std::move(workload));
  }
  return m;
}

}  // namespace slsim
