// The engine: event ordering, FIFO ties, lazy cancellation, no event lost,
// the request pool, and the call protocol's bookkeeping.
#include <algorithm>
#include <map>
#include <memory>
#include <queue>
#include <vector>

#include <catch2/catch.hpp>

#include "sim/core/event_queue.hpp"
#include "sim/core/pool.hpp"
#include "sim/core/random.hpp"
#include "sim/core/simulation.hpp"
#include "sim/core/timer.hpp"

using namespace slsim;

namespace {

// Pushes and pops in random interleavings; keys never go below the last pop
// (as in a simulation). Each event carries its push number in `data`.
// Returns the popped (time, push number) sequence.
template <typename Queue>
std::vector<std::pair<SimTime, std::uint64_t>> churn(std::uint64_t seed, int operations) {
  Queue q;
  Rng rng(seed);
  std::uint64_t seq = 1;
  SimTime now = 0;
  std::vector<std::pair<SimTime, std::uint64_t>> popped;
  for (int i = 0; i < operations; ++i) {
    const bool push = q.empty() || rng.uniform01() < 0.55;
    if (push) {
      // Many ties: small integer offsets, sometimes zero, sometimes large.
      const auto r = rng.below(100);
      const SimTime offset = r < 30 ? 0 : r < 90 ? static_cast<SimTime>(rng.below(16)) : static_cast<SimTime>(rng.below(1u << 30));
      q.push(Event{now + offset, seq++, 0, 0, 0});
    } else {
      const Event e = q.pop();
      now = e.time;
      popped.emplace_back(e.time, e.data);
    }
  }
  while (!q.empty()) {
    const Event e = q.pop();
    popped.emplace_back(e.time, e.data);
  }
  return popped;
}

}  // namespace

TEST_CASE("engine: radix queue pops in (time / push order) under random churn", "[engine]") {
  const auto popped = churn<RadixEventQueue>(11, 200000);
  REQUIRE(popped.size() > 90000);
  // Every pop is >= the previous one (time, then FIFO by push number).
  for (std::size_t i = 1; i < popped.size(); ++i) REQUIRE(popped[i - 1] < popped[i]);
  // Nothing lost or duplicated: each push number appears once.
  std::vector<std::uint64_t> seqs;
  for (const auto& p : popped) seqs.push_back(p.second);
  std::sort(seqs.begin(), seqs.end());
  REQUIRE(std::adjacent_find(seqs.begin(), seqs.end()) == seqs.end());
}

TEST_CASE("engine: radix and 4-ary heap agree with std::priority_queue", "[engine]") {
  const auto radix = churn<RadixEventQueue>(5, 100000);
  const auto quaternary = churn<QuaternaryHeapQueue>(5, 100000);
  // The reference: a binary heap on (time, push number).
  struct Later {
    bool operator()(const Event& a, const Event& b) const {
      return a.time > b.time || (a.time == b.time && a.data > b.data);
    }
  };
  struct StdQueue {
    std::priority_queue<Event, std::vector<Event>, Later> q;
    bool empty() const { return q.empty(); }
    void push(const Event& e) { q.push(e); }
    Event pop() {
      Event e = q.top();
      q.pop();
      return e;
    }
  };
  const auto reference = churn<StdQueue>(5, 100000);
  REQUIRE(radix == reference);
  REQUIRE(quaternary == reference);
}

namespace {

// The reference future event set: a binary heap on (time, push number in `data`).
struct ReferenceQueue {
  struct Later {
    bool operator()(const Event& a, const Event& b) const {
      return a.time > b.time || (a.time == b.time && a.data > b.data);
    }
  };
  std::priority_queue<Event, std::vector<Event>, Later> q;
  bool pop_before(SimTime limit, Event& out) {
    if (q.empty() || q.top().time >= limit) return false;
    out = q.top();
    q.pop();
    return true;
  }
};

// Drives the radix queue and the reference in lockstep: random pushes at
// now + offset(rng), pops, and pop_before() with a limit near now, checking
// every answer. Returns how many events were popped.
template <typename Offset>
std::uint64_t lockstep(std::uint64_t seed, int operations, SimTime start, Offset offset) {
  RadixEventQueue radix;
  ReferenceQueue reference;
  Rng rng(seed);
  std::uint64_t pushes = 0, pops = 0;
  SimTime now = start;
  for (int i = 0; i < operations; ++i) {
    const double u = rng.uniform01();
    if (radix.empty() || u < 0.5) {
      const SimTime delay = offset(rng);
      REQUIRE(delay <= kTimeNever - now);
      const Event e{now + delay, ++pushes, 0, 0, 0};
      radix.push(e);
      reference.q.push(e);
    } else {
      // A limit a little ahead of now, sometimes at now: the engine's phase ends.
      const SimTime limit = now + (u < 0.6 ? 0 : static_cast<SimTime>(rng.below(1000)));
      if (u > 0.95) {  // a peek first
        REQUIRE(radix.top().data == reference.q.top().data);
      }
      Event got{}, want{};
      const bool popped = u < 0.9 ? radix.pop_before(limit, got) : (got = radix.pop(), true);
      const bool expected = u < 0.9 ? reference.pop_before(limit, want) : reference.pop_before(got.time + 1, want);
      REQUIRE(popped == expected);
      if (!popped) continue;
      REQUIRE(got.time == want.time);
      REQUIRE(got.data == want.data);
      now = got.time;
      ++pops;
    }
    REQUIRE(radix.size() == reference.q.size());
  }
  Event got{}, want{};
  while (radix.pop_before(kTimeNever, got)) {
    REQUIRE(reference.pop_before(kTimeNever, want));
    REQUIRE(got.data == want.data);
    ++pops;
  }
  REQUIRE(reference.q.empty());
  return pops;
}

}  // namespace

TEST_CASE("engine: radix queue matches a reference heap with spread-out times", "[engine]") {
  // Exponential increments with a 1 s mean over thousands pending: buckets
  // far above 64 events and 128-event blocks, partitioned several digits down.
  const auto pops = lockstep(21, 400000, 0, [](Rng& rng) { return round_ns(rng.exponential(1e9)); });
  REQUIRE(pops > 150000);
}

TEST_CASE("engine: radix queue matches a reference heap with heavy ties", "[engine]") {
  // Nine pushes in ten at now or a few ns later: runs of thousands of equal
  // times spanning many blocks, and constant insertion into the sorted run.
  const auto pops = lockstep(22, 400000, 0, [](Rng& rng) {
    const auto r = rng.below(10);
    return r < 6 ? SimTime{0} : r < 9 ? static_cast<SimTime>(rng.below(4)) : static_cast<SimTime>(rng.below(1u << 20));
  });
  REQUIRE(pops > 150000);
}

TEST_CASE("engine: radix queue matches a reference heap when bursts land before sparse events", "[engine]") {
  // Each round: a few events an hour ahead are alone in the queue, so
  // pop_before() sorts them into the run; then a burst of thousands lands
  // before them (insertions into the run, put back into buckets by
  // spill_run once it passes 256), with pops in between.
  RadixEventQueue radix;
  ReferenceQueue reference;
  Rng rng(24);
  std::uint64_t pushes = 0, pops = 0;
  SimTime now = 0;
  const auto push = [&](SimTime t) {
    const Event e{t, ++pushes, 0, 0, 0};
    radix.push(e);
    reference.q.push(e);
  };
  const auto pop_both = [&](SimTime limit) {
    Event got{}, want{};
    const bool popped = radix.pop_before(limit, got);
    REQUIRE(popped == reference.pop_before(limit, want));
    if (!popped) return false;
    REQUIRE(got.time == want.time);
    REQUIRE(got.data == want.data);
    now = got.time;
    ++pops;
    return true;
  };
  for (int round = 0; round < 20; ++round) {
    for (int i = 0; i < 4; ++i) push(now + kHour + i * kSecond);
    REQUIRE_FALSE(pop_both(now + 1));  // builds the run from the distant events
    for (int i = 0; i < 5000; ++i) {
      push(now + round_ns(rng.exponential(3e6)));
      if (rng.below(3) == 0) pop_both(now + kSecond);
    }
    while (pop_both(now + kMinute)) {}  // the burst drains; the distant events stay
  }
  while (pop_both(kTimeNever)) {}
  REQUIRE(reference.q.empty());
  REQUIRE(radix.empty());
  REQUIRE(pops == pushes);
}

TEST_CASE("engine: radix queue matches a reference heap near the largest times", "[engine]") {
  // Times from 2^62 with offsets up to 2^52 (log-uniform): the top digit
  // levels, and the general sort used when the varying bits leave no room
  // for an index.
  const SimTime start = SimTime{1} << 62;
  const auto pops = lockstep(23, 100000, start, [](Rng& rng) {
    return static_cast<SimTime>(rng.next_u64() >> (12 + rng.below(50)));
  });
  REQUIRE(pops > 30000);
}

TEST_CASE("engine: equal-time events run in scheduling order (FIFO)", "[engine]") {
  RadixEventQueue q;
  for (std::uint64_t s = 1; s <= 1000; ++s) q.push(Event{42, s, 0, 0, 0});
  for (std::uint64_t s = 1; s <= 1000; ++s) REQUIRE(q.pop().data == s);
  REQUIRE(q.empty());
}

namespace {

// Records every event it receives; on each event it may schedule more.
class Recorder final : public Component {
 public:
  explicit Recorder(std::string name) : Component(std::move(name)) {}
  void handle(Simulation& sim, const Event& e) override {
    seen.push_back({sim.now(), e.data});
    if (e.kind == kFirstComponentEvent + 1 && e.data < 50000) {
      // Fan out: two children at the same and at a later time.
      sim.schedule_in(0, id(), kFirstComponentEvent + 1, e.data * 2 + 1);
      sim.schedule_in(static_cast<SimTime>(e.data % 7), id(), kFirstComponentEvent + 1, e.data * 2 + 2);
    }
  }
  std::vector<std::pair<SimTime, std::uint64_t>> seen;
};

}  // namespace

TEST_CASE("engine: a simulation processes every scheduled event once / in time order", "[engine]") {
  Simulation sim(SimulationOptions{1, 0, 0, 10 * kSecond});
  auto* rec = new Recorder("rec");
  sim.add(std::unique_ptr<Component>(rec));
  sim.schedule_at(5, rec->id(), kFirstComponentEvent + 1, 0);
  sim.run();
  // data values 0..N form a binary tree: every value from 0 to the largest appears exactly once.
  std::vector<std::uint64_t> values;
  for (const auto& [t, v] : rec->seen) values.push_back(v);
  std::sort(values.begin(), values.end());
  for (std::size_t i = 0; i < values.size(); ++i) REQUIRE(values[i] == i);
  REQUIRE(values.size() == sim.events_processed());
  for (std::size_t i = 1; i < rec->seen.size(); ++i) REQUIRE(rec->seen[i - 1].first <= rec->seen[i].first);
}

TEST_CASE("engine: events after the end are skipped but events exactly at the end run", "[engine]") {
  Simulation sim(SimulationOptions{1, 0, 2 * kSecond, 3 * kSecond});
  auto* rec = new Recorder("rec");
  sim.add(std::unique_ptr<Component>(rec));
  sim.schedule_at(5 * kSecond, rec->id(), kFirstComponentEvent, 1);
  sim.schedule_at(5 * kSecond + 1, rec->id(), kFirstComponentEvent, 2);
  sim.run();
  REQUIRE(rec->seen.size() == 1);
  REQUIRE(rec->seen[0].second == 1);
  REQUIRE(sim.now() == 5 * kSecond);
}

namespace {
class TimerUser final : public Component {
 public:
  TimerUser() : Component("timer") {}
  enum : std::uint16_t { kTick = kFirstComponentEvent };
  void handle(Simulation& sim, const Event& e) override {
    if (timer.fires(e)) fired.push_back(sim.now());
    else stale++;
  }
  Timer timer;
  std::vector<SimTime> fired;
  int stale = 0;
};
}  // namespace

TEST_CASE("engine: cancelled and re-armed timers fire once / stale events are skipped", "[engine]") {
  Simulation sim(SimulationOptions{1, 0, 0, kSecond});
  auto* user = new TimerUser();
  sim.add(std::unique_ptr<Component>(user));
  user->timer.schedule_at(sim, 100, user->id(), TimerUser::kTick);  // replaced below: stale
  user->timer.schedule_at(sim, 200, user->id(), TimerUser::kTick);  // cancelled: stale
  user->timer.cancel();
  user->timer.schedule_at(sim, 300, user->id(), TimerUser::kTick);  // the live one
  sim.run();
  REQUIRE(user->fired == std::vector<SimTime>{300});
  REQUIRE(user->stale == 2);
  REQUIRE_FALSE(user->timer.armed());
}

TEST_CASE("engine: pool stress keeps handles valid and detects stale ones", "[engine][pool]") {
  Pool<std::uint64_t> pool;
  Rng rng(99);
  std::vector<std::pair<Handle, std::uint64_t>> live;
  std::vector<Handle> dead;
  for (std::uint64_t step = 0; step < 300000; ++step) {
    if (live.empty() || rng.uniform01() < 0.5) {
      const Handle h = pool.alloc(step);
      REQUIRE(h.valid());
      live.emplace_back(h, step);
    } else {
      const std::size_t i = rng.below(live.size());
      REQUIRE(pool.get(live[i].first) != nullptr);
      REQUIRE(*pool.get(live[i].first) == live[i].second);
      pool.free(live[i].first);
      dead.push_back(live[i].first);
      live[i] = live.back();
      live.pop_back();
    }
  }
  REQUIRE(pool.live() == live.size());
  for (const auto& [h, v] : live) REQUIRE(*pool.get(h) == v);
  // Every freed handle is stale now, even where its slot has been reused.
  for (const Handle h : dead) REQUIRE(pool.get(h) == nullptr);
  // Memory is bounded by the peak live count, not by the number of allocations.
  REQUIRE(pool.capacity() < 300000 / 2);
}

namespace {

// A callee that answers each call after 1 ms with a status chosen by op.
class Echo final : public Component {
 public:
  Echo() : Component("echo") {}
  void handle(Simulation& sim, const Event& e) override {
    if (e.kind == kCallEvent) {
      const CallHandle c{e.data};
      sim.schedule_in(kMillisecond, id(), kFirstComponentEvent, c.bits, sim.call_info(c).op);
    } else {
      sim.reply(CallHandle{e.data}, static_cast<CallStatus>(e.arg));
    }
  }
};

// A caller that sends one request per op at time 0 and records the replies.
class Caller final : public Component {
 public:
  explicit Caller(ComponentId callee) : Component("caller"), callee_(callee) {}
  void start(Simulation& sim) override { sim.schedule_at(0, id(), kFirstComponentEvent); }
  void handle(Simulation& sim, const Event& e) override {
    if (e.kind == kFirstComponentEvent) {
      for (std::uint16_t op = 0; op < 4; ++op) {
        const RequestHandle h = sim.new_request(0, 0, 0, 0);
        sim.call(id(), callee_, op, h, h.bits);
      }
      return;
    }
    const RequestHandle h{e.data};
    replies.push_back({reply_status(e), sim.now() - sim.request(h).arrival});
    static constexpr Outcome kOutcome[] = {Outcome::succeeded, Outcome::throttled, Outcome::failed, Outcome::timed_out};
    sim.set_outcome(h, kOutcome[e.arg]);
    sim.release(h);
  }
  std::vector<std::pair<CallStatus, SimTime>> replies;

 private:
  ComponentId callee_;
};

}  // namespace

TEST_CASE("engine: the call protocol delivers each reply once / frees calls and requests / balances", "[engine]") {
  Simulation sim(SimulationOptions{1, 0, 0, kSecond});
  const ComponentId echo = sim.add(std::make_unique<Echo>());
  auto* caller = new Caller(echo);
  sim.add(std::unique_ptr<Component>(caller));
  sim.run();
  REQUIRE(caller->replies.size() == 4);
  for (std::size_t i = 0; i < 4; ++i) {
    REQUIRE(caller->replies[i].first == static_cast<CallStatus>(i));
    REQUIRE(caller->replies[i].second == kMillisecond);
  }
  REQUIRE(sim.open_calls() == 0);
  REQUIRE(sim.live_requests() == 0);
  const Accounting& a = sim.accounting();
  REQUIRE(a.arrived == 4);
  REQUIRE(a.count(Outcome::succeeded) == 1);
  REQUIRE(a.count(Outcome::throttled) == 1);
  REQUIRE(a.count(Outcome::failed) == 1);
  REQUIRE(a.count(Outcome::timed_out) == 1);
  REQUIRE(a.balanced());
}

TEST_CASE("engine: accounting catches a request released without an outcome / or given two", "[engine]") {
  Simulation sim(SimulationOptions{1, 0, 0, kSecond});
  const RequestHandle lost = sim.new_request(0, 0, 0, 0);
  sim.release(lost);
  const RequestHandle twice = sim.new_request(0, 0, 0, 0);
  sim.set_outcome(twice, Outcome::succeeded);
  sim.set_outcome(twice, Outcome::failed);
  sim.release(twice);
  sim.run();
  REQUIRE(sim.accounting().released_without_outcome == 1);
  REQUIRE(sim.accounting().repeated_outcome == 1);
  REQUIRE_FALSE(sim.accounting().balanced());
}

TEST_CASE("engine: requests that arrive during warm-up are not measured", "[engine]") {
  Simulation sim(SimulationOptions{1, 0, kSecond, kSecond});
  const RequestHandle early = sim.new_request(0, 0, 0, 0);  // now = 0 < warm-up
  REQUIRE_FALSE(sim.request(early).measured);
  sim.set_outcome(early, Outcome::succeeded);
  sim.release(early);
  sim.run();
  REQUIRE(sim.accounting().arrived == 0);
  REQUIRE(sim.accounting().count(Outcome::succeeded) == 0);
  REQUIRE(sim.accounting().balanced());
}
