// The dpkit CLI's command registry.
//
// Each verb lives in its own file src/cli/cmd_<verb>.cc and registers itself with
// DPKIT_CLI_COMMAND; src/cli/CMakeLists.txt compiles every cmd_*.cc into the executable, so
// adding a verb touches no shared file. A verb's Setup adds its options/sub-verbs to a CLI11
// sub-app and returns the Runner to call when that verb is chosen. The runner returns a
// Status; main() prints a non-OK status as one line on stderr and exits with ExitCodeFor().
#ifndef DPKIT_SRC_CLI_COMMAND_H_
#define DPKIT_SRC_CLI_COMMAND_H_

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "dpkit/random/bit_generator.h"

namespace dpkit::cli {

class Context {
 public:
  Context(std::optional<uint64_t> insecure_seed, bool quiet);
  ~Context();

  // The generator for every noise draw: SecureRng, unless the user passed --insecure-seed, in
  // which case a seeded (reproducible, NOT private) generator is returned and a warning is
  // printed to stderr on first use.
  random::BitGenerator& rng();
  bool insecure() const { return insecure_seed_.has_value(); }
  bool quiet() const { return quiet_; }
  std::ostream& out();
  std::ostream& err();

 private:
  std::optional<uint64_t> insecure_seed_;
  bool quiet_;
  bool warned_ = false;
  std::unique_ptr<random::BitGenerator> rng_;
};

using Runner = std::function<absl::Status(Context&)>;
// Named CommandSetup (not Setup) so verb files may name their own setup function Setup.
using CommandSetup = std::function<Runner(CLI::App& app)>;

struct CommandSpec {
  std::string name;
  std::string description;
  CommandSetup setup;
};

// Registers a verb; returns true (for static initialisation).
bool RegisterCommand(std::string name, std::string description, CommandSetup setup);
const std::vector<CommandSpec>& RegisteredCommands();

}  // namespace dpkit::cli

#define DPKIT_CLI_CONCAT_INNER_(a, b) a##b
#define DPKIT_CLI_CONCAT_(a, b) DPKIT_CLI_CONCAT_INNER_(a, b)
#define DPKIT_CLI_COMMAND(name, description, setup)                               \
  static const bool DPKIT_CLI_CONCAT_(dpkit_cli_registered_, __LINE__) [[maybe_unused]] = \
      ::dpkit::cli::RegisterCommand(name, description, setup)

#endif  // DPKIT_SRC_CLI_COMMAND_H_
