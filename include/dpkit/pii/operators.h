// Replacement operators for detected PII: drop, redact, mask, keyed hash, consistent pseudonyms
// and random realistic fakes.
//
// Keys: PiiKey holds a secret of >= 32 bytes read from a file (hex text or raw bytes). Keyed
// hashes are HMAC-SHA256 (RFC 2104, FIPS 198-1) via libsodium's crypto_auth_hmacsha256.
// Pseudonyms are realistic fakes drawn from a ChaCha20 stream keyed by
// HMAC-SHA256(key, "pseudonym" | entity type | normalised value), so the same input gets the same
// fake in every row, column and table processed under the same key, and nobody without the key
// can link a pseudonym back to its input (other than by guessing inputs, which the HMAC key
// prevents). Normalisation: trimmed; e-mails and URLs lower-cased; phone, card, SSN and IBAN
// reduced to their letters and digits; names compared case-insensitively with single spaces.
//
// Not differential privacy: replacement removes direct identifiers; it does not protect against
// linkage through quasi-identifiers (age, ZIP, dates). Use a DP release (synth, analytics) on
// the replaced table for a formal guarantee.
//
// Fakes keep the type and format of the input: names keep the number of words and case style;
// e-mails are name-like at example.com/.net/.org (reserved domains, RFC 2606); phones keep
// separators and the '+' country code, NANP numbers get a 555-01XX fictional line (NANPA);
// cards keep the brand prefix and length and get a fresh Luhn check digit; SSNs use the never
// issued areas 900-999; IBANs keep country and length with valid MOD-97 check digits; dates
// keep their format and move by up to a year; addresses become "<number> <street> <type>".
//
// Thread safety: PiiKey is immutable; Anonymizer::Apply* are const and thread-safe if the
// BitGenerator used for kFake is (SecureRng is).
#ifndef DPKIT_PII_OPERATORS_H_
#define DPKIT_PII_OPERATORS_H_

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "dpkit/base/env.h"
#include "dpkit/pii/entity.h"
#include "dpkit/random/bit_generator.h"

namespace dpkit::pii {

class PiiKey {
 public:
  // Reads a key file. The content is hex (>= 64 hex digits, surrounding whitespace ignored) or
  // else raw bytes (>= 32). NotFound if the file is missing; InvalidArgument if the key is
  // shorter than 32 bytes or weak (fewer than 16 distinct byte values, e.g. "aaaa..." or a
  // short repeated phrase). Messages say how to make a good key ("dpkit pii keygen").
  static absl::StatusOr<PiiKey> FromFile(const std::string& path, Env* env = Env::Default());
  static absl::StatusOr<PiiKey> FromBytes(std::string_view bytes, std::string_view source = "key");
  // 32 fresh bytes from `rng` (use random::SecureRng).
  static PiiKey Generate(random::BitGenerator& rng);

  PiiKey(const PiiKey&) = default;
  PiiKey& operator=(const PiiKey&) = default;
  ~PiiKey();

  // HMAC-SHA256(key, message).
  std::array<uint8_t, 32> Mac(std::string_view message) const;
  // The key as 64+ lower-case hex digits (for writing a key file).
  std::string ToHex() const;

 private:
  explicit PiiKey(std::string bytes) : bytes_(std::move(bytes)) {}
  std::string bytes_;
};

enum class OperatorKind {
  kKeep,       // leave as is
  kDrop,       // remove the column (in free text: remove the span)
  kRedact,     // replace with a fixed token (default "[<TYPE>]")
  kMask,       // replace letters/digits with mask_char, keeping keep_first/keep_last of them
  kHash,       // hex HMAC-SHA256 of the normalised value, hash_length hex digits (needs a key)
  kPseudonym,  // consistent keyed fake (needs a key)
  kFake,       // random fake of the same type and format (not consistent across rows)
  kSpans,      // columns only: detect entities in free text and replace each span in place
};

// "keep", "drop", "redact", "mask", "hash", "pseudonym", "fake", "spans".
const char* OperatorKindName(OperatorKind kind);
absl::StatusOr<OperatorKind> ParseOperatorKind(std::string_view name);

struct Operator {
  OperatorKind kind = OperatorKind::kKeep;
  std::string token;     // kRedact; empty = "[<ENTITY TYPE>]"
  int keep_first = 0;    // kMask
  int keep_last = 4;     // kMask
  char mask_char = '*';  // kMask
  int hash_length = 32;  // kHash: hex digits, 16..64

  static Operator Of(OperatorKind kind) {
    Operator op;
    op.kind = kind;
    return op;
  }
  bool NeedsKey() const { return kind == OperatorKind::kHash || kind == OperatorKind::kPseudonym; }
  // Checks the parameters (InvalidArgument naming the field and value).
  absl::Status Validate() const;
  std::string ToString() const;  // e.g. "mask(keep_last=4)"
};

// The value normalisation used for hashing and pseudonyms (see above).
std::string NormalizeForKey(EntityType type, std::string_view value);

class Anonymizer {
 public:
  // `key` may be null if no keyed operator is used (Apply then fails with FailedPrecondition for
  // kHash / kPseudonym); `rng` (for kFake) may be null if kFake is not used. Both must outlive
  // the Anonymizer.
  Anonymizer(const PiiKey* key, random::BitGenerator* rng) : key_(key), rng_(rng) {}

  // Applies `op` to a whole value of entity type `type` (kNone for "unknown": fakes then keep
  // the character classes of the input). kDrop returns "" (dropping columns is the caller's
  // job); kSpans is treated as kKeep here.
  absl::StatusOr<std::string> Apply(const Operator& op, EntityType type,
                                    std::string_view value) const;

  // Replaces `spans` (sorted, non-overlapping, as DetectEntities returns them) in `text`,
  // choosing the operator per span with `op_for`; text outside the spans is copied unchanged.
  absl::StatusOr<std::string> ReplaceSpans(
      std::string_view text, const std::vector<Span>& spans,
      const std::function<const Operator&(EntityType)>& op_for) const;

 private:
  const PiiKey* key_;
  random::BitGenerator* rng_;
};

// A random realistic value of `type` in the format of `original` drawn from `gen` (the fake
// generator behind kFake and kPseudonym; exposed for tests and the sample generator).
std::string FakeValue(EntityType type, std::string_view original, random::BitGenerator& gen);

// A fresh fake value of `type` that depends on no real value: the format comes from the entity
// type and a public template (US locale: NANP 555 phones, Visa/Mastercard/Amex test-range cards
// chosen uniformly, SSNs in the never-issued 900 area, dates uniform in [1940-01-01,
// 2007-12-31], example.* e-mail and web domains). For DP outputs, where a fake must not carry
// anything of a real row (a format-preserving FakeValue keeps country codes, card brands, date
// neighbourhoods of the original). `header` (a public column name) picks the part of a person's
// name: a given name for first/given-name columns, a surname for last-name/surname columns.
std::string FreshFakeValue(EntityType type, random::BitGenerator& gen,
                           std::string_view header = "");

}  // namespace dpkit::pii

#endif  // DPKIT_PII_OPERATORS_H_
