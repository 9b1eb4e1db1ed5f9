#pragma once
// Requests and calls: the per-request state that travels through services,
// and the synchronous call protocol between components.
#include <cstdint>
#include <string_view>

#include "sim/core/event.hpp"
#include "sim/core/pool.hpp"
#include "sim/core/time.hpp"

namespace slsim {

// Every measured request ends in exactly one of these, or is still in flight
// when the run ends (the conservation law checked under `accounting`).
enum class Outcome : std::uint8_t {
  in_flight, succeeded, failed, throttled, timed_out, dead_lettered, expired, dropped,
};
inline constexpr int kOutcomeCount = 8;
std::string_view outcome_name(Outcome);

// How a synchronous call ended, as its caller sees it.
enum class CallStatus : std::uint16_t { ok = 0, throttled = 1, error = 2, timeout = 3 };
std::string_view call_status_name(CallStatus);

using RequestHandle = Handle;
using CallHandle = Handle;

struct Request {
  std::uint64_t id = 0;          // unique within a run, in arrival order
  SimTime arrival = 0;           // when it entered the system (ns)
  std::uint64_t key = 0;         // the item it reads or writes: a popularity rank (0 = hottest) when its workload has `keys:`, else a key of its own (unkeyed_key)
  std::uint32_t payload_bytes = 0;
  std::uint32_t workload = 0;    // index of the workload that created it
  ComponentId owner = kNoComponent;  // told by request_ended() when the request ends (kNoComponent: nobody)
  std::uint32_t refs = 0;        // holders: the creator plus every outstanding call
  std::uint16_t route = 0;       // route index at the entry service (0 when it has none)
  std::uint16_t hops = 0;        // calls made on its behalf
  std::uint16_t depth = 0;       // event-driven function invocations in its chain (recursion detection)
  bool measured = false;         // arrived after warm-up: counts in the statistics
  bool sync_done = false;        // its creator has seen the synchronous answer
  std::uint32_t branches = 0;    // asynchronous branches (messages) still open
  Outcome pending = Outcome::in_flight;  // the worst outcome so far, while branches are open
  Outcome outcome = Outcome::in_flight;  // the terminal state, once everything has ended
  std::uint32_t token = 0;       // the caller's auth token: 0 none (its workload has no `tokens:`), else popularity rank + 1
};
// 56 bytes before the token, 64 with it: one cache line; keep it so.
static_assert(sizeof(Request) <= 64, "a Request fits a cache line");

// The more severe of two outcomes (in_flight is neutral): a request whose
// synchronous call succeeded but one of whose messages was dead-lettered ends
// as dead-lettered. Order (the enum's): succeeded < failed < throttled <
// timed_out < dead_lettered < expired < dropped.
inline Outcome worse_outcome(Outcome a, Outcome b) {
  return static_cast<int>(a) >= static_cast<int>(b) ? a : b;
}

// One message fanned out into copies (SNS subscriptions, EventBridge rule
// targets): its branch ends with the last copy, with the worst copy's fate.
struct FanoutFate {
  std::uint32_t pending = 0;          // copies not yet settled
  Outcome fate = Outcome::succeeded;  // the worst settled copy so far

  // Records one copy's end; true if it was the last one.
  bool settle(Outcome copy_fate) {
    fate = worse_outcome(fate, copy_fate);
    return --pending == 0;
  }
};

struct Call {
  RequestHandle request;
  ComponentId caller = 0;
  ComponentId callee = 0;
  std::uint16_t op = 0;          // callee-defined operation index
  std::uint64_t token = 0;       // the caller's cookie, handed back with the reply
  SimTime delivered = 0;         // when the callee receives it (the call time plus its delay)
  std::uint32_t items = 1;       // records in a batch call (an SQS or stream batch), else 1
  // The caller's session: an id (nonzero) the caller gives every call made from
  // one of its execution contexts (a Lambda execution environment), so that the
  // callee can keep per-session state, such as a database connection, until the
  // caller ends the session (Simulation::end_session). 0: no session.
  std::uint64_t session = 0;
};

// A reply event's arg packs the status (2 bits) and, for batch calls, how many
// of the batch's items failed (the last ones of the batch, so order is kept).
inline constexpr std::uint32_t kMaxReportedFailedItems = 16383;
inline std::uint16_t pack_reply(CallStatus status, std::uint32_t failed_items) {
  const std::uint32_t failed = failed_items < kMaxReportedFailedItems ? failed_items : kMaxReportedFailedItems;
  return static_cast<std::uint16_t>(static_cast<std::uint32_t>(status) | (failed << 2));
}
inline CallStatus reply_status(const Event& e) { return static_cast<CallStatus>(e.arg & 3u); }
inline std::uint32_t reply_failed_items(const Event& e) { return static_cast<std::uint32_t>(e.arg) >> 2; }

}  // namespace slsim
