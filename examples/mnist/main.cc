// DP-SGD on MNIST with a small CNN (GroupNorm instead of BatchNorm, tanh activations as in
// Papernot et al. 2021, "Tempered Sigmoid Activations for Deep Learning with Differential
// Privacy"). Reads the IDX files of ../shared/data/mnist (10k train / 10k test here).
//
//   mnist_dp [--data-dir DIR] [--epsilon 3] [--delta 1e-5] [--epochs 10] [--batch-size 256]
//            [--clip 1] [--lr 0.5] [--train-limit N] [--test-limit N] [--insecure-seed S]
//
// Prints per-epoch test accuracy and epsilon spent. --insecure-seed makes the run reproducible
// and NOT private (for CI smoke tests only).
#include <cstdlib>
#include <optional>
#include <iostream>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "dpkit/base/status.h"
#include "dpkit/random/secure_rng.h"
#include "dpkit/random/seeded_rng.h"
#include "dpkit/train/idx.h"
#include "dpkit/mechanisms/noise_factory.h"
#include "dpkit/train/training.h"

namespace nn = torch::nn;

namespace {

nn::Sequential MnistCnn() {
  return nn::Sequential(
      nn::Conv2d(nn::Conv2dOptions(1, 16, 8).stride(2).padding(3)),  // 28 -> 14
      nn::GroupNorm(nn::GroupNormOptions(4, 16)), nn::Tanh(),
      nn::MaxPool2d(nn::MaxPool2dOptions(2).stride(1)),             // 14 -> 13
      nn::Conv2d(nn::Conv2dOptions(16, 32, 4).stride(2)),           // 13 -> 5
      nn::GroupNorm(nn::GroupNormOptions(4, 32)), nn::Tanh(),
      nn::MaxPool2d(nn::MaxPool2dOptions(2).stride(1)),             // 5 -> 4
      nn::Flatten(), nn::Linear(32 * 4 * 4, 32), nn::Tanh(), nn::Linear(32, 10));
}

absl::Status Main(int argc, char** argv) {
  std::string dir = DPKIT_SHARED_DATA_DIR "/mnist";
  dpkit::train::TrainingOptions o{.epsilon = 3, .delta = 1e-5, .epochs = 10, .batch_size = 256,
                                  .max_grad_norm = 1.0, .learning_rate = 0.5};
  int64_t train_limit = -1, test_limit = -1;
  std::optional<uint64_t> seed;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (i + 1 >= argc) return absl::InvalidArgumentError(absl::StrCat("missing value for ", arg));
    std::string v = argv[++i];
    if (arg == "--data-dir") dir = v;
    else if (arg == "--epsilon") o.epsilon = std::atof(v.c_str());
    else if (arg == "--delta") o.delta = std::atof(v.c_str());
    else if (arg == "--epochs") o.epochs = std::atoll(v.c_str());
    else if (arg == "--batch-size") o.batch_size = std::atoll(v.c_str());
    else if (arg == "--clip") o.max_grad_norm = std::atof(v.c_str());
    else if (arg == "--lr") o.learning_rate = std::atof(v.c_str());
    else if (arg == "--train-limit") train_limit = std::atoll(v.c_str());
    else if (arg == "--test-limit") test_limit = std::atoll(v.c_str());
    else if (arg == "--insecure-seed") seed = std::strtoull(v.c_str(), nullptr, 10);
    else return absl::InvalidArgumentError(absl::StrCat("unknown option ", arg));
  }
  using dpkit::train::ReadIdxImages;
  using dpkit::train::ReadIdxLabels;
  DPKIT_ASSIGN_OR_RETURN(auto xtr, ReadIdxImages(dir + "/train-first10k-images-idx3-ubyte.gz", train_limit));
  DPKIT_ASSIGN_OR_RETURN(auto ytr, ReadIdxLabels(dir + "/train-first10k-labels-idx1-ubyte.gz", train_limit));
  DPKIT_ASSIGN_OR_RETURN(auto xte, ReadIdxImages(dir + "/t10k-images-idx3-ubyte.gz", test_limit));
  DPKIT_ASSIGN_OR_RETURN(auto yte, ReadIdxLabels(dir + "/t10k-labels-idx1-ubyte.gz", test_limit));
  // Standard MNIST normalisation constants (public).
  xtr = (xtr - 0.1307) / 0.3081;
  xte = (xte - 0.1307) / 0.3081;
  // MNIST is public: its size is the planning size, and no ledger is charged.
  o.rows = xtr.size(0);
  nn::Sequential model = MnistCnn();
  DPKIT_ASSIGN_OR_RETURN(auto plan,
                         dpkit::train::PlanTraining(o, model, dpkit::mechanisms::SecureNoise()));
  std::cout << "MNIST DP-SGD: " << xtr.size(0) << " train / " << xte.size(0) << " test images, "
            << "epsilon " << o.epsilon << ", delta " << o.delta << ", noise multiplier "
            << plan.noise_multiplier << ", " << plan.steps << " steps\n";
  std::unique_ptr<dpkit::random::BitGenerator> rng;
  if (seed) {
    std::cerr << "WARNING: --insecure-seed: reproducible and NOT private\n";
    rng = std::make_unique<dpkit::random::testing::SeededRng>(*seed);
  } else {
    rng = std::make_unique<dpkit::random::SecureRng>();
  }
  auto on_epoch = [&](const dpkit::train::EpochReport& e) {
    std::cout << "epoch " << e.epoch << ": test accuracy " << e.test_accuracy << ", epsilon "
              << e.epsilon_spent << " (" << e.seconds << " s)" << std::endl;
  };
  DPKIT_ASSIGN_OR_RETURN(
      auto res, dpkit::train::RunTraining(plan, o, model, {xtr, ytr, 0}, {xte, yte, 0},
                                          dpkit::train::TaskKind::kClassification, 1.0, *rng,
                                          {.on_epoch = on_epoch}));
  std::cout << "final test accuracy " << res.epochs.back().test_accuracy << " at epsilon "
            << res.epsilon_spent << " (" << res.num_parameters << " parameters)\n";
  return absl::OkStatus();
}

}  // namespace

int main(int argc, char** argv) {
  absl::Status s = Main(argc, argv);
  if (!s.ok()) {
    std::cerr << "mnist_dp: error: " << s.message() << "\n";
    return dpkit::ExitCodeFor(s);
  }
  return 0;
}
