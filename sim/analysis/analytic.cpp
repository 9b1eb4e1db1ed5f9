// The traffic equations and their fixed point (see analytic.hpp); the
// comparison with a simulation is in analytic_report.cpp.
#include "sim/analysis/analytic.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <stdexcept>
#include <tuple>

#include <Eigen/Dense>
#include <fmt/format.h>

#include "sim/report/cost.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/workload/arrival.hpp"

namespace slsim {

double AnalyticAnswer::all_ok(double items) const {
  return ok * std::pow(1.0 - item_error, std::max(1.0, items));
}

std::string_view reason_class_name(ReasonClass r) {
  switch (r) {
    case ReasonClass::none: return "";
    case ReasonClass::queueing: return "queueing dynamics";
    case ReasonClass::cold_starts: return "cold starts";
    case ReasonClass::bursts: return "bursts";
    case ReasonClass::warm_up: return "warm-up";
  }
  return "";
}

// --- ServiceEstimate ---------------------------------------------------------------

void ServiceEstimate::flow(std::string_view op, std::uint16_t route, AnalyticFlow f) {
  if (!(f.per_request > 0)) return;
  for (Routing& r : routing) {
    if (r.op == op && r.route == route) {
      r.flows.push_back(std::move(f));
      return;
    }
  }
  routing.push_back({std::string(op), route, {std::move(f)}});
}

void ServiceEstimate::answer(std::string_view op, std::uint16_t route, AnalyticAnswer a) {
  for (Answer& existing : answers) {
    if (existing.op == op && existing.route == route) {
      existing.answer = a;
      return;
    }
  }
  answers.push_back({std::string(op), route, a});
}

AnalyticAnswer ServiceEstimate::answer_of(std::string_view op, std::uint16_t route) const {
  const Answer* fallback = nullptr;
  for (const Answer& a : answers) {
    if (a.op != op) continue;
    if (a.route == route) return a.answer;
    if (a.route == 0) fallback = &a;
  }
  return fallback != nullptr ? fallback->answer : AnalyticAnswer{};
}

void ServiceEstimate::rate(std::string path, double per_second, std::string how, ReasonClass reason,
                           std::string reason_detail) {
  figures.push_back({std::move(path), per_second, true, std::move(how), reason, std::move(reason_detail)});
}

void ServiceEstimate::level(std::string path, double value, std::string how, ReasonClass reason,
                            std::string reason_detail) {
  figures.push_back({std::move(path), value, false, std::move(how), reason, std::move(reason_detail)});
}

void ServiceEstimate::not_estimated(std::string path, std::string why) {
  AnalyticFigure f;
  f.path = std::move(path);
  f.how = std::move(why);
  figures.push_back(std::move(f));
}

void ServiceEstimate::cost(std::string item, double quantity, std::string unit, double usd, bool time_based) {
  costs.push_back({std::move(item), quantity, std::move(unit), usd, time_based});
}

void ServiceEstimate::share(std::string key, double value) {
  for (auto& [k, v] : shared) {
    if (k == key) {
      v = value;
      return;
    }
  }
  shared.emplace_back(std::move(key), value);
}

// --- the iterate and the view --------------------------------------------------------

struct AnalyticState {
  const Scenario* scenario = nullptr;
  double seconds = 0;
  double warmup_seconds = 0;
  std::vector<std::vector<AnalyticView::Inflow>> inflows;  // per service
  std::vector<std::vector<AnalyticView::Edge>> edges;      // per service: what calls it
  const std::vector<ServiceEstimate>* previous = nullptr;  // the last iterate's estimates
  std::vector<double> payload;                             // per workload (bytes)
};

const Scenario& AnalyticView::scenario() const { return *state_->scenario; }
const ServiceDecl& AnalyticView::service() const { return state_->scenario->services[index_]; }
const std::string& AnalyticView::name() const { return service().name; }
double AnalyticView::seconds() const { return state_->seconds; }
double AnalyticView::warmup_seconds() const { return state_->warmup_seconds; }
const std::vector<AnalyticView::Inflow>& AnalyticView::inflows() const { return state_->inflows[index_]; }
const std::vector<AnalyticView::Edge>& AnalyticView::edges() const { return state_->edges[index_]; }

double AnalyticView::calls(std::string_view op) const {
  double sum = 0;
  for (const Inflow& in : inflows())
    if (in.op == op) sum += in.calls;
  return sum;
}

double AnalyticView::calls() const {
  double sum = 0;
  for (const Inflow& in : inflows()) sum += in.calls;
  return sum;
}

double AnalyticView::items(std::string_view op) const {
  double sum = 0;
  for (const Inflow& in : inflows())
    if (in.op == op) sum += in.items;
  return sum;
}

double AnalyticView::items_per_call(std::string_view op) const {
  const double c = calls(op);
  return c > 0 ? std::max(1.0, items(op) / c) : 1.0;
}

std::vector<double> AnalyticView::calls_by_workload(std::string_view op) const {
  std::vector<double> out(state_->payload.size(), 0.0);
  for (const Inflow& in : inflows())
    if (in.op == op)
      for (std::size_t w = 0; w < out.size() && w < in.by_workload.size(); ++w) out[w] += in.by_workload[w];
  return out;
}

double AnalyticView::mean_payload(std::string_view op) const {
  const std::vector<double> by = calls_by_workload(op);
  double calls = 0, bytes = 0;
  for (std::size_t w = 0; w < by.size(); ++w) {
    calls += by[w];
    bytes += by[w] * state_->payload[w];
  }
  if (calls > 0) return bytes / calls;
  double sum = 0;
  for (const double p : state_->payload) sum += p;
  return state_->payload.empty() ? 0.0 : sum / static_cast<double>(state_->payload.size());
}

AnalyticAnswer AnalyticView::answer(std::string_view service, std::string_view op) const {
  const std::size_t i = state_->scenario->service_index(service);
  if (state_->previous == nullptr || i >= state_->previous->size()) return {};
  return (*state_->previous)[i].answer_of(op);
}

double AnalyticView::shared(std::string_view service, std::string_view key, double fallback) const {
  const std::size_t i = state_->scenario->service_index(service);
  if (state_->previous == nullptr || i >= state_->previous->size()) return fallback;
  for (const auto& [k, v] : (*state_->previous)[i].shared)
    if (k == key) return v;
  return fallback;
}

std::vector<const ServiceDecl*> AnalyticView::services_of_type(std::string_view type) const {
  std::vector<const ServiceDecl*> out;
  for (const ServiceDecl& s : state_->scenario->services)
    if (s.type != nullptr && s.type->name == type) out.push_back(&s);
  return out;
}

// --- caches ----------------------------------------------------------------------------

void KeyedLookups::add(const Scenario& scenario, const std::vector<double>& by_workload, double share) {
  for (std::size_t w = 0; w < by_workload.size() && w < scenario.workloads.size(); ++w) {
    const double rate = by_workload[w] * share;
    if (!(rate > 0)) continue;
    const Record& params = scenario.workloads[w].params;
    if (!params.has("keys")) {
      unkeyed += rate;
      continue;
    }
    const Record& keys = params.record("keys");
    const auto count = static_cast<std::uint64_t>(keys.integer("count"));
    const double zipf = keys.number("zipf");
    bool merged = false;
    for (KeyPopularity& law : laws) {
      if (law.keys == count && law.zipf == zipf && law.copies == 1) {
        law.rate += rate;
        merged = true;
        break;
      }
    }
    if (!merged) laws.push_back({rate, count, zipf});
  }
}

double KeyedLookups::total() const {
  double sum = unkeyed;
  for (const KeyPopularity& law : laws) sum += law.rate * law.copies;
  return sum;
}

double cache_hit_ratio(const CacheConfig& config, const KeyedLookups& lookups) {
  if (config.hit_ratio >= 0) return config.hit_ratio;
  const double total = lookups.total();
  if (!(total > 0)) return 0.0;
  const double keyed = total - lookups.unkeyed;
  return che_hit_ratio(lookups.laws, static_cast<double>(config.capacity_items), static_cast<double>(config.ttl) / 1e9) *
         keyed / total;
}

// --- the solver ---------------------------------------------------------------------

namespace {

struct Node {
  std::size_t service;
  std::string op;
  std::uint16_t route;
};

class Solver {
 public:
  explicit Solver(const Scenario& sc) : sc_(sc) {
    state_.scenario = &sc;
    state_.seconds = static_cast<double>(sc.duration) / 1e9;
    state_.warmup_seconds = static_cast<double>(sc.warmup) / 1e9;
    for (std::size_t s = 0; s < sc.services.size(); ++s)
      for (const std::string& op : sc.services[s].type->ops) add_node(s, op, 0);
    const auto workloads = static_cast<Eigen::Index>(sc.workloads.size());
    for (const WorkloadDecl& w : sc.workloads)
      if (w.route > 0) add_node(w.target, w.op, w.route);
    gamma_ = Eigen::MatrixXd::Zero(static_cast<Eigen::Index>(nodes_.size()), workloads);
    const SimTime from = sc.warmup, to = sc.warmup + sc.duration;
    for (std::size_t w = 0; w < sc.workloads.size(); ++w) {
      const WorkloadDecl& decl = sc.workloads[w];
      Diagnostics diags;  // checked at load time
      const ArrivalProcess arrivals = ArrivalProcess::from_record(decl.params.record("arrival"), sc.base_dir, diags);
      const double rate = state_.seconds > 0 ? (arrivals.expected_count(to) - arrivals.expected_count(from)) / state_.seconds : 0.0;
      gamma_(static_cast<Eigen::Index>(node_of(decl.target, decl.op, decl.route)), static_cast<Eigen::Index>(w)) = rate;
      state_.payload.push_back(decl.params.size("payload"));
    }
  }

  AnalyticResult run() {
    AnalyticResult out;
    out.seconds = state_.seconds;
    Eigen::MatrixXd x = gamma_;  // calls per second, per node and workload of origin
    std::vector<ServiceEstimate> previous;
    const std::vector<ServiceEstimate>* last = nullptr;
    for (int it = 1;; ++it) {
      std::vector<ServiceEstimate> current = estimates(x, last);
      Eigen::MatrixXd next;
      if (!solve(current, next, out.problem)) {
        out.iterations = it;
        fill(out, current);
        return out;
      }
      const double scale = 1.0 + (x.size() > 0 ? x.cwiseAbs().maxCoeff() : 0.0);
      const bool rates_settled = x.size() == 0 || (next - x).cwiseAbs().maxCoeff() <= 1e-9 * scale;
      const bool answers_settled = last != nullptr && same_answers(*last, current);
      previous = std::move(current);
      last = &previous;
      out.iterations = it;
      if (rates_settled && answers_settled) {
        out.converged = true;
        x = next;
        break;
      }
      if (it >= kMaxAnalyticIterations) {
        x = next;
        break;
      }
      // Past 50 iterations, damp: a throttle whose retries feed it can otherwise swing.
      x = it > 50 ? 0.5 * (x + next) : next;
    }
    fill(out, estimates(x, last));
    return out;
  }

 private:
  std::size_t add_node(std::size_t service, const std::string& op, std::uint16_t route) {
    const auto key = std::make_tuple(service, op, route);
    const auto it = index_.find(key);
    if (it != index_.end()) return it->second;
    index_.emplace(key, nodes_.size());
    nodes_.push_back({service, op, route});
    return nodes_.size() - 1;
  }

  std::size_t node_of(std::size_t service, const std::string& op, std::uint16_t route) const {
    const auto it = index_.find(std::make_tuple(service, op, route));
    if (it == index_.end())
      throw std::logic_error(fmt::format("analytic: '{}' has no operation '{}'", sc_.services[service].name, op));
    return it->second;
  }

  // The routing entry of `node` in its service's estimate (a route falls back to the operation's).
  static const ServiceEstimate::Routing* routing_of(const ServiceEstimate& e, const Node& node) {
    const ServiceEstimate::Routing* fallback = nullptr;
    for (const auto& r : e.routing) {
      if (r.op != node.op) continue;
      if (r.route == node.route) return &r;
      if (r.route == 0) fallback = &r;
    }
    return fallback;
  }

  // Every flow as (from node, to node, calls per request, items per call).
  struct Link {
    std::size_t from, to;
    double per_request, items;
  };
  std::vector<Link> links(const std::vector<ServiceEstimate>& est) const {
    std::vector<Link> out;
    for (std::size_t n = 0; n < nodes_.size(); ++n) {
      const ServiceEstimate& e = est[nodes_[n].service];
      if (!e.unavailable_reason.empty()) continue;
      const ServiceEstimate::Routing* r = routing_of(e, nodes_[n]);
      if (r == nullptr) continue;
      for (const AnalyticFlow& f : r->flows) {
        const std::size_t target = sc_.service_index(f.to);
        if (target >= sc_.services.size())
          throw std::logic_error(
              fmt::format("analytic: '{}' sends to unknown service '{}'", sc_.services[nodes_[n].service].name, f.to));
        out.push_back({n, node_of(target, f.op, 0), f.per_request, f.items});
      }
    }
    return out;
  }

  // The state for rates `x` (solved with the flows of `flows_from`, or none),
  // then every service's estimate from it.
  std::vector<ServiceEstimate> estimates(const Eigen::MatrixXd& x, const std::vector<ServiceEstimate>* flows_from) {
    const std::size_t services = sc_.services.size();
    state_.inflows.assign(services, {});
    state_.edges.assign(services, {});
    state_.previous = flows_from;
    std::vector<double> items(nodes_.size(), 0.0);
    for (std::size_t n = 0; n < nodes_.size(); ++n) items[n] = gamma_.row(static_cast<Eigen::Index>(n)).sum();
    for (std::size_t w = 0; w < sc_.workloads.size(); ++w) {
      const WorkloadDecl& decl = sc_.workloads[w];
      const double rate = gamma_(static_cast<Eigen::Index>(node_of(decl.target, decl.op, decl.route)), static_cast<Eigen::Index>(w));
      add_edge(decl.target, "workload:" + decl.name, decl.op, rate, rate);
    }
    if (flows_from != nullptr) {
      for (const Link& l : links(*flows_from)) {
        const double calls = x.row(static_cast<Eigen::Index>(l.from)).sum() * l.per_request;
        items[l.to] += calls * l.items;
        add_edge(nodes_[l.to].service, sc_.services[nodes_[l.from].service].name, nodes_[l.to].op, calls, calls * l.items);
      }
    }
    for (std::size_t n = 0; n < nodes_.size(); ++n) {
      AnalyticView::Inflow in;
      in.op = nodes_[n].op;
      in.route = nodes_[n].route;
      const auto row = x.row(static_cast<Eigen::Index>(n));
      in.calls = row.sum();
      in.items = items[n];
      for (Eigen::Index w = 0; w < row.size(); ++w) in.by_workload.push_back(row(w));
      state_.inflows[nodes_[n].service].push_back(std::move(in));
    }
    std::vector<ServiceEstimate> out(services);
    for (std::size_t s = 0; s < services; ++s) {
      const ServiceDecl& decl = sc_.services[s];
      out[s].seconds = state_.seconds;
      if (decl.type->analytic == nullptr) {
        out[s].unavailable(fmt::format("the {} type has no analytic model", decl.type->name));
        continue;
      }
      decl.type->analytic(AnalyticView(state_, s), out[s]);
    }
    return out;
  }

  void add_edge(std::size_t to, std::string from, const std::string& op, double calls, double items) {
    for (AnalyticView::Edge& e : state_.edges[to]) {
      if (e.from == from && e.op == op) {
        e.calls += calls;
        e.items += items;
        return;
      }
    }
    state_.edges[to].push_back({std::move(from), op, calls, items});
  }

  // lambda = gamma + P^T lambda, one column per workload of origin.
  bool solve(const std::vector<ServiceEstimate>& est, Eigen::MatrixXd& x, std::string& problem) const {
    const auto n = static_cast<Eigen::Index>(nodes_.size());
    Eigen::MatrixXd p = Eigen::MatrixXd::Zero(n, n);
    for (const Link& l : links(est))
      p(static_cast<Eigen::Index>(l.from), static_cast<Eigen::Index>(l.to)) += l.per_request;
    const Eigen::MatrixXd a = Eigen::MatrixXd::Identity(n, n) - p.transpose();
    const Eigen::FullPivLU<Eigen::MatrixXd> lu(a);
    if (n > 0 && lu.isInvertible()) x = lu.solve(gamma_);
    const double scale = 1.0 + (gamma_.size() > 0 ? gamma_.cwiseAbs().maxCoeff() : 0.0);
    if (n > 0 && (!lu.isInvertible() || !x.allFinite() || (x.size() > 0 && x.minCoeff() < -1e-9 * scale))) {
      problem = "requests go round a loop of services without dying out (every pass sends at least one more), "
                "so the rates have no finite solution";
      return false;
    }
    if (n == 0) x = gamma_;
    x = x.cwiseMax(0.0);
    return true;
  }

  static bool same_answers(const std::vector<ServiceEstimate>& a, const std::vector<ServiceEstimate>& b) {
    for (std::size_t s = 0; s < a.size(); ++s) {
      if (a[s].answers.size() != b[s].answers.size()) return false;
      for (std::size_t i = 0; i < a[s].answers.size(); ++i) {
        const AnalyticAnswer& x = a[s].answers[i].answer;
        const AnalyticAnswer& y = b[s].answers[i].answer;
        const auto close = [](double u, double v) { return std::fabs(u - v) <= 1e-9 * (1.0 + std::fabs(u)); };
        if (!close(x.ok, y.ok) || !close(x.item_error, y.item_error) || !close(x.seconds, y.seconds) ||
            !close(x.seconds_per_item, y.seconds_per_item))
          return false;
      }
    }
    return true;
  }

  void fill(AnalyticResult& out, std::vector<ServiceEstimate> est) const {
    for (std::size_t s = 0; s < sc_.services.size(); ++s) {
      AnalyticResult::Service svc;
      svc.name = sc_.services[s].name;
      svc.type = sc_.services[s].type->name;
      svc.estimate = std::move(est[s]);
      if (!out.problem.empty()) {
        svc.estimate.figures.clear();
        svc.estimate.costs.clear();
        svc.estimate.unavailable(out.problem);
      }
      for (const AnalyticCost& c : svc.estimate.costs) out.total_usd += c.usd;
      out.services.push_back(std::move(svc));
    }
    for (std::size_t w = 0; w < sc_.workloads.size(); ++w) {
      const WorkloadDecl& decl = sc_.workloads[w];
      AnalyticResult::Workload wl;
      wl.name = decl.name;
      const double rate = gamma_.col(static_cast<Eigen::Index>(w)).sum();
      wl.figures.push_back({"arrived", rate, true, "the arrival process's mean rate over the window", ReasonClass::none, {}});
      const ServiceEstimate& target = out.services[decl.target].estimate;
      const AnalyticAnswer answer = target.answer_of(decl.op, decl.route);
      const bool known = target.unavailable_reason.empty();
      AnalyticFigure ok{"succeeded", rate * answer.ok, true,
                        fmt::format("arrivals x P(the answer of '{}' is ok)", sc_.services[decl.target].name),
                        ReasonClass::none, {}};
      // The answer's time feels what the target's own figures leave out: cold starts if any does.
      AnalyticFigure latency{"latency_ms.mean", answer.ok_time() * 1e3, false,
                             fmt::format("the mean time '{}' takes to answer ok", sc_.services[decl.target].name),
                             ReasonClass::none, {}};
      for (const AnalyticFigure& f : target.figures) {
        // What makes the target throttle makes its callers fail.
        if (f.path == "throttles") {
          ok.reason = f.reason;
          ok.reason_detail = f.reason_detail;
        }
        if (f.reason == ReasonClass::cold_starts || (f.path == "latency_ms.mean" && latency.reason == ReasonClass::none)) {
          latency.reason = f.reason;
          latency.reason_detail = f.reason_detail;
        }
        if (latency.reason == ReasonClass::cold_starts) break;
      }
      if (!known) ok.value = latency.value = std::nan("");
      if (!known) ok.how = latency.how = "the target is not estimated";
      wl.figures.push_back(ok);
      wl.figures.push_back(latency);
      out.workloads.push_back(std::move(wl));
    }
    // A month repeats the window when every workload is a steady rate.
    std::string unsteady;
    for (const WorkloadDecl& w : sc_.workloads) {
      Diagnostics diags;
      const auto r = ArrivalProcess::from_record(w.params.record("arrival"), sc_.base_dir, diags).recurrence();
      if (r.kind != ArrivalProcess::Recurrence::Kind::steady && unsteady.empty())
        unsteady = fmt::format("'{}' is {}, not a steady rate", w.name, r.what);
    }
    if (!out.problem.empty()) {
      out.monthly_note = "not estimated";
    } else if (unsteady.empty()) {
      out.monthly_usd = state_.seconds > 0 ? out.total_usd * kSecondsPer30Days / state_.seconds : 0.0;
      out.monthly_note = "the window's cost times 30 days over its length";
    } else {
      out.monthly_note = "not estimated: " + unsteady;
    }
  }

  const Scenario& sc_;
  AnalyticState state_;
  std::vector<Node> nodes_;
  std::map<std::tuple<std::size_t, std::string, std::uint16_t>, std::size_t> index_;
  Eigen::MatrixXd gamma_;
};

}  // namespace

AnalyticResult estimate_scenario(const Scenario& scenario) { return Solver(scenario).run(); }

}  // namespace slsim
