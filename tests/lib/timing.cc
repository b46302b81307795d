#include "lib/timing.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <vector>

#if defined(__x86_64__)
#include <x86intrin.h>
#endif

namespace dpkit::test {
namespace {

double Quantile(std::vector<double> v, double q) {
  const size_t k = static_cast<size_t>(q * static_cast<double>(v.size() - 1));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

}  // namespace

uint64_t Ticks() {
#if defined(__x86_64__)
  _mm_lfence();
  const uint64_t t = __rdtsc();
  _mm_lfence();
  return t;
#else
  return static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
#endif
}

double TickQuantum() {
  uint64_t best = ~uint64_t{0};
  for (int i = 0; i < 10000; ++i) {
    const uint64_t a = Ticks(), b = Ticks();
    if (b > a && b - a < best) best = b - a;
  }
  return static_cast<double>(best);
}

TimingComparison CompareTimingOfClasses(const std::string& name, const std::string& class0,
                                        const std::string& class1,
                                        const std::function<void(int)>& run,
                                        const std::function<int(int)>& classify,
                                        const TimingOptions& options) {
  for (int i = 0; i < std::min(options.calls, 2000); ++i) run(i);  // warm caches and generator
  std::vector<double> ticks[2];
  for (int i = 0; i < options.calls; ++i) {
    const uint64_t t0 = Ticks();
    run(i);
    const uint64_t t1 = Ticks();
    const int c = classify(i);
    if (c == 0 || c == 1) ticks[c].push_back(static_cast<double>(t1 - t0));
  }
  TimingComparison r;
  char line[512];
  if (ticks[0].size() < options.min_per_class || ticks[1].size() < options.min_per_class) {
    std::snprintf(line, sizeof(line), "%s: too few calls per class (%zu %s, %zu %s)\n",
                  name.c_str(), ticks[0].size(), class0.c_str(), ticks[1].size(),
                  class1.c_str());
    r.report = line;
    return r;
  }
  const double quantum = TickQuantum();
  r.independent = true;
  for (double q : {0.25, 0.5}) {
    const double a = Quantile(ticks[0], q), b = Quantile(ticks[1], q);
    const bool ok = std::fabs(b - a) <= options.tolerance * a + quantum;
    std::snprintf(line, sizeof(line),
                  "%s: quantile %.2f of the ticks per call = %.0f (%s), %.0f (%s)%s\n",
                  name.c_str(), q, a, class0.c_str(), b, class1.c_str(),
                  ok ? "" : "  <-- differs beyond tolerance");
    r.report += line;
    r.independent = r.independent && ok;
  }
  std::fputs(r.report.c_str(), stdout);
  return r;
}

}  // namespace dpkit::test
