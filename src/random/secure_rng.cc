#include "dpkit/random/secure_rng.h"

#include <pthread.h>
#include <sodium.h>

#include <atomic>
#include <cstdlib>
#include <memory>

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

struct ThreadState {
  ThreadState() : generation(g_fork_generation.load(std::memory_order_relaxed)) {
    uint8_t key[internal::ChaChaStream::kKeyBytes];
    randombytes_buf(key, sizeof(key));  // getrandom(2)
    stream = std::make_unique<internal::ChaChaStream>(key);
    sodium_memzero(key, sizeof(key));
  }
  void CheckFork() {
    uint64_t g = g_fork_generation.load(std::memory_order_relaxed);
    if (g != generation) {
      uint8_t key[internal::ChaChaStream::kKeyBytes];
      randombytes_buf(key, sizeof(key));
      stream->Rekey(key);
      sodium_memzero(key, sizeof(key));
      generation = g;
    }
  }
  uint64_t generation;
  std::unique_ptr<internal::ChaChaStream> stream;
};

ThreadState& State() {
  thread_local ThreadState state;
  state.CheckFork();
  return state;
}

}  // namespace

SecureRng::SecureRng() { InitOnce(); }

uint64_t SecureRng::NextU64() { return State().stream->NextU64(); }

void SecureRng::Fill(void* out, size_t n) { State().stream->Fill(out, n); }

}  // namespace dpkit::random
