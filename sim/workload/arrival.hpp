#pragma once
// Arrival processes: when requests enter the system. All of them are driven
// by one integer clock and one random stream; none accumulates float time.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sim/core/random.hpp"
#include "sim/core/time.hpp"
#include "sim/scenario/schema.hpp"

namespace slsim {

// The `workloads:` item schema and the `arrival:` variants.
const Schema& workload_schema();

class ArrivalProcess {
 public:
  enum class Kind { poisson, constant, burst, periodic, trace };

  // From a checked `arrival:` record (the loader has validated it).
  // `base_dir` resolves trace files; problems go to `diags`.
  static ArrivalProcess from_record(const Record& arrival, const std::string& base_dir, Diagnostics& diags);

  // The next arrival strictly after the previous one (the first call gives
  // the first arrival), or kTimeNever when the process has no more.
  SimTime next(Rng& rng);

  // Expected arrivals in [0, horizon) (for analytic estimates and tests).
  double expected_count(SimTime horizon) const;
  Kind kind() const { return kind_; }

  // How the process repeats beyond the run, for the 30-day cost projection.
  struct Recurrence {
    enum class Kind {
      steady,      // a constant rate, or recorded traffic taken as typical: the window repeats
      per_firing,  // a periodic schedule: `firings_per_30_days` firings in 30 days
      one_off,     // a burst: happens once
      profile,     // a rate schedule (e.g. a spike test): a designed shape that does not repeat
    };
    Kind kind = Kind::steady;
    double firings_per_30_days = 0;  // per_firing
    std::string what;                // for people: "every 1d", "a burst of 100 at 5min", ...
  };
  Recurrence recurrence() const;

 private:
  struct Segment {
    SimTime start;          // ns
    double rate_per_ns;     // arrivals per ns from `start` until the next segment
  };
  // Walks the piecewise-constant intensity from `from` until `work` expected
  // arrivals have accumulated; kTimeNever if the intensity stays 0.
  SimTime advance(SimTime from, double work) const;

  Kind kind_ = Kind::poisson;
  std::vector<Segment> segments_;  // poisson and constant
  mutable std::size_t cursor_ = 0;  // the segment of the last arrival
  SimTime last_ = 0;
  bool started_ = false;
  // burst / periodic
  SimTime at_ = 0;
  SimTime span_ = 0;
  std::uint64_t count_ = 0;
  std::uint64_t emitted_ = 0;
  SimTime every_ = 0;
  bool recorded_ = false;  // rates come from a recorded trace (per_minute)
  // trace (timestamps), shared so copies stay cheap
  std::shared_ptr<const std::vector<SimTime>> times_;
};

}  // namespace slsim
