#pragma once
// Test helpers for tests that look inside the services of a run: a scenario
// loaded with a registry of the test's choice (test-only service types beside
// the built-in ones), built, run, with the model kept.
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "sim/report/json.hpp"
#include "sim/report/result.hpp"
#include "sim/scenario/build.hpp"
#include "sim/scenario/registry.hpp"
#include "sim/scenario/scenario.hpp"

namespace slsim::testing {

// A registry with the built-in account, prices and regions but only `types`
// (test-only types beside chosen built-in ones).
inline ServiceRegistry registry_with(std::vector<ServiceType> types) {
  const ServiceRegistry& builtin = builtin_services();
  ServiceRegistry r;
  r.account = builtin.account;
  r.price_items = builtin.price_items;
  r.regions = builtin.regions;
  r.types = std::move(types);
  return r;
}

struct ModelRun {
  std::unique_ptr<Scenario> scenario;  // kept: services may refer to it
  BuiltModel model;
  Json result;

  // The service `name`, as its concrete type.
  template <class T>
  const T& service(const std::string& name) const {
    for (Service* s : model.services)
      if (s->name() == name) return dynamic_cast<const T&>(*s);
    throw std::logic_error("no service " + name);
  }
};

// Loads `yaml` with `registry`, builds replication `replication`, calls
// `before` (to attach observers), runs, collects the result, then calls `after`
// (to detach them).
inline ModelRun run_model(const std::string& yaml, const ServiceRegistry& registry, std::uint64_t replication = 0,
                          const std::function<void(ModelRun&)>& before = {},
                          const std::function<void(ModelRun&)>& after = {}) {
  ModelRun r;
  r.scenario = std::make_unique<Scenario>(load_scenario_text(yaml, "t.yaml", registry));
  r.model = build_model(*r.scenario, replication);
  if (before) before(r);
  r.model.sim->run();
  r.result = collect_result(*r.scenario, r.model, 0.0);
  if (after) after(r);
  return r;
}

// The diagnostic text of a load with `registry` that must fail, or "" when it loads.
inline std::string load_error_with(const std::string& yaml, const ServiceRegistry& registry) {
  try {
    load_scenario_text(yaml, "t.yaml", registry);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

}  // namespace slsim::testing
