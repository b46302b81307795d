// Internal: large uninitialised scratch arrays for the engine's passes over a table.
//
// ScratchArray<T> holds n trivially copyable T, NOT initialised (every pass that reads one
// writes it first). Arrays of 8 MiB and more are mapped directly and marked for transparent
// huge pages (up to 512x fewer first-touch page faults, which are costly on virtual machines),
// and recycled: a released mapping is kept (at most kScratchPoolBytes in all, process-wide) and
// handed to the next request it fits, so repeated queries do not pay the kernel's zeroing of
// fresh pages again. Kept mappings are marked MADV_FREE, so under memory pressure the kernel may
// take their pages back (they then come back zeroed, which is harmless: contents are never
// relied on). Thread-safe (the pool is locked); an array itself is not shared across threads
// except for disjoint writes.
#ifndef DPKIT_SRC_ANALYTICS_ENGINE_SCRATCH_H_
#define DPKIT_SRC_ANALYTICS_ENGINE_SCRATCH_H_

#include <cstddef>
#include <type_traits>
#include <utility>

namespace dpkit::analytics::engine {

inline constexpr size_t kScratchPoolBytes = size_t{1} << 30;

// Raw storage behind ScratchArray: at least `bytes` bytes, 64-byte aligned.
class ScratchBytes {
 public:
  ScratchBytes() = default;
  explicit ScratchBytes(size_t bytes);
  ~ScratchBytes() { Reset(); }
  ScratchBytes(ScratchBytes&& o) noexcept { *this = std::move(o); }
  ScratchBytes& operator=(ScratchBytes&& o) noexcept;
  ScratchBytes(const ScratchBytes&) = delete;
  ScratchBytes& operator=(const ScratchBytes&) = delete;
  void Reset();  // releases the storage (to the pool when mapped)
  void* data() const { return data_; }

 private:
  void* data_ = nullptr;
  size_t capacity_ = 0;  // bytes; mapped when > 0
};

template <typename T>
class ScratchArray {
  static_assert(std::is_trivially_copyable_v<T>);

 public:
  ScratchArray() = default;
  explicit ScratchArray(size_t n) : bytes_(n * sizeof(T)), n_(n) {}
  ScratchArray(ScratchArray&&) noexcept = default;
  ScratchArray& operator=(ScratchArray&&) noexcept = default;
  void Reset() {
    bytes_.Reset();
    n_ = 0;
  }
  T* data() const { return static_cast<T*>(bytes_.data()); }
  T& operator[](size_t i) const { return data()[i]; }
  size_t size() const { return n_; }

 private:
  ScratchBytes bytes_;
  size_t n_ = 0;
};

}  // namespace dpkit::analytics::engine

#endif  // DPKIT_SRC_ANALYTICS_ENGINE_SCRATCH_H_
