// Scoring PII detection against labelled text (Presidio-research's synth_dataset_v2.json format).
//
// Matching rule (entity level, any overlap): a predicted span of category C is a true positive if
// it overlaps (shares at least one byte with) a gold span of category C; a gold span is found if
// some predicted span of its category overlaps it. precision = true-positive predictions /
// predictions; recall = found gold spans / gold spans. Character-level figures are reported too:
// bytes labelled C by both / bytes predicted C (precision) and / bytes gold C (recall).
//
// Categories are the dataset's names: PERSON, STREET_ADDRESS, ZIP_CODE, CREDIT_CARD,
// PHONE_NUMBER, EMAIL_ADDRESS, IBAN_CODE, US_SSN, IP_ADDRESS, DATE_TIME, DOMAIN_NAME.
// dpkit types map to them with EvalCategory(); gold types outside this list (GPE, ORGANIZATION,
// TITLE, AGE, NRP, US_DRIVER_LICENSE) are not scored, but predictions overlapping them are false
// positives for the predicted category.
#ifndef DPKIT_PII_EVALUATE_H_
#define DPKIT_PII_EVALUATE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "dpkit/base/env.h"
#include "dpkit/pii/entity.h"

namespace dpkit::pii {

struct LabelledSpan {
  std::string category;
  size_t begin = 0;
  size_t end = 0;
};

struct LabelledText {
  std::string text;
  std::vector<LabelledSpan> spans;
};

// Loads a JSON array of {"full_text", "spans": [{"entity_type", "start_position",
// "end_position"}]}. Positions in the file are Unicode code point offsets (Python str
// indices); they are converted to UTF-8 byte offsets. DataLoss names the record on error.
absl::StatusOr<std::vector<LabelledText>> LoadLabelledTexts(const std::string& path,
                                                            Env* env = Env::Default());

// The evaluation category of a dpkit entity type ("" if none).
std::string EvalCategory(EntityType type);
// The categories scored, in report order.
const std::vector<std::string>& EvalCategories();

struct CategoryScore {
  std::string category;
  int64_t gold = 0;           // gold spans
  int64_t predicted = 0;      // predicted spans
  int64_t gold_found = 0;     // gold spans overlapped by a prediction
  int64_t predicted_ok = 0;   // predictions overlapping a gold span
  double precision = 0, recall = 0, f1 = 0;
  double char_precision = 0, char_recall = 0, char_f1 = 0;
};

struct EvalReport {
  std::vector<CategoryScore> categories;
  CategoryScore micro;  // all scored categories pooled (category "ALL")
  int64_t texts = 0;
  double seconds = 0;  // detection time, when measured by the caller
  std::string ToJson() const;
  std::string ToTable() const;  // fixed-width text table
};

// `predictions[i]` are the spans predicted for `texts[i]` (category names as above).
EvalReport ScoreSpans(const std::vector<LabelledText>& texts,
                      const std::vector<std::vector<LabelledSpan>>& predictions);

// Runs DetectEntities on every text and scores it.
EvalReport EvaluateDetector(const std::vector<LabelledText>& texts, double min_score = 0.5);

// Reads predictions written by an external tool: a JSON array (one element per text, same
// order) of arrays of {"entity_type", "start", "end"} with code point offsets.
absl::StatusOr<std::vector<std::vector<LabelledSpan>>> LoadPredictions(
    const std::string& path, const std::vector<LabelledText>& texts, Env* env = Env::Default());

}  // namespace dpkit::pii

#endif  // DPKIT_PII_EVALUATE_H_
