// The privacy-guarantee file: what the synthesizer / pipeline writes next to its output so the
// report can state the guarantee at the top (docs/report.md documents the format).
//
//   {
//     "format": "dpkit-privacy/1",          required, this exact string
//     "epsilon": 1.0,                       required, finite, >= 0: total epsilon of the release
//     "delta": 1e-6,                        required, 0 <= delta < 1
//     "privacy_unit": "customer_id",        required: the unit column, or "row"
//     "mechanism": "aim",                   required: what produced the data
//     "accountant": "zcdp",                 required: how the total was computed
//     "dataset": "customers",               optional: ledger dataset name
//     "created": "2024-05-01T12:00:00Z",    optional
//     "notes": ["..."],                     optional: lines shown under the guarantee
//     "ledger_entries": [                   optional: the ledger charges behind the total
//       {"id": 7, "time": "...", "mechanism": "aim/measure", "epsilon": 0.5, "delta": 0,
//        "privacy_map": {...PrivacyMap JSON...}, "note": "..."}
//     ]
//   }
// Ledger entries may carry other fields; they are kept verbatim in report.json.
#ifndef DPKIT_REPORT_PRIVACY_GUARANTEE_H_
#define DPKIT_REPORT_PRIVACY_GUARANTEE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace dpkit::report {

inline constexpr char kPrivacyFormat[] = "dpkit-privacy/1";

struct LedgerEntryView {
  std::string id;
  std::string time;
  std::string mechanism;
  std::optional<double> epsilon;
  std::optional<double> delta;
  std::string privacy_map;  // PrivacyMap::ToString() when a valid privacy_map is present
  std::string note;
  std::string raw_json;     // the entry as given
};

struct PrivacyGuarantee {
  double epsilon = 0;
  double delta = 0;
  std::string privacy_unit;
  std::string mechanism;
  std::string accountant;
  std::string dataset;
  std::string created;
  std::vector<std::string> notes;
  std::vector<LedgerEntryView> ledger_entries;

  // Parses and validates the JSON text; `source` (a file name) is used in error messages,
  // which name the field and the bad value (InvalidArgument / DataLoss for malformed JSON).
  static absl::StatusOr<PrivacyGuarantee> FromJson(const std::string& text,
                                                   const std::string& source);
  // Canonical JSON in the format above.
  std::string ToJson() const;
};

}  // namespace dpkit::report

#endif  // DPKIT_REPORT_PRIVACY_GUARANTEE_H_
