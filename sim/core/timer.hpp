#pragma once
// A cancellable timer with lazy cancellation: cancelling does not search the
// event queue; it bumps a generation counter, and the stale event is skipped
// when it is popped. The event's data word carries the generation.
#include <cstdint>

#include "sim/core/simulation.hpp"

namespace slsim {

class Timer {
 public:
  // (Re)arms the timer; a previous pending firing becomes stale.
  void schedule_at(Simulation& sim, SimTime when, ComponentId target, std::uint16_t kind) {
    armed_ = true;
    sim.schedule_at(when, target, kind, ++generation_);
  }
  void cancel() {
    armed_ = false;
    ++generation_;
  }
  // True when `e` is this timer's live firing; the timer is then disarmed.
  bool fires(const Event& e) {
    if (!armed_ || e.data != generation_) return false;
    armed_ = false;
    return true;
  }
  bool armed() const { return armed_; }

 private:
  std::uint64_t generation_ = 0;
  bool armed_ = false;
};

}  // namespace slsim
