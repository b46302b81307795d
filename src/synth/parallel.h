// Internal: a minimal parallel loop for synth's CPU-bound steps (scoring candidates, inference).
#ifndef DPKIT_SRC_SYNTH_PARALLEL_H_
#define DPKIT_SRC_SYNTH_PARALLEL_H_

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

namespace dpkit::synth::internal {

// Runs f(i) for every i in [0, n) on up to `threads` threads (the caller's thread included),
// handing out indices one at a time; returns when all are done. f must be thread-safe.
template <typename F>
void ParallelFor(int64_t n, int threads, F f) {
  const int t = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(threads, n)));
  if (t <= 1) {
    for (int64_t i = 0; i < n; ++i) f(i);
    return;
  }
  std::atomic<int64_t> next{0};
  auto work = [&] {
    for (int64_t i; (i = next.fetch_add(1)) < n;) f(i);
  };
  std::vector<std::thread> pool;
  for (int w = 1; w < t; ++w) pool.emplace_back(work);
  work();
  for (auto& th : pool) th.join();
}

}  // namespace dpkit::synth::internal

#endif  // DPKIT_SRC_SYNTH_PARALLEL_H_
