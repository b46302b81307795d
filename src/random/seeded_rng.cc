#include "dpkit/random/seeded_rng.h"

#include <sodium.h>

#include "random/chacha_stream.h"

namespace dpkit::random::testing {

SeededRng::SeededRng(uint64_t seed) {
  uint8_t seed_bytes[8];
  for (int i = 0; i < 8; ++i) seed_bytes[i] = static_cast<uint8_t>(seed >> (8 * i));
  uint8_t key[internal::ChaChaStream::kKeyBytes];
  static const char kDomain[] = "dpkit-insecure-seeded-rng-v1";
  crypto_generichash(key, sizeof(key), seed_bytes, sizeof(seed_bytes),
                     reinterpret_cast<const unsigned char*>(kDomain), sizeof(kDomain) - 1);
  stream_ = std::make_unique<internal::ChaChaStream>(key);
}

SeededRng::~SeededRng() = default;
SeededRng::SeededRng(SeededRng&&) noexcept = default;
SeededRng& SeededRng::operator=(SeededRng&&) noexcept = default;

uint64_t SeededRng::NextU64() { return stream_->NextU64(); }
void SeededRng::Fill(void* out, size_t n) { stream_->Fill(out, n); }

}  // namespace dpkit::random::testing
