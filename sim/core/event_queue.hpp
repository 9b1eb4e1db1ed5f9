#pragma once
// Future event sets. Both order events by (time, seq): time first, then the
// order in which they were scheduled, so equal-time events run FIFO.
//
// RadixEventQueue is the engine's queue. It is a radix heap over the 128-bit
// key (time, seq): valid because simulation time never goes back and seq only
// grows, so every key pushed is larger than the last key popped. Each event
// moves between buckets O(log key range) times in the worst case, usually one
// or two, and pops never compare more than one bucket's contents.
// QuaternaryHeapQueue is the classic alternative, kept for the benchmark.
#include <algorithm>
#include <array>
#include <bit>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "sim/core/event.hpp"

namespace slsim {

inline bool event_before(const Event& a, const Event& b) {
  return a.time < b.time || (a.time == b.time && a.seq < b.seq);
}

class RadixEventQueue {
 public:
  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }

  // Precondition: (e.time, e.seq) is greater than the key of the last pop.
  void push(const Event& e) {
    assert(!(event_before(e, Event{last_time_, last_seq_, 0, 0, 0, 0})) && "time went back");
    place(e);
    ++size_;
  }

  // The earliest event. Precondition: !empty().
  const Event& top() {
    if (buckets_[0].empty()) refill();
    return buckets_[0].back();
  }

  Event pop() {
    if (buckets_[0].empty()) refill();
    Event e = buckets_[0].back();
    buckets_[0].pop_back();
    if (buckets_[0].empty()) mark_empty(0);
    --size_;
    return e;
  }

 private:
  static constexpr int kBuckets = 129;  // 0: equal to last; 1..64: seq differs; 65..128: time differs

  int bucket_of(const Event& e) const {
    const auto time_diff = static_cast<std::uint64_t>(e.time) ^ static_cast<std::uint64_t>(last_time_);
    if (time_diff != 0) return 64 + std::bit_width(time_diff);
    return std::bit_width(e.seq ^ last_seq_);
  }
  void place(const Event& e) {
    const int b = bucket_of(e);
    buckets_[static_cast<std::size_t>(b)].push_back(e);
    nonempty_[static_cast<std::size_t>(b) >> 6] |= std::uint64_t{1} << (b & 63);
  }
  void mark_empty(int b) { nonempty_[static_cast<std::size_t>(b) >> 6] &= ~(std::uint64_t{1} << (b & 63)); }

  // Moves the smallest non-empty bucket down: its minimum becomes the new
  // "last" key and lands alone in bucket 0; the others land in lower buckets.
  void refill() {
    int b = -1;
    for (std::size_t w = 0; w < nonempty_.size(); ++w) {
      if (nonempty_[w] != 0) {
        b = static_cast<int>(w * 64) + std::countr_zero(nonempty_[w]);
        break;
      }
    }
    assert(b > 0 && "pop from an empty queue");
    auto& bucket = buckets_[static_cast<std::size_t>(b)];
    const Event* min = &bucket[0];
    for (const Event& e : bucket)
      if (event_before(e, *min)) min = &e;
    last_time_ = min->time;
    last_seq_ = min->seq;
    mark_empty(b);
    scratch_.swap(bucket);
    for (const Event& e : scratch_) place(e);
    scratch_.clear();
  }

  std::array<std::vector<Event>, kBuckets> buckets_{};
  std::array<std::uint64_t, 3> nonempty_{};
  std::vector<Event> scratch_;
  SimTime last_time_ = 0;
  std::uint64_t last_seq_ = 0;
  std::size_t size_ = 0;
};

// A 4-ary min-heap on (time, seq): fewer levels than a binary heap and the
// four children share a cache line or two.
class QuaternaryHeapQueue {
 public:
  bool empty() const { return heap_.empty(); }
  std::size_t size() const { return heap_.size(); }
  const Event& top() const { return heap_.front(); }

  void push(const Event& e) {
    std::size_t i = heap_.size();
    heap_.push_back(e);
    while (i > 0) {
      const std::size_t parent = (i - 1) / 4;
      if (!event_before(e, heap_[parent])) break;
      heap_[i] = heap_[parent];
      i = parent;
    }
    heap_[i] = e;
  }

  Event pop() {
    Event top_event = heap_.front();
    const Event last = heap_.back();
    heap_.pop_back();
    const std::size_t n = heap_.size();
    if (n == 0) return top_event;
    std::size_t i = 0;
    for (;;) {
      const std::size_t first = 4 * i + 1;
      if (first >= n) break;
      std::size_t best = first;
      const std::size_t end = std::min(first + 4, n);
      for (std::size_t c = first + 1; c < end; ++c)
        if (event_before(heap_[c], heap_[best])) best = c;
      if (!event_before(heap_[best], last)) break;
      heap_[i] = heap_[best];
      i = best;
    }
    heap_[i] = last;
    return top_event;
  }

 private:
  std::vector<Event> heap_;
};

}  // namespace slsim
