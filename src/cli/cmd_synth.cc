// dpkit synth: DP synthetic data with MST or AIM (dpkit/synth). Thin: parse arguments, read the
// data with io, fit, charge the ledger, then (and only then) write the synthetic CSV and the
// JSON report.
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cli/command.h"
#include "cli/output.h"
#include "dpkit/base/status.h"
#include "dpkit/io/csv.h"
#include "dpkit/io/encoded.h"
#include "dpkit/io/schema.h"
#include "dpkit/ledger/ledger.h"
#include "dpkit/synth/synthesizer.h"

namespace dpkit::cli {
namespace {

struct Args {
  std::string data, schema, domain, method = "aim", out, report, ledger, dataset, unit;
  double epsilon = 0, delta = 1e-9;
  int64_t rows = -1;
  std::vector<std::string> workload;
  int rounds = 0, threads = 2, iters = 2000, numeric_bins = 32;
  double max_model_mb = 80;
};

absl::Status Run(Context& ctx, const Args& a) {
  if (!a.schema.empty() && !a.domain.empty()) {
    return absl::InvalidArgumentError("give either --schema or --domain, not both");
  }
  if (!a.ledger.empty() && a.dataset.empty()) {
    return absl::InvalidArgumentError("--ledger needs --dataset (the dataset's budget name)");
  }
  if (a.rows < -1) {
    return absl::InvalidArgumentError(absl::StrCat("--rows must be >= 0, got ", a.rows));
  }
  DPKIT_ASSIGN_OR_RETURN(synth::Method method, synth::ParseMethod(a.method));
  synth::SynthOptions o;
  o.method = method;
  o.epsilon = a.epsilon;
  o.delta = a.delta;
  o.rounds = a.rounds;
  o.threads = a.threads;
  o.max_model_mb = a.max_model_mb;
  o.inference.max_iters = a.iters;
  o.numeric_bins = a.numeric_bins;
  for (const std::string& w : a.workload) {
    std::vector<std::string> names = absl::StrSplit(w, ':');
    o.workload.push_back(names);
  }
  std::ostream& err = ctx.err();
  const bool quiet = ctx.quiet();
  if (!quiet) {
    o.progress = [&err](const std::string& line) { err << "synth: " << line << "\n"; };
  }
  // Validate option values before reading any data.
  DPKIT_RETURN_IF_ERROR(synth::RhoForEpsilonDelta(a.epsilon, a.delta).status());

  std::unique_ptr<ledger::Ledger> ledger;
  if (!a.ledger.empty()) {
    DPKIT_ASSIGN_OR_RETURN(ledger, ledger::Ledger::Open(a.ledger, {.create_if_missing = false}));
  }
  random::BitGenerator& rng = ctx.rng();
  std::optional<synth::Synthesizer> synth;
  std::string unit = a.unit;  // ledger unit: --unit, else the schema's privacy unit
  if (!a.domain.empty()) {
    DPKIT_ASSIGN_OR_RETURN(io::Domain domain, io::LoadDomain(a.domain));
    DPKIT_ASSIGN_OR_RETURN(io::EncodedTable table, io::ReadEncodedCsv(a.data, domain));
    if (!quiet) err << "synth: read " << table.num_rows() << " rows from " << a.data << "\n";
    DPKIT_ASSIGN_OR_RETURN(auto s, synth::Synthesizer::FitEncoded(table, o, rng));
    synth.emplace(std::move(s));
  } else {
    io::CsvReadOptions ro;
    std::optional<io::Schema> schema;
    if (!a.schema.empty()) {
      DPKIT_ASSIGN_OR_RETURN(schema, io::LoadSchema(a.schema));
      if (unit.empty()) unit = schema->privacy_unit;
      ro.schema = schema;
      if (!schema->null_tokens.empty()) ro.null_tokens = schema->null_tokens;
      ro.select_columns = schema->ColumnNames();
    }
    DPKIT_ASSIGN_OR_RETURN(io::Table table, io::ReadCsv(a.data, ro));
    if (!quiet) err << "synth: read " << table.num_rows() << " rows from " << a.data << "\n";
    DPKIT_ASSIGN_OR_RETURN(auto s, synth::Synthesizer::Fit(
                                       table, schema ? &*schema : nullptr, o, rng));
    synth.emplace(std::move(s));
  }
  const synth::SynthReport& rep = synth->report();

  // Charge BEFORE anything derived from the data is written or shown.
  std::optional<ledger::Receipt> receipt;
  if (ledger) {
    const std::string operation =
        absl::StrCat("dpkit synth --data ", a.data, " --method ", a.method, " --epsilon ",
                     FormatNumber(a.epsilon), " --delta ", FormatNumber(a.delta));
    DPKIT_ASSIGN_OR_RETURN(receipt,
                           ledger->Charge(a.dataset, unit, rep.privacy_maps(), operation));
    if (!quiet) {
      err << "synth: charged ledger " << a.ledger << " dataset '" << a.dataset << "'\n";
    }
  }
  const int64_t rows = a.rows >= 0 ? a.rows : static_cast<int64_t>(std::llround(
                                                  std::max(0.0, rep.fit.estimated_rows)));
  DPKIT_RETURN_IF_ERROR(synth->SampleToCsv(a.out, rows, rng));
  const std::string report_path = a.report.empty() ? a.out + ".report.json" : a.report;
  DPKIT_RETURN_IF_ERROR(Env::Default()->WriteFileAtomically(report_path, rep.ToJson() + "\n"));

  std::ostream& out = ctx.out();
  out << "synthetic data: " << a.out << " (" << rows << " rows, " << rep.columns.size()
      << " columns)\n";
  out << "method: " << rep.method << ", " << rep.fit.measured.size() << " marginals measured, "
      << rep.fit.rounds << (rep.method == "aim" ? " rounds" : " tree edges") << ", model "
      << rep.fit.model_cells << " cells, " << FormatNumber(rep.fit.seconds, 3) << " s\n";
  out << "privacy: (" << FormatNumber(rep.epsilon_spent) << ", " << FormatNumber(rep.delta)
      << ")-DP; rho spent " << FormatNumber(rep.rho_spent) << " of " << FormatNumber(rep.rho_total)
      << " (preprocessing " << FormatNumber(rep.rho_preprocessing);
  if (rep.delta_preprocessing > 0) {
    out << ", partition-selection delta " << FormatNumber(rep.delta_preprocessing);
  }
  out << "); neighbouring: " << rep.neighbouring << "\n";
  if (receipt) {
    out << "ledger: dataset '" << a.dataset << "' charge #" << receipt->charge_id;
    if (receipt->budget.is_rho()) {
      out << ", remaining rho " << FormatNumber(receipt->remaining.rho) << "\n";
    } else {
      out << ", remaining epsilon " << FormatNumber(receipt->remaining.epsilon) << "\n";
    }
  }
  out << "report: " << report_path << "\n";
  return absl::OkStatus();
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
  app.add_option("--rows", a->rows, "Rows to generate (default: the model's estimated count)");
  app.add_option("--out", a->out, "Output CSV")->required();
  app.add_option("--report", a->report, "JSON report (default: <out>.report.json)");
  app.add_option("--workload", a->workload,
                 "AIM workload marginal as col1:col2[:col3] (repeatable; default all 3-way)");
  app.add_option("--rounds", a->rounds, "AIM budget rounds T (default 16 x columns)");
  app.add_option("--max-model-mb", a->max_model_mb, "AIM model-size limit in MiB")
      ->capture_default_str();
  app.add_option("--iters", a->iters, "Final inference iterations")->capture_default_str();
  app.add_option("--numeric-bins", a->numeric_bins, "Bins per numeric column (DP quantiles)")
      ->capture_default_str();
  app.add_option("--threads", a->threads, "Worker threads")->capture_default_str();
  app.add_option("--ledger", a->ledger, "Ledger file to charge before writing output");
  app.add_option("--dataset", a->dataset, "Dataset name in the ledger");
  app.add_option("--unit", a->unit, "Privacy unit of the ledger budget (default: the schema's privacy_unit, else row)");
  return [a](Context& ctx) { return Run(ctx, *a); };
}

DPKIT_CLI_COMMAND("synth",
                  "DP synthetic data (MST or AIM on a graphical model), charged to the ledger",
                  Setup);

}  // namespace
}  // namespace dpkit::cli
