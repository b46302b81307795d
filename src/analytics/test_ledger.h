// Tests only: a real SQLite ledger (in the test's temporary directory) to charge releases to.
#ifndef DPKIT_SRC_ANALYTICS_TEST_LEDGER_H_
#define DPKIT_SRC_ANALYTICS_TEST_LEDGER_H_

#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "dpkit/release/release.h"
#include "gtest/gtest.h"

namespace dpkit::analytics::testing {

// A new ledger file `name` holding one (epsilon, delta) budget per key (basic accountant).
inline std::unique_ptr<release::LedgerCharger> TestLedger(
    const std::string& name, const std::vector<release::BudgetKey>& keys, double epsilon = 1000,
    double delta = 0.01) {
  const std::string dir = ::testing::TempDir() + "/analytics_test_ledgers";
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/" + name;
  std::filesystem::remove(path);
  std::filesystem::remove(path + "-wal");
  std::filesystem::remove(path + "-shm");
  const ledger::Budget budget = ledger::Budget::EpsilonDelta(epsilon, delta);
  auto charger = release::LedgerCharger::CreateNew(path, keys.front(), budget,
                                                   accounting::AccountantKind::kBasic, {});
  EXPECT_TRUE(charger.ok()) << charger.status();
  for (size_t i = 1; i < keys.size(); ++i) {
    EXPECT_TRUE((*charger)
                    ->ledger()
                    .CreateBudget(keys[i].dataset, keys[i].LedgerUnit(), budget,
                                  accounting::AccountantKind::kBasic)
                    .ok());
  }
  return *std::move(charger);
}

}  // namespace dpkit::analytics::testing

#endif  // DPKIT_SRC_ANALYTICS_TEST_LEDGER_H_
