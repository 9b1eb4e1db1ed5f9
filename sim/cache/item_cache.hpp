#pragma once
// One cache model for every cache in a scenario (a DAX item or query cache, an
// ElastiCache cluster, an API Gateway stage cache): either a configured hit
// ratio, or hits that emerge from the request keys in an item cache of at most
// `capacity_items` entries with least-recently-used eviction and a time to
// live set when an item is loaded (a write through the cache reloads it).
//
// Every operation is O(1) expected; memory grows with the distinct keys held,
// never beyond `capacity_items` entries (plus a bucket array of at most twice
// that). Deterministic: no iteration order of a standard container is ever
// observed, and the configured mode draws from the stream it is given.
#include <cstdint>
#include <vector>

#include "sim/core/random.hpp"
#include "sim/core/time.hpp"

namespace slsim {

class Json;

struct CacheConfig {
  // In [0, 1]: every lookup hits with this probability (one draw per lookup)
  // and the keys are ignored. Negative: hits emerge from the keys.
  double hit_ratio = -1;
  std::uint64_t capacity_items = 0;  // emergent mode: most items held; 0 holds nothing
  SimTime ttl = 0;                   // emergent mode: an item expires this long after it is loaded; 0 never
};

class ItemCache {
 public:
  ItemCache(const CacheConfig& config, Rng rng);

  bool emergent() const { return config_.hit_ratio < 0; }
  const CacheConfig& config() const { return config_; }

  // A read of `key` at `now`: true on a hit (counted as a hit, the item
  // becomes the most recently used), false on a miss (counted). An expired
  // item is a miss; it stays until it is reloaded or evicted.
  bool lookup(std::uint64_t key, SimTime now);
  // Loads `key` (a miss filled from the backend, or a write through the
  // cache): it expires at now + ttl and becomes the most recently used; when
  // the cache is full the least recently used item is evicted first.
  // Configured mode: nothing to do.
  void fill(std::uint64_t key, SimTime now);
  // Removes `key` if held (an invalidation). Configured mode: nothing to do.
  void erase(std::uint64_t key);

  std::uint64_t hits() const { return hits_; }
  std::uint64_t misses() const { return misses_; }
  std::uint64_t evictions() const { return evictions_; }
  std::uint64_t size() const { return live_; }  // items held, expired ones included
  // Forget the counts (end of warm-up); the items stay.
  void reset_statistics() { hits_ = misses_ = evictions_ = 0; }
  // {hits, misses, hit_ratio}: hit_ratio is null before any lookup.
  void report(Json& out) const;

 private:
  static constexpr std::uint32_t kNil = 0xffffffffu;
  struct Node {
    std::uint64_t key = 0;
    SimTime expires = 0;            // kNever when ttl is 0
    std::uint32_t prev = kNil;      // towards the most recently used
    std::uint32_t next = kNil;      // towards the least recently used
    std::uint32_t chain = kNil;     // next node in the same hash bucket
  };
  static constexpr SimTime kNever = INT64_MAX;

  std::uint32_t find(std::uint64_t key) const;
  std::uint32_t bucket_of(std::uint64_t key) const;
  void unlink(std::uint32_t i);
  void push_front(std::uint32_t i);
  void unchain(std::uint32_t i);
  void chain(std::uint32_t i);
  void grow_buckets();

  CacheConfig config_;
  Rng rng_;
  std::vector<Node> nodes_;            // at most capacity_items
  std::vector<std::uint32_t> buckets_; // power of two, >= nodes_.size()
  std::uint32_t free_ = kNil;          // erased nodes, linked by `next`
  std::uint32_t head_ = kNil;          // most recently used
  std::uint32_t tail_ = kNil;          // least recently used
  std::uint64_t live_ = 0;
  std::uint64_t hits_ = 0, misses_ = 0, evictions_ = 0;
};

}  // namespace slsim
