#include "dpkit/base/env.h"

#include <unistd.h>

#include <cstdlib>
#include <string>

#include "gtest/gtest.h"

namespace dpkit {
namespace {

std::string TempDir() {
  char tmpl[] = "/tmp/dpkit_env_test_XXXXXX";
  char* d = mkdtemp(tmpl);
  return d ? std::string(d) : std::string("/tmp");
}

TEST(EnvTest, WriteAtomicallyAndRead) {
  Env* env = Env::Default();
  std::string dir = TempDir();
  std::string path = dir + "/a/b/out.txt";
  ASSERT_TRUE(env->CreateDirs(dir + "/a/b").ok());
  ASSERT_TRUE(env->WriteFileAtomically(path, "hello").ok());
  auto got = env->ReadFile(path);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, "hello");
}

TEST(EnvTest, MissingFileIsNotFoundWithPath) {
  auto got = Env::Default()->ReadFile("/nonexistent/dpkit/file.csv");
  EXPECT_EQ(got.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(got.status().message().find("/nonexistent/dpkit/file.csv"), std::string::npos);
}

TEST(EnvTest, DiskFullLeavesOldFileIntact) {
  std::string dir = TempDir();
  std::string path = dir + "/ledger.json";
  ASSERT_TRUE(Env::Default()->WriteFileAtomically(path, "old contents").ok());
  testing::FaultInjectionEnv env(Env::Default());
  env.SetDiskFullAfterBytes(3);
  absl::Status s = env.WriteFileAtomically(path, "new contents that do not fit");
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(*Env::Default()->ReadFile(path), "old contents");
  EXPECT_FALSE(env.FileExists(path + ".tmp." + std::to_string(getpid())));
}

TEST(EnvTest, CrashBeforeRenameLeavesOldFileIntact) {
  std::string dir = TempDir();
  std::string path = dir + "/x";
  ASSERT_TRUE(Env::Default()->WriteFileAtomically(path, "v1").ok());
  testing::FaultInjectionEnv env(Env::Default());
  env.SetFailRenames(true);
  EXPECT_FALSE(env.WriteFileAtomically(path, "v2").ok());
  EXPECT_EQ(*Env::Default()->ReadFile(path), "v1");
}

}  // namespace
}  // namespace dpkit
