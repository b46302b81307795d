// dpkit serve: the web service of the Python package (docs/ui.md). Replaces this process with
// `$DPKIT_PYTHON -m dpkit.serve ARGS...` (python3 by default; it must have the dpkit package
// installed, e.g. build/venv/bin/python after `make python`), every argument after 'serve'
// passed through (so --help is the service's). DPKIT_CLI is set to this executable unless
// given, so the service's DP-SGD jobs run `dpkit train` from the same build.
#include <limits.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cli/command.h"

namespace dpkit::cli {
namespace {

void SetDefaultCli() {
  char self[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (n > 0) setenv("DPKIT_CLI", std::string(self, static_cast<size_t>(n)).c_str(), 0);
}

absl::Status ExecServe(const std::vector<std::string>& args) {
  const char* env = std::getenv("DPKIT_PYTHON");
  const std::string python = env != nullptr && *env != '\0' ? env : "python3";
  std::vector<std::string> all = {python, "-m", "dpkit.serve"};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& s : all) argv.push_back(s.data());
  argv.push_back(nullptr);
  SetDefaultCli();
  execvp(python.c_str(), argv.data());
  return absl::FailedPreconditionError(absl::StrCat(
      "cannot run ", python, " (", std::strerror(errno), "): 'dpkit serve' needs a Python with "
      "the dpkit package (make python); set DPKIT_PYTHON, e.g. DPKIT_PYTHON=build/venv/bin/python"));
}

Runner Setup(CLI::App& app) {
  app.prefix_command();  // every argument after 'serve' is the service's
  app.set_help_flag();   // and so is --help
  return [&app](Context&) { return ExecServe(app.remaining()); };
}

DPKIT_CLI_COMMAND("serve", "the web UI and REST API (python -m dpkit.serve; docs/ui.md)", Setup);

}  // namespace
}  // namespace dpkit::cli
