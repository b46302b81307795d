// SecureRng: cryptographically secure random bits for every privacy-relevant draw.
//
// Construction: each thread keeps its own ChaCha20 keystream (libsodium crypto_stream_chacha20,
// 256-bit key from getrandom(2) via randombytes_buf). Output is buffered; after each refill the
// first 32 bytes of fresh keystream replace the key and are wiped from the buffer ("fast key
// erasure", Bernstein 2017), so a later memory disclosure does not reveal earlier outputs.
// A child process re-keys from OS entropy before its first draw, so parent and child never
// share a stream: each thread's state lives in pages marked MADV_WIPEONFORK, which a child made
// by fork() or by any clone() without CLONE_VM (even a raw clone system call, which skips
// pthread_atfork handlers) inherits zero-filled; the draw path checks a flag in those pages.
// On kernels without MADV_WIPEONFORK (< 4.14) every draw compares getpid() with the pid that
// keyed the stream instead. pthread_atfork re-keying is kept as a second line.
//
// Thread safety: thread-safe. Any number of threads may call the same SecureRng concurrently;
// the state is per thread, so there is no lock on the hot path.
// Throughput: measured in bench/random_bench.cc (goal >= 1 GB/s on one core).
#ifndef DPKIT_RANDOM_SECURE_RNG_H_
#define DPKIT_RANDOM_SECURE_RNG_H_

#include "dpkit/random/bit_generator.h"

namespace dpkit::random {

class SecureRng final : public BitGenerator {
 public:
  // Aborts the process if libsodium cannot be initialised (no OS entropy): dpkit never falls
  // back to a weak generator.
  SecureRng();

  uint64_t NextU64() override;
  void Fill(void* out, size_t n) override;
  bool IsSecure() const override { return true; }
};

}  // namespace dpkit::random

#endif  // DPKIT_RANDOM_SECURE_RNG_H_
