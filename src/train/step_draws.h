// Internal: the data-independent randomness of DP-SGD steps — the Poisson batch and the noise
// draw — made ahead of time and in parallel.
//
// A draw is cut into work items (row ranges of the Poisson sample, blocks of noise coordinates)
// that threads claim from a shared counter. With `threads` == 1 the items are drawn in order by
// one thread, so a seeded generator gives the same sequence with or without prefetching. With
// `threads` > 1 the generator is called from several threads at once: it must be thread-safe
// (random::SecureRng is; testing::SeededRng is not), and the ORDER in which its outputs land
// varies between runs (their distribution does not: every item consumes fresh random words).
//
// With `prefetch`, the next step's draw starts on background threads as soon as the current one
// is handed out (it depends on nothing but the generator), so it overlaps the caller's compute;
// with threads > 1 the caller joins in when it asks for the draw.
//
// Thread safety: Next() from one thread at a time.
#ifndef DPKIT_SRC_TRAIN_STEP_DRAWS_H_
#define DPKIT_SRC_TRAIN_STEP_DRAWS_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include "dpkit/mechanisms/vector_gaussian.h"
#include "dpkit/random/bit_generator.h"

namespace dpkit::train::internal {

struct StepDraw {
  std::vector<int64_t> indices;  // the Poisson batch, ascending
  std::vector<int64_t> noise;    // one draw of the noise mechanism (empty without noise)
};

class StepDrawer {
 public:
  // `noise` may be null (no noise) and must outlive the drawer, as must `gen`. threads >= 1.
  StepDrawer(random::BitGenerator& gen, int64_t num_examples, double sampling_rate,
             const mechanisms::VectorGaussianMechanism* noise, int threads, bool prefetch);
  ~StepDrawer();
  StepDrawer(const StepDrawer&) = delete;
  StepDrawer& operator=(const StepDrawer&) = delete;

  // The draw of the current step. With prefetch and `another_follows`, starts the next one.
  StepDraw Next(bool another_follows);

 private:
  struct Item {
    int part;  // index into the draw's Poisson parts, or -1 for noise
    int64_t begin, end;
  };
  void Start();          // makes the pending draw claimable (lock held by caller: no)
  void WorkUntilDone();  // claims items until none is left (any thread)
  void RunItem(const Item& item);
  void WorkerLoop();
  void WaitDone();

  random::BitGenerator& gen_;
  const double q_;
  const mechanisms::VectorGaussianMechanism* noise_;
  const int threads_;
  const bool prefetch_;
  std::vector<Item> items_;
  std::vector<std::vector<int64_t>> parts_;  // Poisson indices per row range
  StepDraw pending_;

  std::mutex mu_;
  std::condition_variable work_cv_, done_cv_;
  bool in_flight_ = false;
  bool stop_ = false;
  uint64_t generation_ = 0;
  std::atomic<size_t> next_item_{0};
  size_t items_done_ = 0;  // guarded by mu_
  std::vector<std::thread> workers_;
};

}  // namespace dpkit::train::internal

#endif  // DPKIT_SRC_TRAIN_STEP_DRAWS_H_
