#pragma once
// The Simulation owns everything one run needs: the clock, the future event
// set, the components, the request and call pools, and the accounting of
// request outcomes. There is no global state: two Simulations can run side by
// side on two threads (that is how replications run).
#include <array>
#include <cstdint>
#include <functional>
#include <limits>
#include <stdexcept>
#include <type_traits>
#include <typeindex>
#include <typeinfo>
#include <memory>
#include <string_view>
#include <vector>

#include "sim/core/component.hpp"
#include "sim/core/event_queue.hpp"
#include "sim/core/pool.hpp"
#include "sim/core/random.hpp"
#include "sim/core/request.hpp"

namespace slsim {

// Per-simulation state that several components share (an account-wide quota,
// a shared token bucket): created on first use and owned by the Simulation,
// so two simulations never share it.
class SimulationExtension {
 public:
  virtual ~SimulationExtension() = default;
};

struct SimulationOptions {
  std::uint64_t seed = 1;
  std::uint64_t replication = 0;
  SimTime warmup = 0;    // nothing before it is counted (ns)
  SimTime duration = 0;  // measured time after warm-up (ns); the run ends at warmup + duration
  // run() stops with EventLimitReached rather than process more events than
  // this: a runaway (a rate far too high, an endless retry loop) ends with a
  // message instead of running for hours.
  std::uint64_t max_events = std::numeric_limits<std::uint64_t>::max();
};

// Thrown by Simulation::run() when the event limit is reached.
class EventLimitReached : public std::runtime_error {
 public:
  EventLimitReached(std::uint64_t limit, SimTime at);
  std::uint64_t limit() const { return limit_; }
  SimTime at() const { return at_; }  // the simulated time reached

 private:
  std::uint64_t limit_;
  SimTime at_;
};

// Outcomes of the requests that arrived after warm-up.
struct Accounting {
  std::uint64_t arrived = 0;
  std::array<std::uint64_t, kOutcomeCount> outcomes{};  // indexed by Outcome; [in_flight] filled at the end
  std::uint64_t released_without_outcome = 0;           // a request vanished: a model bug
  std::uint64_t repeated_outcome = 0;                   // a second terminal state: a model bug
  // Asynchronous branches (messages) of measured requests and how each ended
  // (succeeded = processed); [in_flight] filled at the end.
  std::uint64_t messages = 0;
  std::array<std::uint64_t, kOutcomeCount> message_fates{};

  std::uint64_t count(Outcome o) const { return outcomes[static_cast<std::size_t>(o)]; }
  std::uint64_t message_count(Outcome o) const { return message_fates[static_cast<std::size_t>(o)]; }
  std::uint64_t terminal_total() const;
  std::uint64_t message_terminal_total() const;
  bool balanced() const {
    return released_without_outcome == 0 && repeated_outcome == 0 &&
           arrived == terminal_total() + count(Outcome::in_flight) &&
           messages == message_terminal_total() + message_count(Outcome::in_flight);
  }
};

class Simulation {
 public:
  explicit Simulation(SimulationOptions options);
  ~Simulation();
  Simulation(const Simulation&) = delete;
  Simulation& operator=(const Simulation&) = delete;

  // --- components -----------------------------------------------------------
  ComponentId add(std::unique_ptr<Component> component);
  Component& component(ComponentId id) { return *components_[id]; }
  std::size_t component_count() const { return components_.size(); }

  // --- time and events ------------------------------------------------------
  SimTime now() const { return now_; }
  SimTime warmup_end() const { return options_.warmup; }
  SimTime end() const { return options_.warmup + options_.duration; }
  const SimulationOptions& options() const { return options_; }

  void schedule_at(SimTime when, ComponentId target, std::uint16_t kind, std::uint64_t data = 0,
                   std::uint16_t arg = 0) {
    queue_.push(Event{when < now_ ? now_ : when, data, target, kind, arg});
  }
  void schedule_in(SimTime delay, ComponentId target, std::uint16_t kind, std::uint64_t data = 0,
                   std::uint16_t arg = 0) {
    schedule_at(now_ + (delay > 0 ? delay : 0), target, kind, data, arg);
  }

  // A random stream of its own for each (seed, replication, stream name).
  Rng rng(std::string_view stream_name) const {
    return Rng::for_stream(options_.seed, options_.replication, stream_name);
  }

  // --- requests ---------------------------------------------------------------
  // A new request held once by its creator; measured if it arrives after warm-up.
  // `owner` (a component) is told when the request ends (Component::request_ended).
  RequestHandle new_request(std::uint32_t workload, std::uint64_t key, std::uint32_t payload_bytes,
                            std::uint16_t route, ComponentId owner = kNoComponent);
  Request& request(RequestHandle h) { return requests_.at(h); }
  const Request* find_request(RequestHandle h) const { return requests_.get(h); }
  void retain(RequestHandle h) { ++requests_.at(h).refs; }
  void release(RequestHandle h);
  // The creator's synchronous view of the request (called once). The request
  // ends with it, or, if asynchronous branches are still open, when the last
  // of them closes, with the worst of all their outcomes.
  void set_outcome(RequestHandle h, Outcome outcome);
  // A service took asynchronous responsibility for the request (a message was
  // queued, a copy fanned out): the request stays alive until close_branch.
  void open_branch(RequestHandle h);
  // That message ended: processed (Outcome::succeeded), failed, dead_lettered, expired or dropped.
  void close_branch(RequestHandle h, Outcome fate);
  std::size_t live_requests() const { return requests_.live(); }

  // --- the call protocol ------------------------------------------------------
  // A synchronous call: `callee` gets a kCallEvent after `delay`; it answers
  // with reply(), which gives `caller` a kReplyEvent carrying `token`.
  // The call holds a reference to the request until it is answered.
  // `items` > 1 makes it a batch call (one invocation over several records).
  CallHandle call(ComponentId caller, ComponentId callee, std::uint16_t op, RequestHandle request,
                  std::uint64_t token, SimTime delay = 0, std::uint32_t items = 1);
  // Hands a message to a service outside its request's accounting: a dead-letter
  // queue or an on-failure destination. The callee sees a new, unmeasured
  // request with the same workload, key, token, payload, route and depth, so whatever
  // it does with the message no longer changes the original request's fate:
  // the sender closes the original branch as dead-lettered once this call is
  // accepted, and what waits in the DLQ shows only as the DLQ's own depth.
  CallHandle call_detached(ComponentId caller, ComponentId callee, std::uint16_t op, RequestHandle original,
                           std::uint64_t token, SimTime delay = 0);
  // Marks a call (before its callee receives it) as made within the caller's
  // session `session` (nonzero; see Call::session).
  void set_call_session(CallHandle h, std::uint64_t session) { calls_.at(h).session = session; }
  // The caller's session ended (an execution environment was reclaimed): tells
  // `callee` at once with Component::session_ended.
  void end_session(ComponentId caller, ComponentId callee, std::uint64_t session) {
    components_[callee]->session_ended(*this, caller, session);
  }
  // A copy: a reference would dangle once another call() grows the pool.
  Call call_info(CallHandle h) const { return calls_.at(h); }
  // `failed_items`: for a batch call, how many of its last items failed
  // (read with reply_failed_items(); reply_status() gives the status).
  void reply(CallHandle h, CallStatus status, SimTime delay = 0, std::uint32_t failed_items = 0);
  std::size_t open_calls() const { return calls_.live(); }

  // --- shared per-simulation state (load time: not for the hot path) -----------
  template <typename T>
  T& extension() {
    static_assert(std::is_base_of_v<SimulationExtension, T>);
    for (auto& [type, ptr] : extensions_)
      if (type == std::type_index(typeid(T))) return static_cast<T&>(*ptr);
    extensions_.emplace_back(std::type_index(typeid(T)), std::make_unique<T>());
    return static_cast<T&>(*extensions_.back().second);
  }

  // --- running ----------------------------------------------------------------
  // Starts every component, runs the warm-up, resets statistics, runs the
  // measured period, then finishes every component. Call once.
  void run();
  std::uint64_t events_processed() const { return events_; }
  // Optional: called with the fraction of simulated time done, about 100
  // times per run (between slices of events, never per event).
  void set_progress(std::function<void(double)> progress) { progress_ = std::move(progress); }
  // Optional (a time series): `at_boundary(t)` is called at the start of the
  // measured window (after reset_statistics), at every `interval` after it
  // inside the window (once every event before t has run and none at t), and at
  // the end (after its last events, before finish()). The run stops between
  // events for it and schedules nothing: events and their order do not change.
  void set_sampling(SimTime interval, std::function<void(SimTime)> at_boundary) {
    sample_interval_ = interval;
    sample_ = std::move(at_boundary);
  }
  const Accounting& accounting() const { return accounting_; }

 private:
  void run_before(SimTime limit);
  // run_before, stopping at each sampling boundary below `limit` to sample.
  void run_sampled(SimTime limit);
  // The request's last holder of state (sync answer and branches) is done: record its fate.
  void end_request(Request& r);

  SimulationOptions options_;
  SimTime now_ = 0;
  std::uint64_t events_ = 0;
  std::uint64_t next_request_id_ = 1;
  RadixEventQueue queue_;
  std::vector<std::unique_ptr<Component>> components_;
  Pool<Request> requests_;
  Pool<Call> calls_;
  Accounting accounting_;
  std::function<void(double)> progress_;
  std::function<void(SimTime)> sample_;
  SimTime sample_interval_ = 0;
  SimTime next_sample_ = 0;
  std::vector<std::pair<std::type_index, std::unique_ptr<SimulationExtension>>> extensions_;
};

}  // namespace slsim
