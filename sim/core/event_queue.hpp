#pragma once
// Future event sets. Both pop events in (time, scheduling order): time first,
// and equal-time events in the order they were pushed (FIFO).
//
// RadixEventQueue is the engine's queue. It relies on simulation time never
// going back (every time pushed is >= the time of the last pop) and has three
// parts:
//
//   * multi-level radix buckets: keys are cut into 6-bit digits; an event
//     whose time first differs from the reference time `last_` at digit L goes
//     to bucket (L, its digit L). Every event in bucket (L, d) is later than
//     every event in buckets (L, d' < d) and in all lower levels, so the
//     earliest events always sit in the lowest non-empty bucket.
//   * a sorted run: when the run is used up, the lowest non-empty bucket is
//     either sorted into a new run (if it holds at most kSortMax events, or
//     sits at level 0 where all its times are equal) or partitioned one
//     digit down (MSD radix partition) and the search repeats. `last_`
//     becomes the run's last time; an event pushed earlier than that is
//     inserted into the run at its place. Small runs are sorted by counting
//     ranks (no mispredicted branches). If insertions grow the run past
//     kRunMax (a burst landing before a few distant events), the run goes
//     back into buckets relative to its earliest time (spill_run), so a
//     burst never costs O(run length) per event.
//   * block lists: a bucket is a chain of fixed-size blocks drawn from a LIFO
//     free list shared by all buckets, so a partition writes into blocks it
//     has just read (hot in cache). Memory follows the peak number of pending
//     events (about 25 bytes each, plus one partial block per non-empty
//     bucket) and is kept for reuse until the queue is destroyed.
//
// An event moves about log64(spread of pending times / gap between events)
// times before it is sorted: once or twice for a million events pending.
// FIFO among equal times needs no sequence number: equal times always share
// a bucket (which depends only on the time and `last_`, and every move of
// `last_` keeps the other buckets' placement valid), buckets are appended in
// push order, partitions walk them in order, the sort is stable, and an
// insertion into the run goes after the equal times already there. Tests
// check all of it against a binary heap on (time, sequence number).
//
// QuaternaryHeapQueue is the classic alternative, kept for the benchmark and
// as a reference in tests: a heap needs a sequence number for FIFO, which it
// assigns itself.
#include <algorithm>
#include <array>
#include <bit>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "sim/core/event.hpp"

namespace slsim {

class RadixEventQueue {
 public:
  RadixEventQueue() = default;
  RadixEventQueue(const RadixEventQueue&) = delete;
  RadixEventQueue& operator=(const RadixEventQueue&) = delete;
  RadixEventQueue(RadixEventQueue&&) noexcept = default;
  RadixEventQueue& operator=(RadixEventQueue&&) noexcept = default;

  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }

  // Precondition: e.time >= the time of the last pop (time never goes back).
  void push(const Event& e) {
    assert(e.time >= 0);
    assert((head_ == 0 || e.time >= run_[head_ - 1].time) && "time went back");
    if (e.time < last_) {
      insert_into_run(e);
      if (run_.size() - head_ > kRunMax) spill_run();
    } else {
      place(e);
    }
    ++size_;
  }

  // Pops the earliest event into `out` if its time is below `limit`.
  bool pop_before(SimTime limit, Event& out) {
    if (head_ == run_.size()) {
      if (size_ == 0) return false;
      refill();
    }
    if (run_[head_].time >= limit) return false;
    out = run_[head_++];
    --size_;
    return true;
  }

  // The earliest event. Precondition: !empty().
  const Event& top() {
    assert(size_ > 0);
    if (head_ == run_.size()) refill();
    return run_[head_];
  }

  // Precondition: !empty().
  Event pop() {
    assert(size_ > 0);
    if (head_ == run_.size()) refill();
    --size_;
    return run_[head_++];
  }

 private:
  static constexpr int kDigitBits = 6;
  static constexpr int kFanout = 1 << kDigitBits;                     // buckets per level
  static constexpr int kLevels = (64 + kDigitBits - 1) / kDigitBits;  // 11: every int64 time
  static constexpr std::size_t kSortMax = 64;      // a bucket this small is sorted, not partitioned
  static constexpr std::size_t kRankSortMax = 32;   // runs up to this size are sorted by counting ranks
  static constexpr std::size_t kRunMax = 4 * kSortMax;  // pending in the run before it is re-bucketed
  static constexpr std::uint32_t kBlockEvents = 128;  // 3 KiB blocks
  static constexpr std::size_t kBlocksPerChunk = 64;
  static_assert(kFanout == 64, "one 64-bit occupancy word per level");
  static_assert(kSortMax < 128, "sort keys keep the index in 7 bits");
  static_assert(kSortMax <= kBlockEvents, "a bucket small enough to sort fits in one block");

  struct Block {
    Block* next;
    std::uint32_t count;
    Event events[kBlockEvents];
  };
  struct Bucket {
    Block* first = nullptr;
    Block* last = nullptr;
    std::uint32_t size = 0;
  };

  static int level_of(std::uint64_t differing_bits) {
    return (63 - std::countl_zero(differing_bits | 1)) / kDigitBits;
  }
  static unsigned digit(SimTime time, int level) {
    return static_cast<unsigned>(static_cast<std::uint64_t>(time) >> (kDigitBits * level)) & (kFanout - 1);
  }

  void place(const Event& e) {
    const int level = level_of(static_cast<std::uint64_t>(e.time ^ last_));
    const unsigned d = digit(e.time, level);
    append(buckets_[static_cast<std::size_t>(level)][d], e);
    occupied_[static_cast<std::size_t>(level)] |= std::uint64_t{1} << d;
    levels_occupied_ |= 1u << level;
  }

  void append(Bucket& bucket, const Event& e) {
    Block* tail = bucket.last;
    if (tail == nullptr || tail->count == kBlockEvents) {
      Block* block = take_block();
      if (tail == nullptr) {
        bucket.first = block;
      } else {
        tail->next = block;
      }
      bucket.last = tail = block;
    }
    tail->events[tail->count++] = e;
    ++bucket.size;
  }

  Block* take_block() {
    if (free_ == nullptr) {
      chunks_.push_back(std::make_unique<Block[]>(kBlocksPerChunk));
      Block* chunk = chunks_.back().get();
      for (std::size_t i = 0; i < kBlocksPerChunk; ++i) give_block(&chunk[i]);
    }
    Block* block = free_;
    free_ = block->next;
    block->next = nullptr;
    block->count = 0;
    return block;
  }
  void give_block(Block* block) {
    block->next = free_;
    free_ = block;
  }

  // Inserts after every event of the run at or before e.time, shifting the
  // shorter side. Equal times stay FIFO; the common near-future push (no
  // event of the run before it) costs nothing but the search.
  void insert_into_run(const Event& e) {
    const auto first = run_.begin() + static_cast<std::ptrdiff_t>(head_);
    const auto pos =
        std::upper_bound(first, run_.end(), e.time, [](SimTime t, const Event& x) { return t < x.time; });
    if (head_ > 0 && pos - first <= run_.end() - pos) {
      std::move(first, pos, first - 1);
      *(pos - 1) = e;
      --head_;
    } else {
      run_.insert(pos, e);
    }
  }

  // Too many events were pushed into the run (a burst landing before its last
  // time): inserting would grow quadratic, so put the run back into buckets.
  // The reference time drops from L = last_ to P = the run's earliest event.
  // Let m be the highest digit where L and P differ. A bucketed event at
  // level >= m (relative to L) differs from P first at the same digit (at m
  // its digit exceeds L's, which exceeds P's), so it stays; the levels below
  // m are emptied and re-placed after the run's events (an equal time in a
  // bucket was pushed after the run's).
  void spill_run() {
    const SimTime earliest = run_[head_].time;
    assert(earliest < last_ && "an insertion put an event before last_");
    const int highest = level_of(static_cast<std::uint64_t>(last_ ^ earliest));
    drained_.clear();
    for (int level = 0; level < highest; ++level) {
      auto& occupied = occupied_[static_cast<std::size_t>(level)];
      for (; occupied != 0; occupied &= occupied - 1) {
        Bucket& slot = buckets_[static_cast<std::size_t>(level)][static_cast<unsigned>(std::countr_zero(occupied))];
        drained_.push_back(slot);
        slot = Bucket{};
      }
      levels_occupied_ &= ~(1u << level);
    }
    last_ = earliest;
    for (std::size_t i = head_; i < run_.size(); ++i) place(run_[i]);
    run_.clear();
    head_ = 0;
    for (const Bucket& bucket : drained_) place_all(bucket);
  }

  // The run is used up and buckets are not empty: build the next run.
  void refill() {
    assert(size_ > 0);
    run_.clear();
    head_ = 0;
    for (;;) {
      const int level = std::countr_zero(levels_occupied_);
      auto& occupied = occupied_[static_cast<std::size_t>(level)];
      const unsigned d = static_cast<unsigned>(std::countr_zero(occupied));
      occupied &= occupied - 1;
      if (occupied == 0) levels_occupied_ &= ~(1u << level);
      Bucket& slot = buckets_[static_cast<std::size_t>(level)][d];
      const Bucket bucket = slot;
      slot = Bucket{};
      if (level == 0 || bucket.size <= kSortMax) {
        sort_into_run(bucket, level);
        last_ = run_.back().time;
        return;
      }
      // Partition one digit down, relative to the bucket's lower bound (its
      // digits above `level`, digit `level` = d, zeros below). Every other
      // event stays correctly placed relative to it.
      const std::uint64_t below = (std::uint64_t{1} << (kDigitBits * level)) - 1;
      const std::uint64_t this_digit = std::uint64_t{kFanout - 1} << (kDigitBits * level);
      last_ = static_cast<SimTime>((static_cast<std::uint64_t>(last_) & ~(below | this_digit)) |
                                   (std::uint64_t{d} << (kDigitBits * level)));
      place_all(bucket);
    }
  }

  // Calls visit(block) on each block of a detached bucket in order, giving
  // each back to the free list once visited (so the next take_block(),
  // possibly inside visit's successor, reuses a block hot in cache).
  template <class Visit>
  void consume(const Bucket& bucket, Visit visit) {
    for (Block* block = bucket.first; block != nullptr;) {
      visit(*block);
      Block* next = block->next;
      give_block(block);
      block = next;
    }
  }
  void place_all(const Bucket& bucket) {
    consume(bucket, [this](const Block& block) {
      for (std::uint32_t i = 0; i < block.count; ++i) place(block.events[i]);
    });
  }

  // Moves the bucket's events into run_ in (time, push order).
  void sort_into_run(const Bucket& bucket, int level) {
    // All times of bucket (level, d) agree from digit `level` up: sort on the
    // bits below it with the index under them, which keeps equal times in
    // push order.
    const int varying_bits = kDigitBits * level;
    constexpr int kIndexBits = 7;
    if (level == 0 || bucket.size < 2 || varying_bits + kIndexBits > 64) {
      consume(bucket, [this](const Block& block) { run_.insert(run_.end(), block.events, block.events + block.count); });
      // Level 0 holds a single time, already in push order; times past
      // 2^57 ns (4.5 years) leave no room for the index: the general sort.
      if (level != 0 && run_.size() > 1)
        std::stable_sort(run_.begin(), run_.end(), [](const Event& a, const Event& b) { return a.time < b.time; });
      return;
    }
    // At most kSortMax events: they fill part of the bucket's first block.
    assert(bucket.first == bucket.last && bucket.size <= kSortMax);
    const Event* events = bucket.first->events;
    const std::size_t n = bucket.size;
    const std::uint64_t mask = (std::uint64_t{1} << varying_bits) - 1;
    for (std::size_t i = 0; i < n; ++i)
      sort_keys_[i] = ((static_cast<std::uint64_t>(events[i].time) & mask) << kIndexBits) | i;
    run_.resize(n);
    if (n <= kRankSortMax) {
      // Small runs (the usual case): each event's rank is the number of
      // smaller keys. No data-dependent branch, where a comparison sort
      // mispredicts about once per event.
      for (std::size_t i = 0; i < n; ++i) {
        std::size_t rank = 0;
        for (std::size_t j = 0; j < n; ++j) rank += sort_keys_[j] < sort_keys_[i] ? 1 : 0;
        run_[rank] = events[i];
      }
    } else {
      std::sort(sort_keys_.begin(), sort_keys_.begin() + static_cast<std::ptrdiff_t>(n));
      for (std::size_t i = 0; i < n; ++i) run_[i] = events[sort_keys_[i] & ((1u << kIndexBits) - 1)];
    }
    give_block(bucket.first);
  }

  std::array<std::array<Bucket, kFanout>, kLevels> buckets_{};
  std::array<std::uint64_t, kLevels> occupied_{};  // bit d of [L]: bucket (L, d) is non-empty
  std::uint32_t levels_occupied_ = 0;              // bit L: some bucket of level L is non-empty
  std::vector<Event> run_;                          // sorted; run_[head_..] are pending
  std::size_t head_ = 0;
  SimTime last_ = 0;       // run_'s last time; every bucketed event is at or after it
  std::size_t size_ = 0;   // pending events: run and buckets
  std::array<std::uint64_t, kSortMax> sort_keys_{};
  std::vector<Bucket> drained_;  // spill_run()'s list, kept to reuse its memory
  std::vector<std::unique_ptr<Block[]>> chunks_;  // owns every block
  Block* free_ = nullptr;                         // LIFO: the last block given back is hot
};

// A 4-ary min-heap on (time, push order): fewer levels than a binary heap and
// the four children share a cache line or two.
class QuaternaryHeapQueue {
 public:
  bool empty() const { return heap_.empty(); }
  std::size_t size() const { return heap_.size(); }
  const Event& top() const { return heap_.front().event; }

  void push(const Event& e) {
    const Entry entry{e, next_seq_++};
    std::size_t i = heap_.size();
    heap_.push_back(entry);
    while (i > 0) {
      const std::size_t parent = (i - 1) / 4;
      if (!before(entry, heap_[parent])) break;
      heap_[i] = heap_[parent];
      i = parent;
    }
    heap_[i] = entry;
  }

  Event pop() {
    const Event top_event = heap_.front().event;
    const Entry last = heap_.back();
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
        if (before(heap_[c], heap_[best])) best = c;
      if (!before(heap_[best], last)) break;
      heap_[i] = heap_[best];
      i = best;
    }
    heap_[i] = last;
    return top_event;
  }

 private:
  struct Entry {
    Event event;
    std::uint64_t seq;  // push order: the FIFO tie-break
  };
  static bool before(const Entry& a, const Entry& b) {
    return a.event.time < b.event.time || (a.event.time == b.event.time && a.seq < b.seq);
  }
  std::vector<Entry> heap_;
  std::uint64_t next_seq_ = 0;
};

}  // namespace slsim
