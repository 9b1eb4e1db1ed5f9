#pragma once
// A workload: a component that creates requests by its arrival process,
// sends each one to its target as a synchronous call, and records what the
// caller sees (the synchronous answer and its latency, split by outcome) and
// how each request finally ended once its asynchronous branches closed (its
// end-to-end fate and completion time).
#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "sim/core/component.hpp"
#include "sim/core/distribution.hpp"
#include "sim/core/random.hpp"
#include "sim/core/simulation.hpp"
#include "sim/report/json.hpp"
#include "sim/report/time_series.hpp"
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
  std::uint64_t key_count = 0;  // 0: no key model (every request a distinct key: unkeyed_key)
  double zipf = 0;              // 0: uniform keys
  std::uint64_t token_count = 0;  // 0: no `tokens:` (every request carries a token of its own: Request::token 0)
  double token_zipf = 0;        // 0: uniform tokens
};

// The key of the n-th request of a workload without `keys:`: distinct from
// every other request's and from every keyed request's (keys below 2^63).
inline std::uint64_t unkeyed_key(std::uint32_t workload, std::uint64_t n) {
  return (std::uint64_t{1} << 63) | (static_cast<std::uint64_t>(workload & 0x7ffffu) << 44) | (n & ((std::uint64_t{1} << 44) - 1));
}

class Workload final : public Component {
 public:
  Workload(std::string name, WorkloadConfig config, ArrivalProcess arrivals);

  void start(Simulation& sim) override;
  void handle(Simulation& sim, const Event& e) override;
  void request_ended(Simulation& sim, const Request& r) override;

  // {arrived, succeeded, failed, throttled, timed_out, latency_ms{...},
  //  latency_failed_ms{...}, completion_ms{...}, end_to_end{...}}
  Json report() const;
  // Arrivals and what the caller saw, for a time series (`run --csv`).
  void sample(TimeSeriesRow& row) const;

  std::uint64_t arrived() const { return arrived_.value; }
  const ArrivalProcess& arrivals() const { return arrivals_; }
  // Synchronous answers that succeeded, as the caller saw them.
  const LatencyHistogram& latency() const { return latency_; }
  // Every other synchronous answer (errors, timeouts, throttles).
  const LatencyHistogram& latency_failed() const { return latency_failed_; }
  // Arrival until the end of the last asynchronous branch, for requests that ended succeeded.
  const LatencyHistogram& completion() const { return completion_; }

 private:
  enum : std::uint16_t { kArrival = kFirstComponentEvent };
  void schedule_next(Simulation& sim);
  std::uint64_t draw_key();
  std::uint32_t draw_token();

  WorkloadConfig config_;
  ArrivalProcess arrivals_;
  Rng arrival_rng_;
  Rng key_rng_;
  Rng token_rng_;
  std::optional<ZipfSampler> zipf_;
  std::optional<ZipfSampler> token_zipf_;
  std::uint64_t next_unkeyed_ = 0;
  Counter arrived_, succeeded_, failed_, throttled_, timed_out_;
  LatencyHistogram latency_, latency_failed_, completion_;
  // Measured requests that ended, by final outcome (in_flight = arrived - their sum).
  std::array<std::uint64_t, kOutcomeCount> ended_{};
};

// {count, mean, p50, p90, p95, p99, p999, max} in milliseconds.
Json latency_json(const LatencyHistogram& h);

}  // namespace slsim
