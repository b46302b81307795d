// Inputs for the evaluation from io tables: text conversion and identifier-column detection
// with the pii detectors.
#ifndef DPKIT_REPORT_TABLE_INPUT_H_
#define DPKIT_REPORT_TABLE_INPUT_H_

#include <string>
#include <vector>

#include "dpkit/io/table.h"
#include "dpkit/report/evaluation.h"

namespace dpkit::report {

// Every cell as text (io::Column::FormatValue; nulls become ""), so numbers compare by value
// and strings verbatim.
TextTable FromIoTable(const io::Table& table, std::string source);

struct IdentifierColumn {
  std::string column;
  std::string entity;  // pii entity name, e.g. "EMAIL"
  double share = 0;    // share of sampled non-null cells recognised as that entity
};

// String columns whose cells are mostly (>= `min_share` of up to `sample` non-null cells, taken
// evenly through the column) direct identifiers by pii::ClassifyCell: EMAIL, PHONE,
// CREDIT_CARD, US_SSN, IBAN, IP_ADDRESS, STREET_ADDRESS, PERSON.
std::vector<IdentifierColumn> DetectIdentifierColumns(const io::Table& table,
                                                      double min_share = 0.5, int sample = 200);

}  // namespace dpkit::report

#endif  // DPKIT_REPORT_TABLE_INPUT_H_
