#include "models/ses/ses.hpp"

#include <string>

#include "models/pricing/catalog.hpp"
#include "sim/core/simulation.hpp"
#include "sim/scenario/build.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/stats/counter.hpp"
#include "sim/stats/histogram.hpp"
#include "sim/workload/workload.hpp"

namespace slsim::models {

namespace {

const Schema& ses_schema() {
  static const Schema s = [] {
    ParamSpec latency = param("latency", ParamType::distribution, "ms", "50ms",
                              "time to answer a send. UNCONFIRMED: AWS publishes no figure");
    latency.min = 0;
    ParamSpec errors = param("errors", ParamType::probability, "", "0",
                             "fraction of the sends answered with an error (not billed)");
    return Schema{"ses", "Amazon SES as an e-mail sink: send latency, errors, a price per message.", {latency, errors}};
  }();
  return s;
}

class Ses final : public Service {
 public:
  explicit Ses(const ServiceBuildContext& ctx)
      : Service(ctx.name(), "ses"),
        scenario_(ctx.scenario()),
        latency_(ctx.params().dist("latency")),
        errors_(ctx.params().number("errors")),
        latency_rng_(ctx.sim().rng("service." + ctx.name() + ".latency")),
        error_rng_(ctx.sim().rng("service." + ctx.name() + ".errors")) {}

  void handle(Simulation& sim, const Event& e) override {
    if (e.kind != kCallEvent) return;
    const SimTime latency = latency_.sample_ns(latency_rng_);
    if (error_rng_.bernoulli(errors_)) {
      errors_count_.add();
      failed_latency_hist_.record(latency);
      sim.reply(CallHandle{e.data}, CallStatus::error, latency);
      return;
    }
    sent_.add();
    latency_hist_.record(latency);
    sim.reply(CallHandle{e.data}, CallStatus::ok, latency);
  }

  void reset_statistics(SimTime /*now*/) override {
    sent_.reset();
    errors_count_.reset();
    latency_hist_.reset();
    failed_latency_hist_.reset();
  }

  void report(Json& out, double /*measured_seconds*/) const override {
    out["sent"] = sent_.value;
    out["errors"] = errors_count_.value;
    out["latency_ms"] = latency_json(latency_hist_);
    out["latency_failed_ms"] = latency_json(failed_latency_hist_);
  }

  void sample(TimeSeriesRow& row) override {
    row.count("sent", static_cast<double>(sent_.value));
    row.count("errors", static_cast<double>(errors_count_.value));
    row.latency("latency_ms", latency_hist_);
  }

  void bill(CostLedger& ledger, const BillingPeriod& /*period*/) const override {
    const PriceCatalog price(scenario_);
    const double n = static_cast<double>(sent_.value);
    ledger.add(name(), "messages", n, "messages", n * price("ses.message"));
  }

 private:
  const Scenario& scenario_;
  Distribution latency_;
  double errors_;
  Rng latency_rng_, error_rng_;
  Counter sent_, errors_count_;
  LatencyHistogram latency_hist_, failed_latency_hist_;
};

}  // namespace

ServiceType ses_type() {
  ServiceType t;
  t.name = "ses";
  t.summary = "an SES e-mail sink: send latency, errors, a price per message";
  t.table = {"sent", "errors", "latency_ms"};
  t.schema = &ses_schema();
  t.ops = {"send"};
  t.op_aliases = {{"SendEmail", "write 'send'"},
                  {"SendRawEmail", "write 'send'"},
                  {"SendTemplatedEmail", "write 'send'"},
                  {"SendBulkEmail", "write 'send' (one message per request)"}};
  t.build = &make_service<Ses>;
  t.analytic = &ses_analytic;
  return t;
}

}  // namespace slsim::models
