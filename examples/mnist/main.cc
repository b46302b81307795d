// DP-SGD on MNIST with a small CNN: the architecture of Opacus' MNIST example ("SampleConvNet":
// conv 16@8x8/2, max-pool, conv 32@4x4/2, max-pool, fc 32, fc 10), with ReLU (`--model relu`,
// Opacus' choice) or tanh and GroupNorm (`--model tanh`, after Papernot et al. 2021, "Tempered
// Sigmoid Activations for Deep Learning with Differential Privacy").
//
//   mnist_dp [--data-dir DIR] [--train-images F --train-labels F] [--model relu|tanh]
//            [--epsilon 3] [--delta 1e-5] [--epochs 10] [--batch-size 256] [--clip 1]
//            [--lr 0.5] [--momentum 0.9] [--train-limit N] [--test-limit N] [--insecure-seed S]
//
// Reads IDX files (gzip or not). The training set defaults to DIR/train-first10k-*; the full
// 60k set is not in ../shared/data: examples/mnist/fetch_mnist.sh DEST fetches it and checks its
// checksums, then pass --train-images DEST/train-images-idx3-ubyte.gz --train-labels
// DEST/train-labels-idx1-ubyte.gz (docs/benchmarks.md, "DP-SGD", has the full run).
// Prints per-epoch test accuracy, epsilon spent and time. --insecure-seed makes the run
// reproducible and NOT private (for CI smoke tests only).
#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "dpkit/base/status.h"
#include "dpkit/mechanisms/noise_factory.h"
#include "dpkit/random/secure_rng.h"
#include "dpkit/random/seeded_rng.h"
#include "dpkit/train/idx.h"
#include "dpkit/train/training.h"

namespace nn = torch::nn;

namespace {

// 28x28 -> conv 14x14 -> pool 13x13 -> conv 5x5 -> pool 4x4 -> 512 -> 32 -> 10.
absl::StatusOr<nn::Sequential> MnistCnn(const std::string& kind) {
  auto conv1 = nn::Conv2d(nn::Conv2dOptions(1, 16, 8).stride(2).padding(3));
  auto conv2 = nn::Conv2d(nn::Conv2dOptions(16, 32, 4).stride(2));
  auto pool = [] { return nn::MaxPool2d(nn::MaxPool2dOptions(2).stride(1)); };
  if (kind == "relu") {
    return nn::Sequential(conv1, nn::ReLU(), pool(), conv2, nn::ReLU(), pool(), nn::Flatten(),
                          nn::Linear(32 * 4 * 4, 32), nn::ReLU(), nn::Linear(32, 10));
  }
  if (kind == "tanh") {
    return nn::Sequential(conv1, nn::GroupNorm(nn::GroupNormOptions(4, 16)), nn::Tanh(), pool(),
                          conv2, nn::GroupNorm(nn::GroupNormOptions(4, 32)), nn::Tanh(), pool(),
                          nn::Flatten(), nn::Linear(32 * 4 * 4, 32), nn::Tanh(),
                          nn::Linear(32, 10));
  }
  return absl::InvalidArgumentError(absl::StrCat("--model must be relu or tanh, got ", kind));
}

struct Args {
  std::string dir = DPKIT_SHARED_DATA_DIR "/mnist";
  std::string train_images, train_labels, model = "tanh";
  dpkit::train::TrainingOptions o{.epsilon = 3, .delta = 1e-5, .epochs = 10, .batch_size = 256,
                                  .max_grad_norm = 1.0, .learning_rate = 0.5};
  int64_t train_limit = -1, test_limit = -1;
  std::optional<uint64_t> seed;
};

absl::StatusOr<Args> Parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (i + 1 >= argc) return absl::InvalidArgumentError(absl::StrCat("missing value for ", arg));
    std::string v = argv[++i];
    if (arg == "--data-dir") a.dir = v;
    else if (arg == "--train-images") a.train_images = v;
    else if (arg == "--train-labels") a.train_labels = v;
    else if (arg == "--model") a.model = v;
    else if (arg == "--epsilon") a.o.epsilon = std::atof(v.c_str());
    else if (arg == "--delta") a.o.delta = std::atof(v.c_str());
    else if (arg == "--epochs") a.o.epochs = std::atoll(v.c_str());
    else if (arg == "--batch-size") a.o.batch_size = std::atoll(v.c_str());
    else if (arg == "--clip") a.o.max_grad_norm = std::atof(v.c_str());
    else if (arg == "--lr") a.o.learning_rate = std::atof(v.c_str());
    else if (arg == "--momentum") a.o.momentum = std::atof(v.c_str());
    else if (arg == "--train-limit") a.train_limit = std::atoll(v.c_str());
    else if (arg == "--test-limit") a.test_limit = std::atoll(v.c_str());
    else if (arg == "--insecure-seed") a.seed = std::strtoull(v.c_str(), nullptr, 10);
    else return absl::InvalidArgumentError(absl::StrCat("unknown option ", arg));
  }
  if (a.train_images.empty() != a.train_labels.empty()) {
    return absl::InvalidArgumentError("give --train-images and --train-labels together");
  }
  if (a.train_images.empty()) {
    a.train_images = a.dir + "/train-first10k-images-idx3-ubyte.gz";
    a.train_labels = a.dir + "/train-first10k-labels-idx1-ubyte.gz";
  }
  return a;
}

absl::Status Main(int argc, char** argv) {
  DPKIT_ASSIGN_OR_RETURN(Args a, Parse(argc, argv));
  using dpkit::train::ReadIdxImages;
  using dpkit::train::ReadIdxLabels;
  DPKIT_ASSIGN_OR_RETURN(auto xtr, ReadIdxImages(a.train_images, a.train_limit));
  DPKIT_ASSIGN_OR_RETURN(auto ytr, ReadIdxLabels(a.train_labels, a.train_limit));
  DPKIT_ASSIGN_OR_RETURN(auto xte, ReadIdxImages(a.dir + "/t10k-images-idx3-ubyte.gz", a.test_limit));
  DPKIT_ASSIGN_OR_RETURN(auto yte, ReadIdxLabels(a.dir + "/t10k-labels-idx1-ubyte.gz", a.test_limit));
  // Standard MNIST normalisation constants (public).
  xtr = (xtr - 0.1307) / 0.3081;
  xte = (xte - 0.1307) / 0.3081;
  // MNIST is public: its size is the planning size, and no ledger is charged.
  a.o.rows = xtr.size(0);
  DPKIT_ASSIGN_OR_RETURN(nn::Sequential model, MnistCnn(a.model));
  DPKIT_ASSIGN_OR_RETURN(auto plan,
                         dpkit::train::PlanTraining(a.o, model, dpkit::mechanisms::SecureNoise()));
  std::cout << "MNIST DP-SGD (" << a.model << " CNN): " << xtr.size(0) << " train / "
            << xte.size(0) << " test images, epsilon " << a.o.epsilon << ", delta " << a.o.delta
            << ", noise multiplier " << plan.noise_multiplier << ", " << plan.steps << " steps\n";
  std::unique_ptr<dpkit::random::BitGenerator> rng;
  if (a.seed) {
    std::cerr << "WARNING: --insecure-seed: reproducible and NOT private\n";
    rng = std::make_unique<dpkit::random::testing::SeededRng>(*a.seed);
  } else {
    rng = std::make_unique<dpkit::random::SecureRng>();
  }
  auto on_epoch = [&](const dpkit::train::EpochReport& e) {
    std::cout << "epoch " << e.epoch << ": test accuracy " << e.test_accuracy << ", epsilon "
              << e.epsilon_spent << " (" << e.seconds << " s)" << std::endl;
  };
  DPKIT_ASSIGN_OR_RETURN(
      auto res, dpkit::train::RunTraining(plan, a.o, model, {xtr, ytr, 0}, {xte, yte, 0},
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
