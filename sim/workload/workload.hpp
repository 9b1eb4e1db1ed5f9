#pragma once
// A workload: a component that creates requests by its arrival process,
// sends each one to its target as a synchronous call, and records what the
// caller sees: the outcome and the end-to-end latency.
#include <cstdint>
#include <optional>
#include <string>

#include "sim/core/component.hpp"
#include "sim/core/distribution.hpp"
#include "sim/core/random.hpp"
#include "sim/core/simulation.hpp"
#include "sim/report/json.hpp"
#include "sim/stats/counter.hpp"
#include "sim/stats/histogram.hpp"
#include "sim/workload/arrival.hpp"

namespace slsim {

struct WorkloadConfig {
  std::uint32_t index = 0;      // position in the scenario's workloads
  ComponentId target = 0;
  std::uint16_t op = 0;         // the target's operation index
  std::uint16_t route = 0;
  std::uint32_t payload_bytes = 1024;
  std::uint64_t key_count = 0;  // 0: no key model (every request has key 0)
  double zipf = 0;              // 0: uniform keys
};

class Workload final : public Component {
 public:
  Workload(std::string name, WorkloadConfig config, ArrivalProcess arrivals);

  void start(Simulation& sim) override;
  void handle(Simulation& sim, const Event& e) override;

  // {arrived, succeeded, failed, throttled, timed_out, latency_ms{...}}
  Json report() const;

  std::uint64_t arrived() const { return arrived_.value; }
  const LatencyHistogram& latency() const { return latency_; }

 private:
  enum : std::uint16_t { kArrival = kFirstComponentEvent };
  void schedule_next(Simulation& sim);
  std::uint64_t draw_key();

  WorkloadConfig config_;
  ArrivalProcess arrivals_;
  Rng arrival_rng_;
  Rng key_rng_;
  std::optional<ZipfSampler> zipf_;
  Counter arrived_, succeeded_, failed_, throttled_, timed_out_;
  LatencyHistogram latency_;
};

// {count, mean, p50, p90, p95, p99, p999, max} in milliseconds.
Json latency_json(const LatencyHistogram& h);

}  // namespace slsim
