// dpkit train, in the dpkit executable: replaces this process with dpkit-train (found in the
// folder of /proc/self/exe), given exactly this process's arguments (/proc/self/cmdline), so
// that the global options (--insecure-seed, -q) and every train option are parsed there once,
// and help and errors are train's own. dpkit itself never loads LibTorch.
#include <limits.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cli/command.h"
#include "cli/train_command.h"
#include "dpkit/base/status.h"

namespace dpkit::cli {
namespace {

// The path of kTrainExecutable beside the running executable.
absl::StatusOr<std::string> TrainExecutable() {
  char buf[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n <= 0) return absl::InternalError("cannot read /proc/self/exe");
  std::string self(buf, static_cast<size_t>(n));
  return absl::StrCat(self.substr(0, self.find_last_of('/') + 1), kTrainExecutable);
}

// This process's arguments, NUL-separated in /proc/self/cmdline.
std::vector<std::string> OwnArguments() {
  std::ifstream f("/proc/self/cmdline", std::ios::binary);
  const std::string all((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  std::vector<std::string> args;
  for (size_t start = 0; start < all.size();) {
    const size_t end = all.find('\0', start);
    args.push_back(all.substr(start, end - start));
    start = end == std::string::npos ? all.size() : end + 1;
  }
  return args;
}

absl::Status ExecTrain() {
  DPKIT_ASSIGN_OR_RETURN(const std::string exe, TrainExecutable());
  std::vector<std::string> args = OwnArguments();
  std::vector<char*> argv;
  for (std::string& s : args) argv.push_back(s.data());
  argv.push_back(nullptr);
  execv(exe.c_str(), argv.data());
  return absl::FailedPreconditionError(absl::StrCat(
      "cannot run ", exe, " (", std::strerror(errno), "): 'dpkit train' needs ",
      kTrainExecutable, ", built with LibTorch, in the same folder as dpkit"));
}

Runner Setup(CLI::App& app) {
  app.prefix_command();  // every argument after 'train' is dpkit-train's
  app.set_help_flag();   // and so is --help
  return [](Context&) { return ExecTrain(); };
}

DPKIT_CLI_COMMAND("train", kTrainDescription, Setup);

}  // namespace
}  // namespace dpkit::cli
