#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cmath>
#include <cstring>
#include <set>
#include <thread>
#include <vector>

#include "dpkit/random/secure_rng.h"
#include "dpkit/random/seeded_rng.h"
#include "gtest/gtest.h"

namespace dpkit::random {
namespace {

TEST(SecureRngTest, IsSecureAndProducesDistinctValues) {
  SecureRng rng;
  EXPECT_TRUE(rng.IsSecure());
  std::set<uint64_t> seen;
  for (int i = 0; i < 10000; ++i) seen.insert(rng.NextU64());
  EXPECT_EQ(seen.size(), 10000u);  // collision probability ~ 2^-38
}

TEST(SecureRngTest, TwoInstancesOnOneThreadShareNothingPredictable) {
  SecureRng a, b;
  EXPECT_NE(a.NextU64(), b.NextU64());
}

TEST(SecureRngTest, FillSmallAndLargeBuffers) {
  SecureRng rng;
  for (size_t n : {1u, 7u, 31u, 4096u, 8191u, 100000u}) {
    std::vector<uint8_t> buf(n, 0);
    rng.Fill(buf.data(), n);
    // Bytes are uniform: a buffer of zeros has probability 2^-8n.
    size_t zeros = 0;
    for (uint8_t b : buf) zeros += b == 0;
    EXPECT_LT(zeros, n / 64 + 4) << n;
  }
}

TEST(SecureRngTest, ThreadsGetIndependentStreams) {
  SecureRng rng;
  std::array<uint64_t, 4> first{};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] { first[t] = rng.NextU64(); });
  }
  for (auto& th : threads) th.join();
  std::set<uint64_t> s(first.begin(), first.end());
  EXPECT_EQ(s.size(), 4u);
}

TEST(SecureRngTest, ForkedChildDoesNotRepeatParentStream) {
  SecureRng rng;
  (void)rng.NextU64();  // make sure this thread's stream and buffer exist
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    uint64_t v = rng.NextU64();
    ssize_t w = write(fds[1], &v, sizeof(v));
    _exit(w == sizeof(v) ? 0 : 1);
  }
  uint64_t parent = rng.NextU64();
  uint64_t child = 0;
  ASSERT_EQ(read(fds[0], &child, sizeof(child)), static_cast<ssize_t>(sizeof(child)));
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_NE(parent, child);
  close(fds[0]);
  close(fds[1]);
}

// A child made by the raw clone system call skips pthread_atfork handlers; it must still not
// replay the parent's stream (issue: pid change detected on the draw path).
TEST(SecureRngTest, RawCloneChildDoesNotRepeatParentStream) {
  SecureRng rng;
  (void)rng.NextU64();  // this thread's stream and buffer exist and hold unread bytes
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const long pid = syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    uint64_t v[4];
    for (uint64_t& x : v) x = rng.NextU64();
    const ssize_t w = write(fds[1], v, sizeof(v));
    syscall(SYS_exit_group, w == sizeof(v) ? 0 : 1);
  }
  uint64_t parent[4], child[4];
  for (uint64_t& x : parent) x = rng.NextU64();
  ASSERT_EQ(read(fds[0], child, sizeof(child)), static_cast<ssize_t>(sizeof(child)));
  int status = 0;
  waitpid(static_cast<pid_t>(pid), &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  // Equal words would mean a shared stream (chance: 2^-256).
  EXPECT_NE(std::memcmp(parent, child, sizeof(parent)), 0);
  close(fds[0]);
  close(fds[1]);
}

TEST(SeededRngTest, DeterministicAndNotSecure) {
  testing::SeededRng a(42), b(42), c(43);
  EXPECT_FALSE(a.IsSecure());
  for (int i = 0; i < 5000; ++i) {
    uint64_t x = a.NextU64();
    EXPECT_EQ(x, b.NextU64());
    EXPECT_NE(x, c.NextU64());
  }
}

TEST(SeededRngTest, FillMatchesAcrossBufferBoundaries) {
  // The same seed yields the same byte stream whether read in words or via Fill().
  testing::SeededRng a(7), b(7);
  std::vector<uint8_t> bytes(4 * 8);
  b.Fill(bytes.data(), bytes.size());
  for (int i = 0; i < 4; ++i) {
    uint64_t v;
    std::memcpy(&v, bytes.data() + 8 * i, 8);
    EXPECT_EQ(a.NextU64(), v);
  }
}

TEST(SecureRngTest, MonobitFrequency) {
  // NIST SP 800-22 frequency test on 8 Mbit; |S|/sqrt(n) > 5.33 has probability 1e-7.
  SecureRng rng;
  int64_t s = 0;
  const int words = 1 << 17;
  for (int i = 0; i < words; ++i) s += 2 * __builtin_popcountll(rng.NextU64()) - 64;
  double z = std::abs(static_cast<double>(s)) / std::sqrt(64.0 * words);
  EXPECT_LT(z, 5.33);
}

}  // namespace
}  // namespace dpkit::random
