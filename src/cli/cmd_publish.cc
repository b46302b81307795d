// dpkit publish: census/survey tables, hierarchically consistent, with error bars
// (dpkit/publish). Thin: parse arguments, load the spec, call publish::Publish, print.
#include <ostream>
#include <string>

#include "cli/command.h"
#include "cli/output.h"
#include "dpkit/base/status.h"
#include "dpkit/mechanisms/noise_factory.h"
#include "dpkit/publish/publish.h"

namespace dpkit::cli {
namespace {

struct Args {
  std::string spec, data, out, ledger, dataset;
  bool dry_run = false;
};

void PrintPreview(std::ostream& out, const ledger::ChargePreview& p) {
  out << "ledger preview: " << (p.fits ? "fits" : "does NOT fit") << " the budget of dataset '"
      << p.dataset << "', unit " << p.unit << " (" << p.budget.ToString() << ")";
  if (p.budget.is_rho()) {
    out << "; rho spent after: " << FormatNumber(p.spent_after.rho)
        << ", remaining: " << FormatNumber(p.remaining_after.rho);
  } else {
    out << "; epsilon spent after: " << FormatNumber(p.spent_after.epsilon)
        << ", remaining: " << FormatNumber(p.remaining_after.epsilon);
  }
  out << (p.fits ? "" : "\n  " + p.message) << "\n";
}

absl::Status Run(Context& ctx, const Args& a) {
  DPKIT_ASSIGN_OR_RETURN(const publish::PublicationSpec spec, publish::LoadSpec(a.spec));
  publish::PublishOptions o;
  o.data = a.data;
  o.out_dir = a.out;
  o.ledger = a.ledger;
  o.dataset = a.dataset;
  o.dry_run = a.dry_run;
  o.charge_context.insecure_seed = ctx.insecure();
  o.notice = [&ctx](const std::string& line) { ctx.err() << "dpkit publish: " << line << "\n"; };
  DPKIT_ASSIGN_OR_RETURN(const publish::PublishResult r,
                         publish::Publish(spec, o, mechanisms::SecureNoise(), ctx.rng()));
  std::ostream& out = ctx.out();
  if (a.dry_run) {
    out << r.plan_text;
    if (r.preview) PrintPreview(out, *r.preview);
    out << "dry run: nothing was charged, read or written\n";
    return absl::OkStatus();
  }
  const ledger::Receipt& receipt = *r.receipt;
  out << "dpkit publish: done\n"
      << "  charged    : ledger " << r.ledger_path << ", charge #" << receipt.charge_id
      << ", dataset '" << receipt.dataset << "', unit " << receipt.unit << "\n";
  for (const std::string& f : r.files) out << "  wrote      : " << f << "\n";
  return absl::OkStatus();
}

Runner Setup(CLI::App& app) {
  auto a = std::make_shared<Args>();
  app.add_option("--spec", a->spec, "Publication spec (JSON): geography, tables, budget")
      ->required();
  app.add_option("--data", a->data, "Person records (CSV, may be gzip); optional with --dry-run");
  app.add_option("--out", a->out, "Output folder (created): <table>.csv, plan.json, summary.html");
  app.add_option("--ledger", a->ledger,
                 "Existing ledger to charge (its budget must exist: dpkit budget init); "
                 "default: a NEW ledger <out>/ledger.db with the spec's budget");
  app.add_option("--dataset", a->dataset, "Dataset name in the ledger (default: the spec's)");
  app.add_flag("--dry-run", a->dry_run, "Print the plan (and the ledger preview); spend nothing");
  return [a](Context& ctx) { return Run(ctx, *a); };
}

}  // namespace

DPKIT_CLI_COMMAND("publish",
                  "Census/survey tables: DP counts by geography, consistent, with error bars",
                  Setup);

}  // namespace dpkit::cli
