// dpkit pipeline: customer CSV -> PII replacement -> DP synthesis -> evaluation report.
#include <iostream>

#include "absl/strings/str_cat.h"
#include "cli/command.h"
#include "cli/output.h"
#include "dpkit/pipeline/pipeline.h"

namespace dpkit::cli {
namespace {

struct PipelineArgs {
  std::string config;
  pipeline::PipelineOptions o;
};

absl::Status RunPipelineCommand(CLI::App& app, PipelineArgs& a, Context& ctx) {
  pipeline::PipelineOptions o;
  if (!a.config.empty()) {
    absl::Status s = o.MergeJsonFile(a.config);
    if (!s.ok()) return s;
  }
  // Explicit flags override the config file.
  auto given = [&](const char* flag) { return app.count(flag) > 0; };
  if (given("--data")) o.data = a.o.data;
  if (given("--out")) o.out_dir = a.o.out_dir;
  if (given("--epsilon")) o.epsilon = a.o.epsilon;
  if (given("--delta")) o.delta = a.o.delta;
  if (given("--method")) o.method = a.o.method;
  if (given("--rows")) o.rows = a.o.rows;
  if (given("--schema")) o.schema = a.o.schema;
  if (given("--policy")) o.policy = a.o.policy;
  if (given("--key-file")) o.key_file = a.o.key_file;
  if (given("--ledger")) o.ledger = a.o.ledger;
  if (given("--dataset")) o.dataset = a.o.dataset;
  if (given("--privacy-unit")) o.privacy_unit = a.o.privacy_unit;
  if (given("--target")) o.target = a.o.target;
  if (given("--holdout")) o.holdout_fraction = a.o.holdout_fraction;
  if (given("--min-null-fraction")) o.min_null_fraction = a.o.min_null_fraction;
  if (given("--decimals")) o.decimals = a.o.decimals;
  if (given("--threads")) o.threads = a.o.threads;
  if (given("--dry-run")) o.dry_run = a.o.dry_run;
  o.insecure_seed = ctx.insecure();
  if (!ctx.quiet()) o.progress = [&](const std::string& line) { ctx.err() << line << "\n"; };
  auto r = pipeline::RunPipeline(o, ctx.rng());
  if (!r.ok()) return r.status();
  std::ostream& out = ctx.out();
  if (o.dry_run) {
    out << r->plan.ToText();
    for (const auto& n : r->notes) out << "  note: " << n << "\n";
    out << "(--dry-run: nothing was read beyond the header, charged or written)\n";
    return absl::OkStatus();
  }
  out << "dpkit pipeline: done\n"
      << "  privacy       : epsilon=" << FormatNumber(r->epsilon_charged)
      << " delta=" << FormatNumber(r->delta_charged) << " per " << r->privacy_unit
      << " (charged to " << r->ledger << "; remaining epsilon=" << FormatNumber(r->epsilon_remaining)
      << ")\n"
      << "  synthetic data: " << r->synthetic_csv << " (" << r->synthetic_rows << " rows, DP)\n"
      << "  also DP       : " << r->privacy_json << ", " << r->summary_json << "\n"
      << "  data owner    : " << r->owner_dir
      << "/ (NOT differentially private: clean.csv, pii.json, report.html — keep it private)\n";
  for (const auto& n : r->notes) out << "  note: " << n << "\n";
  return absl::OkStatus();
}

Runner SetupPipeline(CLI::App& app) {
  auto a = std::make_shared<PipelineArgs>();
  app.add_option("--config", a->config, "JSON file with any of the options below (flags override it)");
  app.add_option("--data", a->o.data, "Input CSV (e.g. customers.csv)");
  app.add_option("--out", a->o.out_dir, "Output directory (created)");
  app.add_option("--epsilon", a->o.epsilon, "Total privacy budget of the run (default 1)");
  app.add_option("--delta", a->o.delta, "Total delta (default 1e-6)");
  app.add_option("--method", a->o.method, "Synthesizer: aim (default) or mst");
  app.add_option("--rows", a->o.rows, "Synthetic rows (default: a DP estimate of the input size)");
  app.add_option("--schema", a->o.schema, "Schema JSON: public bounds, categories, privacy unit");
  app.add_option("--policy", a->o.policy, "PII policy JSON (default: see docs/pii.md)");
  app.add_option("--key-file", a->o.key_file,
                 "PII pseudonymisation key (default: generate <out>/owner/pii.key)");
  app.add_option("--ledger", a->o.ledger,
                 "Ledger holding the dataset's budget (default: a NEW <out>/ledger.db holding "
                 "exactly this run)");
  app.add_option("--dataset", a->o.dataset, "Dataset name in the ledger (default: input file stem)");
  app.add_option("--privacy-unit", a->o.privacy_unit,
                 "Unit column (default: the schema's, else the ledger budget's, else rows)");
  app.add_option("--target", a->o.target, "Column predicted in the report's utility section");
  app.add_option("--holdout", a->o.holdout_fraction, "Share of units held out for the report (default 0.2)");
  app.add_option("--min-null-fraction", a->o.min_null_fraction,
                 "Synthetic null rates below this are treated as noise (default 0.01)");
  app.add_option("--decimals", a->o.decimals,
                 "Decimals of real-valued synthetic columns (default 2; -1 = unrounded)");
  app.add_option("--threads", a->o.threads, "Threads (default 2)");
  app.add_flag("--dry-run", a->o.dry_run, "Print the release plan; read, charge and write nothing");
  CLI::App* self = &app;
  return [a, self](Context& ctx) { return RunPipelineCommand(*self, *a, ctx); };
}

}  // namespace

DPKIT_CLI_COMMAND("pipeline",
                  "Customer CSV -> PII replacement -> DP synthetic data -> evaluation report",
                  SetupPipeline);

}  // namespace dpkit::cli
