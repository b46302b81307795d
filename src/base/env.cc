#include "dpkit/base/env.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace dpkit {
namespace {

// Maps an OS error to a status code (see env.h, ERRORS): every file-system failure is a data/I-O
// error (CLI exit 4). ResourceExhausted is never used: in dpkit it means "privacy budget
// exhausted" (exit 3), which a full disk is not.
absl::Status PosixError(std::string_view op, const std::string& path, int err) {
  std::string msg = absl::StrCat(std::string(op), " ", path, ": ", std::strerror(err));
  switch (err) {
    case ENOENT:
    case ENOTDIR:
      return absl::NotFoundError(msg);
    case EACCES:
    case EPERM:
    case EROFS:
      return absl::PermissionDeniedError(msg);
    case EISDIR:
      return absl::FailedPreconditionError(
          absl::StrCat(std::string(op), " ", path, ": is a directory; give the path of a file"));
    case ENOSPC:
    case EDQUOT:
    case EFBIG:
      return absl::UnavailableError(absl::StrCat(msg, "; free disk space and retry"));
    case EIO:
    case EMFILE:
    case ENFILE:
    case ENOMEM:
      return absl::UnavailableError(msg);
    default:
      return absl::InternalError(msg);
  }
}

class PosixWritableFile : public WritableFile {
 public:
  PosixWritableFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~PosixWritableFile() override {
    if (fd_ >= 0) (void)Close();
  }

  absl::Status Append(std::string_view data) override {
    buffer_.append(data.data(), data.size());
    if (buffer_.size() >= kBufferSize) return Flush();
    return absl::OkStatus();
  }

  absl::Status Flush() override {
    const char* p = buffer_.data();
    size_t left = buffer_.size();
    while (left > 0) {
      ssize_t n = ::write(fd_, p, left);
      if (n < 0) {
        if (errno == EINTR) continue;
        int err = errno;
        buffer_.clear();
        return PosixError("write", path_, err);
      }
      p += n;
      left -= static_cast<size_t>(n);
    }
    buffer_.clear();
    return absl::OkStatus();
  }

  absl::Status Sync() override {
    absl::Status s = Flush();
    if (!s.ok()) return s;
    if (::fsync(fd_) != 0) return PosixError("fsync", path_, errno);
    return absl::OkStatus();
  }

  absl::Status Close() override {
    if (fd_ < 0) return absl::OkStatus();
    absl::Status s = Flush();
    if (::close(fd_) != 0 && s.ok()) s = PosixError("close", path_, errno);
    fd_ = -1;
    return s;
  }

 private:
  static constexpr size_t kBufferSize = 1 << 16;
  std::string path_;
  int fd_;
  std::string buffer_;
};

class PosixEnv : public Env {
 public:
  absl::StatusOr<std::string> ReadFile(const std::string& path) override {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return PosixError("open", path, errno);
    std::string out;
    struct stat st;
    if (::fstat(fd, &st) == 0) {
      if (S_ISDIR(st.st_mode)) {  // open() succeeds on a directory; read() would fail late
        ::close(fd);
        return PosixError("read", path, EISDIR);
      }
      if (st.st_size > 0) out.reserve(static_cast<size_t>(st.st_size));
    }
    char buf[1 << 16];
    while (true) {
      ssize_t n = ::read(fd, buf, sizeof(buf));
      if (n < 0) {
        if (errno == EINTR) continue;
        int err = errno;
        ::close(fd);
        return PosixError("read", path, err);
      }
      if (n == 0) break;
      out.append(buf, static_cast<size_t>(n));
    }
    ::close(fd);
    return out;
  }

  absl::StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return PosixError("open", path, errno);
    return std::unique_ptr<WritableFile>(new PosixWritableFile(path, fd));
  }

  absl::Status RenameFile(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) return PosixError("rename", from, errno);
    return absl::OkStatus();
  }

  absl::Status DeleteFile(const std::string& path) override {
    if (::unlink(path.c_str()) != 0) return PosixError("unlink", path, errno);
    return absl::OkStatus();
  }

  bool FileExists(const std::string& path) override { return ::access(path.c_str(), F_OK) == 0; }

  absl::Status CreateDirs(const std::string& path) override {
    if (path.empty()) return absl::OkStatus();
    std::string prefix;
    size_t pos = 0;
    while (pos != std::string::npos) {
      pos = path.find('/', pos + 1);
      prefix = path.substr(0, pos);
      if (prefix.empty()) continue;
      if (::mkdir(prefix.c_str(), 0755) != 0 && errno != EEXIST) {
        return PosixError("mkdir", prefix, errno);
      }
    }
    struct stat st;
    if (::stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      return absl::FailedPreconditionError(absl::StrCat("mkdir ", path, ": not a directory"));
    }
    return absl::OkStatus();
  }

  absl::Status SyncDir(const std::string& path) override {
    std::string dir = path.empty() ? "." : path;
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return PosixError("open", dir, errno);
    int rc = ::fsync(fd);
    int err = errno;
    ::close(fd);
    if (rc != 0) return PosixError("fsync", dir, err);
    return absl::OkStatus();
  }

  int64_t NowMicros() override {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

std::string DirName(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace

Env* Env::Default() {
  static PosixEnv* env = new PosixEnv();
  return env;
}

absl::Status Env::WriteFileAtomically(const std::string& path, std::string_view contents) {
  std::string tmp = absl::StrCat(path, ".tmp.", ::getpid());
  auto file = NewWritableFile(tmp);
  if (!file.ok()) return file.status();
  absl::Status s = (*file)->Append(contents);
  if (s.ok()) s = (*file)->Sync();
  absl::Status c = (*file)->Close();
  if (s.ok()) s = c;
  if (s.ok()) s = RenameFile(tmp, path);
  if (!s.ok()) {
    (void)DeleteFile(tmp);
    return s;
  }
  return SyncDir(DirName(path));
}

namespace testing {
namespace {

class FaultInjectionFile : public WritableFile {
 public:
  FaultInjectionFile(FaultInjectionEnv* env, std::unique_ptr<WritableFile> base)
      : env_(env), base_(std::move(base)) {}
  absl::Status Append(std::string_view data) override {
    if (!env_->ConsumeDiskBudget(data.size())) {
      return absl::UnavailableError(
          "write: No space left on device (injected); free disk space and retry");
    }
    return base_->Append(data);
  }
  absl::Status Flush() override { return base_->Flush(); }
  absl::Status Sync() override { return base_->Sync(); }
  absl::Status Close() override { return base_->Close(); }

 private:
  FaultInjectionEnv* env_;
  std::unique_ptr<WritableFile> base_;
};

}  // namespace

bool FaultInjectionEnv::ConsumeDiskBudget(size_t n) {
  if (disk_budget_ < 0) return true;
  if (static_cast<int64_t>(n) > disk_budget_) {
    disk_budget_ = 0;
    return false;
  }
  disk_budget_ -= static_cast<int64_t>(n);
  return true;
}

absl::StatusOr<std::string> FaultInjectionEnv::ReadFile(const std::string& path) {
  return base_->ReadFile(path);
}
absl::StatusOr<std::unique_ptr<WritableFile>> FaultInjectionEnv::NewWritableFile(
    const std::string& path) {
  auto f = base_->NewWritableFile(path);
  if (!f.ok()) return f.status();
  return std::unique_ptr<WritableFile>(new FaultInjectionFile(this, std::move(*f)));
}
absl::Status FaultInjectionEnv::RenameFile(const std::string& from, const std::string& to) {
  if (fail_renames_) return absl::InternalError("rename: injected crash before rename");
  return base_->RenameFile(from, to);
}
absl::Status FaultInjectionEnv::DeleteFile(const std::string& path) {
  return base_->DeleteFile(path);
}
bool FaultInjectionEnv::FileExists(const std::string& path) { return base_->FileExists(path); }
absl::Status FaultInjectionEnv::CreateDirs(const std::string& path) {
  return base_->CreateDirs(path);
}
absl::Status FaultInjectionEnv::SyncDir(const std::string& path) { return base_->SyncDir(path); }
int64_t FaultInjectionEnv::NowMicros() {
  return fake_now_ >= 0 ? fake_now_ : base_->NowMicros();
}

}  // namespace testing
}  // namespace dpkit
