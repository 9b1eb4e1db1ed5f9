#pragma once
// Analytic estimates of a scenario (`slsim analyze`, docs/analyze.md): the
// traffic equations of the service graph, lambda = gamma + P^T lambda, solved
// with Eigen, and each service's figures from its inflow. The nodes are
// (service, operation) pairs; gamma holds what the workloads inject (their
// mean arrival rates over the measured window) and row n of P the calls one
// request arriving at node n sends to each other node. Nothing here knows
// AWS: each service type fills its part through ServiceType::analytic
// (models/TYPE/analytic.cpp), from the inflow the last solve gave it and what
// the services it calls said about their answers. When those answers depend
// on the load (a throttle that thins the flow, retries of failures), the
// equations are solved again until the rates stop changing, at most
// kMaxAnalyticIterations times.
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sim/analysis/queueing.hpp"
#include "sim/cache/item_cache.hpp"
#include "sim/report/json.hpp"

namespace slsim {

struct Scenario;
struct ServiceDecl;
struct AnalyticState;  // the solver's current iterate (analytic.cpp)

inline constexpr int kMaxAnalyticIterations = 200;

// Calls sent on by one node, per request arriving at it: `per_request` calls
// of `op` on service `to`, each carrying `items` items (the records of a
// batch, the objects a put creates) on average.
struct AnalyticFlow {
  std::string to;
  std::string op;
  double per_request = 0;
  double items = 1;
};

// How a service answers a synchronous call of one operation, as its callers
// see it: the call ends ok with probability `ok` and, when it carries items,
// each item fails on its own with probability `item_error` on top; the answer
// takes `seconds` on average (failures and throttles included) plus
// `seconds_per_item` for each item beyond the first; the ok answers alone take
// `ok_seconds` (NaN: the same as `seconds`). Of the other answers, a share
// `throttled` (a probability, at most 1 - ok) are throttles (429), the rest
// errors or timeouts.
struct AnalyticAnswer {
  double ok = 1;
  double throttled = 0;
  double item_error = 0;
  double seconds = 0;
  double seconds_per_item = 0;
  double ok_seconds = std::numeric_limits<double>::quiet_NaN();
  double ok_time() const { return ok_seconds == ok_seconds ? ok_seconds : seconds; }
  // P(a call of `items` items ends ok with every item).
  double all_ok(double items) const;
};

// Why an estimate may miss the simulated figure, when they disagree.
enum class ReasonClass { none, queueing, cold_starts, bursts, warm_up };
std::string_view reason_class_name(ReasonClass r);  // "queueing dynamics", "cold starts", ...

// The reason detail of the figures of a cache whose hits emerge from keys.
inline constexpr const char* kCacheWarmUp = "the cache starts empty: the estimate is its steady state";

// One estimated figure, compared with the simulated metric services.NAME.PATH.
struct AnalyticFigure {
  std::string path;
  double value = std::numeric_limits<double>::quiet_NaN();  // NaN: not estimated (see `how`)
  bool count = false;   // a count over the measured window (the estimate is rate x seconds)
  std::string how;      // the formula in one line, or why it is not estimated
  ReasonClass reason = ReasonClass::none;  // what the estimate leaves out that this figure feels
  std::string reason_detail;               // one short line saying what
};

// One line of the estimated cost of the measured window.
struct AnalyticCost {
  std::string item;
  double quantity = 0;
  std::string unit;
  double usd = 0;
  bool time_based = false;  // billed by the hour whether used or not
};

// What a service type estimates for one service from its current inflow.
class ServiceEstimate {
 public:
  // Calls one request of `op` (arriving through `route`, 0: any) sends on.
  void flow(std::string_view op, std::uint16_t route, AnalyticFlow f);
  void flow(std::string_view op, AnalyticFlow f) { flow(op, 0, std::move(f)); }
  void answer(std::string_view op, AnalyticAnswer a) { answer(op, 0, a); }
  // The answer to requests that named `route` (callers other than workloads see route 0's).
  void answer(std::string_view op, std::uint16_t route, AnalyticAnswer a);
  // A figure per second (`count`: compared with the window's count) or a level.
  void rate(std::string path, double per_second, std::string how, ReasonClass reason = ReasonClass::none,
            std::string reason_detail = {});
  void level(std::string path, double value, std::string how, ReasonClass reason = ReasonClass::none,
             std::string reason_detail = {});
  void not_estimated(std::string path, std::string why);
  void cost(std::string item, double quantity, std::string unit, double usd, bool time_based = false);
  // A number other services read (e.g. a function's offered load, for a shared pool).
  void share(std::string key, double value);
  // What the estimate leaves out, for people.
  void note(std::string text) { notes.push_back(std::move(text)); }
  // The whole service cannot be estimated: why. Its flows count as none.
  void unavailable(std::string why) { unavailable_reason = std::move(why); }

  struct Routing {
    std::string op;
    std::uint16_t route = 0;
    std::vector<AnalyticFlow> flows;
  };
  std::vector<Routing> routing;
  struct Answer {
    std::string op;
    std::uint16_t route = 0;
    AnalyticAnswer answer;
  };
  std::vector<Answer> answers;
  // The answer to `op` through `route` (falling back to route 0's; ok and instant if none).
  AnalyticAnswer answer_of(std::string_view op, std::uint16_t route = 0) const;
  std::vector<AnalyticFigure> figures;
  std::vector<AnalyticCost> costs;
  std::vector<std::pair<std::string, double>> shared;
  std::vector<std::string> notes;
  std::string unavailable_reason;
  double seconds = 0;  // the measured window, for count figures
};

// The current iterate, as one service's hook sees it.
class AnalyticView {
 public:
  struct Inflow {
    std::string op;
    std::uint16_t route = 0;
    double calls = 0;                 // per second
    double items = 0;                 // items carried per second (calls x items per call)
    std::vector<double> by_workload;  // calls per second that began as each workload's requests
  };
  struct Edge {
    std::string from;  // the calling service
    std::string op;
    double calls = 0;
    double items = 0;
  };

  AnalyticView(const AnalyticState& state, std::size_t service) : state_(&state), index_(service) {}

  const Scenario& scenario() const;
  const ServiceDecl& service() const;
  const std::string& name() const;
  double seconds() const;         // the measured window
  double warmup_seconds() const;
  // Calls per second arriving for `op` (over its routes), or for every operation.
  double calls(std::string_view op) const;
  double calls() const;
  double items(std::string_view op) const;
  // Items per call of `op` (1 when nothing arrives).
  double items_per_call(std::string_view op) const;
  const std::vector<Inflow>& inflows() const;
  // Calls of `op` per second that began as each workload's requests (scenario order).
  std::vector<double> calls_by_workload(std::string_view op) const;
  // The calls arriving from each calling service (workloads are "workload:NAME").
  const std::vector<Edge>& edges() const;
  // The mean payload of the requests arriving for `op`, from the workloads they began with (bytes).
  double mean_payload(std::string_view op) const;
  // What another service answers (from the previous iterate; ok and instant before the first).
  AnalyticAnswer answer(std::string_view service, std::string_view op) const;
  // A number another service shared (`fallback` before it did).
  double shared(std::string_view service, std::string_view key, double fallback) const;
  // Every service of the scenario whose type is `type` (for pools shared between services).
  std::vector<const ServiceDecl*> services_of_type(std::string_view type) const;

 private:
  const AnalyticState* state_;
  std::size_t index_;  // the service's position in the scenario
};

// Lookups by key, from calls per second by workload of origin: a law per
// keyed workload (workloads with the same key count and exponent share their
// keys and merge; different ones are taken as disjoint), and the lookups of
// workloads without keys, whose keys never repeat.
struct KeyedLookups {
  std::vector<KeyPopularity> laws;
  double unkeyed = 0;
  void add(const Scenario& scenario, const std::vector<double>& by_workload, double share = 1.0);
  double total() const;
};
// The hit ratio of a cache (sim/cache) over these lookups: its configured
// hit_ratio, or Che's approximation from its capacity and TTL.
double cache_hit_ratio(const CacheConfig& config, const KeyedLookups& lookups);

// The estimate of a whole scenario.
struct AnalyticResult {
  struct Service {
    std::string name;
    std::string type;
    ServiceEstimate estimate;  // unavailable_reason set when the type has no estimate
  };
  std::vector<Service> services;  // scenario order
  // What each workload's callers see: arrivals, ok answers, their latency.
  struct Workload {
    std::string name;
    std::vector<AnalyticFigure> figures;
  };
  std::vector<Workload> workloads;  // scenario order
  int iterations = 0;
  bool converged = false;
  std::string problem;  // non-empty: the equations have no usable solution (why)
  double seconds = 0;
  double total_usd = 0;                 // the window's estimated cost
  double monthly_usd = std::numeric_limits<double>::quiet_NaN();  // NaN: the workloads do not repeat steadily
  std::string monthly_note;
};

// Solves the traffic equations and asks every service type for its figures.
AnalyticResult estimate_scenario(const Scenario& scenario);

// One figure beside the simulation: the analytic value, the simulated mean
// and its 95% half-width, and whether they disagree (beyond the half-width
// plus a tolerance of 2% of the larger value, and one count for counts).
struct FigureComparison {
  std::string service;
  std::string type;
  std::string path;            // relative to services.NAME (or "cost.total_usd" ...)
  double analytic = std::numeric_limits<double>::quiet_NaN();
  double simulated = std::numeric_limits<double>::quiet_NaN();  // NaN: the result has no such number
  double ci95 = std::numeric_limits<double>::quiet_NaN();       // NaN: one replication
  bool count = false;
  bool disagree = false;
  std::string how;
  ReasonClass reason = ReasonClass::none;  // set when they disagree and the model can tell why
  std::string reason_detail;
};
std::vector<FigureComparison> compare_with_simulation(const Scenario& scenario, const AnalyticResult& estimate,
                                                      const Json& simulated);
// The tolerance a figure is allowed beyond the simulation's interval.
double comparison_tolerance(double analytic, double simulated, bool count);

// {"analytic": {...}, "services": {NAME: {"type", "figures": {PATH: {"analytic", "simulated", "ci95", "agree",
// "how", "reason"}}, "notes"}}, "cost": {...}}, see docs/results.md.
Json comparison_json(const Scenario& scenario, const AnalyticResult& estimate, const std::vector<FigureComparison>& rows,
                     const Json& simulated);
// The human table of the comparison.
std::string comparison_table(const Scenario& scenario, const AnalyticResult& estimate,
                             const std::vector<FigureComparison>& rows);

}  // namespace slsim
