#include "random/chacha_stream.h"

#include <sodium.h>

#include <algorithm>
#include <cstdlib>

namespace dpkit::random::internal {
namespace {
// Nonce 0 generates the output buffer, nonce 1 bulk output, nonce 2 the next key. Each key
// is used for at most one of each, then replaced.
constexpr uint8_t kNonceBuffer[crypto_stream_chacha20_NONCEBYTES] = {0};
constexpr uint8_t kNonceBulk[crypto_stream_chacha20_NONCEBYTES] = {1};
constexpr uint8_t kNonceKey[crypto_stream_chacha20_NONCEBYTES] = {2};
static_assert(crypto_stream_chacha20_KEYBYTES == ChaChaStream::kKeyBytes);

void EnsureSodium() {
  static const bool ok = sodium_init() >= 0;
  if (!ok) {
    // No entropy source: refuse to run rather than produce predictable noise.
    std::abort();
  }
}
}  // namespace

ChaChaStream::ChaChaStream(const uint8_t key[kKeyBytes]) {
  EnsureSodium();
  Rekey(key);
}

ChaChaStream::~ChaChaStream() {
  sodium_memzero(key_, sizeof(key_));
  sodium_memzero(buffer_, sizeof(buffer_));
}

void ChaChaStream::Rekey(const uint8_t key[kKeyBytes]) {
  std::memcpy(key_, key, kKeyBytes);
  Refill();
}

void ChaChaStream::Refill() {
  crypto_stream_chacha20(buffer_, kBufferBytes, kNonceBuffer, key_);
  // Fast key erasure: the first 32 bytes become the next key and are never output.
  std::memcpy(key_, buffer_, kKeyBytes);
  sodium_memzero(buffer_, kKeyBytes);
  pos_ = kKeyBytes;
}

void ChaChaStream::Fill(void* out, size_t n) {
  uint8_t* dst = static_cast<uint8_t*>(out);
  size_t take = std::min(n, kBufferBytes - pos_);
  std::memcpy(dst, buffer_ + pos_, take);
  pos_ += take;
  dst += take;
  n -= take;
  if (n == 0) return;
  if (n >= kBufferBytes / 2) {
    // Large request: generate straight into the caller's memory, then re-key.
    crypto_stream_chacha20(dst, n, kNonceBulk, key_);
    uint8_t next_key[kKeyBytes];
    crypto_stream_chacha20(next_key, kKeyBytes, kNonceKey, key_);
    std::memcpy(key_, next_key, kKeyBytes);
    sodium_memzero(next_key, kKeyBytes);
    Refill();
    return;
  }
  Refill();
  std::memcpy(dst, buffer_ + pos_, n);
  pos_ += n;
}

}  // namespace dpkit::random::internal
