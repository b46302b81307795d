#include "train/step_draws.h"

#include <algorithm>
#include <utility>

#include "absl/types/span.h"
#include "dpkit/train/dp_sgd.h"

namespace dpkit::train::internal {
namespace {

// Work-item sizes: small enough to balance two or more threads on a small model, large enough
// that claiming an item costs nothing next to drawing it (~0.3 ms of noise, ~0.1 ms of rows).
constexpr int64_t kRowsPerItem = int64_t{1} << 16;
constexpr int64_t kNoisePerItem = 2048;

}  // namespace

StepDrawer::StepDrawer(random::BitGenerator& gen, int64_t num_examples, double sampling_rate,
                       const mechanisms::VectorGaussianMechanism* noise, int threads,
                       bool prefetch)
    : gen_(gen), q_(sampling_rate), noise_(noise), threads_(std::max(1, threads)),
      prefetch_(prefetch) {
  for (int64_t b = 0; b < num_examples; b += kRowsPerItem) {
    items_.push_back({static_cast<int>(parts_.size()), b, std::min(num_examples, b + kRowsPerItem)});
    parts_.emplace_back();
  }
  if (noise_ != nullptr) {
    const int64_t d = noise_->dimension();
    for (int64_t b = 0; b < d; b += kNoisePerItem) items_.push_back({-1, b, std::min(d, b + kNoisePerItem)});
  }
  // The caller draws too when several threads share the work or nobody else would.
  const int workers = prefetch_ ? std::max(1, threads_ - 1) : threads_ - 1;
  for (int i = 0; i < workers; ++i) workers_.emplace_back([this] { WorkerLoop(); });
}

StepDrawer::~StepDrawer() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  work_cv_.notify_all();
  for (auto& t : workers_) t.join();
}

void StepDrawer::RunItem(const Item& item) {
  if (item.part >= 0) {
    std::vector<int64_t>& part = parts_[static_cast<size_t>(item.part)];
    part.clear();
    AppendPoissonSample(gen_, item.begin, item.end, q_, part);
  } else {
    noise_->SampleNoise(gen_, absl::MakeSpan(pending_.noise).subspan(
                                  static_cast<size_t>(item.begin),
                                  static_cast<size_t>(item.end - item.begin)));
  }
}

void StepDrawer::WorkUntilDone() {
  for (size_t i = next_item_.fetch_add(1); i < items_.size(); i = next_item_.fetch_add(1)) {
    RunItem(items_[i]);
    std::lock_guard<std::mutex> lock(mu_);
    if (++items_done_ == items_.size()) done_cv_.notify_all();
  }
}

void StepDrawer::WorkerLoop() {
  uint64_t seen = 0;
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      work_cv_.wait(lock, [&] { return stop_ || generation_ != seen; });
      if (stop_) return;
      seen = generation_;
    }
    WorkUntilDone();
  }
}

void StepDrawer::Start() {
  pending_.noise.assign(noise_ != nullptr ? static_cast<size_t>(noise_->dimension()) : 0, 0);
  {
    std::lock_guard<std::mutex> lock(mu_);
    items_done_ = 0;
    in_flight_ = true;
    ++generation_;
    next_item_.store(0);
  }
  if (!workers_.empty()) work_cv_.notify_all();
}

void StepDrawer::WaitDone() {
  if (threads_ > 1 || workers_.empty()) WorkUntilDone();
  std::unique_lock<std::mutex> lock(mu_);
  done_cv_.wait(lock, [&] { return items_done_ == items_.size(); });
  in_flight_ = false;
}

StepDraw StepDrawer::Next(bool another_follows) {
  if (!in_flight_) Start();
  WaitDone();
  StepDraw out;
  size_t total = 0;
  for (const auto& p : parts_) total += p.size();
  out.indices.reserve(total);
  for (const auto& p : parts_) out.indices.insert(out.indices.end(), p.begin(), p.end());
  out.noise = std::move(pending_.noise);
  if (prefetch_ && another_follows) Start();
  return out;
}

}  // namespace dpkit::train::internal
