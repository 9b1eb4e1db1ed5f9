#pragma once
// Execution environments of one function and the idle set that picks which
// warm environment takes a request (warm_selection). All operations are O(1)
// except `newest`, which is O(log idle) through a lazily pruned max-heap.
#include <algorithm>
#include <cstdint>
#include <queue>
#include <vector>

#include "sim/core/pool.hpp"
#include "sim/core/random.hpp"
#include "sim/core/time.hpp"

namespace slsim::models {

inline constexpr std::uint32_t kNoEnv = 0xffffffffu;

struct Environment {
  std::uint32_t self = kNoEnv;        // its own pool index
  std::uint64_t created_seq = 0;      // creation order (for `newest`)
  SimTime idle_since = 0;
  SimTime expires_at = kTimeNever;    // end of the current keep-alive, while idle
  SimTime expiry_event_at = -1;       // time of its pending expiry event; -1: none
  std::uint64_t idle_stamp = 0;       // bumped each time it becomes idle
  bool busy = false;
  bool provisioned = false;
  bool made_calls = false;            // its handler called out: the targets hear when it ends (a session)
  std::uint32_t prev = kNoEnv;        // idle list links (mru, lru)
  std::uint32_t next = kNoEnv;
  std::uint32_t random_pos = 0;       // position in the idle vector (random)
};

enum class WarmSelection { mru, newest, lru, random };

class IdleSet {
 public:
  IdleSet(WarmSelection policy, Pool<Environment>& envs) : policy_(policy), envs_(envs) {}

  std::size_t size() const { return count_; }
  bool empty() const { return count_ == 0; }

  // `e` has just become idle (its idle_stamp already bumped).
  void insert(Environment& e) {
    ++count_;
    switch (policy_) {
      case WarmSelection::mru:
      case WarmSelection::lru:
        e.prev = tail_;
        e.next = kNoEnv;
        if (tail_ != kNoEnv) env(tail_).next = e.self;
        else head_ = e.self;
        tail_ = e.self;
        break;
      case WarmSelection::random:
        e.random_pos = static_cast<std::uint32_t>(random_.size());
        random_.push_back(e.self);
        break;
      case WarmSelection::newest:
        heap_.push(Entry{e.created_seq, e.self, e.idle_stamp});
        compact_if_needed();
        break;
    }
  }

  // Removes and returns the environment the policy picks. Precondition: !empty().
  std::uint32_t take(Rng& rng) {
    std::uint32_t pick = kNoEnv;
    switch (policy_) {
      case WarmSelection::mru: pick = tail_; break;
      case WarmSelection::lru: pick = head_; break;
      case WarmSelection::random: pick = random_[rng.below(random_.size())]; break;
      case WarmSelection::newest:
        while (!valid(heap_.top())) heap_.pop();
        pick = heap_.top().index;
        break;
    }
    erase(env(pick));
    return pick;
  }

  // Removes an idle environment (it expires, or it was taken).
  void erase(Environment& e) {
    --count_;
    switch (policy_) {
      case WarmSelection::mru:
      case WarmSelection::lru:
        if (e.prev != kNoEnv) env(e.prev).next = e.next;
        else head_ = e.next;
        if (e.next != kNoEnv) env(e.next).prev = e.prev;
        else tail_ = e.prev;
        e.prev = e.next = kNoEnv;
        break;
      case WarmSelection::random: {
        const std::uint32_t last = random_.back();
        random_[e.random_pos] = last;
        env(last).random_pos = e.random_pos;
        random_.pop_back();
        break;
      }
      case WarmSelection::newest:
        // Lazy: its heap entry goes stale (the caller changes busy or frees it).
        if (!heap_.empty() && heap_.top().index == e.self && heap_.top().stamp == e.idle_stamp) heap_.pop();
        break;
    }
  }

 private:
  struct Entry {
    std::uint64_t created_seq;
    std::uint32_t index;
    std::uint64_t stamp;
    bool operator<(const Entry& o) const { return created_seq < o.created_seq; }
  };
  Environment& env(std::uint32_t i) { return envs_.live_at(i); }
  bool valid(const Entry& x) {
    const Environment* e = envs_.at_index(x.index);
    return e != nullptr && !e->busy && e->idle_stamp == x.stamp && e->created_seq == x.created_seq;
  }
  // Stale entries pile up as environments are taken or expire: rebuild when they dominate.
  void compact_if_needed() {
    if (heap_.size() <= 2 * count_ + 64) return;
    std::vector<Entry> live;
    while (!heap_.empty()) {
      if (valid(heap_.top())) live.push_back(heap_.top());
      heap_.pop();
    }
    for (const Entry& x : live) heap_.push(x);
  }

  WarmSelection policy_;
  Pool<Environment>& envs_;
  std::size_t count_ = 0;
  std::uint32_t head_ = kNoEnv;  // least recently idle
  std::uint32_t tail_ = kNoEnv;  // most recently idle
  std::vector<std::uint32_t> random_;
  std::priority_queue<Entry> heap_;
};

}  // namespace slsim::models
