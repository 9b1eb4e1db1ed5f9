#include "models/external/external.hpp"

#include <memory>

#include <fmt/format.h>

#include "sim/core/simulation.hpp"
#include "sim/scenario/build.hpp"
#include "sim/stats/counter.hpp"
#include "sim/stats/gauge.hpp"
#include "sim/stats/histogram.hpp"
#include "sim/workload/workload.hpp"

namespace slsim::models {

namespace {


const Schema& external_schema() {
  static const Schema s = [] {
    ParamSpec latency = param("latency", ParamType::distribution, "ms", "50ms", "time to answer one call");
    latency.min = 0;
    ParamSpec errors = param("errors", ParamType::probability, "", "0", "probability that a call fails (after its latency)");
    ParamSpec concurrency = param("concurrency", ParamType::integer, "", "",
                                  "calls served at once; more are rejected as throttled (429). Unlimited when omitted");
    concurrency.min = 1;
    concurrency.max = 1e9;
    ParamSpec price = param("price_per_call", ParamType::number, "USD", "0", "what one answered call costs");
    price.min = 0;
    price.max = 1e6;
    return Schema{"external", "A third-party or generic dependency.", {latency, errors, concurrency, price}};
  }();
  return s;
}

class External final : public Service {
 public:
  explicit External(const ServiceBuildContext& ctx)
      : Service(ctx.name(), "external"),
        latency_(ctx.params().dist("latency")),
        error_probability_(ctx.params().number("errors")),
        limit_(ctx.params().has("concurrency") ? static_cast<std::uint64_t>(ctx.params().integer("concurrency")) : 0),
        price_per_call_(ctx.params().number("price_per_call")),
        latency_rng_(ctx.sim().rng("service." + ctx.name() + ".latency")),
        error_rng_(ctx.sim().rng("service." + ctx.name() + ".errors")) {}

  void handle(Simulation& sim, const Event& e) override {
    if (e.kind == kCallEvent) {
      requests_.add();
      if (limit_ > 0 && busy_ >= limit_) {
        throttles_.add();
        failed_latency_hist_.record(0);
        sim.reply(CallHandle{e.data}, CallStatus::throttled);
        return;
      }
      ++busy_;
      concurrency_.set(sim.now(), static_cast<double>(busy_));
      sim.schedule_in(latency_.sample_ns(latency_rng_), id(), kDone, e.data);
      return;
    }
    if (e.kind == kDone) {
      --busy_;
      concurrency_.set(sim.now(), static_cast<double>(busy_));
      const CallHandle call{e.data};
      const SimTime latency = sim.now() - sim.call_info(call).delivered;
      completed_.add();
      // One draw per call, so the error stream does not depend on the outcome.
      if (error_rng_.bernoulli(error_probability_)) {
        errors_.add();
        failed_latency_hist_.record(latency);
        sim.reply(call, CallStatus::error);
      } else {
        latency_hist_.record(latency);
        sim.reply(call, CallStatus::ok);
      }
    }
  }

  void reset_statistics(SimTime now) override {
    requests_.reset();
    throttles_.reset();
    errors_.reset();
    completed_.reset();
    concurrency_.reset(now);
    latency_hist_.reset();
    failed_latency_hist_.reset();
  }
  void finish(Simulation& sim) override { end_ = sim.now(); }

  void report(Json& out, double /*measured_seconds*/) const override {
    out["requests"] = requests_.value;
    out["throttles"] = throttles_.value;
    out["errors"] = errors_.value;
    out["completed"] = completed_.value;
    Json& c = out["concurrency"];
    c["max"] = concurrency_.max();
    c["mean"] = concurrency_.mean(end_);
    if (limit_ > 0) c["limit"] = limit_;
    out["latency_ms"] = latency_json(latency_hist_);                // answered calls
    out["latency_failed_ms"] = latency_json(failed_latency_hist_);  // errors and 429s
  }

  void sample(TimeSeriesRow& row) override {
    row.count("requests", static_cast<double>(requests_.value));
    row.count("throttles", static_cast<double>(throttles_.value));
    row.count("errors", static_cast<double>(errors_.value));
    row.gauge("concurrency", concurrency_);
    row.latency("latency_ms", latency_hist_);
  }

  void bill(CostLedger& ledger, const BillingPeriod& /*period*/) const override {
    if (price_per_call_ > 0)
      ledger.add(name(), "calls", static_cast<double>(completed_.value), "calls",
                 static_cast<double>(completed_.value) * price_per_call_);
  }

 private:
  enum : std::uint16_t { kDone = kFirstComponentEvent };
  Distribution latency_;
  double error_probability_;
  std::uint64_t limit_;  // 0: unlimited
  double price_per_call_;
  Rng latency_rng_;
  Rng error_rng_;
  std::uint64_t busy_ = 0;
  Counter requests_, throttles_, errors_, completed_;
  TimeWeightedGauge concurrency_;
  LatencyHistogram latency_hist_, failed_latency_hist_;
  SimTime end_ = 0;
};

}  // namespace

ServiceType external_type() {
  ServiceType t;
  t.name = "external";
  t.summary = "a third-party dependency: latency, errors, optional concurrency limit";
  t.table = {"requests", "throttles", "errors", "concurrency.max", "concurrency.mean", "latency_ms", "latency_failed_ms"};
  t.schema = &external_schema();
  t.ops = {"call"};
  // A DynamoDB action on an external service: the table is a type of its own.
  const auto table = [](const char* op) {
    return fmt::format("a DynamoDB table is its own type: declare it with 'type: dynamodb' and call it with op '{}'; "
                       "an external service's one operation is 'call'",
                       op);
  };
  // HTTP methods: an external service stands in for an HTTP API.
  const std::string stand_in = "an external service stands in for this dependency; its one operation is 'call'";
  t.op_aliases = {{"GetItem", table("get")},           {"PutItem", table("put")},
                  {"UpdateItem", table("update")},     {"DeleteItem", table("delete")},
                  {"Query", table("query")},           {"Scan", table("query")},
                  {"BatchGetItem", table("batch_get")}, {"BatchWriteItem", table("batch_write")},
                  {"GET", stand_in},                   {"POST", stand_in},
                  {"PUT", stand_in},                   {"DELETE", stand_in}};
  t.build = &make_service<External>;
  t.analytic = &external_analytic;
  return t;
}

}  // namespace slsim::models
