#include "dpkit/pii/operators.h"

#include <sodium.h>

#include <algorithm>
#include <cstring>
#include <set>

#include "absl/strings/str_cat.h"
#include "dpkit/base/status.h"
#include "pii/text_util.h"

namespace dpkit::pii {

using internal::IsAsciiAlnum;
using internal::Trim;

namespace {

void EnsureSodium() {
  static const bool ok = sodium_init() >= 0;
  if (!ok) std::abort();  // no libsodium: never continue with a broken MAC
}

std::string Hex(const uint8_t* data, size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * n);
  for (size_t i = 0; i < n; ++i) {
    out.push_back(kHex[data[i] >> 4]);
    out.push_back(kHex[data[i] & 15]);
  }
  return out;
}

// A deterministic ChaCha20 keystream keyed by 32 bytes: the randomness behind pseudonyms.
// Not for noise (it is a PRF output, reproducible by whoever holds the key).
class KeyedStream final : public random::BitGenerator {
 public:
  explicit KeyedStream(const std::array<uint8_t, 32>& key) : key_(key) {}
  ~KeyedStream() override { sodium_memzero(key_.data(), key_.size()); }
  uint64_t NextU64() override {
    uint64_t v;
    Fill(&v, sizeof(v));
    return v;
  }
  void Fill(void* out, size_t n) override {
    auto* p = static_cast<uint8_t*>(out);
    while (n > 0) {
      if (pos_ == buf_.size()) Refill();
      size_t k = std::min(n, buf_.size() - pos_);
      std::memcpy(p, buf_.data() + pos_, k);
      pos_ += k;
      p += k;
      n -= k;
    }
  }
  bool IsSecure() const override { return false; }

 private:
  void Refill() {
    static const uint8_t kNonce[crypto_stream_chacha20_NONCEBYTES] = {'d', 'p', 'k', 'p', 'i', 'i', 0, 1};
    std::memset(buf_.data(), 0, buf_.size());
    crypto_stream_chacha20_xor_ic(buf_.data(), buf_.data(), buf_.size(), kNonce, block_,
                                  key_.data());
    block_ += buf_.size() / 64;
    pos_ = 0;
  }
  std::array<uint8_t, 32> key_;
  std::array<uint8_t, 256> buf_{};
  size_t pos_ = 256;
  uint64_t block_ = 0;
};

bool IsHexText(std::string_view s) {
  return !s.empty() && s.size() % 2 == 0 &&
         std::all_of(s.begin(), s.end(), [](char c) { return internal::IsHex(c); });
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// PiiKey.

PiiKey::~PiiKey() {
  if (!bytes_.empty()) sodium_memzero(bytes_.data(), bytes_.size());
}

absl::StatusOr<PiiKey> PiiKey::FromBytes(std::string_view bytes, std::string_view source) {
  EnsureSodium();
  const std::string hint =
      "; create a strong key with 'dpkit pii keygen --out <file>' (32 random bytes, hex)";
  std::string_view trimmed = Trim(bytes);
  std::string key;
  if (IsHexText(trimmed) && trimmed.size() >= 64) {
    key.resize(trimmed.size() / 2);
    size_t bin_len = 0;
    if (sodium_hex2bin(reinterpret_cast<unsigned char*>(key.data()), key.size(), trimmed.data(),
                       trimmed.size(), nullptr, &bin_len, nullptr) != 0 ||
        bin_len != key.size()) {
      return absl::InvalidArgumentError(absl::StrCat(std::string(source), ": bad hex key", hint));
    }
  } else {
    key = std::string(bytes);
  }
  if (key.size() < 32) {
    return absl::InvalidArgumentError(absl::StrCat(
        std::string(source), ": key too short (", key.size(),
        " bytes; need at least 32 bytes, or 64 hex digits)", hint));
  }
  std::set<unsigned char> distinct(key.begin(), key.end());
  if (distinct.size() < 16) {
    return absl::InvalidArgumentError(absl::StrCat(
        std::string(source), ": key is weak (only ", distinct.size(),
        " distinct byte values; a random key has about 30 in 32 bytes)", hint));
  }
  return PiiKey(std::move(key));
}

absl::StatusOr<PiiKey> PiiKey::FromFile(const std::string& path, Env* env) {
  if (!env->FileExists(path)) {
    return absl::NotFoundError(absl::StrCat(
        "key file '", path, "' does not exist; create one with 'dpkit pii keygen --out ", path,
        "' and keep it secret (the same key gives the same pseudonyms)"));
  }
  DPKIT_ASSIGN_OR_RETURN(std::string bytes, env->ReadFile(path));
  absl::StatusOr<PiiKey> key = FromBytes(bytes, absl::StrCat("key file '", path, "'"));
  sodium_memzero(bytes.data(), bytes.size());
  return key;
}

PiiKey PiiKey::Generate(random::BitGenerator& rng) {
  EnsureSodium();
  std::string key(32, '\0');
  rng.Fill(key.data(), key.size());
  return PiiKey(std::move(key));
}

std::array<uint8_t, 32> PiiKey::Mac(std::string_view message) const {
  std::array<uint8_t, 32> out;
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, reinterpret_cast<const unsigned char*>(bytes_.data()),
                              bytes_.size());
  crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(message.data()),
                                message.size());
  crypto_auth_hmacsha256_final(&st, out.data());
  sodium_memzero(&st, sizeof(st));
  return out;
}

std::string PiiKey::ToHex() const {
  return Hex(reinterpret_cast<const uint8_t*>(bytes_.data()), bytes_.size());
}

// ---------------------------------------------------------------------------------------------
// Operators.

const char* OperatorKindName(OperatorKind kind) {
  switch (kind) {
    case OperatorKind::kKeep: return "keep";
    case OperatorKind::kDrop: return "drop";
    case OperatorKind::kRedact: return "redact";
    case OperatorKind::kMask: return "mask";
    case OperatorKind::kHash: return "hash";
    case OperatorKind::kPseudonym: return "pseudonym";
    case OperatorKind::kFake: return "fake";
    case OperatorKind::kSpans: return "spans";
  }
  return "keep";
}

absl::StatusOr<OperatorKind> ParseOperatorKind(std::string_view name) {
  std::string n = internal::AsciiLower(Trim(name));
  for (auto k : {OperatorKind::kKeep, OperatorKind::kDrop, OperatorKind::kRedact,
                 OperatorKind::kMask, OperatorKind::kHash, OperatorKind::kPseudonym,
                 OperatorKind::kFake, OperatorKind::kSpans}) {
    if (n == OperatorKindName(k)) return k;
  }
  if (n == "pseudonymize" || n == "pseudonymise") return OperatorKind::kPseudonym;
  if (n == "replace") return OperatorKind::kFake;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown operator '", std::string(name),
                   "'; use one of keep, drop, redact, mask, hash, pseudonym, fake, spans"));
}

absl::Status Operator::Validate() const {
  if (keep_first < 0 || keep_first > 64) {
    return absl::InvalidArgumentError(absl::StrCat("keep_first must be in [0, 64], got ", keep_first));
  }
  if (keep_last < 0 || keep_last > 64) {
    return absl::InvalidArgumentError(absl::StrCat("keep_last must be in [0, 64], got ", keep_last));
  }
  if (hash_length < 16 || hash_length > 64) {
    return absl::InvalidArgumentError(
        absl::StrCat("hash_length must be in [16, 64] hex digits, got ", hash_length));
  }
  if (mask_char == '\0' || static_cast<unsigned char>(mask_char) >= 0x80) {
    return absl::InvalidArgumentError("mask_char must be one ASCII character");
  }
  return absl::OkStatus();
}

std::string Operator::ToString() const {
  switch (kind) {
    case OperatorKind::kRedact:
      return token.empty() ? "redact" : absl::StrCat("redact(token=", token, ")");
    case OperatorKind::kMask:
      return absl::StrCat("mask(keep_first=", keep_first, ", keep_last=", keep_last, ")");
    case OperatorKind::kHash:
      return absl::StrCat("hash(hmac-sha256, ", hash_length, " hex)");
    default:
      return OperatorKindName(kind);
  }
}

std::string NormalizeForKey(EntityType type, std::string_view value) {
  std::string_view v = Trim(value);
  std::string out;
  switch (type) {
    case EntityType::kEmail:
    case EntityType::kUrl:
      return internal::AsciiLower(v);
    case EntityType::kPhone:
    case EntityType::kCreditCard:
    case EntityType::kUsSsn:
    case EntityType::kIban:
      for (char c : v) {
        if (IsAsciiAlnum(c)) out.push_back(internal::ToUpper(c));
      }
      return out;
    case EntityType::kPerson: {
      bool space = false;
      for (char c : v) {
        if (internal::IsSpace(c)) {
          space = true;
          continue;
        }
        if (space && !out.empty()) out.push_back(' ');
        space = false;
        out.push_back(internal::ToLower(c));
      }
      return out;
    }
    default:
      return std::string(v);
  }
}

namespace {

std::string Mask(const Operator& op, std::string_view value) {
  // Letters and digits (a non-ASCII code point counts as one letter) are masked except the
  // first keep_first and the last keep_last of them; separators are kept.
  auto is_word_start = [](unsigned char c) { return IsAsciiAlnum(c) || c >= 0xC0; };
  int total = 0;
  for (unsigned char c : value) total += is_word_start(c);
  std::string out;
  out.reserve(value.size());
  int seen = 0;
  for (size_t i = 0; i < value.size();) {
    unsigned char c = value[i];
    size_t len = 1;
    if (c >= 0x80) internal::DecodeAt(value, i, &len);
    if (!is_word_start(c)) {
      out.append(value.substr(i, len));
    } else {
      bool keep = seen < op.keep_first || seen >= total - op.keep_last;
      ++seen;
      if (keep) {
        out.append(value.substr(i, len));
      } else {
        out.push_back(op.mask_char);
      }
    }
    i += len;
  }
  return out;
}

}  // namespace

absl::StatusOr<std::string> Anonymizer::Apply(const Operator& op, EntityType type,
                                              std::string_view value) const {
  switch (op.kind) {
    case OperatorKind::kKeep:
    case OperatorKind::kSpans:
      return std::string(value);
    case OperatorKind::kDrop:
      return std::string();
    case OperatorKind::kRedact:
      return op.token.empty() ? absl::StrCat("[", EntityTypeName(type), "]") : op.token;
    case OperatorKind::kMask:
      return Mask(op, value);
    case OperatorKind::kHash: {
      if (key_ == nullptr) {
        return absl::FailedPreconditionError(
            "operator 'hash' needs a secret key: pass --key-file (create one with 'dpkit pii "
            "keygen --out <file>')");
      }
      std::array<uint8_t, 32> mac =
          key_->Mac(absl::StrCat("dpkit-pii-hash/v1\x1f", NormalizeForKey(type, value)));
      return Hex(mac.data(), mac.size()).substr(0, op.hash_length);
    }
    case OperatorKind::kPseudonym: {
      if (key_ == nullptr) {
        return absl::FailedPreconditionError(
            "operator 'pseudonym' needs a secret key: pass --key-file (create one with 'dpkit "
            "pii keygen --out <file>')");
      }
      if (Trim(value).empty()) return std::string(value);
      KeyedStream stream(key_->Mac(absl::StrCat("dpkit-pii-pseudonym/v1\x1f", EntityTypeName(type),
                                                "\x1f", NormalizeForKey(type, value))));
      return FakeValue(type, value, stream);
    }
    case OperatorKind::kFake: {
      if (rng_ == nullptr) {
        return absl::FailedPreconditionError("operator 'fake' needs a random generator");
      }
      if (Trim(value).empty()) return std::string(value);
      return FakeValue(type, value, *rng_);
    }
  }
  return std::string(value);
}

absl::StatusOr<std::string> Anonymizer::ReplaceSpans(
    std::string_view text, const std::vector<Span>& spans,
    const std::function<const Operator&(EntityType)>& op_for) const {
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  for (const Span& s : spans) {
    if (s.begin < pos || s.end > text.size() || s.begin > s.end) {
      return absl::InvalidArgumentError(absl::StrCat(
          "spans must be sorted, non-overlapping and inside the text; got [", s.begin, ", ",
          s.end, ") after position ", pos, " in a text of ", text.size(), " bytes"));
    }
    out.append(text.substr(pos, s.begin - pos));
    DPKIT_ASSIGN_OR_RETURN(std::string r, Apply(op_for(s.type), s.type, text.substr(s.begin, s.size())));
    out.append(r);
    pos = s.end;
  }
  out.append(text.substr(pos));
  return out;
}

}  // namespace dpkit::pii
