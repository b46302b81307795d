#include "dpkit/random/secure_rng.h"

#include <pthread.h>
#include <sodium.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "random/chacha_stream.h"

namespace dpkit::random {
namespace {

// Incremented in the child after fork(); a thread's stream re-keys when it sees a new value.
std::atomic<uint64_t> g_fork_generation{0};

void OnForkChild() { g_fork_generation.fetch_add(1, std::memory_order_relaxed); }

void InitOnce() {
  static const bool done = [] {
    if (sodium_init() < 0) std::abort();
    pthread_atfork(nullptr, nullptr, &OnForkChild);
    return true;
  }();
  (void)done;
}

// One thread's stream, in pages of its own marked MADV_WIPEONFORK (Linux >= 4.14): a child
// process made by fork() or by any clone() without CLONE_VM -- including a raw clone system
// call, which runs no pthread_atfork handler -- sees these pages zero-filled, so `live` reads 0
// and the child re-keys from OS entropy before its first draw (it never sees the parent's key
// or unread output either). Where the kernel lacks MADV_WIPEONFORK, every draw compares
// getpid() with the pid that keyed the stream instead (a system call per draw: slower, as safe).
class ThreadState {
 public:
  ThreadState() : generation_(g_fork_generation.load(std::memory_order_relaxed)) {
    const long page = sysconf(_SC_PAGESIZE);
    bytes_ = (sizeof(Page) + static_cast<size_t>(page) - 1) / static_cast<size_t>(page) *
             static_cast<size_t>(page);
    void* mem = mmap(nullptr, bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) std::abort();  // no memory for the generator: refuse to run
    page_ = static_cast<Page*>(mem);
#ifdef MADV_WIPEONFORK
    wiped_on_fork_ = madvise(mem, bytes_, MADV_WIPEONFORK) == 0;
#endif
    Key();
  }
  ~ThreadState() {
    if (page_->live != 0) Stream()->~ChaChaStream();
    munmap(page_, bytes_);
  }
  ThreadState(const ThreadState&) = delete;
  ThreadState& operator=(const ThreadState&) = delete;

  internal::ChaChaStream* Stream() {
    return std::launder(reinterpret_cast<internal::ChaChaStream*>(page_->stream));
  }
  // Re-keys if this is a child process that has not drawn yet.
  void CheckFork() {
    const bool forked = page_->live == 0 ||
                        g_fork_generation.load(std::memory_order_relaxed) != generation_ ||
                        (!wiped_on_fork_ && getpid() != pid_);
    if (forked) [[unlikely]] Key();
  }

 private:
  struct Page {
    uint64_t live;  // 1 once keyed; 0 in the pages a child inherits
    alignas(internal::ChaChaStream) unsigned char stream[sizeof(internal::ChaChaStream)];
  };

  void Key() {
    uint8_t key[internal::ChaChaStream::kKeyBytes];
    randombytes_buf(key, sizeof(key));  // getrandom(2)
    if (page_->live != 0) {
      Stream()->Rekey(key);
    } else {
      new (page_->stream) internal::ChaChaStream(key);
      page_->live = 1;
    }
    sodium_memzero(key, sizeof(key));
    generation_ = g_fork_generation.load(std::memory_order_relaxed);
    pid_ = getpid();
  }

  Page* page_ = nullptr;
  size_t bytes_ = 0;
  bool wiped_on_fork_ = false;
  uint64_t generation_;
  pid_t pid_ = 0;
};

ThreadState& State() {
  thread_local ThreadState state;
  state.CheckFork();
  return state;
}

}  // namespace

SecureRng::SecureRng() { InitOnce(); }

uint64_t SecureRng::NextU64() { return State().Stream()->NextU64(); }

void SecureRng::Fill(void* out, size_t n) { State().Stream()->Fill(out, n); }

}  // namespace dpkit::random
