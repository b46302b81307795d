// Multi-process tests of the ledger on real SQLite files:
//  1. Many processes (16 with pure DP, 8 with RDP) charging one budget at once never exceed it, and every receipt a process
//     was given is in the ledger.
//  2. Processes killed with SIGKILL at random points while charging: after every kill the ledger
//     re-opens, passes the full integrity check, and holds every charge a process reported as
//     successful (it writes the receipt id to a pipe only after Charge returned OK).
// Children are fork()ed from this single-threaded test binary; each opens its own connection.
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "dpkit/ledger/ledger.h"
#include "gtest/gtest.h"
#include "ledger/ledger_test_util.h"

namespace dpkit::ledger {
namespace {

using accounting::AccountantKind;

using testing_util::TempDir;

void WriteLine(int fd, const std::string& line) {
  std::string s = line + "\n";
  const char* p = s.data();
  size_t left = s.size();
  while (left > 0) {
    ssize_t n = write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) _exit(90);
    p += n;
    left -= static_cast<size_t>(n);
  }
}

std::string ReadAllFd(int fd) {
  std::string out;
  char buf[4096];
  while (true) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

// Child body: charge `map` repeatedly until refused (or `max_charges`), writing
// "ok <id> <epsilon_spent>" after each success, "exhausted" on refusal, "error <msg>" otherwise.
[[noreturn]] void ChargeLoop(const std::string& path, const PrivacyMap& map, int max_charges,
                             int out_fd, int child) {
  auto ledger = Ledger::Open(path, {.lock_timeout_ms = 60000});
  if (!ledger.ok()) {
    WriteLine(out_fd, "error open " + std::string(ledger.status().message()));
    _exit(2);
  }
  for (int i = 0; i < max_charges; ++i) {
    auto r = (*ledger)->Charge("d", "user", {map}, "child " + std::to_string(child) + " q" +
                                                        std::to_string(i));
    if (r.ok()) {
      std::ostringstream line;
      line.precision(17);
      line << "ok " << r->charge_id << " " << r->spent.epsilon;
      WriteLine(out_fd, line.str());
    } else if (r.status().code() == absl::StatusCode::kResourceExhausted) {
      WriteLine(out_fd, "exhausted");
      _exit(0);
    } else {
      WriteLine(out_fd, "error " + std::string(r.status().message()));
      _exit(3);
    }
  }
  _exit(0);
}

struct ChildOutput {
  std::vector<int64_t> ids;
  std::vector<double> spent;
  int exhausted = 0;
  std::vector<std::string> errors;
};

ChildOutput Parse(const std::string& text) {
  ChildOutput out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string tag;
    ls >> tag;
    if (tag == "ok") {
      int64_t id;
      double eps;
      ls >> id >> eps;
      out.ids.push_back(id);
      out.spent.push_back(eps);
    } else if (tag == "exhausted") {
      ++out.exhausted;
    } else if (!line.empty()) {
      out.errors.push_back(line);
    }
  }
  return out;
}

// Runs `n` children at once, each charging `map` until refused; returns their combined output.
ChildOutput RunConcurrentChargers(const std::string& path, const PrivacyMap& map, int n) {
  int fds[2];
  EXPECT_EQ(pipe(fds), 0);
  std::vector<pid_t> pids;
  for (int c = 0; c < n; ++c) {
    pid_t pid = fork();
    if (pid == 0) {
      close(fds[0]);
      ChargeLoop(path, map, 1 << 20, fds[1], c);
    }
    pids.push_back(pid);
  }
  close(fds[1]);
  std::string text = ReadAllFd(fds[0]);
  close(fds[0]);
  for (pid_t pid : pids) {
    int status = 0;
    waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child status " << status;
  }
  return Parse(text);
}

TEST(LedgerConcurrencyTest, SixteenProcessesNeverExceedAPureDpBudget) {
  TempDir dir;
  const std::string path = dir.File("ledger.db");
  {
    auto ledger = Ledger::Open(path);
    ASSERT_TRUE(ledger.ok());
    ASSERT_TRUE((*ledger)
                    ->CreateBudget("d", "user", Budget::EpsilonDelta(1.0, 0), AccountantKind::kBasic)
                    .ok());
  }
  // 1/64 is exact in binary, so exactly 64 charges fit in epsilon = 1.
  ChildOutput out = RunConcurrentChargers(path, PrivacyMap::PureDp(1.0 / 64), 16);
  EXPECT_TRUE(out.errors.empty()) << out.errors.front();
  EXPECT_EQ(out.exhausted, 16);  // every child was eventually refused
  ASSERT_EQ(out.ids.size(), 64u);
  for (double s : out.spent) EXPECT_LE(s, 1.0);
  std::set<int64_t> unique(out.ids.begin(), out.ids.end());
  EXPECT_EQ(unique.size(), 64u);
  // The receipts' running totals are exactly 1/64, 2/64, ..., 64/64 in some interleaving.
  std::set<double> totals(out.spent.begin(), out.spent.end());
  EXPECT_EQ(totals.size(), 64u);
  EXPECT_EQ(*totals.rbegin(), 1.0);

  auto ledger = Ledger::Open(path, {.integrity_check = IntegrityCheck::kFull});
  ASSERT_TRUE(ledger.ok()) << ledger.status();
  auto st = (*ledger)->Status("d", "user");
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->spent.epsilon, 1.0);
  EXPECT_EQ(st->num_charges, 64);
  EXPECT_GE(st->num_refused, 16);
  auto hist = (*ledger)->History("d", "user", {.include_refused = false});
  ASSERT_TRUE(hist.ok());
  std::set<int64_t> in_ledger;
  for (const auto& r : *hist) in_ledger.insert(r.charge_id);
  EXPECT_EQ(in_ledger, unique);
}

TEST(LedgerConcurrencyTest, EightProcessesNeverExceedAnRdpBudget) {
  TempDir dir;
  const std::string path = dir.File("ledger.db");
  const double kEps = 2.0, kDelta = 1e-6;
  {
    auto ledger = Ledger::Open(path);
    ASSERT_TRUE(ledger.ok());
    ASSERT_TRUE((*ledger)
                    ->CreateBudget("d", "user", Budget::EpsilonDelta(kEps, kDelta),
                                   AccountantKind::kRdp)
                    .ok());
  }
  const PrivacyMap step = PrivacyMap::SubsampledGaussian(1.0, 0.01, 10, "dp-sgd steps");
  // How many such charges fit, computed by the accountant directly.
  auto acc = accounting::CreateAccountant(AccountantKind::kRdp);
  ASSERT_TRUE(acc.ok());
  int fit = 0;
  while (true) {
    auto probe = (*acc)->Clone();
    ASSERT_TRUE(probe->Add(step).ok());
    auto eps = probe->Epsilon(kDelta);
    ASSERT_TRUE(eps.ok());
    if (!(*eps <= kEps)) break;
    ASSERT_TRUE((*acc)->Add(step).ok());
    ++fit;
  }
  ASSERT_GT(fit, 8);  // enough that the processes really contend
  RecordProperty("charges_that_fit", fit);

  ChildOutput out = RunConcurrentChargers(path, step, 8);
  EXPECT_TRUE(out.errors.empty()) << out.errors.front();
  EXPECT_EQ(out.exhausted, 8);
  EXPECT_EQ(static_cast<int>(out.ids.size()), fit);
  for (double s : out.spent) EXPECT_LE(s, kEps);
  auto ledger = Ledger::Open(path, {.integrity_check = IntegrityCheck::kFull});
  ASSERT_TRUE(ledger.ok()) << ledger.status();
  auto st = (*ledger)->Status("d", "user");
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->num_charges, fit);
  EXPECT_LE(st->spent.epsilon, kEps);
}

// SIGKILL at random points in a loop. The ledger must never lose a charge that was reported.
TEST(LedgerCrashTest, KilledProcessesNeverLoseReportedCharges) {
  TempDir dir;
  const std::string path = dir.File("ledger.db");
  {
    auto ledger = Ledger::Open(path);
    ASSERT_TRUE(ledger.ok());
    ASSERT_TRUE((*ledger)
                    ->CreateBudget("d", "user", Budget::EpsilonDelta(kMaxEpsilonBudget, 0),
                                   AccountantKind::kBasic)
                    .ok());
  }
  const int kIterations = 200;
  // 32,000 charges fit the largest budget; far more than 200 iterations of kills make.
  const double kEpsPerCharge = 0x1.0p-5;
  // Deterministic kill delays (xorshift) spread over 0..120 ms: covers fork/open,
  // mid-transaction, mid-commit (fsync) and between charges. (Opening takes a few ms and each
  // durable charge a few ms more on a loaded machine.)
  uint64_t x = 0x9E3779B97F4A7C15ull;
  std::set<int64_t> reported;
  int killed_by_signal = 0;
  for (int it = 0; it < kIterations; ++it) {
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    // Two children per iteration, so kills also land while another process holds the lock.
    std::vector<pid_t> pids;
    for (int c = 0; c < 2; ++c) {
      pid_t pid = fork();
      ASSERT_GE(pid, 0);
      if (pid == 0) {
        close(fds[0]);
        ChargeLoop(path, PrivacyMap::PureDp(kEpsPerCharge), 1000, fds[1], c);
      }
      pids.push_back(pid);
    }
    close(fds[1]);
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    const long delay_us = static_cast<long>(x % 120000);
    timespec ts{0, delay_us * 1000};
    nanosleep(&ts, nullptr);
    for (pid_t pid : pids) kill(pid, SIGKILL);
    for (pid_t pid : pids) {
      int status = 0;
      waitpid(pid, &status, 0);
      if (WIFSIGNALED(status)) ++killed_by_signal;
    }
    ChildOutput out = Parse(ReadAllFd(fds[0]));
    close(fds[0]);
    ASSERT_TRUE(out.errors.empty()) << out.errors.front();
    reported.insert(out.ids.begin(), out.ids.end());

    // Re-open (quick check on open), then the full check every 20 iterations.
    auto ledger = Ledger::Open(path);
    ASSERT_TRUE(ledger.ok()) << "iteration " << it << ": " << ledger.status();
    if (it % 20 == 19 || it == kIterations - 1) {
      absl::Status s = (*ledger)->CheckIntegrity();
      ASSERT_TRUE(s.ok()) << "iteration " << it << ": " << s;
    }
    auto hist = (*ledger)->History("d", "user", {.include_refused = false});
    ASSERT_TRUE(hist.ok()) << hist.status();
    std::set<int64_t> in_ledger;
    for (const auto& r : *hist) in_ledger.insert(r.charge_id);
    for (int64_t id : reported) {
      ASSERT_TRUE(in_ledger.count(id)) << "reported charge " << id << " lost at iteration " << it;
    }
    // Never under-reports: spent equals the number of charges in the ledger times their epsilon
    // (a power of two: the sums are exact).
    auto st = (*ledger)->Status("d", "user");
    ASSERT_TRUE(st.ok());
    EXPECT_EQ(st->spent.epsilon, kEpsPerCharge * static_cast<double>(in_ledger.size()));
    EXPECT_GE(in_ledger.size(), reported.size());
  }
  // The kills really happened mid-run (not after the children had finished).
  EXPECT_GT(killed_by_signal, kIterations);
  EXPECT_GT(reported.size(), 100u);
  RecordProperty("reported_charges", static_cast<int>(reported.size()));
}

}  // namespace
}  // namespace dpkit::ledger
