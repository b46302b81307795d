// Table-level PII replacement driven by a policy.
//
// Policy JSON (every key optional; unknown keys are an error):
//   {
//     "columns":  { "<column>": "<operator>" | {"operator": "...", <operator fields>}, ... },
//     "entities": { "<ENTITY TYPE>": "<operator>" | {...}, ... },
//     "quasi_identifiers": "<operator>",      // default "keep"
//     "unmatched_identifiers": "<operator>",  // identifier columns of no entity type; default "hash"
//     "free_text": "<operator>"               // free-text columns with PII; default "spans"
//   }
// Operators: keep, drop, redact, mask, hash, pseudonym, fake, spans (see operators.h); operator
// fields: token, keep_first, keep_last, mask_char, hash_length.
//
// Per column, in this order: an entry in "columns" wins; otherwise the column is scanned
// (scan.h): identifier columns of entity type T get entities[T] (default below), identifier
// columns without a type get "unmatched_identifiers", free text gets "free_text" (with "spans"
// each detected span is replaced in place with entities[span type]), quasi-identifiers get
// "quasi_identifiers", safe columns are kept.
// Default entities: PERSON, EMAIL, PHONE, STREET_ADDRESS, CREDIT_CARD, US_SSN, IBAN, IP_ADDRESS,
// URL -> pseudonym; DATE_OF_BIRTH -> pseudonym in free text (kept as a quasi-identifier column);
// DATE, ZIP_CODE -> keep.
//
// Consistency: pseudonym and hash are keyed and deterministic, so an identifier column that is
// the privacy unit keeps one value per person after replacement (the unit stays usable).
#ifndef DPKIT_PII_REPLACE_H_
#define DPKIT_PII_REPLACE_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "dpkit/base/env.h"
#include "dpkit/io/csv.h"
#include "dpkit/io/table.h"
#include "dpkit/pii/operators.h"
#include "dpkit/pii/scan.h"

namespace dpkit::pii {

struct Policy {
  std::map<std::string, Operator> columns;
  std::map<EntityType, Operator> entities;
  Operator quasi_identifiers = Operator::Of(OperatorKind::kKeep);
  Operator unmatched_identifiers = Operator::Of(OperatorKind::kHash);
  Operator free_text = Operator::Of(OperatorKind::kSpans);

  // The defaults described above.
  static Policy Default();
  // Parses a policy (starting from Default()); `source` (a file name) prefixes errors, which are
  // InvalidArgument and name the key and the bad value.
  static absl::StatusOr<Policy> FromJson(std::string_view json, std::string_view source = "policy");
  static absl::StatusOr<Policy> Load(const std::string& path, Env* env = Env::Default());

  // The operator for an entity type (keep if not listed).
  const Operator& ForEntity(EntityType type) const;
  // True if any operator that can be used needs a key.
  bool NeedsKey() const;
  std::string ToJson() const;
};

struct ColumnAction {
  std::string column;
  std::string action;        // operator and entity, e.g. "pseudonym (EMAIL)", "drop", "spans"
  std::string why;           // "policy column entry", "identifier (EMAIL, conf 0.97)", ...
  int64_t cells_changed = 0;
  int64_t spans_replaced = 0;
};

struct ReplaceResult {
  io::Table table;
  ScanResult scan;  // of the input
  std::vector<ColumnAction> actions;
  // The proposed privacy unit, if it survives in the output (pseudonymised or hashed
  // consistently, or kept); empty if none was found or it was dropped/randomised.
  std::optional<std::string> privacy_unit;
  std::string ToJson() const;
};

struct ReplaceOptions {
  Policy policy = Policy::Default();
  const PiiKey* key = nullptr;          // required if the policy uses hash/pseudonym
  random::BitGenerator* rng = nullptr;  // required if the policy uses fake
  ScanOptions scan;
};

// Reads a CSV (io::ReadCsv rules: RFC 4180, gzip, BOM, UTF-8 check, errors with file:line)
// with EVERY column as text, so values keep their exact spelling (ZIP "02127", card numbers,
// phone formats). Empty unquoted cells are nulls.
absl::StatusOr<io::Table> ReadCsvAsText(const std::string& path, Env* env = Env::Default());

// Replaces PII in `input`. Replaced columns become string columns; kept columns are unchanged.
// Errors: NotFound for a policy column missing from the table ("unknown column 'x' in policy
// (available: ...)"); FailedPrecondition when a keyed operator is used without a key.
absl::StatusOr<ReplaceResult> ReplacePii(const io::Table& input, const ReplaceOptions& options);

}  // namespace dpkit::pii

#endif  // DPKIT_PII_REPLACE_H_
