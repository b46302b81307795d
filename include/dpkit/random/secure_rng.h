// SecureRng: cryptographically secure random bits for every privacy-relevant draw.
//
// Construction: each thread keeps its own ChaCha20 keystream (libsodium crypto_stream_chacha20,
// 256-bit key from getrandom(2) via randombytes_buf). Output is buffered; after each refill the
// first 32 bytes of fresh keystream replace the key and are wiped from the buffer ("fast key
// erasure", Bernstein 2017), so a later memory disclosure does not reveal earlier outputs.
// After fork() the child re-keys from OS entropy before its next draw, so parent and child
// never share a stream.
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
