// PHOLD (Fujimoto), sequential, through the real engine.
//
// N logical processes (LPs), each a Component added to one Simulation, start
// with P events each at 0.1 + Exp(0.9) time units. Handling an event schedules
// one new event at now + 0.1 + Exp(0.9), sent to a uniformly random LP
// (Rng::below(N)) with probability 0.25, else to the LP itself. One time unit
// is 1 ms of SimTime; delays are rounded to integer ns. Each LP draws from its
// own stream sim.rng("lp<i>"), taken in start(), as engine users do.
//
// There are always N*P pending events, each recurring every 1.0 time unit on
// average, so events occur at N*P per time unit. After a warm-up of 1 time
// unit (about N*P events), the measured period lasts target / (N*P) time units
// so that about `target` events are timed (1e7; 1e6 with --quick). Timing
// runs from the end of warm-up (reset_statistics) to finish(), through a
// probe component that handles no events.
//
// Usage: phold [--quick]
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "bench/bench_util.hpp"
#include "sim/core/simulation.hpp"

namespace {

using namespace slsim;
using slsim::bench::Clock;
using slsim::bench::Rate;

constexpr std::uint16_t kPhold = kFirstComponentEvent;
constexpr double kUnit = 1e6;  // one PHOLD time unit = 1 ms in ns
constexpr double kLookahead = 0.1 * kUnit;
constexpr double kExpMean = 0.9 * kUnit;
constexpr double kRemote = 0.25;

class LogicalProcess final : public Component {
 public:
  LogicalProcess(std::uint32_t index, std::uint32_t lp_count, std::uint32_t initial_events)
      : Component("lp" + std::to_string(index)), lp_count_(lp_count), initial_(initial_events) {}

  void start(Simulation& sim) override {
    rng_ = sim.rng(name());
    for (std::uint32_t i = 0; i < initial_; ++i) sim.schedule_at(delay(), id(), kPhold);
  }

  void handle(Simulation& sim, const Event&) override {
    // LPs are components 0..N-1, so an LP index is its component id.
    const ComponentId target =
        rng_.uniform01() < kRemote ? static_cast<ComponentId>(rng_.below(lp_count_)) : id();
    sim.schedule_in(delay(), target, kPhold);
  }

 private:
  SimTime delay() { return round_ns(kLookahead + rng_.exponential(kExpMean)); }

  std::uint32_t lp_count_;
  std::uint32_t initial_;
  Rng rng_{0};
};

// Handles no events: only marks the start and the end of the measured period.
class Probe final : public Component {
 public:
  Probe() : Component("probe") {}
  void start(Simulation& sim) override { sim_ = &sim; }
  void handle(Simulation&, const Event&) override {}
  void reset_statistics(SimTime) override {
    events_at_start_ = sim_->events_processed();
    t0_ = Clock::now();
  }
  void finish(Simulation& sim) override {
    const auto t1 = Clock::now();
    measured_ = Rate{sim.events_processed() - events_at_start_, bench::seconds_between(t0_, t1)};
  }
  const Rate& measured() const { return measured_; }

 private:
  Simulation* sim_ = nullptr;
  std::uint64_t events_at_start_ = 0;
  Clock::time_point t0_{};
  Rate measured_{};
};

struct Config {
  std::uint32_t lps;
  std::uint32_t per_lp;
};

struct Result {
  Rate measured;
  std::uint64_t total_events = 0;
  double setup_s = 0.0;  // building the N components
  double run_s = 0.0;    // whole run(): start, warm-up, measured period, finish
};

Result run_phold(const Config& c, double target_events) {
  const double rate = static_cast<double>(c.lps) * c.per_lp;  // events per time unit
  SimulationOptions options;
  options.seed = 1;
  options.warmup = round_ns(kUnit);
  options.duration = round_ns(target_events / rate * kUnit);
  Result r;
  const auto t_build = Clock::now();
  Simulation sim(options);
  for (std::uint32_t i = 0; i < c.lps; ++i) sim.add(std::make_unique<LogicalProcess>(i, c.lps, c.per_lp));
  auto probe_owner = std::make_unique<Probe>();
  const Probe* probe = probe_owner.get();
  sim.add(std::move(probe_owner));
  const auto t_run = Clock::now();
  sim.run();
  const auto t_end = Clock::now();
  r.measured = probe->measured();
  r.total_events = sim.events_processed();
  r.setup_s = bench::seconds_between(t_build, t_run);
  r.run_s = bench::seconds_between(t_run, t_end);
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  if (!bench::check_flags(argc, argv, {"--quick"}, "phold [--quick]")) return 2;
  const bool quick = bench::has_flag(argc, argv, "--quick");
  const double target = quick ? 1e6 : 1e7;
  const std::vector<Config> configs = quick ? std::vector<Config>{{1'000, 1}, {1'000, 16}, {100'000, 1}}
                                            : std::vector<Config>{{1'000, 1}, {1'000, 16}, {1'000'000, 1}};

  fmt::print("PHOLD: N LPs (components), P initial events each, delay 0.1 + Exp(0.9) units (1 unit = 1 ms),\n");
  fmt::print("remote with p = {}, own Rng stream per LP; warm-up 1 unit, ~{:.0e} events timed{}\n\n", kRemote, target,
             quick ? " [--quick]" : "");
  fmt::print("{:>5} | {:>3} | {:>7} | {:>9} | {:>10} | {:>9} | {:>10} | {:>8}\n", "N", "P", "pending", "sim units",
             "events", "ns/event", "Mevents/s", "setup s");
  fmt::print("{:-<6}+{:-<5}+{:-<9}+{:-<11}+{:-<12}+{:-<11}+{:-<12}+{:-<9}\n", "", "", "", "", "", "", "", "");
  for (const Config& c : configs) {
    const Result r = run_phold(c, target);
    const double units = 1.0 + target / (static_cast<double>(c.lps) * c.per_lp);
    fmt::print("{:>5} | {:>3} | {:>7} | {:>9.1f} | {:>10} | {:>9.1f} | {:>10.2f} | {:>8.2f}\n",
               bench::count_label(c.lps), c.per_lp, bench::count_label(std::uint64_t{c.lps} * c.per_lp), units,
               r.measured.events, r.measured.ns_per_event(), r.measured.mevents_per_s(), r.setup_s);
    std::fflush(stdout);
  }
  fmt::print("\nreference: ns-3 heap scheduler: ~6.3 M ev/s at 1e3 pending, 1.6 M at 1e6 (this machine);\n");
  fmt::print("           ROSS sequential PHOLD 1.35 M ev/s at 16k pending\n");
  fmt::print("peak RSS: {:.1f} MiB\n", bench::peak_rss_mib());
  return 0;
}
