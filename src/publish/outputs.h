// The files of a publication (see dpkit/publish/publish.h, OUTPUT FILES). Everything written
// is a DP value (released counts, simulated margins of error and error summaries) or a public
// input (spec, plan, ledger receipt).
#ifndef DPKIT_SRC_PUBLISH_OUTPUTS_H_
#define DPKIT_SRC_PUBLISH_OUTPUTS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "dpkit/base/env.h"
#include "dpkit/ledger/ledger.h"
#include "dpkit/publish/estimate.h"
#include "dpkit/publish/plan.h"
#include "publish/error_bars.h"

namespace dpkit::publish {

struct ReleaseRecord {
  ledger::Receipt receipt;
  std::string ledger_path;
  bool insecure_seed = false;
};

// Writes <table>.csv for every table, plan.json, release.json and summary.html into out_dir
// (which must exist), each atomically; returns the paths in that order.
absl::StatusOr<std::vector<std::string>> WriteOutputs(const PublicationPlan& plan,
                                                      const TableSet& released,
                                                      const ErrorBars& bars,
                                                      const ReleaseRecord& record,
                                                      const std::string& out_dir, Env* env);

}  // namespace dpkit::publish

#endif  // DPKIT_SRC_PUBLISH_OUTPUTS_H_
