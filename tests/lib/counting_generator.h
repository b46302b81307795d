// A BitGenerator wrapper that counts the 64-bit words drawn through it: a deterministic measure
// of a sampler's work, for tests that the work does not depend on secret inputs.
#ifndef DPKIT_TESTS_LIB_COUNTING_GENERATOR_H_
#define DPKIT_TESTS_LIB_COUNTING_GENERATOR_H_

#include <cstddef>
#include <cstdint>

#include "dpkit/random/bit_generator.h"

namespace dpkit::test {

class CountingGenerator : public random::BitGenerator {
 public:
  explicit CountingGenerator(random::BitGenerator& base) : base_(base) {}
  uint64_t NextU64() override {
    ++count_;
    return base_.NextU64();
  }
  // Counts whole words (a partial word counts as one).
  void Fill(void* out, size_t n) override {
    count_ += static_cast<int64_t>((n + 7) / 8);
    base_.Fill(out, n);
  }
  bool IsSecure() const override { return base_.IsSecure(); }
  int64_t count() const { return count_; }
  void Reset() { count_ = 0; }

 private:
  random::BitGenerator& base_;
  int64_t count_ = 0;
};

}  // namespace dpkit::test

#endif  // DPKIT_TESTS_LIB_COUNTING_GENERATOR_H_
