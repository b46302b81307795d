// testing::SeededRng — a deterministic ChaCha20 stream from a 64-bit seed.
//
// NOT PRIVATE. Anyone who knows the seed can reproduce every noise draw and undo it. It exists
// for tests (fixed-seed statistical tests) and for the CLI's loudly named --insecure-seed flag,
// which prints a warning on every use. It lives in namespace `testing` on purpose.
//
// Same ChaCha20 core as SecureRng, so samplers behave identically under both.
// Thread safety: thread-compatible (one thread at a time).
#ifndef DPKIT_RANDOM_SEEDED_RNG_H_
#define DPKIT_RANDOM_SEEDED_RNG_H_

#include <cstdint>
#include <memory>

#include "dpkit/random/bit_generator.h"

namespace dpkit::random {
namespace internal {
class ChaChaStream;
}

namespace testing {

class SeededRng final : public BitGenerator {
 public:
  explicit SeededRng(uint64_t seed);
  ~SeededRng() override;
  SeededRng(SeededRng&&) noexcept;
  SeededRng& operator=(SeededRng&&) noexcept;

  uint64_t NextU64() override;
  void Fill(void* out, size_t n) override;
  bool IsSecure() const override { return false; }

 private:
  std::unique_ptr<internal::ChaChaStream> stream_;
};

}  // namespace testing
}  // namespace dpkit::random

#endif  // DPKIT_RANDOM_SEEDED_RNG_H_
