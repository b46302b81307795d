// dpkit: the command-line front end. Thin: parse arguments, call the library, map statuses to
// exit codes (0 ok, 2 usage, 3 budget exhausted, 4 data error, 1 internal).
#include <algorithm>
#include <iostream>
#include <map>

#include "cli/command.h"
#include "dpkit/base/status.h"
#include "dpkit/random/secure_rng.h"
#include "dpkit/random/seeded_rng.h"

namespace dpkit::cli {

std::vector<CommandSpec>& MutableCommands() {
  static auto* commands = new std::vector<CommandSpec>();
  return *commands;
}

bool RegisterCommand(std::string name, std::string description, CommandSetup setup) {
  MutableCommands().push_back({std::move(name), std::move(description), std::move(setup)});
  return true;
}

const std::vector<CommandSpec>& RegisteredCommands() { return MutableCommands(); }

Context::Context(std::optional<uint64_t> insecure_seed, bool quiet)
    : insecure_seed_(insecure_seed), quiet_(quiet) {}
Context::~Context() = default;

random::BitGenerator& Context::rng() {
  if (!rng_) {
    if (insecure_seed_) {
      rng_ = std::make_unique<random::testing::SeededRng>(*insecure_seed_);
    } else {
      rng_ = std::make_unique<random::SecureRng>();
    }
  }
  if (insecure_seed_ && !warned_) {
    err() << "dpkit: WARNING: --insecure-seed is set: noise is reproducible from the seed and "
             "provides NO privacy. Never publish these results.\n";
    warned_ = true;
  }
  return *rng_;
}

std::ostream& Context::out() { return std::cout; }
std::ostream& Context::err() { return std::cerr; }

}  // namespace dpkit::cli

int main(int argc, char** argv) {
  using namespace dpkit::cli;
  CLI::App app{"dpkit: differential privacy toolkit (noise, accounting, analytics, DP-SGD, "
               "synthetic data, PII)"};
  app.set_version_flag("--version", "dpkit 0.1.0");
  app.require_subcommand(1);
  std::optional<uint64_t> insecure_seed;
  bool quiet = false;
  app.add_option("--insecure-seed", insecure_seed,
                 "NOT PRIVATE: seed the noise generator for reproducible test runs")
      ->group("Testing only");
  app.add_flag("-q,--quiet", quiet, "No progress output");

  auto commands = RegisteredCommands();
  std::sort(commands.begin(), commands.end(),
            [](const CommandSpec& a, const CommandSpec& b) { return a.name < b.name; });
  std::map<CLI::App*, Runner> runners;
  for (const auto& spec : commands) {
    CLI::App* sub = app.add_subcommand(spec.name, spec.description);
    runners[sub] = spec.setup(*sub);
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "dpkit: usage error: " << e.what() << " (run 'dpkit --help')\n";
    return dpkit::kExitUsage;
  }
  Context ctx(insecure_seed, quiet);
  for (auto& [sub, runner] : runners) {
    if (!sub->parsed()) continue;
    absl::Status status;
    try {
      status = runner(ctx);
    } catch (const std::exception& e) {
      status = absl::InternalError(e.what());
    }
    if (!status.ok()) {
      std::cerr << "dpkit " << sub->get_name() << ": error: " << status.message() << "\n";
      return dpkit::ExitCodeFor(status);
    }
    return dpkit::kExitOk;
  }
  return dpkit::kExitUsage;
}
