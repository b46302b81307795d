// dpkit budget init|show|history|export|charge|check: the persistent privacy budget ledger.
// `check` verifies the tamper-evident hash chain and prints its head (see dpkit/ledger/ledger.h).
// Thin: parse arguments, call dpkit::ledger, print. Exit codes: 3 when a budget is exhausted
// (the message gives the remaining budget), 4 for unknown datasets, corrupted or locked files.
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "cli/command.h"
#include "ledger/json_format.h"
#include "dpkit/base/env.h"
#include "dpkit/base/status.h"
#include "dpkit/ledger/ledger.h"
#include "fmt/format.h"
#include "nlohmann/json.hpp"

namespace dpkit::cli {
namespace {

using ledger::Budget;
using ledger::BudgetStatus;
using ledger::Ledger;
using ledger::LedgerOptions;
using ledger::Spend;

struct BudgetArgs {
  std::string ledger_path;
  std::string dataset;
  std::string unit;
  int lock_timeout_ms = 10000;
  // init
  std::optional<double> epsilon;
  std::optional<double> delta;
  std::optional<double> rho;
  std::string accountant = "basic";
  // show / history
  bool json = false;
  int64_t limit = 0;
  // export
  std::string out;
  // charge
  std::vector<std::string> maps;
  std::string operation;
  std::string caller;
  bool dry_run = false;
  bool insecure_seed_release = false;
  // check
  std::string expect_head;
};

std::string Num(double v) { return fmt::format("{:.6g}", v); }

std::string SpendLine(const Budget& b, const Spend& s) {
  if (b.is_rho()) return "rho=" + Num(s.rho);
  return "epsilon=" + Num(s.epsilon) + " (at delta=" + Num(b.delta) + ")";
}

std::string BudgetLine(const Budget& b) {
  if (b.is_rho()) return "rho=" + Num(b.rho);
  return "epsilon=" + Num(b.epsilon) + "  delta=" + Num(b.delta);
}

std::string Neighbours(const std::string& unit) {
  return "neighbouring datasets: " + ledger::NeighbouringRelation(unit);
}

std::string IsoTime(int64_t micros) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixMicros(micros),
                          absl::UTCTimeZone());
}

void AddCommon(CLI::App* sub, BudgetArgs& a, bool dataset_required) {
  sub->add_option("--ledger", a.ledger_path, "Ledger file (SQLite)")->required();
  auto* ds = sub->add_option("--dataset", a.dataset, "Dataset name");
  if (dataset_required) ds->required();
  sub->add_option("--unit", a.unit,
                  "Privacy unit (the user-id column); omit for row-level privacy");
  sub->add_option("--lock-timeout-ms", a.lock_timeout_ms,
                  "Wait this long for another process's lock before failing")
      ->capture_default_str();
}

absl::StatusOr<std::unique_ptr<Ledger>> OpenExisting(const BudgetArgs& a) {
  return Ledger::Open(a.ledger_path,
                      {.create_if_missing = false, .lock_timeout_ms = a.lock_timeout_ms});
}

absl::Status RunInit(Context& ctx, const BudgetArgs& a) {
  DPKIT_ASSIGN_OR_RETURN(accounting::AccountantKind kind,
                         accounting::ParseAccountantKind(a.accountant));
  Budget budget;
  if (a.rho.has_value()) {
    if (a.epsilon.has_value() || a.delta.has_value()) {
      return absl::InvalidArgumentError(
          "give either --epsilon/--delta or --rho, not both");
    }
    budget = Budget::Rho(*a.rho);
  } else {
    if (!a.epsilon.has_value()) {
      return absl::InvalidArgumentError(
          "--epsilon is required (or --rho for a zCDP budget); e.g. --epsilon 1 --delta 1e-6");
    }
    budget = Budget::EpsilonDelta(*a.epsilon, a.delta.value_or(0.0));
  }
  DPKIT_RETURN_IF_ERROR(ledger::ValidateBudget(budget, kind));
  DPKIT_ASSIGN_OR_RETURN(auto l,
                         Ledger::Open(a.ledger_path, {.lock_timeout_ms = a.lock_timeout_ms}));
  auto existing = l->ListBudgets(a.dataset);
  DPKIT_RETURN_IF_ERROR(l->CreateBudget(a.dataset, a.unit, budget, kind));
  DPKIT_ASSIGN_OR_RETURN(BudgetStatus st, l->Status(a.dataset, a.unit));
  ctx.out() << "created budget for dataset '" << st.dataset << "' unit '" << st.unit
            << "': " << BudgetLine(st.budget) << " (accountant "
            << accounting::AccountantKindName(st.accountant) << ") in " << a.ledger_path << "\n";
  if (existing.ok() && !existing->empty()) {
    ctx.err() << "dpkit budget: warning: dataset '" << a.dataset
              << "' now has budgets for several privacy units; their spends do not compose "
                 "with each other. Charge every release of this dataset to one of them.\n";
  }
  return absl::OkStatus();
}

absl::Status RunShow(Context& ctx, const BudgetArgs& a) {
  DPKIT_ASSIGN_OR_RETURN(auto l, OpenExisting(a));
  std::vector<BudgetStatus> list;
  if (!a.unit.empty()) {
    if (a.dataset.empty()) return absl::InvalidArgumentError("--unit needs --dataset");
    DPKIT_ASSIGN_OR_RETURN(BudgetStatus s, l->Status(a.dataset, a.unit));
    list.push_back(std::move(s));
  } else {
    DPKIT_ASSIGN_OR_RETURN(list, l->ListBudgets(a.dataset));
  }
  if (a.json) {
    DPKIT_ASSIGN_OR_RETURN(const ledger::ChainHead head, l->Head());
    nlohmann::json arr = nlohmann::json::array();
    for (const BudgetStatus& s : list) {
      nlohmann::json j;
      j["dataset"] = s.dataset;
      j["unit"] = s.unit;
      j["accountant"] = accounting::AccountantKindName(s.accountant);
      j["budget"] = ledger::internal::BudgetJson(s.budget);
      j["spent"] = ledger::internal::SpendJson(s.budget, s.spent);
      j["remaining"] = ledger::internal::SpendJson(s.budget, s.remaining);
      j["num_charges"] = s.num_charges;
      j["num_refused"] = s.num_refused;
      j["num_insecure_seed"] = s.num_insecure_seed;
      j["notes"] = s.notes;
      j["chain_head"] = ledger::internal::ChainHeadJson(head);  // of the whole ledger file
      arr.push_back(std::move(j));
    }
    ctx.out() << arr.dump(2) << "\n";
    return absl::OkStatus();
  }
  if (list.empty()) {
    ctx.out() << "no budgets in " << a.ledger_path
              << " (create one with: dpkit budget init --ledger " << a.ledger_path
              << " --dataset NAME --epsilon E --delta D)\n";
    return absl::OkStatus();
  }
  for (const BudgetStatus& s : list) {
    ctx.out() << s.dataset << " / " << s.unit << "  (accountant "
              << accounting::AccountantKindName(s.accountant) << "; " << Neighbours(s.unit)
              << ")\n"
              << "  budget     " << BudgetLine(s.budget) << "\n"
              << "  spent      " << SpendLine(s.budget, s.spent) << "  (" << s.num_charges
              << " charges, " << s.num_refused << " refused)\n"
              << "  remaining  " << SpendLine(s.budget, s.remaining) << "\n";
    if (s.num_insecure_seed > 0) {
      ctx.out() << "  WARNING    " << s.num_insecure_seed
                << " charge(s) released noise from --insecure-seed (reproducible, NOT private); "
                   "they count against the budget in full\n";
    }
  }
  return absl::OkStatus();
}

absl::Status RunHistory(Context& ctx, const BudgetArgs& a) {
  if (a.limit < 0) {
    return absl::InvalidArgumentError(absl::StrCat("--limit must be >= 0, got ", a.limit));
  }
  DPKIT_ASSIGN_OR_RETURN(auto l, OpenExisting(a));
  DPKIT_ASSIGN_OR_RETURN(BudgetStatus st, l->Status(a.dataset, a.unit));
  DPKIT_ASSIGN_OR_RETURN(auto rows, l->History(a.dataset, a.unit, {.limit = a.limit}));
  if (a.json) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& r : rows) arr.push_back(ledger::internal::ChargeJson(st.budget, r));
    ctx.out() << arr.dump(2) << "\n";
    return absl::OkStatus();
  }
  ctx.out() << st.dataset << " / " << st.unit << ": budget " << BudgetLine(st.budget)
            << ", accountant " << accounting::AccountantKindName(st.accountant) << ", "
            << rows.size() << " row(s)\n";
  for (const auto& r : rows) {
    std::vector<std::string> maps;
    for (const auto& m : r.maps) maps.push_back(m.ToString());
    ctx.out() << "#" << r.charge_id << "  " << IsoTime(r.timestamp_micros) << "  " << r.status
              << (r.insecure_seed ? "  [INSECURE SEED: NOT PRIVATE]" : "") << "  "
              << fmt::format("{}", fmt::join(maps, " + ")) << "  -> spent "
              << SpendLine(st.budget, r.spent_after) << "  by " << r.caller << "  op: "
              << r.operation << "\n";
  }
  return absl::OkStatus();
}

absl::Status RunExport(Context& ctx, const BudgetArgs& a) {
  DPKIT_ASSIGN_OR_RETURN(auto l, OpenExisting(a));
  DPKIT_ASSIGN_OR_RETURN(std::string json, l->ExportJson(a.dataset));
  json += "\n";
  if (a.out.empty() || a.out == "-") {
    ctx.out() << json;
    return absl::OkStatus();
  }
  DPKIT_RETURN_IF_ERROR(Env::Default()->WriteFileAtomically(a.out, json));
  if (!ctx.quiet()) ctx.err() << "dpkit budget: wrote " << a.out << "\n";
  return absl::OkStatus();
}

absl::Status RunCharge(Context& ctx, const BudgetArgs& a) {
  std::vector<PrivacyMap> maps;
  for (size_t i = 0; i < a.maps.size(); ++i) {
    auto m = PrivacyMap::FromJson(a.maps[i]);
    if (!m.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--map #", i + 1, ": ", m.status().message(),
                                                     " (e.g. --map '{\"kind\":\"laplace\","
                                                     "\"noise_multiplier\":10}')"));
    }
    maps.push_back(*std::move(m));
  }
  DPKIT_ASSIGN_OR_RETURN(auto l, OpenExisting(a));
  if (a.dry_run) {
    DPKIT_ASSIGN_OR_RETURN(ledger::ChargePreview p, l->Preview(a.dataset, a.unit, maps));
    ctx.out() << "dry run (nothing charged): cost " << SpendLine(p.budget, p.cost)
              << "; spent would be " << SpendLine(p.budget, p.spent_after) << "; remaining "
              << SpendLine(p.budget, p.remaining_after) << "; " << (p.fits ? "fits" : "does NOT fit")
              << "\n";
    if (!p.fits) return absl::ResourceExhaustedError(absl::StrCat("(dry run) ", p.message));
    return absl::OkStatus();
  }
  DPKIT_ASSIGN_OR_RETURN(
      ledger::Receipt r,
      l->Charge(a.dataset, a.unit, maps, a.operation,
                ledger::ChargeOptions{.caller = a.caller,
                                      .insecure_seed = a.insecure_seed_release}));
  ctx.out() << "charged #" << r.charge_id << ": cost " << SpendLine(r.budget, r.cost)
            << "; spent " << SpendLine(r.budget, r.spent) << "; remaining "
            << SpendLine(r.budget, r.remaining) << "\n";
  return absl::OkStatus();
}

absl::Status RunCheck(Context& ctx, const BudgetArgs& a) {
  ledger::VerifyOptions verify;
  if (!a.expect_head.empty()) {
    DPKIT_ASSIGN_OR_RETURN(verify.expect_head, ledger::ChainHead::Parse(a.expect_head));
  }
  LedgerOptions o{.create_if_missing = false,
                  .lock_timeout_ms = a.lock_timeout_ms,
                  .integrity_check = ledger::IntegrityCheck::kQuick};
  DPKIT_ASSIGN_OR_RETURN(auto l, Ledger::Open(a.ledger_path, o));
  DPKIT_ASSIGN_OR_RETURN(const ledger::IntegrityReport r, l->Verify(verify));
  ctx.out() << "ledger " << a.ledger_path << " is intact (" << r.num_budgets << " budget(s), "
            << r.num_charges << " charge row(s)); hash chain verified, head "
            << r.head.ToString() << "\n"
            << "  chain: " << r.chain_origin << "\n";
  if (verify.expect_head) {
    ctx.out() << "  expected head #" << verify.expect_head->id << " found unchanged\n";
  } else {
    ctx.out() << "  keep the head elsewhere and pass it back with --expect-head: deleting the "
                 "last charges cannot be detected from the file alone\n";
  }
  return absl::OkStatus();
}

Runner SetupBudget(CLI::App& app) {
  auto args = std::make_shared<BudgetArgs>();
  BudgetArgs& a = *args;
  app.require_subcommand(1);

  CLI::App* init = app.add_subcommand("init", "Create the budget of a dataset (+ privacy unit)");
  AddCommon(init, a, true);
  init->add_option("--epsilon", a.epsilon, "Total epsilon (> 0)");
  init->add_option("--delta", a.delta, "Total delta in [0, 1) (default 0)");
  init->add_option("--rho", a.rho, "Total rho for a zCDP budget (instead of epsilon/delta)");
  init->add_option("--accountant", a.accountant,
                   "How charges compose: basic, zcdp, rdp or pld (rdp/pld are tighter for "
                   "Gaussian noise and DP-SGD; basic is required for approximate-DP maps)")
      ->capture_default_str();

  CLI::App* show = app.add_subcommand("show", "Show budgets: total, spent and remaining");
  AddCommon(show, a, false);
  show->add_flag("--json", a.json, "JSON output");

  CLI::App* history = app.add_subcommand("history", "Show the audit trail of one budget");
  AddCommon(history, a, true);
  history->add_option("--limit", a.limit, "Only the most recent N rows (0 = all)");
  history->add_flag("--json", a.json, "JSON output");

  CLI::App* exp = app.add_subcommand("export", "Export budgets and the full audit trail as JSON");
  AddCommon(exp, a, false);
  exp->add_option("--out", a.out, "Output file (default stdout); written atomically");

  CLI::App* charge = app.add_subcommand(
      "charge", "Charge a release made elsewhere (privacy maps as JSON) to a budget");
  AddCommon(charge, a, true);
  charge->add_option("--map", a.maps, "A PrivacyMap as JSON; repeat for several")->required();
  charge->add_option("--operation", a.operation, "What was released (query text)")->required();
  charge->add_option("--caller", a.caller, "Who (default user@host/pid)");
  charge->add_flag("--dry-run", a.dry_run, "Only show the cost and whether it fits");
  charge->add_flag("--insecure-seed-release", a.insecure_seed_release,
                   "The release used a reproducible, NOT private seed (recorded and shown; it "
                   "still counts against the budget)");

  CLI::App* check = app.add_subcommand("check", "Full integrity check of a ledger file");
  check->add_option("--ledger", a.ledger_path, "Ledger file (SQLite)")->required();
  check->add_option("--lock-timeout-ms", a.lock_timeout_ms, "Lock wait");
  check->add_option("--expect-head", a.expect_head,
                    "ID:HASH of a chain head kept elsewhere (from 'budget export' or an earlier "
                    "check): fails if the ledger was rewritten or truncated since");

  return [args, init, show, history, exp, charge, check](Context& ctx) -> absl::Status {
    const BudgetArgs& a = *args;
    if (init->parsed()) return RunInit(ctx, a);
    if (show->parsed()) return RunShow(ctx, a);
    if (history->parsed()) return RunHistory(ctx, a);
    if (exp->parsed()) return RunExport(ctx, a);
    if (charge->parsed()) return RunCharge(ctx, a);
    if (check->parsed()) return RunCheck(ctx, a);
    return absl::InvalidArgumentError("choose one of: init, show, history, export, charge, check");
  };
}

DPKIT_CLI_COMMAND("budget", "Privacy budget ledger: init, show, history, export, charge, check",
                  SetupBudget);

}  // namespace
}  // namespace dpkit::cli
