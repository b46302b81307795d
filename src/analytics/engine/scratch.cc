#include "analytics/engine/scratch.h"

#include <mutex>
#include <new>
#include <vector>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace dpkit::analytics::engine {
namespace {

constexpr size_t kMapThreshold = size_t{8} << 20;
constexpr size_t kHugePage = size_t{2} << 20;
constexpr std::align_val_t kAlign{64};

// Released mappings kept for reuse.
struct Pool {
  std::mutex mu;
  std::vector<std::pair<void*, size_t>> free;  // (address, bytes)
  size_t bytes = 0;
};

Pool& ThePool() {
  static Pool* pool = new Pool;  // never destroyed: ScratchArrays may outlive static destruction
  return *pool;
}

}  // namespace

ScratchBytes::ScratchBytes(size_t bytes) {
  if (bytes == 0) return;
#if defined(__linux__)
  if (bytes >= kMapThreshold) {
    const size_t want = (bytes + kHugePage - 1) / kHugePage * kHugePage;
    Pool& pool = ThePool();
    {
      // The smallest kept mapping that fits and wastes at most half of itself.
      std::lock_guard<std::mutex> lock(pool.mu);
      size_t best = pool.free.size();
      for (size_t i = 0; i < pool.free.size(); ++i) {
        const size_t have = pool.free[i].second;
        if (have >= want && have / 2 <= want &&
            (best == pool.free.size() || have < pool.free[best].second)) {
          best = i;
        }
      }
      if (best < pool.free.size()) {
        data_ = pool.free[best].first;
        capacity_ = pool.free[best].second;
        pool.bytes -= capacity_;
        pool.free.erase(pool.free.begin() + static_cast<std::ptrdiff_t>(best));
        return;
      }
    }
    void* p = ::mmap(nullptr, want, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p != MAP_FAILED) {
      ::madvise(p, want, MADV_HUGEPAGE);  // advice only: failure is harmless
      data_ = p;
      capacity_ = want;
      return;
    }
  }
#endif
  data_ = ::operator new(bytes, kAlign);
}

ScratchBytes& ScratchBytes::operator=(ScratchBytes&& o) noexcept {
  if (this != &o) {
    Reset();
    data_ = std::exchange(o.data_, nullptr);
    capacity_ = std::exchange(o.capacity_, 0);
  }
  return *this;
}

void ScratchBytes::Reset() {
  if (data_ == nullptr) return;
  void* p = std::exchange(data_, nullptr);
  const size_t capacity = std::exchange(capacity_, 0);
  if (capacity == 0) {
    ::operator delete(p, kAlign);
    return;
  }
#if defined(__linux__)
  // Before it is shared: the kernel may reclaim the pages under pressure from now on.
  ::madvise(p, capacity, MADV_FREE);
  Pool& pool = ThePool();
  {
    std::lock_guard<std::mutex> lock(pool.mu);
    if (pool.bytes + capacity <= kScratchPoolBytes) {
      pool.free.emplace_back(p, capacity);
      pool.bytes += capacity;
      return;
    }
  }
  ::munmap(p, capacity);
#endif
}

}  // namespace dpkit::analytics::engine
