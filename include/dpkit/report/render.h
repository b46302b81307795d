// Rendering an Evaluation: a self-contained HTML page (inline CSS, inline SVG charts and a small
// inline script; nothing is fetched from the network) and a JSON document with every metric.
//
// Verdicts are heuristics to guide a reader, not guarantees; docs/report.md lists the
// thresholds. Only the privacy guarantee (from the dpkit-privacy/1 file) is a formal statement.
#ifndef DPKIT_REPORT_RENDER_H_
#define DPKIT_REPORT_RENDER_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "dpkit/base/env.h"
#include "dpkit/report/evaluation.h"
#include "dpkit/report/privacy_guarantee.h"

namespace dpkit::report {

enum class VerdictLevel { kGood, kWarn, kBad, kInfo };
const char* VerdictLevelName(VerdictLevel level);  // "good", "warn", "bad", "info"

struct Verdict {
  std::string id;        // stable key, e.g. "fidelity.kmarginal"
  std::string area;      // "Privacy guarantee", "Fidelity", "Utility", "Privacy risk"
  VerdictLevel level = VerdictLevel::kInfo;
  std::string headline;  // one line with the number
  std::string explanation;  // plain language: what it means and what to do
};

// `guarantee` may be null (no privacy file given: reported as a red verdict).
std::vector<Verdict> Verdicts(const Evaluation& ev, const PrivacyGuarantee* guarantee);

// report.json: {"format": "dpkit-report/1", "guarantee": ..., "verdicts": [...], "fidelity":
// {...}, "utility": {...}, "privacy": {...}, ...}.
std::string RenderJson(const Evaluation& ev, const PrivacyGuarantee* guarantee);

// The HTML page.
std::string RenderHtml(const Evaluation& ev, const PrivacyGuarantee* guarantee);

// Writes both files atomically through `env` (a failure leaves any old file in place and names
// the path).
absl::Status WriteReport(Env* env, const Evaluation& ev, const PrivacyGuarantee* guarantee,
                         const std::string& html_path, const std::string& json_path);

}  // namespace dpkit::report

#endif  // DPKIT_REPORT_RENDER_H_
