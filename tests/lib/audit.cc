#include "lib/audit.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <vector>

#include "dpkit/random/seeded_rng.h"
#include "lib/stats.h"

namespace dpkit::test {
namespace {

struct Event {
  int direction;  // 0: D over D' (p from D); 1: D' over D
  int kind;       // 0: key == k, 1: key <= k, 2: key >= k
  int64_t key;
  double score;
};

std::string Describe(const Event& e) {
  const char* dir = e.direction == 0 ? "M(D) vs M(D')" : "M(D') vs M(D)";
  const char* op = e.kind == 0 ? "==" : (e.kind == 1 ? "<=" : ">=");
  return std::string(dir) + ": outcome " + op + " " + std::to_string(e.key);
}

bool InEvent(const Event& e, int64_t key) {
  switch (e.kind) {
    case 0:
      return key == e.key;
    case 1:
      return key <= e.key;
    default:
      return key >= e.key;
  }
}

std::map<int64_t, int64_t> Histogram(const OutcomeSampler& sampler, int64_t n,
                                     random::BitGenerator& gen) {
  std::map<int64_t, int64_t> h;
  for (int64_t i = 0; i < n; ++i) ++h[sampler(gen)];
  return h;
}

// A conservative but cheap score for ranking events in the selection phase: log ratio of
// (p - 3 sd - delta) to (q + 3 sd) with normal-approximation standard deviations.
double SelectionScore(int64_t hp, int64_t hq, int64_t n, double delta) {
  const double nd = static_cast<double>(n);
  const double p = hp / nd, q = hq / nd;
  const double p_lo = p - 3 * std::sqrt(std::max(p * (1 - p), 1.0 / nd) / nd) - delta;
  const double q_hi = q + 3 * std::sqrt(std::max(q * (1 - q), 1.0 / nd) / nd);
  if (p_lo <= 0) return 0;
  return std::log(p_lo / q_hi);
}

}  // namespace

std::string AuditResult::ToString() const {
  char buf[320];
  std::snprintf(buf, sizeof(buf), "epsilon_lb=%.4f event=[%s] hits=%lld vs %lld of %lld",
                epsilon_lower_bound, event.c_str(), static_cast<long long>(hits),
                static_cast<long long>(hits_other), static_cast<long long>(samples));
  return buf;
}

double EpsilonLowerBound(int64_t hits_p, int64_t n_p, int64_t hits_q, int64_t n_q, double delta,
                         double beta) {
  // stats.h's Clopper-Pearson functions take a two-sided alpha: one side each is alpha / 2.
  const double p_lo = ClopperPearsonLower(hits_p, n_p, 2 * beta);
  const double q_hi = ClopperPearsonUpper(hits_q, n_q, 2 * beta);
  if (!(p_lo - delta > 0) || !(q_hi > 0)) return 0;
  return std::max(0.0, std::log((p_lo - delta) / q_hi));
}

int64_t BinOf(double value, double width) {
  double b = std::floor(value / width);
  if (b > 0x1.0p62) b = 0x1.0p62;
  if (b < -0x1.0p62) b = -0x1.0p62;
  return static_cast<int64_t>(b);
}

AuditResult AuditNeighbours(const OutcomeSampler& on_d, const OutcomeSampler& on_d_prime,
                            const AuditOptions& options) {
  // Selection phase.
  random::testing::SeededRng select_rng(options.seed);
  const int64_t ns = options.selection_samples;
  auto hd = Histogram(on_d, ns, select_rng);
  auto hdp = Histogram(on_d_prime, ns, select_rng);
  std::map<int64_t, std::pair<int64_t, int64_t>> joint;  // key -> (count D, count D')
  for (auto& [k, v] : hd) joint[k].first = v;
  for (auto& [k, v] : hdp) joint[k].second = v;
  std::vector<Event> events;
  int64_t below_d = 0, below_dp = 0;  // counts of keys < current
  const int64_t total_d = ns, total_dp = ns;
  for (auto& [k, c] : joint) {
    const int64_t le_d = below_d + c.first, le_dp = below_dp + c.second;
    const int64_t ge_d = total_d - below_d, ge_dp = total_dp - below_dp;
    const std::pair<int64_t, int64_t> counts[3] = {
        {c.first, c.second}, {le_d, le_dp}, {ge_d, ge_dp}};
    for (int kind = 0; kind < 3; ++kind) {
      events.push_back(
          {0, kind, k, SelectionScore(counts[kind].first, counts[kind].second, ns, options.delta)});
      events.push_back(
          {1, kind, k, SelectionScore(counts[kind].second, counts[kind].first, ns, options.delta)});
    }
    below_d = le_d;
    below_dp = le_dp;
  }
  std::sort(events.begin(), events.end(),
            [](const Event& a, const Event& b) { return a.score > b.score; });
  if (static_cast<int>(events.size()) > options.events) events.resize(options.events);

  // Test phase on fresh samples.
  random::testing::SeededRng test_rng(options.seed ^ 0x9E3779B97F4A7C15ULL);
  const int64_t nt = options.test_samples;
  std::vector<int64_t> hit_d(events.size(), 0), hit_dp(events.size(), 0);
  for (int64_t i = 0; i < nt; ++i) {
    const int64_t a = on_d(test_rng);
    const int64_t b = on_d_prime(test_rng);
    for (size_t e = 0; e < events.size(); ++e) {
      hit_d[e] += InEvent(events[e], a);
      hit_dp[e] += InEvent(events[e], b);
    }
  }
  const double beta = options.alpha / (2.0 * std::max<size_t>(events.size(), 1));
  AuditResult best;
  best.samples = nt;
  for (size_t e = 0; e < events.size(); ++e) {
    const int64_t hp = events[e].direction == 0 ? hit_d[e] : hit_dp[e];
    const int64_t hq = events[e].direction == 0 ? hit_dp[e] : hit_d[e];
    const double eps = EpsilonLowerBound(hp, nt, hq, nt, options.delta, beta);
    if (e == 0 || eps > best.epsilon_lower_bound) {
      best.epsilon_lower_bound = eps;
      best.event = Describe(events[e]);
      best.hits = hp;
      best.hits_other = hq;
    }
  }
  return best;
}

}  // namespace dpkit::test
