// Timing side-channel checks for the `statistical` tier.
//
// A release's running time is an output channel (DESIGN.md). These helpers time many calls of a
// function with the CPU's cycle counter (`lfence; rdtsc` on x86-64, steady_clock elsewhere),
// split the calls into two classes by a property that must not influence the time (e.g. "the
// sample is small" vs "large", or "the report equals the true value" vs "differs"), and compare
// the classes' 25th percentiles and medians.
//
// Statistic and tolerance: the two quantiles of the classes must agree within `tolerance`
// (relative, default 10%) plus one quantum of the tick counter (virtual machines often advance
// it in steps of tens of ticks). The classes are drawn interleaved in one loop, so machine load,
// frequency changes and cache pollution from other processes hit both alike; preemptions and
// buffer refills produce outliers that quantiles ignore. With >= 5,000 calls in the smaller
// class the sampling error of a quantile is below 1% of it, so a function whose time does not
// depend on the class sits ~10 standard errors inside the bound; the leaks these tests guard
// against (a skipped random draw, a loop per unit of the output) are several times the bound.
#ifndef DPKIT_TESTS_LIB_TIMING_H_
#define DPKIT_TESTS_LIB_TIMING_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

namespace dpkit::test {

// Current value of the cycle counter (serialised), or nanoseconds where there is none.
uint64_t Ticks();
// The smallest positive step of Ticks().
double TickQuantum();

struct TimingOptions {
  int calls = 200'000;          // timed calls in total
  size_t min_per_class = 5000;  // the test fails if a class gets fewer calls
  double tolerance = 0.10;      // relative, plus one tick quantum
};

struct TimingComparison {
  bool independent = false;  // both quantiles within tolerance and both classes large enough
  std::string report;        // the quantiles of both classes, one line each
};

// Times run(i) for i in [0, calls) (after a warm-up), classifies call i by classify(i) (0 or 1;
// anything else drops the call; evaluated after the timed region, so it may read what run
// stored) and compares the 25th percentile and median of the two classes. `name`, `class0` and
// `class1` label the report. Use: EXPECT_TRUE(r.independent) << r.report.
TimingComparison CompareTimingOfClasses(const std::string& name, const std::string& class0,
                                        const std::string& class1,
                                        const std::function<void(int)>& run,
                                        const std::function<int(int)>& classify,
                                        const TimingOptions& options = {});

}  // namespace dpkit::test

#endif  // DPKIT_TESTS_LIB_TIMING_H_
