// Column-level PII classification of a table, and the proposed privacy unit.
//
// Each column is classified as
//   kIdentifier       directly identifies a person (e-mail, phone, name, SSN, card, IBAN, street
//                     address, IP, URL, a customer/user id, a unique code) or is free text that
//                     contains such values;
//   kQuasiIdentifier  identifies in combination (date of birth, ZIP, age, gender, city, state,
//                     occupation, ... ; Sweeney 2000: ZIP + birth date + sex identify ~87% of
//                     the US population);
//   kSafe             neither.
// Evidence: the header name (a cue table), the values of a sample of cells (ClassifyCell, and
// DetectEntities for free text), and the uniqueness ratio distinct / non-null over all rows.
// `confidence` is a hand-calibrated score in [0, 1], not a probability.
//
// The proposed privacy unit is the identifier column that most likely names a person across
// rows (an id column named like customer/user/patient/account id first, then e-mail, SSN,
// phone); DP releases downstream bound each unit's contribution by it.
//
// Thread safety: pure functions.
#ifndef DPKIT_PII_SCAN_H_
#define DPKIT_PII_SCAN_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "dpkit/io/table.h"
#include "dpkit/pii/entity.h"

namespace dpkit::pii {

enum class ColumnClass { kIdentifier, kQuasiIdentifier, kSafe };
// "identifier", "quasi_identifier", "safe".
const char* ColumnClassName(ColumnClass c);

struct ColumnScan {
  std::string name;
  ColumnClass column_class = ColumnClass::kSafe;
  double confidence = 0;
  EntityType entity = EntityType::kNone;  // dominant entity type of the cells (or kNone)
  bool free_text = false;                 // long multi-word text: spans are replaced in place
  // Sampled cells whose whole value is of each type; for free text, spans found per type.
  std::map<EntityType, int64_t> entity_counts;
  int64_t sampled = 0;   // non-null cells examined
  int64_t non_null = 0;  // all rows
  int64_t distinct = 0;  // all rows
  double uniqueness = 0; // distinct / non_null
  std::string header_cue;            // the header cue that matched, if any
  std::vector<std::string> reasons;  // human-readable evidence
};

struct PrivacyUnitProposal {
  std::string column;
  double confidence = 0;
  std::string reason;
};

struct ScanOptions {
  // Cells examined per column (evenly spaced over the rows); uniqueness uses all rows.
  int64_t max_sample_rows = 2000;
};

struct ScanResult {
  int64_t rows = 0;
  std::vector<ColumnScan> columns;
  std::optional<PrivacyUnitProposal> privacy_unit;

  const ColumnScan* Find(const std::string& column) const;
  std::string ToJson() const;
  // A fixed-width report for terminals.
  std::string ToText() const;
};

ScanResult ScanTable(const io::Table& table, const ScanOptions& options = {});

// The public default rule for a column's role: what its header name ALONE says (the cue table
// ScanColumn also uses; no cell is read). DP releases plan column roles from a schema or from
// this rule, never from a scan of the cells (a scan's classification depends on the data).
struct HeaderRole {
  ColumnClass column_class = ColumnClass::kSafe;
  EntityType entity = EntityType::kNone;
  std::string cue;  // the cue that matched ("" = none)
};
HeaderRole ClassifyHeader(const std::string& name);

// Classifies one column from its name and all its non-null values as text.
ColumnScan ScanColumn(const std::string& name, const std::vector<std::string>& values,
                      int64_t null_count = 0, const ScanOptions& options = {});

}  // namespace dpkit::pii

#endif  // DPKIT_PII_SCAN_H_
