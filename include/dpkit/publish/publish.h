// Census/survey publication: hierarchically consistent DP tables with error bars.
//
// Publish() runs the release protocol (dpkit/release/release.h) for a PublicationSpec:
//   1. PLAN from the spec only (plan.h): every measurement with its sigma and privacy map.
//      dry_run stops here (and previews the charge when a ledger is named): nothing is spent,
//      nothing is written, the data file is not opened beyond its header.
//   2. CHECK what needs no private data: the data file's header has the spec's columns, the
//      output folder can be created. Then CHARGE the plan's maps, once:
//        * options.ledger names an existing ledger whose budget for (dataset, privacy unit)
//          already exists (`dpkit budget init`); it is never created or extended here;
//        * no ledger: a NEW ledger <out>/ledger.db with one budget equal to the spec's total
//          (rho, or epsilon and delta), zcdp accountant; an existing file there is an error. This
//          is announced through options.notice.
//      A refusal (ResourceExhausted) releases nothing.
//   3. EXECUTE: count the tables from the data (bounded per unit), measure them with the plan's
//      discrete Gaussian mechanisms, post-process top-down (estimate.h), simulate error bars,
//      write <out>/<table>.csv for every table, plan.json, release.json and summary.html.
//      A failure here names what was spent (release::ChargedFailure).
// Nothing derived from the data reaches any output before the charge succeeds; the written
// files hold DP values and public inputs only (no exact count anywhere).
//
// OUTPUT FILES
//   <table>.csv    one row per geography unit (columns level, code), for every cell of the
//                  table a count column named by the cell ("SEX=1;AGE=0-17") and a margin of
//                  error column ("SEX=1;AGE=0-17 moe"): [max(0, count - moe), count + moe] covers
//                  the true count with about the spec's error_bars.level (default 90%).
//   plan.json      the public plan: levels, tables, cells, sigmas, privacy maps.
//   release.json   what was charged (ledger, dataset, unit, neighbouring relation, rho).
//   summary.html   self-contained page: error by level and table, next to the error of the
//                  raw noisy tables (no consistency).
#ifndef DPKIT_PUBLISH_PUBLISH_H_
#define DPKIT_PUBLISH_PUBLISH_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "dpkit/base/env.h"
#include "dpkit/ledger/ledger.h"
#include "dpkit/mechanisms/noise_factory.h"
#include "dpkit/publish/plan.h"
#include "dpkit/publish/spec.h"
#include "dpkit/random/bit_generator.h"
#include "dpkit/release/release.h"

namespace dpkit::publish {

struct PublishOptions {
  std::string data;     // the private CSV (gzip allowed); optional with dry_run
  std::string out_dir;  // created if missing; required unless dry_run
  std::string ledger;   // "" = a new ledger in out_dir
  std::string dataset;  // budget name in the ledger; "" = the spec's "dataset"
  bool dry_run = false;
  release::ChargeContext charge_context;  // e.g. --insecure-seed, recorded with the charge
  // Loud, public messages (a new ledger was created); the CLI prints them on stderr.
  std::function<void(const std::string&)> notice;
};

struct PublishResult {
  std::string plan_text;                         // the plan (ReleasePlan + measurements)
  std::optional<ledger::ChargePreview> preview;  // dry run with a ledger
  std::optional<ledger::Receipt> receipt;        // after a release
  std::string ledger_path;
  std::vector<std::string> files;  // written, in order
};

// Runs the whole release. `noise` is mechanisms::SecureNoise() in production.
absl::StatusOr<PublishResult> Publish(const PublicationSpec& spec, const PublishOptions& options,
                                      const mechanisms::NoiseFactory& noise,
                                      random::BitGenerator& gen, Env* env = Env::Default());

}  // namespace dpkit::publish

#endif  // DPKIT_PUBLISH_PUBLISH_H_
