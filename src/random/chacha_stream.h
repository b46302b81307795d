// Internal: a buffered ChaCha20 keystream with fast key erasure. Thread-compatible.
#ifndef DPKIT_SRC_RANDOM_CHACHA_STREAM_H_
#define DPKIT_SRC_RANDOM_CHACHA_STREAM_H_

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace dpkit::random::internal {

class ChaChaStream {
 public:
  static constexpr size_t kKeyBytes = 32;
  static constexpr size_t kBufferBytes = 8192;

  // `key` must be 32 bytes of secret (or, for the testing engine, seed-derived) key material.
  explicit ChaChaStream(const uint8_t key[kKeyBytes]);
  ~ChaChaStream();
  ChaChaStream(const ChaChaStream&) = delete;
  ChaChaStream& operator=(const ChaChaStream&) = delete;

  inline uint64_t NextU64() {
    if (pos_ + sizeof(uint64_t) > kBufferBytes) Refill();
    uint64_t v;
    std::memcpy(&v, buffer_ + pos_, sizeof(v));
    pos_ += sizeof(v);
    return v;
  }
  void Fill(void* out, size_t n);
  // Replaces the key (used after fork()).
  void Rekey(const uint8_t key[kKeyBytes]);

 private:
  void Refill();

  alignas(64) uint8_t buffer_[kBufferBytes];
  uint8_t key_[kKeyBytes];
  size_t pos_;
};

}  // namespace dpkit::random::internal

#endif  // DPKIT_SRC_RANDOM_CHACHA_STREAM_H_
