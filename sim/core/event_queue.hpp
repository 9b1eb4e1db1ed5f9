#pragma once
// Future event sets. Both order events by (time, seq): time first, then the
// order in which they were scheduled, so equal-time events run FIFO.
//
// RadixEventQueue is the engine's queue: a radix heap keyed on time alone,
// valid because simulation time never goes back (every time pushed is >= the
// last time popped). Bucket k > 0 holds events whose time first differs from
// the last popped time at bit k-1; bucket 0 holds events AT the last popped
// time, in push order. FIFO among equal times needs no comparison of `seq`:
// equal times always share a bucket (the bucket depends only on the time and
// the last popped time), buckets are appended in push order, and
// redistribution walks a bucket in order, so it is stable. Pushes and
// redistribution are sequential appends and scans, which is what keeps the
// queue fast when it holds millions of events. Each event moves down at most
// 64 times, in practice about log2(pending) times when times are spread out,
// and not at all when they tie.
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

  // Precondition: e.time >= the time of the last pop (time never goes back).
  void push(const Event& e) {
    assert(e.time >= last_ && "time went back");
    assert(e.time >= 0);
    place(e);
    ++size_;
  }

  // Pops the earliest event into `out` if its time is below `limit`.
  bool pop_before(SimTime limit, Event& out) {
    if (size_ == 0) return false;
    if (head_ == buckets_[0].size()) refill();
    // After a refill, bucket 0 holds the events at the new earliest time.
    if (last_ >= limit) return false;
    out = buckets_[0][head_++];
    --size_;
    return true;
  }

  // The earliest event. Precondition: !empty().
  const Event& top() {
    if (head_ == buckets_[0].size()) refill();
    return buckets_[0][head_];
  }

  Event pop() {
    if (head_ == buckets_[0].size()) refill();
    --size_;
    return buckets_[0][head_++];
  }

 private:
  // Times are non-negative int64, so they differ at bit 62 at most: buckets 0..63.
  static constexpr int kBuckets = 64;  // 0: at the last time; k: first differs at bit k-1

  static int bucket_of(SimTime time, SimTime last) {
    return std::bit_width(static_cast<std::uint64_t>(time) ^ static_cast<std::uint64_t>(last));
  }
  void place(const Event& e) {
    const int b = bucket_of(e.time, last_);
    buckets_[static_cast<std::size_t>(b)].push_back(e);
    nonempty_ |= std::uint64_t{1} << b;  // bit 0 (bucket 0) is never searched
  }

  // Bucket 0 is drained: move the lowest non-empty bucket down. Its earliest
  // time becomes the new "last"; its events land in lower buckets, the
  // earliest ones in bucket 0, all in their original order.
  void refill() {
    buckets_[0].clear();
    head_ = 0;
    const std::uint64_t mask = nonempty_ & ~std::uint64_t{1};
    assert(mask != 0 && "pop from an empty queue");
    const int b = std::countr_zero(mask);
    auto& bucket = buckets_[static_cast<std::size_t>(b)];
    SimTime min = bucket[0].time;
    for (const Event& e : bucket) min = std::min(min, e.time);
    last_ = min;
    nonempty_ &= ~(std::uint64_t{1} << b);
    for (const Event& e : bucket) place(e);
    bucket.clear();
    // A burst can leave a huge buffer behind: give it back when it is mostly idle.
    if (bucket.capacity() > 65536 && bucket.capacity() > 4 * size_) bucket.shrink_to_fit();
  }

  std::array<std::vector<Event>, kBuckets> buckets_{};
  std::size_t head_ = 0;          // next event of bucket 0
  std::uint64_t nonempty_ = 0;    // bit k: bucket k (1..63) is non-empty
  SimTime last_ = 0;
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
