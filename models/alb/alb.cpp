#include "models/alb/alb.hpp"

#include <algorithm>
#include <limits>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "models/pricing/catalog.hpp"
#include "sim/core/pool.hpp"
#include "sim/core/simulation.hpp"
#include "sim/scenario/build.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/stats/counter.hpp"
#include "sim/stats/gauge.hpp"
#include "sim/stats/histogram.hpp"
#include "sim/workload/workload.hpp"

namespace slsim::models {

namespace {

// ALB -> Lambda: the request body and the function's response are at most 1 MB
// each (docs/model-assumptions.md §18.4).
constexpr double kLambdaBodyLimit = 1048576.0;
// Rule evaluations: the first 10 of each request are free (§18.4).
constexpr std::int64_t kFreeRules = 10;

const Schema& alb_schema() {
  static const Schema s = [] {
    ParamSpec target = param("target", ParamType::reference, "", "",
                             "the target group: a lambda function (invoked synchronously), a fargate service, or an "
                             "external service standing for a server pool (EC2 instances, IP addresses, containers)");
    target.required = true;
    target.ref_types = {"lambda", "external", "fargate"};
    target.edge = "target";
    target.edge_op = EdgeOp::target_default;
    ParamSpec latency = param("latency", ParamType::distribution, "ms", "2ms",
                              "the load balancer's own time before the target is called. UNCONFIRMED: AWS publishes "
                              "no figure");
    latency.min = 0;
    ParamSpec idle = param("idle_timeout", ParamType::duration, "s", "60s",
                           "a target that has not answered after this long gets the client a 504 (AWS's connection "
                           "idle timeout, default 60 s: UNCONFIRMED)");
    idle.min = 1e9;
    idle.max = 4000e9;
    ParamSpec rules = param("rules", ParamType::integer, "", "1",
                            "listener rules evaluated per request; the first 10 are free, the rest count as rule "
                            "evaluations for the LCUs");
    rules.min = 1;
    rules.max = 100;
    ParamSpec reuse = param("requests_per_connection", ParamType::number, "", "1",
                            "requests a client sends over one connection (keep-alive): new connections = requests / "
                            "this");
    reuse.min = 1;
    reuse.max = 1e6;
    ParamSpec response = param("response_size", ParamType::size, "KB", "1KB",
                               "bytes of each response; processed bytes are the request payload plus this. A lambda "
                               "target's response above 1 MB gets the client a 502");
    response.min = 0;
    response.max = 1073741824.0;  // 1 GB
    return Schema{"alb",
                  "An Application Load Balancer with one target group: a Lambda function, a Fargate service or an external server pool.",
                  {target, latency, idle, rules, reuse, response},
                  {{"target_group", "write 'target: SERVICE' (a lambda function, a fargate service or an external service)"},
                   {"target_groups", "write 'target: SERVICE' (one target group per load balancer)"},
                   {"targets", "write 'target: SERVICE' (a lambda function, a fargate service or an external service)"},
                   {"idle_timeout_seconds", "write 'idle_timeout' with its unit, e.g. idle_timeout: 60s"},
                   {"listener_rules", "write 'rules', the number of rules evaluated per request, e.g. rules: 12"},
                   {"listeners", "not modelled: one listener; write 'rules' for the rules it evaluates"},
                   {"scheme", "not modelled: leave it out"}}};
  }();
  return s;
}

void check(const ServiceDecl& d, const Scenario& sc, Diagnostics& diags) {
  const Value& target = d.params.get("target");
  const ServiceDecl* t = sc.find_service(target.text);
  if (t == nullptr || t->type == nullptr || t->type->name != "lambda") return;
  const Value& response = d.params.get("response_size");
  if (response.number > kLambdaBodyLimit)
    diags.warning(response.loc, response.path,
                  fmt::format("a Lambda target's response is at most 1 MB, so every answer of '{}' becomes a 502",
                              target.text),
                  "return less than 1MB, or put the function behind API Gateway or a function URL");
}

// What one hour of the window used (AWS bills each hour's largest dimension).
struct HourUsage {
  double requests = 0;
  double bytes = 0;
  double active_ns = 0;  // integral of the connections open over the hour (connection-ns)
};

// A request from the moment it reaches the load balancer until it is answered.
struct InFlight {
  CallHandle client;
  SimTime arrival = 0;
};

class Alb final : public Service {
 public:
  explicit Alb(const ServiceBuildContext& ctx)
      : Service(ctx.name(), "alb"),
        scenario_(ctx.scenario()),
        latency_(ctx.params().dist("latency")),
        idle_timeout_(ctx.params().duration("idle_timeout")),
        billable_rules_(std::max<std::int64_t>(0, ctx.params().integer("rules") - kFreeRules)),
        requests_per_connection_(ctx.params().number("requests_per_connection")),
        response_bytes_(ctx.params().size("response_size")),
        latency_rng_(ctx.sim().rng("service." + ctx.name() + ".latency")) {
    const std::string target = ctx.params().text("target");
    const ServiceDecl* d = ctx.scenario().find_service(target);
    lambda_ = d->type->name == "lambda";
    target_ = ctx.id_of(target);
    target_op_ = ctx.op_index(target, d->type->ops.front());
  }

  void handle(Simulation& sim, const Event& e) override {
    switch (e.kind) {
      case kCallEvent: on_request(sim, CallHandle{e.data}); return;
      case kForward: on_forward(sim, Handle{e.data}); return;
      case kReplyEvent: on_target_reply(sim, Handle{e.data}, reply_status(e)); return;
      case kIdleTimeout: on_idle_timeout(sim, Handle{e.data}); return;
      default: return;
    }
  }

  void reset_statistics(SimTime now) override {
    for (Counter* c : {&requests_, &rejected_, &e502_, &e503_, &e504_, &late_replies_}) c->reset();
    processed_bytes_ = 0;
    internet_bytes_ = 0;
    active_.reset(now);
    hours_.clear();
    window_start_ = last_change_ = now;
    latency_hist_.reset();
    failed_latency_hist_.reset();
  }
  void finish(Simulation& sim) override {
    end_ = sim.now();
    integrate(end_);
  }

  // The billed LCU-hours of the window: each hour's largest dimension x the part of
  // the hour inside the window (docs/model-assumptions.md §18.4).
  double lcu_hours() const {
    double total = 0;
    for (std::size_t h = 0; h < hours_.size(); ++h) {
      const SimTime from = window_start_ + static_cast<SimTime>(h) * kHour;
      const SimTime span = std::min(kHour, end_ - from);
      if (span <= 0) break;
      const double seconds = static_cast<double>(span) / 1e9;
      AlbUsage u;
      u.new_connections = hours_[h].requests / requests_per_connection_;
      u.active_connections = hours_[h].active_ns / static_cast<double>(span);
      u.processed_bytes = hours_[h].bytes;
      u.rule_evaluations = hours_[h].requests * static_cast<double>(billable_rules_);
      u.lambda_target = lambda_;
      total += alb_lcus(u, seconds).lcus * seconds / 3600.0;
    }
    return total;
  }

  AlbUsage usage(double seconds) const {
    AlbUsage u;
    u.new_connections = static_cast<double>(requests_.value) / requests_per_connection_;
    u.active_connections = seconds > 0 ? active_.mean(end_) : 0.0;
    u.processed_bytes = processed_bytes_;
    u.rule_evaluations = static_cast<double>(requests_.value) * static_cast<double>(billable_rules_);
    u.lambda_target = lambda_;
    return u;
  }

  void report(Json& out, double measured_seconds) const override {
    out["requests"] = requests_.value;
    out["rejected"] = rejected_.value;
    Json& errors = out["target_errors"];
    errors["502"] = e502_.value;
    errors["503"] = e503_.value;
    errors["504"] = e504_.value;
    out["late_replies"] = late_replies_.value;
    const AlbUsage u = usage(measured_seconds);
    out["new_connections"] = u.new_connections;
    Json& active = out["active_connections"];
    active["mean"] = u.active_connections;
    active["max"] = active_.max();
    out["processed_gb"] = processed_bytes_ / kGB;
    out["internet_transfer_gb"] = internet_bytes_ / kGB;
    out["rule_evaluations"] = u.rule_evaluations;
    const AlbLcus l = alb_lcus(u, measured_seconds);
    Json& lcu = out["lcu"];
    lcu["new_connections"] = l.new_connections;
    lcu["active_connections"] = l.active_connections;
    lcu["processed_bytes"] = l.processed_bytes;
    lcu["rule_evaluations"] = l.rule_evaluations;
    // Billed: each hour's largest dimension; over a window of an hour or less, the largest of the above.
    const double hours = measured_seconds / 3600.0;
    lcu["lcu_hours"] = lcu_hours();
    lcu["lcus"] = hours > 0 ? lcu_hours() / hours : 0.0;
    out["latency_ms"] = latency_json(latency_hist_);                // 2xx answers
    out["latency_failed_ms"] = latency_json(failed_latency_hist_);  // rejected, 502, 503, 504
  }

  void sample(TimeSeriesRow& row) override {
    row.count("requests", static_cast<double>(requests_.value));
    row.count("target_errors", static_cast<double>(e502_.value + e503_.value + e504_.value));
    row.gauge("active_connections", active_);
    row.latency("latency_ms", latency_hist_);
  }

  void bill(CostLedger& ledger, const BillingPeriod& period) const override {
    const PriceCatalog price(scenario_);
    const double seconds = period.measured_seconds();
    const double hours = seconds / 3600.0;
    ledger.add(name(), "load balancer hours", hours, "ALB-hours", hours * price("alb.hour"), CostBasis::time,
               "billed by the hour whatever the traffic");
    const double billed = lcu_hours();
    ledger.add(name(), "LCU hours", billed, "LCU-hours", billed * price("alb.lcu_hour"), CostBasis::usage,
               "each hour's largest dimension, for the part of the hour in the window");
    const double gb = internet_bytes_ / kGB;
    if (gb > 0) {
      // Regional data transfer out to the internet, tiered on this load
      // balancer's monthly volume (docs/model-assumptions.md §18.4).
      constexpr double tb = 1024.0;
      const std::vector<Tier> tiers = {{10 * tb, price("region.transfer_out.tier1")},
                                       {50 * tb, price("region.transfer_out.tier2")},
                                       {150 * tb, price("region.transfer_out.tier3")},
                                       {std::numeric_limits<double>::infinity(), price("region.transfer_out.tier4")}};
      ledger.add(name(), "data transfer out", gb, "GB",
                 shared_tiered_cost(gb, {{gb, period.usage_to_month(name())}}, tiers,
                                    scenario_.account.flag("free_tier") ? price("region.free_tier.transfer_gb") : 0.0),
                 CostBasis::usage, "responses to clients on the internet; none to CloudFront");
    }
  }

 private:
  enum : std::uint16_t { kForward = kFirstComponentEvent, kIdleTimeout };
  static constexpr double kGB = 1073741824.0;

  // Adds the connections open since the last change to the hours they fell in.
  void integrate(SimTime now) {
    SimTime t = last_change_;
    while (t < now && open_ > 0) {
      const std::size_t i = hour_index(t);
      const SimTime until = std::min(now, window_start_ + static_cast<SimTime>(i + 1) * kHour);
      hour(t).active_ns += static_cast<double>(open_) * static_cast<double>(until - t);
      t = until;
    }
    last_change_ = now;
  }
  std::size_t hour_index(SimTime t) const {
    return t > window_start_ ? static_cast<std::size_t>((t - window_start_) / kHour) : 0;
  }
  HourUsage& hour(SimTime t) {
    const std::size_t i = hour_index(t);
    if (hours_.size() <= i) hours_.resize(i + 1);
    return hours_[i];
  }
  void set_open(SimTime now, std::uint64_t open) {
    integrate(now);
    open_ = open;
    active_.set(now, static_cast<double>(open_));
  }

  void on_request(Simulation& sim, CallHandle call) {
    requests_.add();
    const std::uint64_t bytes = sim.request(sim.call_info(call).request).payload_bytes;
    processed_bytes_ += static_cast<double>(bytes);
    const SimTime now = sim.now();
    HourUsage& this_hour = hour(now);
    this_hour.requests += 1;
    this_hour.bytes += static_cast<double>(bytes);
    set_open(now, open_ + 1);
    if (lambda_ && static_cast<double>(bytes) > kLambdaBodyLimit) {
      // The body cannot go to a Lambda target: refused before any call.
      rejected_.add();
      set_open(now, open_ - 1);
      failed_latency_hist_.record(0);
      sim.reply(call, CallStatus::error);
      return;
    }
    const Handle h = in_flight_.alloc(InFlight{call, now});
    sim.schedule_in(latency_.sample_ns(latency_rng_), id(), kForward, h.bits);
  }

  void on_forward(Simulation& sim, Handle h) {
    sim.call(id(), target_, target_op_, sim.call_info(in_flight_.at(h).client).request, h.bits);
    sim.schedule_in(idle_timeout_, id(), kIdleTimeout, h.bits);
  }

  void on_target_reply(Simulation& sim, Handle h, CallStatus status) {
    if (in_flight_.get(h) == nullptr) {  // the client already got its 504
      late_replies_.add();
      return;
    }
    switch (status) {
      case CallStatus::ok:
        processed_bytes_ += response_bytes_;
        hour(sim.now()).bytes += response_bytes_;
        if (lambda_ && response_bytes_ > kLambdaBodyLimit) {  // the response cannot come back: 502
          e502_.add();
          answer(sim, h, CallStatus::error);
          return;
        }
        {
          // Answers to a workload's own call leave AWS for the internet; answers
          // to a service (a CloudFront origin fetch, a function) do not
          // (docs/model-assumptions.md §18.4).
          const Call& client = sim.call_info(in_flight_.at(h).client);
          if (client.caller == sim.request(client.request).owner) internet_bytes_ += response_bytes_;
        }
        answer(sim, h, CallStatus::ok);
        return;
      case CallStatus::error: e502_.add(); answer(sim, h, CallStatus::error); return;
      case CallStatus::throttled: e503_.add(); answer(sim, h, CallStatus::error); return;
      case CallStatus::timeout: e504_.add(); answer(sim, h, CallStatus::timeout); return;
    }
  }

  void on_idle_timeout(Simulation& sim, Handle h) {
    if (in_flight_.get(h) == nullptr) return;  // answered in time: a stale timer
    e504_.add();
    answer(sim, h, CallStatus::timeout);
  }

  void answer(Simulation& sim, Handle h, CallStatus status) {
    const InFlight f = in_flight_.at(h);
    in_flight_.free(h);
    set_open(sim.now(), open_ - 1);
    (status == CallStatus::ok ? latency_hist_ : failed_latency_hist_).record(sim.now() - f.arrival);
    sim.reply(f.client, status);
  }

  const Scenario& scenario_;
  Distribution latency_;
  SimTime idle_timeout_;
  std::int64_t billable_rules_;
  double requests_per_connection_;
  double response_bytes_;
  bool lambda_ = false;
  ComponentId target_ = 0;
  std::uint16_t target_op_ = 0;
  Rng latency_rng_;
  Pool<InFlight> in_flight_;
  std::uint64_t open_ = 0;
  double internet_bytes_ = 0;  // ok responses sent to workloads (the internet), bytes
  double processed_bytes_ = 0;
  std::vector<HourUsage> hours_;  // by hour of the measured window
  SimTime window_start_ = 0, last_change_ = 0;
  Counter requests_, rejected_, e502_, e503_, e504_, late_replies_;
  TimeWeightedGauge active_;
  LatencyHistogram latency_hist_, failed_latency_hist_;
  SimTime end_ = 0;
};

}  // namespace

AlbLcus alb_lcus(const AlbUsage& u, double seconds) {
  AlbLcus l;
  if (seconds <= 0) return l;
  const double hours = seconds / 3600.0;
  constexpr double kGB = 1073741824.0;
  l.new_connections = u.new_connections / seconds / 25.0;      // 25 new connections per second
  l.active_connections = u.active_connections / 3000.0;         // 3,000 active connections (per minute)
  l.processed_bytes = u.processed_bytes / kGB / hours / (u.lambda_target ? 0.4 : 1.0);  // 1 GB (Lambda: 0.4 GB) per hour
  l.rule_evaluations = u.rule_evaluations / seconds / 1000.0;  // 1,000 rule evaluations per second
  l.lcus = std::max({l.new_connections, l.active_connections, l.processed_bytes, l.rule_evaluations});
  return l;
}

ServiceType alb_type() {
  ServiceType t;
  t.name = "alb";
  t.summary = "an Application Load Balancer: a Lambda or server-pool target, 502/503/504, ALB-hours and LCUs";
  t.table = {"requests", "rejected", "target_errors.502", "target_errors.503", "target_errors.504", "lcu.lcus",
             "latency_ms", "latency_failed_ms"};
  t.schema = &alb_schema();
  t.ops = {"request"};
  const std::string one = "a load balancer's one operation is 'request'";
  t.op_aliases = {{"GET", one}, {"POST", one}, {"PUT", one}, {"DELETE", one}, {"PATCH", one}};
  t.forwards = {{"request", {"target"}}};
  t.build = &make_service<Alb>;
  t.analytic = &alb_analytic;
  t.check = &check;
  return t;
}

}  // namespace slsim::models
