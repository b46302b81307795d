#include "dpkit/report/metrics.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

namespace dpkit::report {
namespace {

std::vector<double> SortedFinite(std::span<const double> v) {
  std::vector<double> out;
  out.reserve(v.size());
  for (double x : v) {
    if (!std::isnan(x)) out.push_back(x);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

double TotalVariation(std::span<const double> p, std::span<const double> q) {
  double sp = 0, sq = 0;
  for (double x : p) sp += x;
  for (double x : q) sq += x;
  if (sp <= 0 && sq <= 0) return 0;
  if (sp <= 0 || sq <= 0) return 1;
  double total = 0;
  const size_t n = std::min(p.size(), q.size());
  for (size_t i = 0; i < n; ++i) total += std::abs(p[i] / sp - q[i] / sq);
  return 0.5 * total;
}

double KolmogorovSmirnov(std::span<const double> a, std::span<const double> b) {
  std::vector<double> x = SortedFinite(a), y = SortedFinite(b);
  if (x.empty() && y.empty()) return 0;
  if (x.empty() || y.empty()) return 1;
  size_t i = 0, j = 0;
  double best = 0;
  const double nx = x.size(), ny = y.size();
  while (i < x.size() && j < y.size()) {
    const double v = std::min(x[i], y[j]);
    while (i < x.size() && x[i] <= v) ++i;
    while (j < y.size() && y[j] <= v) ++j;
    best = std::max(best, std::abs(i / nx - j / ny));
  }
  return best;
}

double Wasserstein1(std::span<const double> a, std::span<const double> b) {
  std::vector<double> x = SortedFinite(a), y = SortedFinite(b);
  if (x.empty() || y.empty()) return 0;
  // Integrate |F_x - F_y| over the merged breakpoints.
  size_t i = 0, j = 0;
  const double nx = x.size(), ny = y.size();
  double prev = std::min(x[0], y[0]);
  double total = 0;
  while (i < x.size() || j < y.size()) {
    double v;
    if (j >= y.size() || (i < x.size() && x[i] <= y[j])) {
      v = x[i];
    } else {
      v = y[j];
    }
    total += std::abs(i / nx - j / ny) * (v - prev);
    while (i < x.size() && x[i] <= v) ++i;
    while (j < y.size() && y[j] <= v) ++j;
    prev = v;
  }
  return total;
}

double Pearson(std::span<const double> x, std::span<const double> y) {
  const size_t n = std::min(x.size(), y.size());
  double mx = 0, my = 0;
  size_t m = 0;
  for (size_t i = 0; i < n; ++i) {
    if (std::isnan(x[i]) || std::isnan(y[i])) continue;
    ++m;
    mx += (x[i] - mx) / m;
    my += (y[i] - my) / m;
  }
  if (m < 2) return 0;
  double sxx = 0, syy = 0, sxy = 0;
  for (size_t i = 0; i < n; ++i) {
    if (std::isnan(x[i]) || std::isnan(y[i])) continue;
    const double dx = x[i] - mx, dy = y[i] - my;
    sxx += dx * dx;
    syy += dy * dy;
    sxy += dx * dy;
  }
  if (sxx <= 0 || syy <= 0) return 0;
  return std::clamp(sxy / std::sqrt(sxx * syy), -1.0, 1.0);
}

double CramersV(std::span<const int32_t> x, int32_t kx, std::span<const int32_t> y, int32_t ky) {
  if (kx <= 0 || ky <= 0) return 0;
  std::vector<double> table(static_cast<size_t>(kx) * ky, 0.0);
  std::vector<double> rows(kx, 0.0), cols(ky, 0.0);
  double n = 0;
  const size_t len = std::min(x.size(), y.size());
  for (size_t i = 0; i < len; ++i) {
    if (x[i] < 0 || y[i] < 0 || x[i] >= kx || y[i] >= ky) continue;
    table[static_cast<size_t>(x[i]) * ky + y[i]] += 1;
    rows[x[i]] += 1;
    cols[y[i]] += 1;
    n += 1;
  }
  const int r = std::count_if(rows.begin(), rows.end(), [](double v) { return v > 0; });
  const int c = std::count_if(cols.begin(), cols.end(), [](double v) { return v > 0; });
  if (std::min(r, c) < 2) return 0;
  double chi2 = 0;
  for (int32_t a = 0; a < kx; ++a) {
    if (rows[a] == 0) continue;
    for (int32_t b = 0; b < ky; ++b) {
      if (cols[b] == 0) continue;
      const double expected = rows[a] * cols[b] / n;
      const double d = table[static_cast<size_t>(a) * ky + b] - expected;
      chi2 += d * d / expected;
    }
  }
  return std::clamp(std::sqrt(chi2 / (n * (std::min(r, c) - 1))), 0.0, 1.0);
}

double CorrelationRatio(std::span<const int32_t> c, int32_t k, std::span<const double> y) {
  if (k <= 0) return 0;
  std::vector<double> sum(k, 0.0), cnt(k, 0.0);
  double total = 0, n = 0;
  const size_t len = std::min(c.size(), y.size());
  for (size_t i = 0; i < len; ++i) {
    if (c[i] < 0 || c[i] >= k || std::isnan(y[i])) continue;
    sum[c[i]] += y[i];
    cnt[c[i]] += 1;
    total += y[i];
    n += 1;
  }
  if (n < 2) return 0;
  const double mean = total / n;
  double ss_total = 0;
  for (size_t i = 0; i < len; ++i) {
    if (c[i] < 0 || c[i] >= k || std::isnan(y[i])) continue;
    ss_total += (y[i] - mean) * (y[i] - mean);
  }
  if (ss_total <= 0) return 0;
  double ss_between = 0;
  for (int32_t a = 0; a < k; ++a) {
    if (cnt[a] == 0) continue;
    const double d = sum[a] / cnt[a] - mean;
    ss_between += cnt[a] * d * d;
  }
  return std::clamp(std::sqrt(ss_between / ss_total), 0.0, 1.0);
}

double SortedQuantile(std::span<const double> sorted, double q) {
  if (sorted.empty()) return std::nan("");
  const double pos = std::clamp(q, 0.0, 1.0) * (sorted.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
}

double RocAuc(std::span<const double> scores, std::span<const uint8_t> labels) {
  const size_t n = std::min(scores.size(), labels.size());
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] < scores[b]; });
  double pos = 0, neg = 0, rank_sum = 0;
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j < n && scores[order[j]] == scores[order[i]]) ++j;
    const double avg_rank = 0.5 * (i + 1 + j);  // ranks are 1-based; average over the tie group
    for (size_t t = i; t < j; ++t) {
      if (labels[order[t]]) {
        rank_sum += avg_rank;
        pos += 1;
      } else {
        neg += 1;
      }
    }
    i = j;
  }
  if (pos == 0 || neg == 0) return 0.5;
  return (rank_sum - pos * (pos + 1) / 2) / (pos * neg);
}

double MaxAdvantage(std::span<const double> scores, std::span<const uint8_t> labels) {
  const size_t n = std::min(scores.size(), labels.size());
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  // Descending score: lowering the threshold admits one tie group at a time.
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] > scores[b]; });
  double pos = 0, neg = 0;
  for (size_t i = 0; i < n; ++i) (labels[i] ? pos : neg) += 1;
  if (pos == 0 || neg == 0) return 0;
  double tp = 0, fp = 0, best = 0;
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j < n && scores[order[j]] == scores[order[i]]) {
      (labels[order[j]] ? tp : fp) += 1;
      ++j;
    }
    best = std::max(best, tp / pos - fp / neg);
    i = j;
  }
  return best;
}

double MacroF1(std::span<const int32_t> truth, std::span<const int32_t> predicted, int32_t k) {
  std::vector<double> tp(k, 0), fp(k, 0), fn(k, 0);
  const size_t n = std::min(truth.size(), predicted.size());
  for (size_t i = 0; i < n; ++i) {
    const int32_t t = truth[i], p = predicted[i];
    if (t < 0 || t >= k || p < 0 || p >= k) continue;
    if (t == p) {
      tp[t] += 1;
    } else {
      fp[p] += 1;
      fn[t] += 1;
    }
  }
  double total = 0;
  int classes = 0;
  for (int32_t c = 0; c < k; ++c) {
    if (tp[c] + fp[c] + fn[c] == 0) continue;
    ++classes;
    total += 2 * tp[c] / (2 * tp[c] + fp[c] + fn[c]);
  }
  return classes == 0 ? 0 : total / classes;
}

double MacroAuc(std::span<const int32_t> truth, std::span<const double> probs, int32_t k) {
  const size_t n = truth.size();
  if (k == 2) {
    std::vector<double> s(n);
    std::vector<uint8_t> l(n);
    for (size_t i = 0; i < n; ++i) {
      s[i] = probs[i * 2 + 1];
      l[i] = truth[i] == 1;
    }
    return RocAuc(s, l);
  }
  double total = 0;
  int classes = 0;
  std::vector<double> s(n);
  std::vector<uint8_t> l(n);
  for (int32_t c = 0; c < k; ++c) {
    size_t positives = 0;
    for (size_t i = 0; i < n; ++i) {
      s[i] = probs[i * k + c];
      l[i] = truth[i] == c;
      positives += l[i];
    }
    if (positives == 0 || positives == n) continue;
    total += RocAuc(s, l);
    ++classes;
  }
  return classes == 0 ? 0.5 : total / classes;
}

double KMarginalScoreFromTvds(std::span<const double> tvds) {
  if (tvds.empty()) return 1000;
  double mean = 0;
  for (double t : tvds) mean += t;
  mean /= tvds.size();
  return 1000.0 * (1.0 - mean);
}

}  // namespace dpkit::report
