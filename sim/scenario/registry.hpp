#pragma once
// What the loader needs to know about service types, without knowing any of
// them: each type brings its schema, the operations it accepts and a factory.
// models/registry.cpp defines builtin_services(), one line per type; sim/
// only declares it, so the engine never includes models/.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sim/core/service.hpp"
#include "sim/scenario/schema.hpp"

namespace slsim {

class AnalyticView;
class CostLedger;
class ServiceEstimate;
class Simulation;
struct InsightCandidate;
struct InsightInput;
struct Scenario;
struct ServiceDecl;
class ServiceBuildContext;

// An operation after which a service sends messages along some of its
// outgoing topology edges (by edge label, as the references declare them).
struct Forwarding {
  std::string op;
  std::vector<std::string> edges;
};

struct ServiceType {
  std::string name;     // the `type:` value
  std::string summary;  // one line for docs and `slsim validate`
  const Schema* schema = nullptr;
  std::vector<std::string> ops;  // operations accepted from workloads and calls; the first is the default
  std::vector<Alias> op_aliases;  // AWS's action names (PutObject, SendMessage...) and how to write them here
  // The hint for an operation this type does not have: its alias's, or the closest op.
  std::string op_hint(std::string_view op) const;
  bool routes = false;           // a workload may pick a `route:`
  // The route names of one service of this type (when `routes`); a workload's
  // `route:` must be one of them, and reaches the service as Request::route =
  // its index + 1 (0: the workload named none).
  std::vector<std::string> (*route_names)(const ServiceDecl&) = nullptr;
  std::string async_op;          // the operation `invoke: async` selects (empty: not supported)
  // The metrics the table shows for a service of this type, in order (dotted
  // paths of its report; a latency histogram shows its p50 and p99). Zeros are
  // left out; the JSON keeps everything. Empty: every non-zero number.
  std::vector<std::string> table;
  // Which operations make a service of this type send messages on, and along
  // which edges: a cycle warning needs every edge of the loop to carry a message
  // onward (a GET on a bucket does not trigger its notifications). Operations
  // not listed end the message here.
  std::vector<Forwarding> forwards;
  bool forwards_along(std::string_view op, std::string_view edge) const;
  std::unique_ptr<Service> (*build)(const ServiceBuildContext&) = nullptr;
  // Optional cross-field and cross-service checks after every reference is
  // resolved. They run in the same pass as the schema errors, for a service
  // whose values, those of the services it references and the account's all
  // passed the schema check (unknown keys aside).
  void (*check)(const ServiceDecl&, const Scenario&, Diagnostics&) = nullptr;
  // Optional: the analytic estimate of one service of this type (`slsim
  // analyze`, sim/analysis/analytic.hpp): from the inflow `view` gives, where
  // each operation's requests go on, how calls are answered, the figures and
  // the cost. Types without it are reported as not estimated.
  void (*analytic)(const AnalyticView& view, ServiceEstimate& out) = nullptr;
  // Optional: the insights of one service of this type (sim/analysis/insights.hpp):
  // from the scenario, its declaration and the run's result, the problems found,
  // each with a fix as --set overrides that `slsim run` confirms by a rerun.
  void (*insights)(const InsightInput& in, std::vector<InsightCandidate>& out) = nullptr;
};

// The usual factory: `type.build = &make_service<MyService>;`
template <typename T>
std::unique_ptr<Service> make_service(const ServiceBuildContext& ctx) {
  return std::make_unique<T>(ctx);
}

struct ServiceRegistry {
  std::vector<ServiceType> types;
  const Schema* account = nullptr;  // the top-level `account:` block
  std::vector<std::string> price_items;  // catalog entries that `pricing:` may override
  std::vector<std::string> regions;      // regions with a price catalog
  // Optional: bills what workloads cost by themselves (a schedule's firings are
  // EventBridge Scheduler invocations). `measured_arrivals` holds each
  // workload's arrivals after warm-up, in scenario order.
  // Their cost lines are under the service name "workload:NAME".
  void (*bill_workloads)(const Scenario&, const std::vector<std::uint64_t>& measured_arrivals, CostLedger&,
                         const BillingPeriod& period) = nullptr;
  const ServiceType* find(std::string_view name) const;
  std::vector<std::string> type_names() const;
};

// Defined in models/registry.cpp.
const ServiceRegistry& builtin_services();

}  // namespace slsim
