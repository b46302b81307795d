// The synthetic-data evaluation: fidelity, utility and privacy-risk metrics of a synthetic table
// against the real table it was made from (and, optionally, a holdout of real rows the
// synthesizer never saw).
//
// What it computes (docs/report.md explains each metric to a reader):
//  * fidelity: per column, total variation distance (categorical) or Kolmogorov-Smirnov and
//    Wasserstein-1 (numeric and date columns: dates are ordered values, compared in days and
//    shown on date axes) with histograms; the share of real values the synthesizer clipped
//    into its range and the share that became "other", when the caller says which; pairwise association matrices (Pearson for
//    numeric pairs, Cramér's V for categorical pairs, correlation ratio eta for mixed pairs) for
//    real and synthetic; the NIST SDNist k-marginal score (default k = 3).
//  * utility: train-on-synthetic / test-on-real vs train-on-real / test-on-real with a CART
//    decision tree (accuracy, macro-F1, ROC AUC) for a chosen target column.
//  * privacy risk: distance to closest record (DCR) of synthetic vs holdout rows, the share of
//    synthetic rows closer to training than to holdout rows, a distance-based membership
//    inference attack, an attribute inference attack, exact-match and PII-replay counts.
//
// The evaluation itself is NOT differentially private: it reads the real table, so the
// report is as sensitive as the real data. Randomness (row sampling and the real-data split
// when no holdout is given) comes from the caller's generator; it adds no privacy.
//
// Thread safety: Evaluate() may use up to `options.threads` worker threads internally; the
// inputs are only read.
#ifndef DPKIT_REPORT_EVALUATION_H_
#define DPKIT_REPORT_EVALUATION_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "dpkit/random/bit_generator.h"

namespace dpkit::report {

// A table as text cells, column-major. An empty string is a missing value. Values are compared
// verbatim (exact-match and PII-replay counts are about the text that would be published).
struct TextTable {
  std::string source;  // file name or label, used in error messages
  std::vector<std::string> names;
  std::vector<std::vector<std::string>> columns;  // columns[c][row]
  size_t num_rows() const { return columns.empty() ? 0 : columns[0].size(); }
};

enum class ColumnKind { kNumeric, kCategorical };

struct EvaluationOptions {
  // Column to predict for the utility section; empty = utility not computed.
  std::string target;
  // Sensitive column for the attribute inference attack; empty = `target`.
  std::string sensitive;
  // Quasi-identifiers for the attribute inference attack; empty = every other column except
  // identifier columns.
  std::vector<std::string> quasi_identifiers;
  // Columns known to hold direct identifiers (e.g. from the pii module): every real value in
  // them counts for PII replay, and they are left out of the distance and model features.
  std::vector<std::string> identifier_columns;
  // Entity label per identifier column, shown in the report (same length or empty).
  std::vector<std::string> identifier_entities;
  // Forced column kinds; other columns are inferred from the real table: a date column if every
  // non-empty cell (in every table) is a date YYYY-MM-DD; numeric if every non-empty cell parses
  // as a finite number and there are more than `max_integer_levels_as_categorical` distinct
  // values or any is non-integer.
  std::vector<std::string> categorical;
  std::vector<std::string> numeric;
  int max_integer_levels_as_categorical = 20;
  // The value range a synthesizer kept each numeric or date column in (its declared bounds or
  // the range it found with DP; dates as days since 1970-01-01): the share of real values
  // outside it (clipped into it by the synthesizer) is reported per column.
  struct ColumnRange {
    std::string column;
    double lower = 0, upper = 0;
  };
  std::vector<ColumnRange> ranges;
  // Columns in which the synthesizer wrote `other_value` for values it did not keep (private
  // partition selection): the report gives the synthetic share of `other_value` and the real
  // share of values that never appear in the synthetic table.
  std::vector<std::string> other_columns;
  std::string other_value = "other";
  // The identifier columns of the synthetic table hold fresh fake values (as the pipeline writes
  // them): a real value found there is a coincidence of the fake generator, not a copy, and the
  // advice is not to replace identifiers again.
  bool identifiers_replaced = false;
  // k of the k-marginal score and the most marginals scored (sampled uniformly without
  // replacement if there are more k-subsets of columns).
  int kmarginal_k = 3;
  int kmarginal_max = 300;
  // Numeric columns are cut into this many quantile bins of the real column for the
  // k-marginal score, the attack and the tree features.
  int numeric_bins = 10;
  // Histogram bars per numeric column and categories shown per categorical column.
  int histogram_bins = 20;
  int max_categories_shown = 20;
  // Rows sampled per side for distance-based metrics (DCR, membership inference). Each side
  // costs one exact nearest-neighbour search over the full reference table.
  int privacy_sample = 500;
  // A real value counts as rare (for PII replay) if it occurs at most this many times in the
  // real table and has at least `rare_min_length` characters.
  int rare_max_count = 1;
  int rare_min_length = 4;
  // Fraction of real rows used as the test set when no holdout is given.
  double test_fraction = 0.2;
  int tree_max_depth = 8;
  int tree_min_leaf = 10;
  int threads = 2;
};

struct HistogramBin {
  std::string label;
  double real = 0;       // share of real rows (non-missing) in the bin
  double synthetic = 0;  // share of synthetic rows
};

struct ColumnFidelity {
  std::string name;
  ColumnKind kind = ColumnKind::kCategorical;
  bool is_date = false;  // numeric values are days since 1970-01-01
  std::optional<double> tvd;                    // categorical
  std::optional<double> ks;                     // numeric
  std::optional<double> wasserstein;            // numeric, in the column's units
  std::optional<double> wasserstein_normalized;  // divided by the real column's range
  double missing_real = 0;                      // share of missing cells
  double missing_synthetic = 0;
  int64_t distinct_real = 0;
  int64_t distinct_synthetic = 0;
  std::vector<HistogramBin> histogram;
  // Share of real values outside the synthesizer's range (EvaluationOptions::ranges).
  std::optional<double> clipped_real;
  // EvaluationOptions::other_columns: share of synthetic rows that are "other", and of real rows
  // whose value does not occur in the synthetic table.
  std::optional<double> other_synthetic;
  std::optional<double> unmatched_real;
};

// Square matrices over `columns`, row-major. Diagonal = 1.
struct AssociationMatrices {
  std::vector<std::string> columns;
  std::vector<std::string> measure;  // per pair (row-major): "pearson", "cramers_v", "eta"
  std::vector<double> real;
  std::vector<double> synthetic;
  std::vector<double> difference;  // synthetic - real
  double mean_abs_difference = 0;
  double max_abs_difference = 0;
};

struct KMarginalResult {
  int k = 3;
  int64_t marginals_scored = 0;
  int64_t marginals_possible = 0;
  double score = 1000;  // [0, 1000]
  double mean_tvd = 0;
  std::string binning;  // plain description of the binning used
  struct Worst {
    std::vector<std::string> columns;
    double tvd = 0;
  };
  std::vector<Worst> worst;  // up to 5 worst marginals
};

struct ClassifierScores {
  double accuracy = 0;
  double macro_f1 = 0;
  double auc = 0.5;
};

struct UtilityResult {
  bool computed = false;
  std::string skipped_reason;
  std::string target;
  std::string task;  // "classification" or "classification of quantile bins"
  std::vector<std::string> classes;
  std::vector<std::string> features;
  std::string test_set;  // "holdout (N rows)" or "20% split of real (N rows)"
  int64_t train_rows_real = 0;
  int64_t train_rows_synthetic = 0;
  int64_t test_rows = 0;
  ClassifierScores train_real;       // TRTR
  ClassifierScores train_synthetic;  // TSTR
  double majority_baseline = 0;      // accuracy of always predicting the majority class
};

struct DistanceSummary {
  int64_t n = 0;
  double p05 = 0, median = 0, mean = 0;
  double zero_share = 0;         // share with distance exactly 0
  std::vector<double> histogram;  // shares per bin over [0, histogram_max]
};

struct PrivacyRiskResult {
  std::string distance;  // plain description of the record distance
  double histogram_max = 1;
  DistanceSummary synthetic_to_train;
  std::optional<DistanceSummary> holdout_to_train;
  // Share of synthetic rows whose closest training row is closer than their closest holdout row
  // (ties count 1/2), training subsampled to the holdout's size when it is larger. Ideal 0.5
  // for equal sizes; |train| / (|train| + |holdout|) when the holdout is larger.
  std::optional<double> closer_to_train_share;
  // Distance-based membership inference (score = -distance to the closest synthetic row).
  std::optional<double> membership_auc;
  std::optional<double> membership_advantage;
  // The advantage a score unrelated to membership exceeds with probability 5% (two-sample
  // Kolmogorov-Smirnov critical value 1.358 * sqrt((n + m) / (n m))).
  std::optional<double> membership_chance_level;
  int64_t membership_members = 0, membership_non_members = 0;
  std::string membership_note;
  // Attribute inference: a tree trained on synthetic (quasi-identifiers -> sensitive).
  bool attribute_computed = false;
  std::string attribute_skipped_reason;
  std::string sensitive;
  std::vector<std::string> quasi_identifiers;
  double attribute_accuracy_train = 0;  // on the real rows the synthesizer saw
  std::optional<double> attribute_accuracy_holdout;
  double attribute_baseline = 0;  // majority-class accuracy on the training rows
  double attribute_advantage = 0;  // train - holdout accuracy, or train - baseline without one
  // Exact copies of whole rows.
  int64_t exact_matches = 0;  // synthetic rows equal to some real row
  int64_t synthetic_rows = 0;
  std::optional<int64_t> holdout_exact_matches;  // holdout rows equal to some real row
  int64_t holdout_rows = 0;
  // Verbatim replay of rare or identifying real values.
  struct Replay {
    std::string column;
    std::string reason;  // "identifier (email)" or "rare values (<= 1 occurrence)"
    int64_t candidates = 0;  // distinct real values considered
    int64_t replayed = 0;    // of them, found verbatim in synthetic
    std::vector<std::string> examples;  // up to 3, masked
    // Chance baseline (with a holdout): the holdout's values that meet the same criteria in the
    // holdout table, and how many of those appear in synthetic. The holdout's people are not in
    // the data the synthesizer saw, so their rate is what a value shows up with when it was not
    // copied (common names, fake generators drawing from public vocabularies); a value shared
    // by both tables counts in both, so a small shared vocabulary is not mistaken for copying.
    int64_t holdout_candidates = 0;
    int64_t holdout_replayed = 0;
    // Replayed values expected by chance: candidates times the holdout rate (0 without a
    // baseline), and whether `replayed` exceeds it significantly (one-sided two-proportion
    // z-test at 1%; always true without a baseline when anything was replayed).
    double expected = 0;
    bool above_chance = false;
    // Replayed values beyond chance: replayed - expected, rounded, when above_chance; else 0.
    int64_t excess() const;
  };
  std::vector<Replay> replay;
  int64_t replayed_values = 0;
  int64_t excess_replayed = 0;  // sum of the columns' excess()
  int64_t replay_rows = 0;  // synthetic rows containing at least one replayed value
  bool identifiers_replaced = false;  // EvaluationOptions::identifiers_replaced
};

struct Evaluation {
  std::string real_source, synthetic_source, holdout_source;
  int64_t real_rows = 0, synthetic_rows = 0, holdout_rows = 0;
  std::vector<std::string> excluded_columns;  // identifier columns left out of fidelity
  std::vector<ColumnFidelity> columns;
  AssociationMatrices associations;
  KMarginalResult kmarginal;
  UtilityResult utility;
  PrivacyRiskResult privacy;
  double seconds = 0;
};

// Runs every metric. Errors: InvalidArgument for bad options (unknown target/sensitive/
// quasi-identifier column, bad k), DataLoss/FailedPrecondition for tables that cannot be
// compared (different column sets, empty real table). Column order of `synthetic` and
// `holdout` may differ from `real`; extra columns are an error.
absl::StatusOr<Evaluation> Evaluate(const TextTable& real, const TextTable& synthetic,
                                    const TextTable* holdout, const EvaluationOptions& options,
                                    random::BitGenerator& rng);

}  // namespace dpkit::report

#endif  // DPKIT_REPORT_EVALUATION_H_
