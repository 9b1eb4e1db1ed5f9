#include "models/function_url/function_url.hpp"

#include <string>

#include <fmt/format.h>

#include "sim/core/pool.hpp"
#include "sim/core/simulation.hpp"
#include "sim/scenario/build.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/stats/counter.hpp"
#include "sim/stats/histogram.hpp"
#include "sim/workload/workload.hpp"

namespace slsim::models {

namespace {

// Request and (buffered) response payloads are at most 6 MB; a streamed
// response up to 200 MB (docs/model-assumptions.md §18.3).
constexpr double kPayloadLimit = 6.0 * 1048576.0;
constexpr double kStreamLimit = 200.0 * 1048576.0;

const Schema& function_url_schema() {
  static const Schema s = [] {
    ParamSpec function = param("function", ParamType::reference, "", "",
                               "the function the URL invokes (synchronously, like an invoke)");
    function.required = true;
    function.ref_types = {"lambda"};
    function.edge = "function";
    function.edge_op = EdgeOp::fixed;
    function.edge_op_name = "invoke";
    ParamSpec mode = param("invoke_mode", ParamType::choice, "", "buffered",
                           "buffered (the response is at most 6 MB) or response_stream (at most 200 MB)");
    mode.choices = {"buffered", "response_stream"};
    ParamSpec latency = param("latency", ParamType::distribution, "ms", "5ms",
                              "the URL endpoint's own time before the function is invoked. UNCONFIRMED: AWS "
                              "publishes no figure");
    latency.min = 0;
    ParamSpec response = param("response_size", ParamType::size, "KB", "1KB",
                               "bytes of each response; above the invoke mode's limit the client gets an error after "
                               "the function ran");
    response.min = 0;
    response.max = 1073741824.0;  // 1 GB
    return Schema{"function_url", "A Lambda function URL: an HTTPS endpoint of one function, without API Gateway.",
                  {function, mode, latency, response},
                  {{"target_function_arn", "write 'function: FUNCTION' (its name under services:)"},
                   {"target_function", "write 'function: FUNCTION' (its name under services:)"},
                   {"auth_type", "not modelled: leave it out (IAM signing adds no modelled cost)"},
                   {"cors", "not modelled: leave it out"},
                   {"timeout", "a function URL has no timeout of its own: set the function's 'timeout'"}}};
  }();
  return s;
}

void check(const ServiceDecl& d, const Scenario& /*sc*/, Diagnostics& diags) {
  const Value& response = d.params.get("response_size");
  const bool stream = d.params.text("invoke_mode") == "response_stream";
  if (response.number > (stream ? kStreamLimit : kPayloadLimit))
    diags.warning(response.loc, response.path,
                  fmt::format("a {} response is at most {}, so every answer fails", stream ? "streamed" : "buffered",
                              stream ? "200MB" : "6MB"),
                  stream ? "return less" : "set 'invoke_mode: response_stream' for responses up to 200MB");
}

struct InFlight {
  CallHandle client;
  SimTime arrival = 0;
};

class FunctionUrl final : public Service {
 public:
  explicit FunctionUrl(const ServiceBuildContext& ctx)
      : Service(ctx.name(), "function_url"),
        latency_(ctx.params().dist("latency")),
        response_too_large_(ctx.params().size("response_size") >
                            (ctx.params().text("invoke_mode") == "response_stream" ? kStreamLimit : kPayloadLimit)),
        latency_rng_(ctx.sim().rng("service." + ctx.name() + ".latency")) {
    const std::string f = ctx.params().text("function");
    function_ = ctx.id_of(f);
    op_ = ctx.op_index(f, "invoke");
  }

  void handle(Simulation& sim, const Event& e) override {
    switch (e.kind) {
      case kCallEvent: on_request(sim, CallHandle{e.data}); return;
      case kForward: {
        const Handle h{e.data};
        sim.call(id(), function_, op_, sim.call_info(in_flight_.at(h).client).request, h.bits);
        return;
      }
      case kReplyEvent: on_reply(sim, Handle{e.data}, reply_status(e)); return;
      default: return;
    }
  }

  void reset_statistics(SimTime /*now*/) override {
    for (Counter* c : {&requests_, &rejected_, &throttles_, &errors_, &timeouts_, &too_large_}) c->reset();
    latency_hist_.reset();
    failed_latency_hist_.reset();
  }

  void report(Json& out, double /*measured_seconds*/) const override {
    out["requests"] = requests_.value;
    out["rejected"] = rejected_.value;
    out["throttles"] = throttles_.value;
    out["errors"] = errors_.value;
    out["timeouts"] = timeouts_.value;
    out["response_too_large"] = too_large_.value;
    out["latency_ms"] = latency_json(latency_hist_);
    out["latency_failed_ms"] = latency_json(failed_latency_hist_);
  }

  void sample(TimeSeriesRow& row) override {
    row.count("requests", static_cast<double>(requests_.value));
    row.count("throttles", static_cast<double>(throttles_.value));
    row.count("errors", static_cast<double>(errors_.value));
    row.latency("latency_ms", latency_hist_);
  }

  // No line item: a function URL costs nothing of its own; the function bills its
  // requests and duration (docs/model-assumptions.md §18.3).
  void bill(CostLedger& /*ledger*/, const BillingPeriod& /*period*/) const override {}

 private:
  enum : std::uint16_t { kForward = kFirstComponentEvent };

  void on_request(Simulation& sim, CallHandle call) {
    requests_.add();
    if (static_cast<double>(sim.request(sim.call_info(call).request).payload_bytes) > kPayloadLimit) {
      rejected_.add();  // 413: the function is not invoked
      failed_latency_hist_.record(0);
      sim.reply(call, CallStatus::error);
      return;
    }
    const Handle h = in_flight_.alloc(InFlight{call, sim.now()});
    sim.schedule_in(latency_.sample_ns(latency_rng_), id(), kForward, h.bits);
  }

  void on_reply(Simulation& sim, Handle h, CallStatus status) {
    const InFlight f = in_flight_.at(h);
    in_flight_.free(h);
    if (status == CallStatus::ok && response_too_large_) {
      too_large_.add();
      status = CallStatus::error;
    } else if (status == CallStatus::throttled) {
      throttles_.add();  // the function's 429 reaches the client
    } else if (status == CallStatus::error) {
      errors_.add();
    } else if (status == CallStatus::timeout) {
      timeouts_.add();
    }
    (status == CallStatus::ok ? latency_hist_ : failed_latency_hist_).record(sim.now() - f.arrival);
    sim.reply(f.client, status);
  }

  Distribution latency_;
  bool response_too_large_;
  ComponentId function_ = 0;
  std::uint16_t op_ = 0;
  Rng latency_rng_;
  Pool<InFlight> in_flight_;
  Counter requests_, rejected_, throttles_, errors_, timeouts_, too_large_;
  LatencyHistogram latency_hist_, failed_latency_hist_;
};

}  // namespace

ServiceType function_url_type() {
  ServiceType t;
  t.name = "function_url";
  t.summary = "a Lambda function URL: synchronous invokes without API Gateway, 6 MB bodies, no price of its own";
  t.table = {"requests", "rejected", "throttles", "errors", "timeouts", "latency_ms", "latency_failed_ms"};
  t.schema = &function_url_schema();
  t.ops = {"request"};
  const std::string one = "a function URL's one operation is 'request'";
  t.op_aliases = {{"GET", one}, {"POST", one}, {"PUT", one}, {"DELETE", one}, {"PATCH", one}};
  t.forwards = {{"request", {"function"}}};
  t.build = &make_service<FunctionUrl>;
  t.analytic = &function_url_analytic;
  t.check = &check;
  return t;
}

}  // namespace slsim::models
