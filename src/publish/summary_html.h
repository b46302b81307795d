// summary.html: one self-contained page (inline CSS and SVG, no script, nothing fetched) with
// the error of the published tables by level and table, next to the error of the raw noisy
// tables without consistency. Errors are the simulated ones of error_bars.h (DP: computed from
// the release and the public plan only). User-provided names are HTML-escaped.
#ifndef DPKIT_SRC_PUBLISH_SUMMARY_HTML_H_
#define DPKIT_SRC_PUBLISH_SUMMARY_HTML_H_

#include <string>

#include "dpkit/publish/plan.h"
#include "publish/error_bars.h"

namespace dpkit::publish {

std::string SummaryHtml(const PublicationPlan& plan, const ErrorBars& bars, bool insecure_seed);

}  // namespace dpkit::publish

#endif  // DPKIT_SRC_PUBLISH_SUMMARY_HTML_H_
