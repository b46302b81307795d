// Internal: a per-call pool of random bits drawn from a BitGenerator.
//
// Words are fetched from the generator kWords at a time (one virtual call); single bits are
// peeled off one word. Every bit handed out is a fresh uniformly random bit, used once, so
// exactness is unaffected. The work per word is fixed: no branch depends on the bits' values.
#ifndef DPKIT_SRC_RANDOM_BIT_POOL_H_
#define DPKIT_SRC_RANDOM_BIT_POOL_H_

#include <cstddef>
#include <cstdint>

#include "dpkit/random/bit_generator.h"

namespace dpkit::random::internal {

class BitPool {
 public:
  using uint128 = unsigned __int128;
  // `words_per_fill` (1..kMaxWords) words are fetched per generator call: few for a single
  // sample (unused words are discarded with the pool), many for a batch.
  explicit BitPool(BitGenerator& gen, int words_per_fill = 8)
      : gen_(gen), words_per_fill_(words_per_fill), idx_(words_per_fill) {}
  BitPool(const BitPool&) = delete;
  BitPool& operator=(const BitPool&) = delete;

  uint64_t Next64() {
    if (idx_ == words_per_fill_) {
      gen_.Fill(words_, sizeof(uint64_t) * static_cast<size_t>(words_per_fill_));
      idx_ = 0;
    }
    return words_[idx_++];
  }
  uint128 Next128() {
    const uint64_t hi = Next64();
    return (static_cast<uint128>(hi) << 64) | Next64();
  }
  // 96 fresh random bits, as the high bits of a 128-bit value (the low 32 bits are zero).
  uint128 Next96() {
    const uint64_t hi = Next64();
    return (static_cast<uint128>(hi) << 64) | (static_cast<uint128>(Bits(32)) << 32);
  }
  // One fresh random bit (0 or 1).
  uint64_t Bit() {
    if (bits_left_ == 0) {
      bits_ = Next64();
      bits_left_ = 64;
    }
    const uint64_t b = bits_ & 1;
    bits_ >>= 1;
    --bits_left_;
    return b;
  }
  // k in [1, 32] fresh bits.
  uint32_t Bits(int k) {
    if (bits_left_ < k) {
      bits_ = Next64();
      bits_left_ = 64;
    }
    const uint32_t v = static_cast<uint32_t>(bits_ & ((uint64_t{1} << k) - 1));
    bits_ >>= k;
    bits_left_ -= k;
    return v;
  }

 public:
  static constexpr int kMaxWords = 32;

 private:
  BitGenerator& gen_;
  const int words_per_fill_;
  uint64_t words_[kMaxWords];
  int idx_;
  uint64_t bits_ = 0;
  int bits_left_ = 0;
};

}  // namespace dpkit::random::internal

#endif  // DPKIT_SRC_RANDOM_BIT_POOL_H_
