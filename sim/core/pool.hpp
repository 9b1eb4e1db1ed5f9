#pragma once
// A slot pool with generation-checked handles. Memory is O(live objects):
// freed slots are reused, and a stale handle (its slot freed and perhaps
// reused since) is detected by its generation instead of reading garbage.
#include <cassert>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace slsim {

[[noreturn]] inline void stale_handle_failure() {
  std::fputs("slsim: internal error: a stale or freed pool handle was used (a model bug)\n", stderr);
  std::abort();
}

// A handle packs (generation << 32 | index) into one word so it fits an
// Event's data field. Generation 0 is never issued: handle 0 means "none".
struct Handle {
  std::uint64_t bits = 0;
  std::uint32_t index() const { return static_cast<std::uint32_t>(bits); }
  std::uint32_t generation() const { return static_cast<std::uint32_t>(bits >> 32); }
  bool valid() const { return bits != 0; }
  static Handle make(std::uint32_t index, std::uint32_t generation) {
    return Handle{(std::uint64_t{generation} << 32) | index};
  }
  friend bool operator==(Handle a, Handle b) { return a.bits == b.bits; }
};

template <typename T>
class Pool {
 public:
  template <typename... Args>
  Handle alloc(Args&&... args) {
    std::uint32_t index;
    if (free_head_ != kNone) {
      index = free_head_;
      free_head_ = slots_[index].next_free;
    } else {
      index = static_cast<std::uint32_t>(slots_.size());
      slots_.push_back(Slot{});
    }
    Slot& slot = slots_[index];
    slot.value = T{static_cast<Args&&>(args)...};
    slot.live = true;
    ++live_;
    return Handle::make(index, slot.generation);
  }

  // A slot holding a default-constructed object, to be filled in place (no
  // temporary copy on the hot path); its handle through `out`.
  T& emplace(Handle& out) {
    std::uint32_t index;
    if (free_head_ != kNone) {
      index = free_head_;
      free_head_ = slots_[index].next_free;
    } else {
      index = static_cast<std::uint32_t>(slots_.size());
      slots_.push_back(Slot{});
    }
    Slot& slot = slots_[index];
    slot.value = T{};
    slot.live = true;
    ++live_;
    out = Handle::make(index, slot.generation);
    return slot.value;
  }

  // nullptr when the handle is stale or null.
  T* get(Handle h) {
    if (h.index() >= slots_.size()) return nullptr;
    Slot& slot = slots_[h.index()];
    return (slot.live && slot.generation == h.generation()) ? &slot.value : nullptr;
  }
  const T* get(Handle h) const { return const_cast<Pool*>(this)->get(h); }

  // Precondition: the handle is live. A stale handle is a model bug: stop
  // loudly rather than read a reused slot.
  T& at(Handle h) {
    T* p = get(h);
    if (p == nullptr) [[unlikely]] stale_handle_failure();
    return *p;
  }
  const T& at(Handle h) const { return const_cast<Pool*>(this)->at(h); }

  void free(Handle h) {
    assert(get(h) != nullptr && "double free or stale handle");
    Slot& slot = slots_[h.index()];
    slot.live = false;
    if (++slot.generation == 0) slot.generation = 1;  // never issue generation 0
    slot.next_free = free_head_;
    free_head_ = h.index();
    --live_;
  }

  // Index-based access for intrusive structures kept by the owner (lists of
  // slots): the live object at `index`, or nullptr; and its current handle.
  T* at_index(std::uint32_t index) {
    return index < slots_.size() && slots_[index].live ? &slots_[index].value : nullptr;
  }
  Handle handle_at(std::uint32_t index) const { return Handle::make(index, slots_[index].generation); }
  // Precondition: the slot is live (a model bug otherwise: stop loudly).
  T& live_at(std::uint32_t index) {
    T* p = at_index(index);
    if (p == nullptr) [[unlikely]] stale_handle_failure();
    return *p;
  }

  std::size_t live() const { return live_; }
  std::size_t capacity() const { return slots_.size(); }

  // Visits every live object (end-of-run reporting; not for the hot path).
  template <typename F>
  void for_each_live(F&& f) const {
    for (const Slot& s : slots_)
      if (s.live) f(s.value);
  }

 private:
  static constexpr std::uint32_t kNone = 0xffffffffu;
  struct Slot {
    T value{};
    std::uint32_t generation = 1;
    std::uint32_t next_free = kNone;
    bool live = false;
  };
  std::vector<Slot> slots_;
  std::uint32_t free_head_ = kNone;
  std::size_t live_ = 0;
};

}  // namespace slsim
