// dpkit pii: detect and replace personal data in CSV tables.
//   dpkit pii scan t.csv [--json] [--sample N]
//   dpkit pii replace t.csv --out clean.csv [--policy p.json] [--key-file k] [--report r.json]
//   dpkit pii keygen --out k.key
//   dpkit pii eval labelled.json [--predictions p.json] [--json] [--min-score 0.5]
#include <sys/stat.h>

#include <iostream>
#include <string>

#include "absl/strings/str_cat.h"
#include "cli/command.h"
#include "dpkit/base/env.h"
#include "dpkit/base/status.h"
#include "dpkit/io/csv.h"
#include "dpkit/pii/evaluate.h"
#include "dpkit/pii/replace.h"
#include "dpkit/pii/scan.h"
#include "dpkit/random/secure_rng.h"

namespace dpkit::cli {
namespace {

struct PiiArgs {
  std::string input, out, policy, key_file, report, predictions;
  bool json = false;
  int64_t sample = 2000;
  double min_score = 0.5;
};

absl::Status CheckInput(const std::string& path) {
  if (path.empty()) return absl::InvalidArgumentError("missing input file");
  if (!Env::Default()->FileExists(path)) {
    return absl::NotFoundError(absl::StrCat("input file '", path, "' does not exist"));
  }
  return absl::OkStatus();
}

absl::Status RunScan(const PiiArgs& a, Context& ctx) {
  DPKIT_RETURN_IF_ERROR(CheckInput(a.input));
  if (a.sample < 1) {
    return absl::InvalidArgumentError(absl::StrCat("--sample must be >= 1, got ", a.sample));
  }
  DPKIT_ASSIGN_OR_RETURN(io::Table table, pii::ReadCsvAsText(a.input));
  pii::ScanOptions options;
  options.max_sample_rows = a.sample;
  pii::ScanResult scan = pii::ScanTable(table, options);
  ctx.out() << (a.json ? scan.ToJson() + "\n" : scan.ToText());
  return absl::OkStatus();
}

absl::Status RunReplace(const PiiArgs& a, Context& ctx) {
  DPKIT_RETURN_IF_ERROR(CheckInput(a.input));
  if (a.out.empty()) return absl::InvalidArgumentError("--out is required (e.g. --out clean.csv)");
  if (a.out == a.input) {
    return absl::InvalidArgumentError(
        absl::StrCat("--out '", a.out, "' is the input file; write to a new file"));
  }
  pii::ReplaceOptions options;
  if (!a.policy.empty()) {
    DPKIT_ASSIGN_OR_RETURN(options.policy, pii::Policy::Load(a.policy));
  }
  // Keys: an explicit --key-file must be good; without one, a policy file that asks for hash or
  // pseudonym is refused, and the default policy uses a fresh per-run key.
  std::optional<pii::PiiKey> key;
  if (!a.key_file.empty()) {
    DPKIT_ASSIGN_OR_RETURN(key, pii::PiiKey::FromFile(a.key_file));
  } else if (options.policy.NeedsKey()) {
    if (!a.policy.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "policy '", a.policy,
          "' uses hash or pseudonym, which need a secret key: pass --key-file <file> (create one "
          "with 'dpkit pii keygen --out <file>')"));
    }
    random::SecureRng rng;
    key = pii::PiiKey::Generate(rng);
    if (!ctx.quiet()) {
      ctx.err() << "dpkit pii: no --key-file: pseudonyms use a fresh random key, consistent within "
                   "this run only (pass --key-file to link tables or runs)\n";
    }
  }
  random::SecureRng fake_rng;
  options.key = key ? &*key : nullptr;
  options.rng = &fake_rng;
  DPKIT_ASSIGN_OR_RETURN(io::Table table, pii::ReadCsvAsText(a.input));
  DPKIT_ASSIGN_OR_RETURN(pii::ReplaceResult result, pii::ReplacePii(table, options));
  DPKIT_RETURN_IF_ERROR(io::WriteCsv(result.table, a.out));
  if (!a.report.empty()) {
    DPKIT_RETURN_IF_ERROR(Env::Default()->WriteFileAtomically(a.report, result.ToJson() + "\n"));
  }
  if (!ctx.quiet()) {
    for (const auto& act : result.actions) {
      if (act.action == "keep") continue;
      ctx.err() << "  " << act.column << ": " << act.action << " [" << act.why << "]";
      if (act.action == "spans") ctx.err() << ", " << act.spans_replaced << " spans";
      else if (act.action != "drop") ctx.err() << ", " << act.cells_changed << " cells";
      ctx.err() << "\n";
    }
    ctx.err() << "dpkit pii: wrote " << result.table.num_rows() << " rows to " << a.out;
    if (result.privacy_unit) ctx.err() << "; privacy unit: " << *result.privacy_unit;
    ctx.err() << "\n";
  }
  return absl::OkStatus();
}

absl::Status RunKeygen(const PiiArgs& a, Context& ctx) {
  if (a.out.empty()) return absl::InvalidArgumentError("--out is required (e.g. --out pii.key)");
  if (Env::Default()->FileExists(a.out)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "key file '", a.out,
        "' already exists; refusing to overwrite it (its pseudonyms would change). Remove it "
        "first if you really want a new key"));
  }
  random::SecureRng rng;
  pii::PiiKey key = pii::PiiKey::Generate(rng);
  DPKIT_RETURN_IF_ERROR(Env::Default()->WriteFileAtomically(a.out, key.ToHex() + "\n"));
  if (::chmod(a.out.c_str(), 0600) != 0) {
    return absl::InternalError(absl::StrCat("chmod 600 ", a.out, " failed"));
  }
  if (!ctx.quiet()) {
    ctx.err() << "dpkit pii: wrote a 256-bit key to " << a.out
              << " (mode 600); keep it secret and back it up\n";
  }
  return absl::OkStatus();
}

absl::Status RunEval(const PiiArgs& a, Context& ctx) {
  DPKIT_RETURN_IF_ERROR(CheckInput(a.input));
  if (!(a.min_score >= 0 && a.min_score <= 1)) {
    return absl::InvalidArgumentError(absl::StrCat("--min-score must be in [0, 1], got ", a.min_score));
  }
  DPKIT_ASSIGN_OR_RETURN(auto texts, pii::LoadLabelledTexts(a.input));
  pii::EvalReport report;
  if (!a.predictions.empty()) {
    DPKIT_ASSIGN_OR_RETURN(auto pred, pii::LoadPredictions(a.predictions, texts));
    report = pii::ScoreSpans(texts, pred);
  } else {
    report = pii::EvaluateDetector(texts, a.min_score);
  }
  ctx.out() << (a.json ? report.ToJson() + "\n" : report.ToTable());
  return absl::OkStatus();
}

Runner PiiSetup(CLI::App& app) {
  auto args = std::make_shared<PiiArgs>();
  app.require_subcommand(1);
  CLI::App* scan = app.add_subcommand("scan", "Per-column PII report: types, class, confidence, privacy unit");
  scan->add_option("input", args->input, "CSV file (gzip ok)")->required();
  scan->add_flag("--json", args->json, "JSON instead of a table");
  scan->add_option("--sample", args->sample, "Cells examined per column (default 2000)");

  CLI::App* replace = app.add_subcommand("replace", "Replace PII and write a clean CSV");
  replace->add_option("input", args->input, "CSV file (gzip ok)")->required();
  replace->add_option("--out", args->out, "Output CSV")->required();
  replace->add_option("--policy", args->policy, "JSON policy (columns/entities -> operator)");
  replace->add_option("--key-file", args->key_file, "Secret key for hash/pseudonym (dpkit pii keygen)");
  replace->add_option("--report", args->report, "Write what was done (and the scan) as JSON");

  CLI::App* keygen = app.add_subcommand("keygen", "Create a 256-bit key file for hash/pseudonym");
  keygen->add_option("--out", args->out, "Key file to create (mode 600)")->required();

  CLI::App* eval = app.add_subcommand("eval", "Precision/recall of the detectors on labelled text");
  eval->add_option("input", args->input, "Labelled JSON (presidio-research synth_dataset format)")->required();
  eval->add_option("--predictions", args->predictions, "Score these predicted spans instead");
  eval->add_option("--min-score", args->min_score, "Detection threshold (default 0.5)");
  eval->add_flag("--json", args->json, "JSON output");

  return [args, scan, replace, keygen, eval](Context& ctx) -> absl::Status {
    if (scan->parsed()) return RunScan(*args, ctx);
    if (replace->parsed()) return RunReplace(*args, ctx);
    if (keygen->parsed()) return RunKeygen(*args, ctx);
    if (eval->parsed()) return RunEval(*args, ctx);
    return absl::InvalidArgumentError("choose one of: scan, replace, keygen, eval");
  };
}

}  // namespace

DPKIT_CLI_COMMAND("pii", "Detect and replace personal data (scan, replace, keygen, eval)", PiiSetup);

}  // namespace dpkit::cli
