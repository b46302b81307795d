// A program outside dpkit's tree that uses an installed dpkit (find_package(dpkit)): it opens a
// budget ledger, charges one Laplace release to it BEFORE computing the release, and prints the
// noisy value with its exact 95% confidence interval. Built and run by scripts/check-consumer.sh.
#include <stdlib.h>  // mkdtemp

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>

#include "dpkit/ledger/ledger.h"
#include "dpkit/mechanisms/laplace.h"
#include "dpkit/random/secure_rng.h"

int main() {
  namespace fs = std::filesystem;
  // A ledger of its own in a fresh folder: runs at the same time never share a budget.
  std::string dir = (fs::temp_directory_path() / "dpkit_consumer_XXXXXX").string();
  if (mkdtemp(dir.data()) == nullptr) return std::perror("mkdtemp"), 1;
  const fs::path db = fs::path(dir) / "ledger.db";
  auto ledger = dpkit::ledger::Ledger::Open(db.string());
  if (!ledger.ok()) return std::cerr << ledger.status() << "\n", 1;
  auto created = (*ledger)->CreateBudget("visits", "user_id",
                                         dpkit::ledger::Budget::EpsilonDelta(1.0, 0.0),
                                         dpkit::accounting::AccountantKind::kBasic);
  if (!created.ok()) return std::cerr << created << "\n", 1;

  // A count (L1 sensitivity 1 per user) released with epsilon = 0.5.
  auto laplace = dpkit::mechanisms::LaplaceMechanism::Create({.epsilon = 0.5, .l1_sensitivity = 1});
  if (!laplace.ok()) return std::cerr << laplace.status() << "\n", 1;
  auto receipt = (*ledger)->Charge("visits", "user_id", {laplace->privacy_map()}, "count visits");
  if (!receipt.ok()) return std::cerr << receipt.status() << "\n", 3;

  dpkit::random::SecureRng rng;
  const double true_count = 1234;
  auto noisy = laplace->AddNoise(true_count, rng);
  auto ci = laplace->ConfidenceInterval(*noisy, 0.95);
  if (!noisy.ok() || !ci.ok()) return 1;
  std::printf("noisy count %.2f, 95%% CI [%.2f, %.2f]; remaining epsilon %.2f\n", *noisy,
              ci->lower, ci->upper, receipt->remaining.epsilon);
  fs::remove_all(dir);
  std::cout << "consumer ok\n";
  return 0;
}
