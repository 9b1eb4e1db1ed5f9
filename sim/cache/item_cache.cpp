#include "sim/cache/item_cache.hpp"

#include <algorithm>

#include "sim/report/json.hpp"

namespace slsim {

namespace {
// The cache's key hash: the SplitMix64 finaliser (keys are popularity ranks,
// so neighbouring keys must land in unrelated buckets).
std::uint64_t hash_key(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}
constexpr std::size_t kInitialBuckets = 64;
}  // namespace

ItemCache::ItemCache(const CacheConfig& config, Rng rng) : config_(config), rng_(rng) {
  if (emergent() && config_.capacity_items > 0) buckets_.assign(kInitialBuckets, kNil);
}

std::uint32_t ItemCache::bucket_of(std::uint64_t key) const {
  return static_cast<std::uint32_t>(hash_key(key) & (buckets_.size() - 1));
}

std::uint32_t ItemCache::find(std::uint64_t key) const {
  if (buckets_.empty()) return kNil;
  for (std::uint32_t i = buckets_[bucket_of(key)]; i != kNil; i = nodes_[i].chain)
    if (nodes_[i].key == key) return i;
  return kNil;
}

void ItemCache::unlink(std::uint32_t i) {
  Node& n = nodes_[i];
  if (n.prev != kNil) nodes_[n.prev].next = n.next;
  else head_ = n.next;
  if (n.next != kNil) nodes_[n.next].prev = n.prev;
  else tail_ = n.prev;
  n.prev = n.next = kNil;
}

void ItemCache::push_front(std::uint32_t i) {
  Node& n = nodes_[i];
  n.prev = kNil;
  n.next = head_;
  if (head_ != kNil) nodes_[head_].prev = i;
  head_ = i;
  if (tail_ == kNil) tail_ = i;
}

void ItemCache::chain(std::uint32_t i) {
  std::uint32_t& head = buckets_[bucket_of(nodes_[i].key)];
  nodes_[i].chain = head;
  head = i;
}

void ItemCache::unchain(std::uint32_t i) {
  std::uint32_t* link = &buckets_[bucket_of(nodes_[i].key)];
  while (*link != i) link = &nodes_[*link].chain;
  *link = nodes_[i].chain;
  nodes_[i].chain = kNil;
}

void ItemCache::grow_buckets() {
  buckets_.assign(buckets_.size() * 2, kNil);
  for (std::uint32_t i = 0; i < nodes_.size(); ++i)
    if (nodes_[i].expires >= 0) chain(i);  // erased nodes (expires < 0) are on the free list only
}

bool ItemCache::lookup(std::uint64_t key, SimTime now) {
  if (!emergent()) {
    const bool hit = rng_.bernoulli(config_.hit_ratio);
    ++(hit ? hits_ : misses_);
    return hit;
  }
  const std::uint32_t i = find(key);
  if (i == kNil || nodes_[i].expires <= now) {
    ++misses_;
    return false;
  }
  ++hits_;
  if (head_ != i) {
    unlink(i);
    push_front(i);
  }
  return true;
}

void ItemCache::fill(std::uint64_t key, SimTime now) {
  if (!emergent() || config_.capacity_items == 0) return;
  const SimTime expires = config_.ttl > 0 && now <= kNever - config_.ttl ? now + config_.ttl : kNever;
  std::uint32_t i = find(key);
  if (i != kNil) {
    nodes_[i].expires = expires;
    if (head_ != i) {
      unlink(i);
      push_front(i);
    }
    return;
  }
  if (live_ >= config_.capacity_items) {
    // Full: the least recently used item makes room.
    i = tail_;
    unlink(i);
    unchain(i);
    ++evictions_;
  } else if (free_ != kNil) {
    i = free_;
    free_ = nodes_[i].next;
    ++live_;
  } else {
    if (nodes_.size() >= buckets_.size()) grow_buckets();
    i = static_cast<std::uint32_t>(nodes_.size());
    nodes_.emplace_back();
    ++live_;
  }
  nodes_[i].key = key;
  nodes_[i].expires = expires;
  chain(i);
  push_front(i);
}

void ItemCache::erase(std::uint64_t key) {
  if (!emergent()) return;
  const std::uint32_t i = find(key);
  if (i == kNil) return;
  unlink(i);
  unchain(i);
  nodes_[i].expires = -1;
  nodes_[i].next = free_;
  free_ = i;
  --live_;
}

void ItemCache::report(Json& out) const {
  out["hits"] = hits_;
  out["misses"] = misses_;
  const std::uint64_t lookups = hits_ + misses_;
  out["hit_ratio"] = lookups > 0 ? Json(static_cast<double>(hits_) / static_cast<double>(lookups)) : Json(nullptr);
}

}  // namespace slsim
