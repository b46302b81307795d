// Internal: the engine's fork-join helper.
#ifndef DPKIT_SRC_ANALYTICS_ENGINE_PARALLEL_H_
#define DPKIT_SRC_ANALYTICS_ENGINE_PARALLEL_H_

#include <functional>
#include <thread>
#include <vector>

namespace dpkit::analytics::engine {

// Runs fn(t) for t = 0..threads-1: t = 0 on the calling thread, the others on new threads.
inline void ParallelFor(int threads, const std::function<void(int)>& fn) {
  if (threads <= 1) {
    fn(0);
    return;
  }
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(fn, t);
  fn(0);
  for (auto& th : pool) th.join();
}

}  // namespace dpkit::analytics::engine

#endif  // DPKIT_SRC_ANALYTICS_ENGINE_PARALLEL_H_
