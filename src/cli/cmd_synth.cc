// dpkit synth: DP synthetic data with MST or AIM (dpkit/synth). Thin: parse arguments, plan from
// public inputs (schema or domain file, header, options), then the library charges the ledger
// and only then fits; the synthetic CSV and the JSON report (DP values and public inputs only)
// are written after the charge.
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "cli/charger.h"
#include "cli/command.h"
#include "cli/output.h"
#include "dpkit/base/env.h"
#include "dpkit/base/status.h"
#include "dpkit/io/csv.h"
#include "dpkit/io/dataset_name.h"
#include "dpkit/io/encoded.h"
#include "dpkit/io/schema.h"
#include "dpkit/mechanisms/noise_factory.h"
#include "dpkit/release/release.h"
#include "dpkit/synth/plan.h"
#include "dpkit/synth/synthesizer.h"
#include "nlohmann/json.hpp"

namespace dpkit::cli {
namespace {

struct Args {
  std::string data, schema, domain, method = "aim", out, report, ledger, dataset, unit;
  double epsilon = 0, delta = 1e-9;
  int64_t rows = -1;
  std::vector<std::string> workload;
  int rounds = 0, threads = 2, iters = 0, numeric_bins = 32;
  double max_model_mb = 8;
  bool dry_run = false, no_header = false;
  int skip_lines = 0;
  std::vector<std::string> names;
};

absl::StatusOr<synth::SynthOptions> Options(const Args& a, Context& ctx) {
  synth::SynthOptions o;
  DPKIT_ASSIGN_OR_RETURN(o.method, synth::ParseMethod(a.method));
  o.epsilon = a.epsilon;
  o.delta = a.delta;
  o.rounds = a.rounds;
  o.threads = a.threads;
  o.max_model_mb = a.max_model_mb;
  o.inference.max_iters = a.iters;
  o.numeric_bins = a.numeric_bins;
  for (const std::string& w : a.workload) o.workload.push_back(absl::StrSplit(w, ':'));
  if (!ctx.quiet()) {
    std::ostream* err = &ctx.err();  // after the charge only: progress lines are DP outputs
    o.progress = [err](const std::string& line) { *err << "synth: " << line << "\n"; };
  }
  DPKIT_RETURN_IF_ERROR(synth::ValidateOptions(o));
  return o;
}

absl::Status CheckArgs(const Args& a) {
  if (!a.schema.empty() && !a.domain.empty()) {
    return absl::InvalidArgumentError("give either --schema or --domain, not both");
  }
  if (!a.domain.empty() && !a.unit.empty()) {
    return absl::InvalidArgumentError(
        "--unit needs per-unit data: --domain data has no privacy unit column, so its fit is "
        "per row; drop --unit (and charge a row-level budget)");
  }
  if (!a.ledger.empty() && a.dataset.empty()) {
    return absl::InvalidArgumentError("--ledger needs --dataset (the dataset's budget name)");
  }
  if (a.rows < -1) return absl::InvalidArgumentError(absl::StrCat("--rows must be >= 0, got ", a.rows));
  DPKIT_RETURN_IF_ERROR(release::CheckOutputWritable(a.out));
  if (!a.report.empty()) DPKIT_RETURN_IF_ERROR(release::CheckOutputWritable(a.report));
  return absl::OkStatus();
}

// The schema: the --schema file, with --unit as its privacy unit (they must agree).
absl::StatusOr<io::Schema> LoadSchema(const Args& a) {
  io::Schema schema;
  if (!a.schema.empty()) {
    DPKIT_ASSIGN_OR_RETURN(schema, io::LoadSchema(a.schema));
  }
  if (!a.unit.empty()) {
    if (!schema.privacy_unit.empty() && schema.privacy_unit != a.unit) {
      return absl::InvalidArgumentError(absl::StrCat("--unit '", a.unit,
                                                     "' differs from the schema's privacy_unit '",
                                                     schema.privacy_unit, "'"));
    }
    schema.privacy_unit = a.unit;
  }
  return schema;
}

// The file's layout (header or --names, --skip-lines), the same for schema and domain data.
io::CsvReadOptions Layout(const Args& a) {
  io::CsvReadOptions ro;
  ro.private_data = true;
  ro.has_header = !a.no_header;
  ro.column_names = a.names;
  ro.skip_lines = a.skip_lines;
  return ro;
}

io::CsvReadOptions ReadOptions(const Args& a, const io::Schema& schema) {
  io::CsvReadOptions ro = Layout(a);
  ro.schema = schema;
  if (!schema.null_tokens.empty()) ro.null_tokens = schema.null_tokens;
  return ro;
}

// The domain file's attributes in the order of the CSV's columns (public: the header), so the
// synthetic CSV keeps the input's column order.
absl::StatusOr<io::Domain> InHeaderOrder(const Args& a, const io::Domain& domain) {
  io::CsvReadOptions ro = Layout(a);
  ro.max_rows = 0;
  DPKIT_ASSIGN_OR_RETURN(io::Table head, io::ReadCsv(a.data, ro));
  std::vector<std::string> order;
  for (const std::string& name : head.ColumnNames()) {
    if (domain.Index(name).ok()) order.push_back(name);
  }
  if (order.size() != domain.names().size()) {
    for (const std::string& name : domain.names()) {
      if (!head.HasColumn(name)) {
        return absl::InvalidArgumentError(absl::StrCat(
            a.data, ": no column '", name, "' of the domain file ", a.domain,
            " (its header: ", absl::StrJoin(head.ColumnNames(), ", "), ")"));
      }
    }
  }
  return domain.Project(order);
}

void PrintSummary(Context& ctx, const Args& a, const synth::SynthRelease& r, int64_t rows,
                  const std::string& report_path) {
  const synth::SynthReport& rep = r.model.report();
  std::ostream& out = ctx.out();
  out << "synthetic data: " << a.out << " (" << rows << " rows, " << rep.columns.size()
      << " columns)\n";
  out << "method: " << rep.method << ", " << rep.fit.measured.size() << " marginals measured, "
      << rep.fit.rounds << (rep.method == "aim" ? " rounds" : " tree edges") << "\n";
  out << "privacy: (" << FormatNumber(rep.epsilon) << ", " << FormatNumber(rep.delta)
      << ")-DP charged (rho " << FormatNumber(rep.rho_total) << "; spent "
      << FormatNumber(rep.rho_spent) << "); neighbouring: " << rep.neighbouring << "\n";
  out << "ledger: dataset '" << r.receipt.dataset << "' unit " << r.receipt.unit << " charge #"
      << r.receipt.charge_id << ", remaining "
      << (r.receipt.budget.is_rho() ? absl::StrCat("rho ", FormatNumber(r.receipt.remaining.rho))
                                    : absl::StrCat("epsilon ",
                                                   FormatNumber(r.receipt.remaining.epsilon)))
      << "\n";
  out << "report: " << report_path << "\n";
  if (ctx.insecure()) out << "WARNING: --insecure-seed: NOT PRIVATE, do not publish\n";
}

// Samples and writes the outputs; a failure here happens after the charge.
absl::Status WriteOutputs(Context& ctx, const Args& a, const synth::SynthRelease& r) {
  const int64_t rows = a.rows >= 0 ? a.rows
                                   : static_cast<int64_t>(std::llround(
                                         std::max(0.0, r.model.report().fit.estimated_rows)));
  DPKIT_RETURN_IF_ERROR(r.model.SampleToCsv(a.out, rows, ctx.rng()));
  const std::string report_path = a.report.empty() ? a.out + ".report.json" : a.report;
  nlohmann::json report = nlohmann::json::parse(r.model.report().ToJson());
  if (ctx.insecure()) report["insecure_seed"] = "NOT PRIVATE: noise from --insecure-seed";
  DPKIT_RETURN_IF_ERROR(
      Env::Default()->WriteFileAtomically(report_path, report.dump(2) + "\n"));
  PrintSummary(ctx, a, r, rows, report_path);
  return absl::OkStatus();
}

absl::Status Run(Context& ctx, const Args& a) {
  DPKIT_RETURN_IF_ERROR(CheckArgs(a));
  DPKIT_ASSIGN_OR_RETURN(synth::SynthOptions o, Options(a, ctx));
  const std::string dataset = a.dataset.empty() ? io::DatasetNameFromPath(a.data) : a.dataset;
  const std::string operation =
      absl::StrCat("dpkit synth --method ", a.method, " --epsilon ", FormatNumber(a.epsilon),
                   " --delta ", FormatNumber(a.delta), " (", a.out, ")");
  // 1. Plan from public inputs; the data is read (structure checked, nothing shown) but not used.
  synth::SynthPlan plan;
  std::optional<io::EncodedTable> encoded;
  std::optional<io::Table> table;
  if (!a.domain.empty()) {
    DPKIT_ASSIGN_OR_RETURN(io::Domain file_domain, io::LoadDomain(a.domain));
    DPKIT_ASSIGN_OR_RETURN(io::Domain domain, InHeaderOrder(a, file_domain));
    DPKIT_ASSIGN_OR_RETURN(plan, synth::PlanSynthEncoded(domain, o));
    if (!a.dry_run) {
      DPKIT_ASSIGN_OR_RETURN(encoded, io::ReadEncodedCsv(a.data, domain, Layout(a)));
    }
  } else {
    DPKIT_ASSIGN_OR_RETURN(io::Schema schema, LoadSchema(a));
    io::CsvReadOptions ro = ReadOptions(a, schema);
    if (a.dry_run) ro.max_rows = 0;  // the header only
    DPKIT_ASSIGN_OR_RETURN(table, io::ReadCsv(a.data, ro));
    DPKIT_ASSIGN_OR_RETURN(plan, synth::PlanSynth(table->ColumnNames(), schema, o));
  }
  const release::ReleasePlan release_plan = plan.ToRelease(dataset, operation);
  if (a.dry_run) {
    ctx.out() << release_plan.ToText() << "(--dry-run: nothing was charged or computed)\n";
    return absl::OkStatus();
  }
  // 2. Charge, 3. fit (in the library), then write.
  DPKIT_ASSIGN_OR_RETURN(
      auto charger,
      OpenCharger(ctx, {.ledger = a.ledger,
                        .new_ledger_path = a.out + ".ledger.db",
                        .key = release_plan.budget,
                        .budget = ledger::Budget::EpsilonDelta(a.epsilon, a.delta)}));
  const mechanisms::NoiseFactory& noise = mechanisms::SecureNoise();
  DPKIT_ASSIGN_OR_RETURN(
      synth::SynthRelease r,
      encoded ? synth::ReleaseSynthEncoded(plan, *encoded, dataset, operation, *charger, noise,
                                           ctx.rng())
              : synth::ReleaseSynth(plan, *table, dataset, operation, *charger, noise, ctx.rng()));
  absl::Status written = WriteOutputs(ctx, a, r);
  return written.ok() ? written : release::ChargedFailure(written, r.receipt);
}

Runner Setup(CLI::App& app) {
  auto a = std::make_shared<Args>();
  app.add_option("--data", a->data, "Input CSV (gzip ok)")->required();
  app.add_option("--schema", a->schema,
                 "Schema JSON: types, public bounds/bins/categories, privacy_unit");
  app.add_option("--domain", a->domain,
                 "Private-PGM *-domain.json for pre-discretised integer data");
  app.add_option("--method", a->method, "aim or mst")->capture_default_str();
  app.add_option("--epsilon", a->epsilon, "Total epsilon (preprocessing included)")->required();
  app.add_option("--delta", a->delta, "Total delta")->capture_default_str();
  app.add_option("--rows", a->rows, "Rows to generate (default: the model's DP row estimate)");
  app.add_option("--out", a->out, "Output CSV")->required();
  app.add_option("--report", a->report, "JSON report (default: <out>.report.json)");
  app.add_option("--workload", a->workload,
                 "AIM workload marginal as col1:col2[:col3] (repeatable; default all 3-way)");
  app.add_option("--rounds", a->rounds, "AIM budget rounds T (default 16 x columns)");
  app.add_option("--max-model-mb", a->max_model_mb, "AIM model-size limit in MiB")
      ->capture_default_str();
  app.add_option("--iters", a->iters,
                 "Final inference iterations (0 = the method's default: MST 2000, AIM 500)")
      ->capture_default_str();
  app.add_option("--numeric-bins", a->numeric_bins, "Bins per numeric column (DP quantiles)")
      ->capture_default_str();
  app.add_option("--threads", a->threads, "Worker threads")->capture_default_str();
  app.add_option("--ledger", a->ledger,
                 "Ledger holding the dataset's budget (default: a NEW ledger <out>.ledger.db "
                 "holding exactly this release)");
  app.add_option("--dataset", a->dataset, "Dataset name in the ledger (default: the file stem)");
  app.add_option("--unit", a->unit,
                 "Privacy unit column (default: the schema's privacy_unit, else rows); the fit "
                 "keeps one random row per unit");
  app.add_flag("--dry-run", a->dry_run, "Print the release plan; charge and compute nothing");
  app.add_flag("--no-header", a->no_header, "The CSV has no header row (use --names)");
  app.add_option("--names", a->names, "Column names for a header-less CSV")->delimiter(',');
  app.add_option("--skip-lines", a->skip_lines, "Lines to skip before the header");
  return [a](Context& ctx) { return Run(ctx, *a); };
}

DPKIT_CLI_COMMAND("synth",
                  "DP synthetic data (MST or AIM on a graphical model), charged to the ledger",
                  Setup);

}  // namespace
}  // namespace dpkit::cli
