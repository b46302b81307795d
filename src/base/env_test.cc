#include "dpkit/base/env.h"

#include <unistd.h>

#include <cstdlib>
#include <string>

#include "dpkit/base/status.h"
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
  // A full disk is a data/I-O error (exit 4), never "budget exhausted" (exit 3).
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(ExitCodeFor(s), kExitDataError);
  EXPECT_EQ(*Env::Default()->ReadFile(path), "old contents");
  EXPECT_FALSE(env.FileExists(path + ".tmp." + std::to_string(getpid())));
}

TEST(EnvTest, DirectoryWhereAFileIsExpectedIsADataError) {
  const std::string dir = TempDir();
  auto read = Env::Default()->ReadFile(dir);
  EXPECT_EQ(read.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ExitCodeFor(read.status()), kExitDataError);
  EXPECT_NE(read.status().message().find("is a directory"), std::string::npos);
  auto write = Env::Default()->NewWritableFile(dir);
  EXPECT_EQ(ExitCodeFor(write.status()), kExitDataError);
  EXPECT_NE(write.status().message().find("is a directory"), std::string::npos);
  // A path through a regular file is a missing file, not an internal error.
  ASSERT_TRUE(Env::Default()->WriteFileAtomically(dir + "/f", "x").ok());
  EXPECT_EQ(Env::Default()->ReadFile(dir + "/f/g").status().code(), absl::StatusCode::kNotFound);
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
