// Env: the small interface through which dpkit touches files and the clock, so tests can inject
// faults (disk full, short writes, a crash before a rename) and a fake clock.
//
// Thread safety: Env implementations are thread-safe; a WritableFile is used by one thread.
// ERRORS carry the path and the OS error text ("write /x/y.csv: No space left on device"), with
// a status code the CLI maps to exit 4 (data / I-O error), never to exit 3 (ResourceExhausted
// means "privacy budget exhausted" in dpkit, see status.h):
//   NotFound            missing file or directory (ENOENT, ENOTDIR)
//   PermissionDenied    EACCES, EPERM, EROFS
//   FailedPrecondition  a directory where a file is expected (EISDIR), a file where mkdir needs
//                       a directory
//   Unavailable         disk full or over quota (ENOSPC, EDQUOT, EFBIG), I/O error (EIO), out
//                       of file descriptors or memory
//   Internal            anything else (exit 1)
// (SQLite-backed components use SQLite's own VFS and are not routed through Env.)
#ifndef DPKIT_BASE_ENV_H_
#define DPKIT_BASE_ENV_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace dpkit {

// An append-only output file. Data is durable only after Sync(); Close() flushes but does
// not sync.
class WritableFile {
 public:
  virtual ~WritableFile() = default;
  virtual absl::Status Append(std::string_view data) = 0;
  virtual absl::Status Flush() = 0;
  virtual absl::Status Sync() = 0;
  virtual absl::Status Close() = 0;
};

class Env {
 public:
  virtual ~Env() = default;

  // The process-wide POSIX environment (real files, real clock).
  static Env* Default();

  virtual absl::StatusOr<std::string> ReadFile(const std::string& path) = 0;
  // Creates or truncates `path`.
  virtual absl::StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) = 0;
  virtual absl::Status RenameFile(const std::string& from, const std::string& to) = 0;
  virtual absl::Status DeleteFile(const std::string& path) = 0;
  virtual bool FileExists(const std::string& path) = 0;
  // mkdir -p.
  virtual absl::Status CreateDirs(const std::string& path) = 0;
  // fsync() the directory so a rename inside it is durable.
  virtual absl::Status SyncDir(const std::string& path) = 0;
  // Microseconds since the Unix epoch.
  virtual int64_t NowMicros() = 0;

  // Writes `contents` to `path` so that a crash or error at any point leaves either the old
  // file or the complete new one, never a torn file: write to "<path>.tmp.<pid>", Sync, rename,
  // SyncDir. On error the temporary file is removed and `path` is untouched.
  absl::Status WriteFileAtomically(const std::string& path, std::string_view contents);
};

namespace testing {

// Wraps an Env and injects faults. Not for production use.
class FaultInjectionEnv : public Env {
 public:
  explicit FaultInjectionEnv(Env* base) : base_(base) {}

  // After `bytes` more bytes have been appended (across all files), every Append fails with
  // Unavailable "No space left on device", as a full disk would. Negative = never.
  void SetDiskFullAfterBytes(int64_t bytes) { disk_budget_ = bytes; }
  // Makes RenameFile fail (simulates a crash between writing the temp file and the rename).
  void SetFailRenames(bool fail) { fail_renames_ = fail; }
  void SetNowMicros(int64_t now) { fake_now_ = now; }

  absl::StatusOr<std::string> ReadFile(const std::string& path) override;
  absl::StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override;
  absl::Status RenameFile(const std::string& from, const std::string& to) override;
  absl::Status DeleteFile(const std::string& path) override;
  bool FileExists(const std::string& path) override;
  absl::Status CreateDirs(const std::string& path) override;
  absl::Status SyncDir(const std::string& path) override;
  int64_t NowMicros() override;

  // Used by the wrapped files.
  bool ConsumeDiskBudget(size_t n);

 private:
  Env* base_;
  int64_t disk_budget_ = -1;
  bool fail_renames_ = false;
  int64_t fake_now_ = -1;
};

}  // namespace testing
}  // namespace dpkit

#endif  // DPKIT_BASE_ENV_H_
