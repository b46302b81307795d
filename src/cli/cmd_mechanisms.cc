// dpkit mechanisms: lists every noise mechanism with its privacy claim, how it is sampled and
// its source. Thin: reads dpkit::mechanisms::ListMechanisms().
#include <memory>

#include "cli/command.h"
#include "dpkit/mechanisms/registry.h"
#include "nlohmann/json.hpp"

namespace dpkit::cli {
namespace {

Runner Setup(CLI::App& app) {
  auto json = std::make_shared<bool>(false);
  app.add_flag("--json", *json, "JSON output");
  return [json](Context& ctx) -> absl::Status {
    const auto& list = mechanisms::ListMechanisms();
    if (*json) {
      nlohmann::json arr = nlohmann::json::array();
      for (const auto& m : list) {
        arr.push_back({{"name", m.name},
                       {"input", m.input},
                       {"privacy_claim", m.privacy_claim},
                       {"implementation", m.implementation},
                       {"citation", m.citation},
                       {"doc", m.doc}});
      }
      ctx.out() << arr.dump(2) << "\n";
      return absl::OkStatus();
    }
    for (const auto& m : list) {
      ctx.out() << m.name << " (" << m.input << ")\n"
                << "  privacy:   " << m.privacy_claim << "\n"
                << "  sampling:  " << m.implementation << "\n"
                << "  source:    " << m.citation << "\n"
                << "  docs:      " << m.doc << "\n";
    }
    ctx.out() << "\nRelease a value with: dpkit noise <mechanism> --epsilon E --sensitivity S "
                 "--value V (see 'dpkit noise --help')\n";
    return absl::OkStatus();
  };
}

DPKIT_CLI_COMMAND("mechanisms", "List the noise mechanisms with their privacy claims and sources",
                  Setup);

}  // namespace
}  // namespace dpkit::cli
