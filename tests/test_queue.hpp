#pragma once
// A test-only `sqs` type for the messaging tests: it accepts a send (opening
// and closing its own branch at once) or refuses it with 429 with probability
// `throttle`, and records when each send arrived, so counts and timings are exact.
#include <cstdint>
#include <vector>

#include "sim/core/random.hpp"
#include "sim/core/simulation.hpp"
#include "sim/scenario/build.hpp"
#include "sim/scenario/registry.hpp"
#include "sim/scenario/schema.hpp"

namespace slsim::testing {

inline const Schema& test_queue_schema() {
  static const Schema s = [] {
    ParamSpec throttle = param("throttle", ParamType::probability, "", "0", "chance that a send is refused (429)");
    ParamSpec fifo = param("fifo", ParamType::boolean, "", "false", "a FIFO queue");
    return Schema{"sqs", "a test queue", {throttle, fifo}};
  }();
  return s;
}

class TestQueue final : public Service {
 public:
  explicit TestQueue(const ServiceBuildContext& ctx)
      : Service(ctx.name(), "sqs"),
        throttle_(ctx.params().number("throttle")),
        rng_(ctx.sim().rng("service." + ctx.name() + ".throttle")) {}

  void handle(Simulation& sim, const Event& e) override {
    if (e.kind != kCallEvent) return;
    const CallHandle call{e.data};
    const RequestHandle request = sim.call_info(call).request;
    times.push_back(sim.now());
    ids.push_back(sim.request(request).id);
    if (rng_.bernoulli(throttle_)) {
      sim.reply(call, CallStatus::throttled);
      return;
    }
    sim.open_branch(request);
    sim.reply(call, CallStatus::ok);
    sim.close_branch(request, Outcome::succeeded);  // consumed at once
  }
  void report(Json& out, double) const override { out["received"] = static_cast<std::uint64_t>(times.size()); }

  std::vector<SimTime> times;     // every send, accepted or not
  std::vector<std::uint64_t> ids;  // the request of each send

 private:
  double throttle_;
  Rng rng_;
};

inline ServiceType test_queue_type() {
  ServiceType queue;
  queue.name = "sqs";
  queue.summary = "a test queue";
  queue.schema = &test_queue_schema();
  queue.ops = {"send"};
  queue.build = &make_service<TestQueue>;
  return queue;
}

}  // namespace slsim::testing
