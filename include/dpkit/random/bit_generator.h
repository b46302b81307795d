// BitGenerator: the source of uniformly random bits that every dpkit sampler takes by reference.
//
// Randomness is always passed in (DESIGN.md). Production code uses dpkit::random::SecureRng
// (ChaCha20 keyed from OS entropy). Tests use dpkit::random::testing::SeededRng, which is
// deterministic and therefore NOT private.
//
// Satisfies std::uniform_random_bit_generator so it can drive std::shuffle etc.
#ifndef DPKIT_RANDOM_BIT_GENERATOR_H_
#define DPKIT_RANDOM_BIT_GENERATOR_H_

#include <cstddef>
#include <cstdint>
#include <limits>

namespace dpkit::random {

class BitGenerator {
 public:
  using result_type = uint64_t;
  virtual ~BitGenerator() = default;

  // 64 uniformly random bits.
  virtual uint64_t NextU64() = 0;
  // Fills `n` bytes at `out` with uniformly random bytes.
  virtual void Fill(void* out, size_t n) = 0;
  // True only for generators whose output is unpredictable (OS-entropy keyed). Mechanisms used
  // from the CLI refuse to release results drawn from a non-secure generator unless the user
  // asked for the insecure, reproducible mode explicitly.
  virtual bool IsSecure() const = 0;

  static constexpr uint64_t min() { return 0; }
  static constexpr uint64_t max() { return std::numeric_limits<uint64_t>::max(); }
  uint64_t operator()() { return NextU64(); }
};

}  // namespace dpkit::random

#endif  // DPKIT_RANDOM_BIT_GENERATOR_H_
