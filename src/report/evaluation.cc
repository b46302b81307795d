#include "dpkit/report/evaluation.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "dpkit/base/status.h"
#include "dpkit/io/table.h"
#include "dpkit/report/metrics.h"
#include "fmt/format.h"
#include "report/encode.h"
#include "report/neighbors.h"
#include "report/tree.h"

namespace dpkit::report {
namespace {

using internal::Encoded;
using internal::EncodedColumn;
using internal::Part;

constexpr int32_t kMaxModelLevels = 64;  // categorical levels kept as model features
constexpr int32_t kMaxClasses = 20;      // classes kept for a categorical target

std::string Num(double v) { return fmt::format("{:.4g}", v); }

// Codes with at most `max_levels` levels: the most frequent (in real) max_levels - 1 levels
// keep their own code, the rest share the last one.
struct Capped {
  std::vector<int32_t> map;  // original code -> capped code
  int32_t levels = 0;
};

Capped CapLevels(const std::vector<int32_t>& real_codes, int32_t levels, int32_t max_levels) {
  Capped out;
  out.map.resize(levels);
  if (levels <= max_levels) {
    std::iota(out.map.begin(), out.map.end(), 0);
    out.levels = levels;
    return out;
  }
  std::vector<int64_t> freq(levels, 0);
  for (int32_t c : real_codes) ++freq[c];
  std::vector<int32_t> order(levels);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int32_t a, int32_t b) { return freq[a] > freq[b]; });
  for (int32_t i = 0; i < levels; ++i) out.map[order[i]] = std::min(i, max_levels - 1);
  out.levels = max_levels;
  return out;
}

std::vector<int32_t> ApplyCap(const Capped& cap, const std::vector<int32_t>& codes) {
  std::vector<int32_t> out(codes.size());
  for (size_t i = 0; i < codes.size(); ++i) out[i] = cap.map[codes[i]];
  return out;
}

// Per part: the model-ready (capped) codes of every column.
struct ModelCodes {
  std::vector<std::vector<int32_t>> real, synthetic, holdout;
  std::vector<int32_t> levels;
};

ModelCodes MakeModelCodes(const Encoded& enc) {
  ModelCodes mc;
  const size_t n = enc.cols.size();
  mc.real.resize(n);
  mc.synthetic.resize(n);
  mc.holdout.resize(n);
  mc.levels.resize(n);
  for (size_t c = 0; c < n; ++c) {
    const Capped cap = CapLevels(enc.real.code[c], enc.cols[c].levels, kMaxModelLevels);
    mc.levels[c] = cap.levels;
    mc.real[c] = ApplyCap(cap, enc.real.code[c]);
    mc.synthetic[c] = ApplyCap(cap, enc.synthetic.code[c]);
    if (enc.has_holdout) mc.holdout[c] = ApplyCap(cap, enc.holdout.code[c]);
  }
  return mc;
}

std::vector<internal::FeatureView> Views(const std::vector<std::vector<int32_t>>& codes,
                                         const std::vector<int32_t>& levels,
                                         const std::vector<int>& cols) {
  std::vector<internal::FeatureView> v;
  for (int c : cols) v.push_back({&codes[c], levels[c]});
  return v;
}

// Labels for a prediction target: categorical -> top classes (rest merged into "other");
// numeric -> quartiles of the real column. Missing -> -1.
struct Labels {
  std::vector<int32_t> real, synthetic, holdout;
  std::vector<std::string> classes;
  std::string task;
};

Labels MakeLabels(const Encoded& enc, int c) {
  Labels out;
  const EncodedColumn& col = enc.cols[c];
  if (col.kind == ColumnKind::kCategorical) {
    const Capped cap = CapLevels(enc.real.code[c], col.levels, kMaxClasses);
    out.real = ApplyCap(cap, enc.real.code[c]);
    out.synthetic = ApplyCap(cap, enc.synthetic.code[c]);
    if (enc.has_holdout) out.holdout = ApplyCap(cap, enc.holdout.code[c]);
    out.classes.assign(cap.levels, "");
    for (int32_t l = 0; l < col.levels; ++l) {
      auto& name = out.classes[cap.map[l]];
      if (col.levels > kMaxClasses && cap.map[l] == kMaxClasses - 1) {
        name = "(other)";
      } else {
        name = col.dict[l].empty() ? "(missing)" : col.dict[l];
      }
    }
    out.task = "classification";
    return out;
  }
  std::vector<double> sorted;
  for (double v : enc.real.num[c]) {
    if (!std::isnan(v)) sorted.push_back(v);
  }
  std::sort(sorted.begin(), sorted.end());
  std::vector<double> edges;
  for (double q : {0.25, 0.5, 0.75}) {
    const double e = SortedQuantile(sorted, q);
    if (!sorted.empty() && e > sorted.front() && (edges.empty() || e > edges.back())) {
      edges.push_back(e);
    }
  }
  auto label = [&](const std::vector<double>& v) {
    std::vector<int32_t> out(v.size());
    for (size_t i = 0; i < v.size(); ++i) {
      out[i] = std::isnan(v[i]) ? -1
                                : static_cast<int32_t>(std::upper_bound(edges.begin(), edges.end(),
                                                                        v[i]) -
                                                       edges.begin());
    }
    return out;
  };
  out.real = label(enc.real.num[c]);
  out.synthetic = label(enc.synthetic.num[c]);
  if (enc.has_holdout) out.holdout = label(enc.holdout.num[c]);
  for (size_t i = 0; i <= edges.size(); ++i) {
    const std::string lo = i == 0 ? Num(sorted.empty() ? 0 : sorted.front()) : Num(edges[i - 1]);
    const std::string hi = i == edges.size() ? Num(sorted.empty() ? 0 : sorted.back()) : Num(edges[i]);
    out.classes.push_back(fmt::format("{} – {}", lo, hi));
  }
  out.task = "classification of quartile bins";
  return out;
}

std::vector<size_t> LabelledRows(const std::vector<int32_t>& labels,
                                 std::span<const size_t> rows) {
  std::vector<size_t> out;
  for (size_t r : rows) {
    if (labels[r] >= 0) out.push_back(r);
  }
  return out;
}

std::vector<size_t> AllRows(size_t n) {
  std::vector<size_t> v(n);
  std::iota(v.begin(), v.end(), 0);
  return v;
}

ClassifierScores Score(const internal::DecisionTree& tree,
                       const std::vector<internal::FeatureView>& test_features,
                       const std::vector<int32_t>& test_labels, std::span<const size_t> rows,
                       int32_t k) {
  ClassifierScores s;
  if (rows.empty()) return s;
  const std::vector<double> proba = tree.PredictProba(test_features, rows);
  const std::vector<int32_t> pred = internal::ArgMax(proba, k);
  std::vector<int32_t> truth(rows.size());
  size_t correct = 0;
  for (size_t i = 0; i < rows.size(); ++i) {
    truth[i] = test_labels[rows[i]];
    correct += truth[i] == pred[i];
  }
  s.accuracy = static_cast<double>(correct) / rows.size();
  s.macro_f1 = MacroF1(truth, pred, k);
  s.auc = MacroAuc(truth, proba, k);
  return s;
}

double MajorityAccuracy(const std::vector<int32_t>& train_labels,
                        std::span<const size_t> train_rows,
                        const std::vector<int32_t>& test_labels, std::span<const size_t> test_rows,
                        int32_t k) {
  if (test_rows.empty()) return 0;
  std::vector<int64_t> counts(k, 0);
  for (size_t r : train_rows) ++counts[train_labels[r]];
  const int32_t majority =
      static_cast<int32_t>(std::max_element(counts.begin(), counts.end()) - counts.begin());
  size_t hits = 0;
  for (size_t r : test_rows) hits += test_labels[r] == majority;
  return static_cast<double>(hits) / test_rows.size();
}

// ---------------------------------------------------------------------------------------------
// Privacy: replay against its chance baseline.

// Sets rep->expected and rep->above_chance from the holdout's values (see evaluation.h): the
// replay rate among real candidates vs among holdout candidates, one-sided two-proportion
// z-test at 1% (z > 2.326).
void JudgeAgainstChance(PrivacyRiskResult::Replay* rep) {
  if (rep->holdout_candidates == 0 || rep->candidates == 0) {
    rep->above_chance = rep->replayed > 0;
    return;
  }
  const double n1 = static_cast<double>(rep->candidates);
  const double n2 = static_cast<double>(rep->holdout_candidates);
  const double a = static_cast<double>(rep->replayed) / n1;
  const double b = static_cast<double>(rep->holdout_replayed) / n2;
  rep->expected = b * n1;
  const double pool = static_cast<double>(rep->replayed + rep->holdout_replayed) / (n1 + n2);
  const double se = std::sqrt(pool * (1 - pool) * (1 / n1 + 1 / n2));
  rep->above_chance = rep->replayed > 0 && (se > 0 ? (a - b) / se > 2.326 : a > b);
}

// ---------------------------------------------------------------------------------------------
// Fidelity.

// A numeric axis value as text: a date for date columns.
std::string AxisLabel(double v, bool is_date) {
  return is_date ? io::FormatDate(static_cast<int64_t>(std::floor(v))) : Num(v);
}

// Share of the real column's values outside the synthesizer's range (options.ranges).
std::optional<double> ClippedShare(const Encoded& enc, int c, const EvaluationOptions& options) {
  for (const auto& r : options.ranges) {
    if (r.column != enc.cols[c].name) continue;
    double outside = 0, present = 0;
    for (double v : enc.real.num[c]) {
      if (std::isnan(v)) continue;
      present += 1;
      outside += v < r.lower || v > r.upper;
    }
    return present > 0 ? outside / present : 0.0;
  }
  return std::nullopt;
}

// For an options.other_columns column: the synthetic share of the "other" value, and the real
// share of rows whose value does not occur in the synthetic table.
void OtherShares(const Encoded& enc, int c, const EvaluationOptions& options,
                 ColumnFidelity* f) {
  const EncodedColumn& col = enc.cols[c];
  const auto& others = options.other_columns;
  if (std::find(others.begin(), others.end(), col.name) == others.end()) return;
  std::vector<char> in_synthetic(col.levels, 0);
  double other = 0;
  for (int32_t v : enc.synthetic.code[c]) {
    in_synthetic[v] = 1;
    other += col.kind == ColumnKind::kCategorical && col.dict[v] == options.other_value;
  }
  double unmatched = 0;
  for (int32_t v : enc.real.code[c]) unmatched += !in_synthetic[v];
  f->other_synthetic = enc.synthetic.rows > 0 ? other / enc.synthetic.rows : 0.0;
  f->unmatched_real = enc.real.rows > 0 ? unmatched / enc.real.rows : 0.0;
}

ColumnFidelity ColumnMetrics(const Encoded& enc, int c, const EvaluationOptions& options) {
  const EncodedColumn& col = enc.cols[c];
  ColumnFidelity f;
  f.name = col.name;
  f.kind = col.kind;
  f.is_date = col.is_date;
  f.clipped_real = ClippedShare(enc, c, options);
  OtherShares(enc, c, options, &f);
  const size_t nr = enc.real.rows, ns = enc.synthetic.rows;
  if (col.kind == ColumnKind::kNumeric) {
    const auto& xr = enc.real.num[c];
    const auto& xs = enc.synthetic.num[c];
    size_t mr = 0, ms = 0;
    for (double v : xr) mr += std::isnan(v);
    for (double v : xs) ms += std::isnan(v);
    f.missing_real = static_cast<double>(mr) / nr;
    f.missing_synthetic = static_cast<double>(ms) / ns;
    f.ks = KolmogorovSmirnov(xr, xs);
    f.wasserstein = Wasserstein1(xr, xs);
    const double range = col.hi - col.lo;
    f.wasserstein_normalized = range > 0 ? *f.wasserstein / range : 0.0;
    {
      absl::flat_hash_set<double> dr(xr.begin(), xr.end()), ds(xs.begin(), xs.end());
      f.distinct_real = dr.size();
      f.distinct_synthetic = ds.size();
    }
    const int bins = std::max(1, options.histogram_bins);
    std::vector<double> hr(bins, 0), hs(bins, 0);
    auto bin_of = [&](double v) {
      if (range <= 0) return 0;
      const int b = static_cast<int>(std::floor((v - col.lo) / range * bins));
      return std::clamp(b, 0, bins - 1);
    };
    double tr = 0, ts = 0;
    for (double v : xr) {
      if (!std::isnan(v)) hr[bin_of(v)] += 1, tr += 1;
    }
    for (double v : xs) {
      if (!std::isnan(v)) hs[bin_of(v)] += 1, ts += 1;
    }
    for (int b = 0; b < bins; ++b) {
      HistogramBin bin;
      const double lo = col.lo + range * b / bins, hi = col.lo + range * (b + 1) / bins;
      bin.label = fmt::format("{} – {}", AxisLabel(lo, col.is_date), AxisLabel(hi, col.is_date));
      bin.real = tr > 0 ? hr[b] / tr : 0;
      bin.synthetic = ts > 0 ? hs[b] / ts : 0;
      f.histogram.push_back(std::move(bin));
      if (range <= 0) break;
    }
  } else {
    std::vector<double> cr(col.levels, 0), cs(col.levels, 0);
    for (int32_t v : enc.real.code[c]) cr[v] += 1;
    for (int32_t v : enc.synthetic.code[c]) cs[v] += 1;
    f.tvd = TotalVariation(cr, cs);
    for (int32_t l = 0; l < col.levels; ++l) {
      f.distinct_real += cr[l] > 0;
      f.distinct_synthetic += cs[l] > 0;
      if (col.dict[l].empty()) {
        f.missing_real = cr[l] / nr;
        f.missing_synthetic = cs[l] / ns;
      }
    }
    std::vector<int32_t> order(col.levels);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
      return cr[a] != cr[b] ? cr[a] > cr[b] : cs[a] > cs[b];
    });
    const int shown = std::min<int>(col.levels, std::max(1, options.max_categories_shown));
    double rest_r = 0, rest_s = 0;
    for (int i = 0; i < col.levels; ++i) {
      const int32_t l = order[i];
      if (i < shown) {
        f.histogram.push_back({col.dict[l].empty() ? "(missing)" : col.dict[l], cr[l] / nr,
                               cs[l] / ns});
      } else {
        rest_r += cr[l];
        rest_s += cs[l];
      }
    }
    if (col.levels > shown) {
      f.histogram.push_back(
          {fmt::format("(other {} values)", col.levels - shown), rest_r / nr, rest_s / ns});
    }
  }
  return f;
}

double Association(const Encoded& enc, const Part& part, const ModelCodes& mc,
                   const std::vector<std::vector<int32_t>>& codes, int a, int b,
                   std::string* measure) {
  const bool na = enc.cols[a].kind == ColumnKind::kNumeric;
  const bool nb = enc.cols[b].kind == ColumnKind::kNumeric;
  if (na && nb) {
    *measure = "pearson";
    return Pearson(part.num[a], part.num[b]);
  }
  if (!na && !nb) {
    *measure = "cramers_v";
    return CramersV(codes[a], mc.levels[a], codes[b], mc.levels[b]);
  }
  *measure = "eta";
  const int cat = na ? b : a, num = na ? a : b;
  return CorrelationRatio(codes[cat], mc.levels[cat], part.num[num]);
}

AssociationMatrices Associations(const Encoded& enc, const ModelCodes& mc,
                                 const std::vector<int>& cols) {
  AssociationMatrices m;
  const size_t d = cols.size();
  for (int c : cols) m.columns.push_back(enc.cols[c].name);
  m.measure.assign(d * d, "");
  m.real.assign(d * d, 1.0);
  m.synthetic.assign(d * d, 1.0);
  m.difference.assign(d * d, 0.0);
  double total = 0;
  size_t pairs = 0;
  for (size_t i = 0; i < d; ++i) {
    for (size_t j = i + 1; j < d; ++j) {
      std::string measure;
      const double r = Association(enc, enc.real, mc, mc.real, cols[i], cols[j], &measure);
      const double s =
          Association(enc, enc.synthetic, mc, mc.synthetic, cols[i], cols[j], &measure);
      for (size_t idx : {i * d + j, j * d + i}) {
        m.measure[idx] = measure;
        m.real[idx] = r;
        m.synthetic[idx] = s;
        m.difference[idx] = s - r;
      }
      total += std::abs(s - r);
      m.max_abs_difference = std::max(m.max_abs_difference, std::abs(s - r));
      ++pairs;
    }
    m.measure[i * d + i] = "self";
  }
  m.mean_abs_difference = pairs > 0 ? total / pairs : 0;
  return m;
}

// The SDNist k-marginal score over k-subsets of `cols` (codes: categorical values as they are,
// numeric columns in quantile bins, missing as its own value).
KMarginalResult KMarginal(const Encoded& enc, const std::vector<int>& cols,
                          const EvaluationOptions& options, random::BitGenerator& rng) {
  KMarginalResult res;
  const int d = static_cast<int>(cols.size());
  const int k = std::min(options.kmarginal_k, d);
  res.k = k;
  res.binning = fmt::format(
      "categorical columns use their values as they are; numeric columns are cut into (up to) "
      "{} quantile bins of the real column (deciles for 10); a missing value is a value of its "
      "own",
      options.numeric_bins);
  if (k <= 0) return res;
  // Number of k-subsets, saturating.
  double possible = 1;
  for (int i = 0; i < k; ++i) possible = possible * (d - i) / (i + 1);
  res.marginals_possible = static_cast<int64_t>(std::llround(possible));
  std::vector<std::vector<int>> subsets;
  if (possible <= options.kmarginal_max) {
    std::vector<int> idx(k);
    std::iota(idx.begin(), idx.end(), 0);
    while (true) {
      subsets.push_back(idx);
      int i = k - 1;
      while (i >= 0 && idx[i] == d - k + i) --i;
      if (i < 0) break;
      ++idx[i];
      for (int j = i + 1; j < k; ++j) idx[j] = idx[j - 1] + 1;
    }
  } else {
    absl::flat_hash_set<std::vector<int>> seen;
    while (static_cast<int>(subsets.size()) < options.kmarginal_max) {
      std::vector<size_t> pick = internal::SampleIndices(d, k, rng);
      std::vector<int> s(pick.begin(), pick.end());
      std::sort(s.begin(), s.end());
      if (seen.insert(s).second) subsets.push_back(std::move(s));
    }
  }
  std::vector<double> tvds;
  std::vector<std::pair<double, size_t>> ranked;
  std::vector<double> dense_r, dense_s;
  absl::flat_hash_map<uint64_t, std::pair<double, double>> sparse;
  const double nr = enc.real.rows, ns = enc.synthetic.rows;
  for (size_t si = 0; si < subsets.size(); ++si) {
    const auto& s = subsets[si];
    double cells = 1;
    for (int i : s) cells *= enc.cols[cols[i]].levels;
    auto key = [&](const Part& p, size_t r) {
      uint64_t kk = 0;
      if (cells <= (1ull << 62)) {
        for (int i : s) kk = kk * enc.cols[cols[i]].levels + p.code[cols[i]][r];
      } else {
        for (int i : s) kk = (kk ^ static_cast<uint64_t>(p.code[cols[i]][r])) * 0x100000001b3ull;
      }
      return kk;
    };
    double tvd = 0;
    if (cells <= (1 << 20)) {
      dense_r.assign(static_cast<size_t>(cells), 0.0);
      dense_s.assign(static_cast<size_t>(cells), 0.0);
      for (size_t r = 0; r < enc.real.rows; ++r) dense_r[key(enc.real, r)] += 1;
      for (size_t r = 0; r < enc.synthetic.rows; ++r) dense_s[key(enc.synthetic, r)] += 1;
      tvd = TotalVariation(dense_r, dense_s);
    } else {
      sparse.clear();
      for (size_t r = 0; r < enc.real.rows; ++r) sparse[key(enc.real, r)].first += 1;
      for (size_t r = 0; r < enc.synthetic.rows; ++r) sparse[key(enc.synthetic, r)].second += 1;
      for (const auto& [kk, v] : sparse) tvd += std::abs(v.first / nr - v.second / ns);
      tvd *= 0.5;
    }
    tvds.push_back(tvd);
    ranked.push_back({tvd, si});
  }
  res.marginals_scored = static_cast<int64_t>(tvds.size());
  res.score = KMarginalScoreFromTvds(tvds);
  res.mean_tvd = 1.0 - res.score / 1000.0;
  std::sort(ranked.begin(), ranked.end(), std::greater<>());
  for (size_t i = 0; i < ranked.size() && i < 5; ++i) {
    KMarginalResult::Worst w;
    w.tvd = ranked[i].first;
    for (int j : subsets[ranked[i].second]) w.columns.push_back(enc.cols[cols[j]].name);
    res.worst.push_back(std::move(w));
  }
  return res;
}

// ---------------------------------------------------------------------------------------------
// Privacy.

DistanceSummary Summarize(std::vector<double> d, double hist_max, int bins) {
  DistanceSummary s;
  s.n = static_cast<int64_t>(d.size());
  if (d.empty()) return s;
  std::sort(d.begin(), d.end());
  s.p05 = SortedQuantile(d, 0.05);
  s.median = SortedQuantile(d, 0.5);
  s.mean = std::accumulate(d.begin(), d.end(), 0.0) / d.size();
  s.zero_share = static_cast<double>(std::upper_bound(d.begin(), d.end(), 0.0) - d.begin()) /
                 d.size();
  s.histogram.assign(bins, 0.0);
  for (double v : d) {
    const int b = hist_max > 0 ? static_cast<int>(v / hist_max * bins) : 0;
    s.histogram[std::clamp(b, 0, bins - 1)] += 1.0 / d.size();
  }
  return s;
}

std::string RowKey(const TextTable& t, const std::vector<int>& column_of, size_t r) {
  std::string key;
  for (int c : column_of) {
    key += t.columns[c][r];
    key.push_back('\x1f');
  }
  return key;
}

std::string Mask(const std::string& v) {
  std::string out;
  size_t keep = 0;
  while (keep < v.size() && keep < 2 && static_cast<unsigned char>(v[keep]) < 0x80) ++keep;
  out = v.substr(0, keep);
  out += "•••";
  out += fmt::format(" ({} chars)", v.size());
  return out;
}

}  // namespace

absl::StatusOr<Evaluation> Evaluate(const TextTable& real, const TextTable& synthetic,
                                    const TextTable* holdout, const EvaluationOptions& options,
                                    random::BitGenerator& rng) {
  const auto start = std::chrono::steady_clock::now();
  if (options.kmarginal_k < 1 || options.kmarginal_k > 6) {
    return absl::InvalidArgumentError(
        absl::StrCat("kmarginal_k must be in [1, 6], got ", options.kmarginal_k));
  }
  if (options.kmarginal_max < 1 || options.privacy_sample < 10 || options.numeric_bins < 2 ||
      options.histogram_bins < 1 || options.tree_max_depth < 1 || options.tree_min_leaf < 1) {
    return absl::InvalidArgumentError(fmt::format(
        "invalid evaluation options: kmarginal_max={} (>= 1), privacy_sample={} (>= 10), "
        "numeric_bins={} (>= 2), histogram_bins={} (>= 1), tree depth/min leaf {}/{} (>= 1)",
        options.kmarginal_max, options.privacy_sample, options.numeric_bins,
        options.histogram_bins, options.tree_max_depth, options.tree_min_leaf));
  }
  if (!(options.test_fraction > 0 && options.test_fraction < 1)) {
    return absl::InvalidArgumentError(
        fmt::format("test_fraction must be in (0, 1), got {}", options.test_fraction));
  }
  for (const auto& name : options.quasi_identifiers) {
    if (std::find(real.names.begin(), real.names.end(), name) == real.names.end()) {
      return absl::InvalidArgumentError(absl::StrCat("unknown quasi-identifier column '", name,
                                                     "': the real table ", real.source,
                                                     " has no such column"));
    }
  }
  for (const std::string* name : {&options.target, &options.sensitive}) {
    if (!name->empty() &&
        std::find(real.names.begin(), real.names.end(), *name) == real.names.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown ", name == &options.target ? "target" : "sensitive", " column '",
                       *name, "': the real table ", real.source, " has columns ",
                       absl::StrJoin(real.names, ", ")));
    }
  }
  DPKIT_ASSIGN_OR_RETURN(Encoded enc, internal::Encode(real, synthetic, holdout, options));
  const ModelCodes mc = MakeModelCodes(enc);

  Evaluation ev;
  ev.real_source = real.source;
  ev.synthetic_source = synthetic.source;
  ev.real_rows = static_cast<int64_t>(enc.real.rows);
  ev.synthetic_rows = static_cast<int64_t>(enc.synthetic.rows);
  if (holdout) {
    ev.holdout_source = holdout->source;
    ev.holdout_rows = static_cast<int64_t>(enc.holdout.rows);
  }
  std::vector<int> used;  // non-identifier columns
  for (size_t c = 0; c < enc.cols.size(); ++c) {
    if (enc.cols[c].identifier) {
      ev.excluded_columns.push_back(
          fmt::format("{} ({})", enc.cols[c].name, enc.cols[c].identifier_reason));
    } else {
      used.push_back(static_cast<int>(c));
    }
  }
  auto index_of = [&](const std::string& name) {
    for (size_t c = 0; c < enc.cols.size(); ++c) {
      if (enc.cols[c].name == name) return static_cast<int>(c);
    }
    return -1;
  };

  // Fidelity.
  for (int c : used) ev.columns.push_back(ColumnMetrics(enc, c, options));
  ev.associations = Associations(enc, mc, used);
  ev.kmarginal = KMarginal(enc, used, options, rng);

  // Real rows used for training and testing.
  std::vector<size_t> real_train = AllRows(enc.real.rows), real_test;
  const bool split_real = !enc.has_holdout;
  if (split_real) {
    std::vector<size_t> perm = internal::SampleIndices(enc.real.rows, enc.real.rows, rng);
    const size_t n_test = std::max<size_t>(1, std::llround(options.test_fraction * perm.size()));
    real_test.assign(perm.begin(), perm.begin() + std::min(n_test, perm.size()));
    real_train.assign(perm.begin() + std::min(n_test, perm.size()), perm.end());
    std::sort(real_test.begin(), real_test.end());
    std::sort(real_train.begin(), real_train.end());
  }
  const internal::DecisionTree::Options tree_options{options.tree_max_depth,
                                                     options.tree_min_leaf};

  // Utility.
  UtilityResult& ut = ev.utility;
  if (options.target.empty()) {
    ut.skipped_reason = "no target column given (pass --target <column>)";
  } else {
    const int t = index_of(options.target);
    ut.target = options.target;
    if (enc.cols[t].identifier) {
      return absl::InvalidArgumentError(absl::StrCat(
          "target column '", options.target,
          "' holds identifiers (one value per row); choose a column with repeated values"));
    }
    const Labels labels = MakeLabels(enc, t);
    const int32_t k = static_cast<int32_t>(labels.classes.size());
    ut.task = labels.task;
    ut.classes = labels.classes;
    std::vector<int> feats;
    for (int c : used) {
      if (c != t) feats.push_back(c);
    }
    for (int c : feats) ut.features.push_back(enc.cols[c].name);
    const auto& test_codes = split_real ? mc.real : mc.holdout;
    const auto& test_labels = split_real ? labels.real : labels.holdout;
    const std::vector<size_t> test_rows =
        LabelledRows(test_labels, split_real ? std::span<const size_t>(real_test)
                                             : std::span<const size_t>(AllRows(enc.holdout.rows)));
    const std::vector<size_t> train_r = LabelledRows(labels.real, real_train);
    const std::vector<size_t> train_s = LabelledRows(labels.synthetic, AllRows(enc.synthetic.rows));
    ut.test_set = split_real ? fmt::format("a random {:.0f}% of the real rows ({} rows; the "
                                           "synthesizer may have seen them)",
                                           options.test_fraction * 100, test_rows.size())
                             : fmt::format("the holdout ({} rows)", test_rows.size());
    ut.train_rows_real = static_cast<int64_t>(train_r.size());
    ut.train_rows_synthetic = static_cast<int64_t>(train_s.size());
    ut.test_rows = static_cast<int64_t>(test_rows.size());
    if (k < 2) {
      ut.skipped_reason = fmt::format("target column '{}' has a single value", options.target);
    } else if (test_rows.empty() || train_r.empty() || train_s.empty()) {
      ut.skipped_reason = "no rows with a target value in one of the tables";
    } else {
      const auto test_views = Views(test_codes, mc.levels, feats);
      const auto tree_r = internal::DecisionTree::Train(Views(mc.real, mc.levels, feats),
                                                        labels.real, train_r, k, tree_options);
      const auto tree_s = internal::DecisionTree::Train(
          Views(mc.synthetic, mc.levels, feats), labels.synthetic, train_s, k, tree_options);
      ut.train_real = Score(tree_r, test_views, test_labels, test_rows, k);
      ut.train_synthetic = Score(tree_s, test_views, test_labels, test_rows, k);
      ut.majority_baseline = MajorityAccuracy(labels.real, train_r, test_labels, test_rows, k);
      ut.computed = true;
    }
  }

  // Privacy: distances.
  PrivacyRiskResult& pr = ev.privacy;
  const int threads = std::max(1, options.threads);
  const size_t sample = static_cast<size_t>(options.privacy_sample);
  pr.distance = fmt::format(
      "Gower distance over the {} non-identifier columns: numeric differences divided by the "
      "real column's range, categorical mismatch = 1, averaged (0 = identical, 1 = maximally "
      "different); {} sampled rows per side",
      used.size(), sample);
  const std::vector<size_t> all_real = AllRows(enc.real.rows);
  const internal::PointSet real_ps = internal::MakePointSet(enc, enc.real, used, all_real);
  const std::vector<size_t> syn_sample = internal::SampleIndices(enc.synthetic.rows, sample, rng);
  const internal::PointSet syn_q = internal::MakePointSet(enc, enc.synthetic, used, syn_sample);
  std::vector<double> d_syn = internal::NearestDistances(syn_q, real_ps, threads);
  std::vector<double> d_hold;
  if (enc.has_holdout) {
    const std::vector<size_t> hold_sample = internal::SampleIndices(enc.holdout.rows, sample, rng);
    const internal::PointSet hold_q = internal::MakePointSet(enc, enc.holdout, used, hold_sample);
    d_hold = internal::NearestDistances(hold_q, real_ps, threads);
  }
  double hist_max = 0;
  for (const auto* v : {&d_syn, &d_hold}) {
    if (v->empty()) continue;
    std::vector<double> s = *v;
    std::sort(s.begin(), s.end());
    hist_max = std::max(hist_max, SortedQuantile(s, 0.99));
  }
  hist_max = hist_max > 0 ? hist_max * 1.05 : 1.0;
  pr.histogram_max = hist_max;
  pr.synthetic_to_train = Summarize(d_syn, hist_max, 20);
  if (enc.has_holdout) {
    pr.holdout_to_train = Summarize(d_hold, hist_max, 20);
    // Closer-to-train share with training subsampled to the holdout's size.
    // (When the holdout is at least as large as the real table, all real rows are used and
    // the distances computed above are reused.)
    std::vector<double> dt;
    if (enc.holdout.rows >= enc.real.rows) {
      dt = d_syn;
    } else {
      const std::vector<size_t> train_sub =
          internal::SampleIndices(enc.real.rows, enc.holdout.rows, rng);
      const internal::PointSet train_ps = internal::MakePointSet(enc, enc.real, used, train_sub);
      dt = internal::NearestDistances(syn_q, train_ps, threads);
    }
    const internal::PointSet hold_ps =
        internal::MakePointSet(enc, enc.holdout, used, AllRows(enc.holdout.rows));
    const auto dh = internal::NearestDistances(syn_q, hold_ps, threads);
    double closer = 0;
    for (size_t i = 0; i < dt.size(); ++i) closer += dt[i] < dh[i] ? 1.0 : (dt[i] == dh[i] ? 0.5 : 0);
    pr.closer_to_train_share = dt.empty() ? 0.5 : closer / dt.size();
    // Membership inference: members (training rows) vs non-members (holdout rows), equal counts.
    const size_t m = std::min({sample, enc.real.rows, enc.holdout.rows});
    const std::vector<size_t> members = internal::SampleIndices(enc.real.rows, m, rng);
    const std::vector<size_t> non_members = internal::SampleIndices(enc.holdout.rows, m, rng);
    const std::vector<size_t> all_syn = AllRows(enc.synthetic.rows);
    const internal::PointSet syn_ps = internal::MakePointSet(enc, enc.synthetic, used, all_syn);
    const auto dm = internal::NearestDistances(
        internal::MakePointSet(enc, enc.real, used, members), syn_ps, threads);
    const auto dn = internal::NearestDistances(
        internal::MakePointSet(enc, enc.holdout, used, non_members), syn_ps, threads);
    std::vector<double> scores;
    std::vector<uint8_t> is_member;
    for (double v : dm) scores.push_back(-v), is_member.push_back(1);
    for (double v : dn) scores.push_back(-v), is_member.push_back(0);
    pr.membership_auc = RocAuc(scores, is_member);
    pr.membership_advantage = MaxAdvantage(scores, is_member);
    pr.membership_chance_level = 1.358 * std::sqrt(2.0 / std::max<double>(1, m));
    pr.membership_members = static_cast<int64_t>(m);
    pr.membership_non_members = static_cast<int64_t>(m);
    pr.membership_note =
        "attacker scores a record by minus its distance to the closest synthetic row; "
        "advantage = max over thresholds of TPR - FPR on the evaluated records (slightly "
        "optimistic for the attacker)";
  } else {
    pr.membership_note =
        "needs a holdout (real rows the synthesizer never saw): pass --holdout";
  }

  // Privacy: attribute inference.
  {
    const std::string& sens = options.sensitive.empty() ? options.target : options.sensitive;
    pr.sensitive = sens;
    if (sens.empty()) {
      pr.attribute_skipped_reason = "no sensitive column given (pass --sensitive or --target)";
    } else {
      const int sc = index_of(sens);
      std::vector<int> qis;
      if (!options.quasi_identifiers.empty()) {
        for (const auto& q : options.quasi_identifiers) {
          const int c = index_of(q);
          if (c != sc && !enc.cols[c].identifier) qis.push_back(c);
        }
      } else {
        for (int c : used) {
          if (c != sc) qis.push_back(c);
        }
      }
      for (int c : qis) pr.quasi_identifiers.push_back(enc.cols[c].name);
      const Labels labels = MakeLabels(enc, sc);
      const int32_t k = static_cast<int32_t>(labels.classes.size());
      if (enc.cols[sc].identifier) {
        pr.attribute_skipped_reason = "the sensitive column holds identifiers";
      } else if (qis.empty() || k < 2) {
        pr.attribute_skipped_reason = "no quasi-identifiers, or the sensitive column is constant";
      } else {
        const auto train_s =
            LabelledRows(labels.synthetic, AllRows(enc.synthetic.rows));
        const auto tree = internal::DecisionTree::Train(Views(mc.synthetic, mc.levels, qis),
                                                        labels.synthetic, train_s, k, tree_options);
        const auto rows_r = LabelledRows(labels.real, all_real);
        pr.attribute_accuracy_train =
            Score(tree, Views(mc.real, mc.levels, qis), labels.real, rows_r, k).accuracy;
        pr.attribute_baseline = MajorityAccuracy(labels.real, rows_r, labels.real, rows_r, k);
        if (enc.has_holdout) {
          const auto rows_h = LabelledRows(labels.holdout, AllRows(enc.holdout.rows));
          pr.attribute_accuracy_holdout =
              Score(tree, Views(mc.holdout, mc.levels, qis), labels.holdout, rows_h, k).accuracy;
          pr.attribute_advantage = pr.attribute_accuracy_train - *pr.attribute_accuracy_holdout;
        } else {
          pr.attribute_advantage = pr.attribute_accuracy_train - pr.attribute_baseline;
        }
        pr.attribute_computed = true;
      }
    }
  }

  // Privacy: exact matches.
  {
    absl::flat_hash_set<std::string> real_rows;
    real_rows.reserve(enc.real.rows);
    for (size_t r = 0; r < enc.real.rows; ++r) {
      real_rows.insert(RowKey(real, enc.real.column_of, r));
    }
    pr.synthetic_rows = static_cast<int64_t>(enc.synthetic.rows);
    for (size_t r = 0; r < enc.synthetic.rows; ++r) {
      pr.exact_matches += real_rows.contains(RowKey(synthetic, enc.synthetic.column_of, r));
    }
    if (holdout) {
      pr.holdout_rows = static_cast<int64_t>(enc.holdout.rows);
      int64_t h = 0;
      for (size_t r = 0; r < enc.holdout.rows; ++r) {
        h += real_rows.contains(RowKey(*holdout, enc.holdout.column_of, r));
      }
      pr.holdout_exact_matches = h;
    }
  }

  // Privacy: PII replay.
  {
    std::vector<uint8_t> row_hit(enc.synthetic.rows, 0);
    for (size_t c = 0; c < enc.cols.size(); ++c) {
      const EncodedColumn& col = enc.cols[c];
      if (col.kind != ColumnKind::kCategorical) continue;
      std::vector<int64_t> freq(col.levels, 0);
      for (int32_t v : enc.real.code[c]) ++freq[v];
      std::vector<uint8_t> candidate(col.levels, 0);
      int64_t n_candidates = 0;
      for (int32_t l = 0; l < col.levels; ++l) {
        if (freq[l] == 0 || col.dict[l].empty()) continue;
        double unused;
        const bool rare = freq[l] <= options.rare_max_count &&
                          static_cast<int>(col.dict[l].size()) >= options.rare_min_length &&
                          !internal::ParseNumber(col.dict[l], &unused);
        if (col.identifier || rare) {
          candidate[l] = 1;
          ++n_candidates;
        }
      }
      if (n_candidates == 0) continue;
      PrivacyRiskResult::Replay rep;
      rep.column = col.name;
      rep.reason = col.identifier
                       ? fmt::format("identifier ({})", col.identifier_reason)
                       : fmt::format("rare values (<= {} occurrence{} in real)",
                                     options.rare_max_count, options.rare_max_count == 1 ? "" : "s");
      rep.candidates = n_candidates;
      std::vector<uint8_t> replayed(col.levels, 0);
      const auto& codes = enc.synthetic.code[c];
      for (size_t r = 0; r < codes.size(); ++r) {
        if (candidate[codes[r]]) {
          row_hit[r] = 1;
          if (!replayed[codes[r]]) {
            replayed[codes[r]] = 1;
            ++rep.replayed;
            if (rep.examples.size() < 3) rep.examples.push_back(Mask(col.dict[codes[r]]));
          }
        }
      }
      if (enc.has_holdout) {
        std::vector<int64_t> hfreq(col.levels, 0);
        for (int32_t v : enc.holdout.code[c]) ++hfreq[v];
        std::vector<uint8_t> hcand(col.levels, 0);
        for (int32_t l = 0; l < col.levels; ++l) {
          if (hfreq[l] == 0 || col.dict[l].empty()) continue;
          double unused;
          const bool rare = hfreq[l] <= options.rare_max_count &&
                            static_cast<int>(col.dict[l].size()) >= options.rare_min_length &&
                            !internal::ParseNumber(col.dict[l], &unused);
          if (col.identifier || rare) {
            hcand[l] = 1;
            ++rep.holdout_candidates;
          }
        }
        std::vector<uint8_t> hseen(col.levels, 0);
        for (int32_t v : codes) {
          if (hcand[v] && !hseen[v]) {
            hseen[v] = 1;
            ++rep.holdout_replayed;
          }
        }
      }
      JudgeAgainstChance(&rep);
      pr.replayed_values += rep.replayed;
      pr.excess_replayed += rep.excess();
      pr.replay.push_back(std::move(rep));
    }
    pr.replay_rows = std::count(row_hit.begin(), row_hit.end(), 1);
    pr.identifiers_replaced = options.identifiers_replaced;
  }

  ev.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return ev;
}

int64_t PrivacyRiskResult::Replay::excess() const {
  if (!above_chance) return 0;
  return std::max<int64_t>(0, replayed - std::llround(expected));
}

}  // namespace dpkit::report
