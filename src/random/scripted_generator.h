// Test helper (random module's unit tests): a BitGenerator that returns scripted 64-bit words,
// then `rest` forever -- or, if `then` is given, that generator's words. Drives comparisons
// onto chosen random bits (ties with table entries, ambiguous fixed-point comparisons).
#ifndef DPKIT_SRC_RANDOM_SCRIPTED_GENERATOR_H_
#define DPKIT_SRC_RANDOM_SCRIPTED_GENERATOR_H_

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "dpkit/random/bit_generator.h"

namespace dpkit::random::internal {

class ScriptedGenerator : public BitGenerator {
 public:
  explicit ScriptedGenerator(std::vector<uint64_t> words, uint64_t rest = 0,
                             BitGenerator* then = nullptr)
      : words_(std::move(words)), rest_(rest), then_(then) {}
  uint64_t NextU64() override {
    if (i_ < words_.size()) return words_[i_++];
    return then_ != nullptr ? then_->NextU64() : rest_;
  }
  void Fill(void* out, size_t n) override {
    auto* w = static_cast<uint64_t*>(out);
    for (size_t k = 0; k < n / 8; ++k) w[k] = NextU64();
  }
  bool IsSecure() const override { return false; }

 private:
  std::vector<uint64_t> words_;
  uint64_t rest_;
  BitGenerator* then_;
  size_t i_ = 0;
};

}  // namespace dpkit::random::internal

#endif  // DPKIT_SRC_RANDOM_SCRIPTED_GENERATOR_H_
