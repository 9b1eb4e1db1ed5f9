#pragma once
// An event is a small value (24 bytes). Its meaning is given by the target
// component: `kind` selects the handler branch, `arg` and `data` carry a small
// argument and a word (usually a pool handle). No allocation, no closures.
#include <cstdint>

#include "sim/core/time.hpp"

namespace slsim {

using ComponentId = std::uint32_t;
inline constexpr ComponentId kNoComponent = 0xFFFFFFFFu;  // "nobody" (e.g. a request without an owner)

// Event kinds below kFirstComponentEvent belong to the engine's call protocol.
enum EventKind : std::uint16_t {
  kCallEvent = 0,   // data = CallHandle: a synchronous call arrives at its callee
  kReplyEvent = 1,  // data = caller's token, arg = CallStatus: the answer arrives at the caller
  kMessageEvent = 2,  // data = RequestHandle, arg = op: fire-and-forget delivery
  kFirstComponentEvent = 16,
};

struct Event {
  SimTime time = 0;         // when it fires (ns)
  std::uint64_t data = 0;   // one word (e.g. a pool handle)
  ComponentId target = 0;   // who handles it
  std::uint16_t kind = 0;   // what it means to the target
  std::uint16_t arg = 0;    // small argument (e.g. a reply status)
};
// Equal times run in scheduling order: the queue keeps push order itself, so
// no sequence number is stored.
static_assert(sizeof(Event) == 24, "keep events small: they are moved a lot");

}  // namespace slsim
