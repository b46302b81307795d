// SynthPlan: what a synthesizer fit will release, decided from public inputs only.
//
// Step 1 of the release protocol (dpkit/release/release.h) for synthetic data. PlanSynth reads
// the schema, the column names of the input (the header is public) and the options — never a
// cell — and decides, per column, how its domain is obtained:
//   declared categories / bool            -> those categories (public, costs nothing); they are
//                                            the column's complete domain: a value outside them
//                                            is NULL (or drops its row when the column is not
//                                            nullable), as an unparsable cell is under
//                                            io::CsvReadOptions::private_data; no "other" code
//   numeric or date with declared bins    -> those bins (public)
//   integer or date with declared bounds spanning <= numeric_bins values -> one bin per value
//   numeric or date with declared bounds  -> DP bins within the declared bounds: heavy values
//                                            (point masses) as their own bins, the range trimmed
//                                            to where the data is, quantile bins for the rest
//                                            (one discrete Gaussian histogram; preprocess.h)
//   text without declared categories      -> private partition selection (discrete Gaussian
//                                            thresholding; rare values map to "other")
//   a numeric column without bounds or bins is an error (bounds read off the data are not
//   private); a column the schema does not declare is text (a public default: the plan's notes
//   say so, and every front end prints them before the charge).
// A column has a null code exactly when it is nullable (schema "nullable", default true).
//
// Budget: rho_total from (epsilon, delta - delta_preprocessing) by the CKS20 zCDP conversion
// (accounting/zcdp.h); preprocessing_fraction of it for the columns that need DP
// preprocessing, split by a public rule of need (release::SplitBudget): a partition-selection
// column gets kPartitionShares shares, a DP-bins column one (a threshold loses every value below
// it, while histogram noise only moves bin edges); the rest for MST or AIM;
// partition_delta_fraction of delta for partition selection, split evenly over those columns.
//
// Neighbouring relation: with a privacy unit (the schema's privacy_unit), add/remove all rows
// of one unit — the fit keeps one uniformly random row per unit (io::BoundRowsPerUnit) before
// anything else, and the unit column is never synthesised; without one, add/remove one row.
//
// What is charged (privacy_maps()): the whole planned budget — rho_total as one zCDP map, or,
// when partition selection is planned (approximate zCDP, Bun & Steinke 2016 Def. 8.1), its
// (epsilon, delta) conversion. The fit never spends more (each mechanism's sigma is set from
// its planned share); MST/AIM may spend less, never more.
#ifndef DPKIT_SYNTH_PLAN_H_
#define DPKIT_SYNTH_PLAN_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "dpkit/base/privacy_map.h"
#include "dpkit/io/encoded.h"
#include "dpkit/io/schema.h"
#include "dpkit/release/release.h"
#include "dpkit/synth/synth_options.h"

namespace dpkit::synth {

enum class DomainSource {
  kDeclaredCategories,  // schema categories, or false/true for bool
  kDeclaredBins,        // schema bins
  kIntegers,            // one bin per integer value of the declared bounds
  kQuantiles,           // DP bins within the declared bounds (heavy values, range, quantiles)
  kPartition,           // private partition selection of text values
  kDomainFile,          // pre-encoded data (Private-PGM domain file)
};

// Preprocessing-budget shares of a partition-selection column (a DP-bins column has one).
inline constexpr double kPartitionShares = 3;
const char* DomainSourceName(DomainSource s);

struct ColumnPlan {
  std::string name;
  io::DataType type = io::DataType::kString;
  DomainSource source = DomainSource::kPartition;
  // The encoding, complete for public sources; for kQuantiles/kPartition the edges/categories
  // are filled in by the fit.
  io::ColumnEncoding encoding;
  // kQuantiles: the declared bounds (the fit narrows them, with DP, to the data's range);
  // kIntegers / kDeclaredBins: the range the encoding covers. Output stays within them.
  double lower = 0, upper = 0;
  double rho = 0;               // zCDP spent on this column's preprocessing
  double delta = 0;             // delta reserved for its partition selection
  bool needs_preprocessing() const {
    return source == DomainSource::kQuantiles || source == DomainSource::kPartition;
  }
  // Its share weight in the preprocessing budget (0 when it needs none).
  double budget_shares() const;
};

struct SynthPlan {
  SynthOptions options;
  std::string unit;                  // privacy unit column ("" = rows)
  std::vector<ColumnPlan> columns;   // modelled columns, in input order
  // The schema's public structure, applied around the model: each hierarchy's columns are
  // modelled as one combined column (synth/hierarchy.h; `columns` holds the combined one) and
  // split after sampling; derived columns are not modelled but computed from the synthetic
  // dates (synth/derived_columns.h). `output_columns`: the synthetic table's columns, in input
  // order (the header without the unit).
  std::vector<io::Hierarchy> hierarchies;
  std::vector<io::ColumnSchema> derived;
  std::vector<std::string> output_columns;
  int64_t domain_file_size = 0;      // kDomainFile: number of attributes
  double rho_total = 0;              // zCDP budget from (epsilon, delta - delta_preprocessing)
  double rho_preprocessing = 0;      // sum over columns
  double delta_preprocessing = 0;    // reserved for partition selection (0 if none)
  double rho_mechanism = 0;          // MST/AIM's budget
  std::vector<std::string> notes;    // public defaults taken
  std::string null_token;            // written for nulls: the schema's first null token, or ""

  std::string neighbouring() const { return release::NeighbouringRelation(unit); }
  // The maps charged for this fit (see the file comment).
  std::vector<PrivacyMap> privacy_maps() const;
  // The plan in words, for --dry-run and the ledger's operation text.
  std::vector<std::string> steps() const;
  release::ReleasePlan ToRelease(const std::string& dataset, const std::string& operation) const;
};

// From the input's column names (its header, in order), the schema (may be empty) and options.
// InvalidArgument naming the column for a numeric column without bounds or bins, an unknown
// privacy unit, a hierarchy or a derived column's date column not in the header, bad options.
absl::StatusOr<SynthPlan> PlanSynth(const std::vector<std::string>& columns,
                                    const io::Schema& schema, const SynthOptions& options);

// Pre-encoded data described by a Private-PGM domain file: no preprocessing, rows are units.
absl::StatusOr<SynthPlan> PlanSynthEncoded(const io::Domain& domain, const SynthOptions& options);

}  // namespace dpkit::synth

#endif  // DPKIT_SYNTH_PLAN_H_
