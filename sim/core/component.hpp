#pragma once
// The component interface: anything that handles events. Services (models/)
// and workloads (sim/workload) are components; the engine knows nothing else
// about them.
#include <string>
#include <utility>

#include "sim/core/event.hpp"
#include "sim/core/time.hpp"

namespace slsim {

class Simulation;
struct Request;

class Component {
 public:
  explicit Component(std::string name) : name_(std::move(name)) {}
  virtual ~Component() = default;
  Component(const Component&) = delete;
  Component& operator=(const Component&) = delete;

  // Called once before the first event: schedule initial events here.
  virtual void start(Simulation&) {}
  // One virtual call per event.
  virtual void handle(Simulation&, const Event&) = 0;
  // Warm-up ended at `now`: forget what was recorded so far, keep state.
  virtual void reset_statistics(SimTime /*now*/) {}
  // The run ended (sim.now() is the end time): close time-weighted gauges.
  virtual void finish(Simulation&) {}
  // A request this component owns ended (its synchronous answer is in and
  // every asynchronous branch has closed): `r.outcome` is its final fate and
  // sim.now() the moment it ended. Called once per request, for its owner only.
  virtual void request_ended(Simulation&, const Request& /*r*/) {}
  // `caller` ended one of its sessions (Call::session): whatever this component
  // keeps for it (a database connection) can go. Told at once, by
  // Simulation::end_session, to each component the caller names.
  virtual void session_ended(Simulation&, ComponentId /*caller*/, std::uint64_t /*session*/) {}

  const std::string& name() const { return name_; }
  ComponentId id() const { return id_; }

 private:
  friend class Simulation;
  std::string name_;
  ComponentId id_ = 0;
};

}  // namespace slsim
