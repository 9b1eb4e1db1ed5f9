#pragma once
// Arrival processes: when requests enter the system. All of them are driven
// by one integer clock and one random stream; none accumulates float time.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sim/core/random.hpp"
#include "sim/core/time.hpp"
#include "sim/scenario/schema.hpp"
#include "sim/workload/schedule.hpp"

namespace slsim {

// The `workloads:` item schema and the `arrival:` variants.
const Schema& workload_schema();

// The highest arrival rate a workload may have: 1,000,000 per second (a mean
// gap of 1 us). The clock counts whole nanoseconds, so every gap between
// arrivals is rounded to 1 ns: at 1 us the rounding moves a constant rate by
// at most 0.5 ns / 1 us = 0.05% (a Poisson rate by about 1/(24 gap^2), 4e-8),
// well below the 0.4% of the latency histograms. At 1e10/s the gaps would
// round to 0 or 1 ns and a Poisson workload would get 14x its rate.
inline constexpr double kMaxArrivalRate = 1e6;  // per second

// The calendar instant a schedule's t = 0 stands for when `start` is not given:
// Monday 2026-01-05 00:00:00 UTC.
inline constexpr const char* kDefaultScheduleStart = "2026-01-05T00:00:00Z";

class ArrivalProcess {
 public:
  enum class Kind { poisson, constant, burst, periodic, trace, schedule };

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
  // For a 30-day cost projection: the firings of a schedule (or a periodic
  // workload) in the 30 days from t = 0, when it keeps firing after them;
  // nullopt when it does not repeat (an at() schedule, a cron whose years
  // end, a schedule that never fires) and for the other processes, which
  // are not firings (their projection scales the measured rate).
  std::optional<double> firings_per_30_days() const;

 private:
  struct Segment {
    SimTime start;          // ns
    double rate_per_ns;     // arrivals per ns from `start` until the next segment
  };
  static void read_trace(const Record& arrival, const std::string& base_dir, Diagnostics& diags, ArrivalProcess& p);
  static void read_schedule(const Record& arrival, Diagnostics& diags, ArrivalProcess& p);
  // Walks the piecewise-constant intensity from `from` until `work` expected
  // arrivals have accumulated; kTimeNever if the intensity stays 0.
  SimTime advance(SimTime from, double work) const;
  // The next arrival of a per-minute trace: exactly its count in each minute.
  SimTime next_recorded(Rng& rng);

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
  // per_minute: the count of each minute (segments_ hold the same as rates),
  // the minute being replayed, its arrivals still to come, and the offset of
  // the last one within the minute (ns).
  std::shared_ptr<const std::vector<std::uint64_t>> minute_counts_;
  std::size_t minute_ = 0;
  std::uint64_t minute_left_ = 0;
  double minute_offset_ = 0;
  // trace (timestamps), shared so copies stay cheap
  std::shared_ptr<const std::vector<SimTime>> times_;
  // schedule: the expression and the calendar instant (UTC seconds) of t = 0
  std::shared_ptr<const ScheduleExpression> schedule_;
  std::string expression_;  // its text, for people
  std::int64_t start_unix_s_ = 0;
  // The schedule's first firing at or after t (kTimeNever when none).
  SimTime schedule_at_or_after(SimTime t) const;
};

}  // namespace slsim
