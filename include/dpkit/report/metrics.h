// Metric math used by the evaluation report: distribution distances, association measures,
// the NIST SDNist k-marginal score, and classifier / attack scores.
//
// All functions are pure and deterministic. Inputs use NaN for a missing numeric value and a
// negative code for a missing categorical value unless stated otherwise; missing entries are
// skipped. None of these functions is differentially private: the report evaluates data that
// was already released (synthetic) against the sensitive data it came from, and the report
// itself must be treated as sensitive (it is computed on the real table).
//
// Thread safety: pure functions, safe to call concurrently.
#ifndef DPKIT_REPORT_METRICS_H_
#define DPKIT_REPORT_METRICS_H_

#include <cstdint>
#include <span>
#include <vector>

namespace dpkit::report {

// Total variation distance between two histograms given as counts over the same bins:
// TVD = 1/2 * sum_i |p_i/sum(p) - q_i/sum(q)|, in [0, 1]. Returns 0 if both are empty and 1 if
// exactly one is empty. `p` and `q` must have the same length.
double TotalVariation(std::span<const double> p, std::span<const double> q);

// Two-sample Kolmogorov-Smirnov statistic sup_x |F_a(x) - F_b(x)| of the empirical CDFs, in
// [0, 1]. NaNs are skipped; returns 0 if both are empty, 1 if exactly one is.
double KolmogorovSmirnov(std::span<const double> a, std::span<const double> b);

// Wasserstein-1 (earth mover's) distance between the empirical distributions of `a` and `b`:
// integral of |F_a(x) - F_b(x)| dx. NaNs are skipped; 0 if either is empty.
double Wasserstein1(std::span<const double> a, std::span<const double> b);

// Pearson correlation over the rows where both values are present. Returns 0 when fewer than
// two such rows exist or either variable is constant on them (correlation undefined).
double Pearson(std::span<const double> x, std::span<const double> y);

// Cramér's V (Cramér 1946) between two categorical variables given as codes in [0, kx) and
// [0, ky) (negative = missing, skipped): sqrt(chi2 / (n * (min(r, c) - 1))) where r and c count
// the levels actually observed. No bias correction. Returns 0 if min(r, c) < 2.
double CramersV(std::span<const int32_t> x, int32_t kx, std::span<const int32_t> y, int32_t ky);

// Correlation ratio eta (Pearson 1903) of numeric `y` on categorical `c` (codes in [0, k)):
// sqrt(sum_c n_c (mean_c - mean)^2 / sum_i (y_i - mean)^2), in [0, 1]. Rows with a missing
// value on either side are skipped. Returns 0 if y is constant.
double CorrelationRatio(std::span<const int32_t> c, int32_t k, std::span<const double> y);

// Quantile (type 7, linear interpolation, as numpy's default) of sorted, NaN-free data.
double SortedQuantile(std::span<const double> sorted, double q);

// Area under the ROC curve of `scores` for binary `labels` (1 = positive): the Mann-Whitney
// probability that a random positive scores above a random negative, ties counting 1/2.
// Returns 0.5 if either class is empty.
double RocAuc(std::span<const double> scores, std::span<const uint8_t> labels);

// max over thresholds t of TPR(t) - FPR(t) for the rule "score >= t => positive", in [0, 1]
// (the attacker's membership advantage of Yeom et al., CSF 2018, at the best threshold).
// Returns 0 if either class is empty.
double MaxAdvantage(std::span<const double> scores, std::span<const uint8_t> labels);

// Macro-averaged F1 over the classes in [0, k) that occur in `truth` or `predicted`.
double MacroF1(std::span<const int32_t> truth, std::span<const int32_t> predicted, int32_t k);

// Macro one-vs-rest ROC AUC: probs is row-major n x k class probabilities. Classes absent from
// `truth` (or present in every row) are skipped. For k == 2 this equals RocAuc on column 1.
double MacroAuc(std::span<const int32_t> truth, std::span<const double> probs, int32_t k);

// The NIST SDNist k-marginal score for one set of marginals (see KMarginalScore in
// evaluation.h for how the marginals are chosen): 1000 * (1 - mean_m TVD_m), i.e. SDNist's
// (2 - mean_m sum_cells |t - s|) * 500, where TVD_m is the total variation distance between the
// real and synthetic densities of marginal m. In [0, 1000]; 1000 = identical marginals.
double KMarginalScoreFromTvds(std::span<const double> tvds);

}  // namespace dpkit::report

#endif  // DPKIT_REPORT_METRICS_H_
