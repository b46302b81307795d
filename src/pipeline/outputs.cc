// The pipeline's output files: data-owner outputs in owner/ (not DP), DP outputs beside it.
#include <ctime>
#include <set>

#include "absl/strings/str_cat.h"
#include "dpkit/accounting/accountant.h"
#include "dpkit/base/status.h"
#include "dpkit/base/validation.h"
#include "dpkit/io/csv.h"
#include "dpkit/pii/replace.h"
#include "dpkit/report/evaluation.h"
#include "dpkit/report/privacy_guarantee.h"
#include "dpkit/report/render.h"
#include "dpkit/report/table_input.h"
#include "nlohmann/json.hpp"
#include "pipeline/execution.h"

namespace dpkit::pipeline {
namespace {

using internal::Role;

constexpr char kOwnerReadme[] =
    "DATA-OWNER OUTPUTS - NOT DIFFERENTIALLY PRIVATE. Keep this folder inside the trust "
    "boundary.\n\n"
    "clean.csv     de-identified copy of the input (PII replaced by policy; every other value "
    "is real)\n"
    "pii.json      the PII scan of the input and the action taken per column\n"
    "pii.key       the pseudonymisation key (when generated): secret\n"
    "report.html   evaluation of the synthetic data against the real rows (real-side "
    "statistics are not DP)\n"
    "report.json   the same, machine-readable\n\n"
    "The DP release is the folder above: synthetic.csv, privacy.json, summary.json.\n";

std::string IsoTime(int64_t micros) {
  std::time_t t = static_cast<std::time_t>(micros / 1000000);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

// The budget's charges, oldest first (only this run's with `this_run_only`): id, time, what, and
// the epsilon/delta (rho for a zCDP budget) each added to the ledger's total, as the ledger's
// own accountant composed it.
std::vector<report::LedgerEntryView> LedgerEntries(const Execution& run, bool this_run_only) {
  std::vector<report::LedgerEntryView> out;
  ledger::Spend before;
  for (const ledger::ChargeRecord& c : run.history) {
    if (c.status != "charged") continue;
    const bool rho = run.receipt.budget.is_rho();
    const double eps = rho ? c.spent_after.rho - before.rho : c.spent_after.epsilon - before.epsilon;
    const double delta = c.spent_after.delta - before.delta;
    before = c.spent_after;
    if (this_run_only && c.charge_id != run.receipt.charge_id) continue;
    std::string maps;
    for (const PrivacyMap& m : c.maps) maps += (maps.empty() ? "" : "; ") + m.ToString();
    const std::string note = absl::StrCat(c.operation, c.charge_id == run.receipt.charge_id
                                                           ? " (this run)"
                                                           : "");
    nlohmann::json e = {{"id", c.charge_id},     {"time", IsoTime(c.timestamp_micros)},
                        {"mechanism", c.mechanism}, {rho ? "rho" : "epsilon", eps},
                        {"privacy_maps", maps},  {"note", note}};
    if (!rho) e["delta"] = delta;
    if (c.maps.size() == 1) e["privacy_map"] = nlohmann::json::parse(c.maps[0].ToJson());
    out.push_back({std::to_string(c.charge_id), IsoTime(c.timestamp_micros), c.mechanism,
                   rho ? std::nullopt : std::optional<double>(eps),
                   rho ? std::nullopt : std::optional<double>(delta), maps, note, e.dump()});
  }
  return out;
}

// Keeps the named columns of a text table (order kept).
void KeepOnly(report::TextTable& t, const std::set<std::string>& keep) {
  for (size_t c = t.names.size(); c-- > 0;) {
    if (!keep.count(t.names[c])) {
      t.names.erase(t.names.begin() + c);
      t.columns.erase(t.columns.begin() + c);
    }
  }
}

void GeneraliseZips(report::TextTable& t, const std::vector<std::string>& zips) {
  for (size_t c = 0; c < t.names.size(); ++c) {
    if (std::find(zips.begin(), zips.end(), t.names[c]) == zips.end()) continue;
    for (std::string& z : t.columns[c]) z = internal::GeneraliseZip(z);
  }
}

// The privacy statement. privacy.json (a DP output) lists this run's charge only; the data
// owner's report shows the budget's whole history.
report::PrivacyGuarantee Guarantee(const Execution& run, bool whole_history) {
  report::PrivacyGuarantee g;
  g.epsilon = run.o.epsilon;
  g.delta = run.o.delta;
  g.privacy_unit = run.roles.unit.empty() ? "row" : run.roles.unit;
  g.mechanism = absl::StrCat(run.o.method, " (identifier columns filled with fresh fakes)");
  g.accountant = accounting::AccountantKindName(run.receipt.accountant);
  g.dataset = run.receipt.dataset;
  g.created = IsoTime(run.env->NowMicros());
  g.notes.push_back(absl::StrCat("synthetic.csv and its row count are (", FormatDouble(g.epsilon),
                                 ", ", FormatDouble(g.delta), ")-DP per ", g.privacy_unit,
                                 "; the real-data statistics of owner/report.html are not DP"));
  for (const std::string& n : run.res.notes) g.notes.push_back(n);
  if (run.o.insecure_seed) {
    g.notes.insert(g.notes.begin(), "NOT PRIVATE: the noise came from --insecure-seed (reproducible "
                                    "from the seed); never publish these outputs");
  }
  g.ledger_entries = LedgerEntries(run, !whole_history);
  return g;
}

}  // namespace

Paths PathsFor(const std::string& out, const std::string& named_ledger) {
  Paths p;
  p.out = out;
  p.owner = out + "/owner";
  p.synthetic = out + "/synthetic.csv";
  p.privacy = out + "/privacy.json";
  p.summary = out + "/summary.json";
  p.ledger = named_ledger.empty() ? out + "/ledger.db" : named_ledger;
  p.clean = p.owner + "/clean.csv";
  p.pii_json = p.owner + "/pii.json";
  p.pii_key = p.owner + "/pii.key";
  p.report_html = p.owner + "/report.html";
  p.report_json = p.owner + "/report.json";
  p.readme = p.owner + "/README.txt";
  return p;
}

absl::Status WriteOwnerPii(Execution& run) {
  PipelineResult& res = run.res;
  res.owner_dir = run.paths.owner;
  res.clean_csv = run.paths.clean;
  res.pii_json = run.paths.pii_json;
  DPKIT_RETURN_IF_ERROR(run.env->WriteFileAtomically(run.paths.readme, kOwnerReadme));
  std::optional<pii::PiiKey> key;
  if (!run.o.key_file.empty()) {
    DPKIT_ASSIGN_OR_RETURN(key, pii::PiiKey::FromFile(run.o.key_file, run.env));
  } else {
    key = pii::PiiKey::Generate(run.rng);
    DPKIT_RETURN_IF_ERROR(run.env->WriteFileAtomically(run.paths.pii_key, key->ToHex() + "\n"));
  }
  pii::ReplaceOptions ro;
  ro.policy = run.policy;
  ro.key = &*key;
  ro.rng = &run.rng;
  DPKIT_ASSIGN_OR_RETURN(pii::ReplaceResult replaced, pii::ReplacePii(run.raw, ro));
  DPKIT_RETURN_IF_ERROR(io::WriteCsv(replaced.table, run.paths.clean, {}, run.env));
  return run.env->WriteFileAtomically(run.paths.pii_json, replaced.ToJson());
}

// What the synthesizer did to each column, for the report: the range numeric and date columns
// were kept in, and the columns that write "other" for values partition selection did not keep.
void DescribeSynthesis(const synth::Synthesizer& model, report::EvaluationOptions* eo) {
  for (const synth::ColumnReport& c : model.report().columns) {
    if (c.lower && c.upper) eo->ranges.push_back({c.name, *c.lower, *c.upper});
    if (c.other) eo->other_columns.push_back(c.name);
  }
}

absl::Status WriteReport(Execution& run, const std::vector<int64_t>& train_rows,
                         const std::vector<int64_t>& holdout_rows, const io::Table& synthetic,
                         const synth::Synthesizer& model) {
  std::set<std::string> keep;
  for (const std::string& n : run.roles.Modelled()) keep.insert(n);
  for (const std::string& n : run.roles.Names(Role::kFake)) keep.insert(n);
  for (const std::string& n : run.roles.Names(Role::kDerive)) keep.insert(n);
  const std::vector<std::string> zips = run.roles.Names(Role::kModelZip3);
  DPKIT_ASSIGN_OR_RETURN(io::Table real_rows, run.raw.TakeRows(train_rows));
  report::TextTable real = report::FromIoTable(real_rows, run.o.data);
  report::TextTable synth = report::FromIoTable(synthetic, run.paths.synthetic);
  std::optional<report::TextTable> holdout;
  if (!holdout_rows.empty()) {
    DPKIT_ASSIGN_OR_RETURN(io::Table h, run.raw.TakeRows(holdout_rows));
    holdout = report::FromIoTable(h, absl::StrCat(run.o.data, " (holdout)"));
  }
  for (report::TextTable* t : {&real, &synth, holdout ? &*holdout : nullptr}) {
    if (t == nullptr) continue;
    KeepOnly(*t, keep);
    // The synthetic ZIP codes are generalised already; doing it again turned "other" into
    // "oth**", so the report showed 0 % other for a column that wrote other.
    if (t != &synth) GeneraliseZips(*t, zips);
  }
  report::EvaluationOptions eo;
  eo.target = run.o.target;
  eo.categorical = zips;
  for (const internal::ColumnRole& r : run.roles.columns) {
    if (r.role != Role::kFake) continue;
    eo.identifier_columns.push_back(r.name);
    eo.identifier_entities.push_back(pii::EntityTypeName(r.entity));
  }
  eo.identifiers_replaced = true;  // the fake columns hold fresh fakes (WriteOwnerPii)
  DescribeSynthesis(model, &eo);
  for (const io::ColumnSchema& c : run.parts.derived) {
    if (c.has_bounds()) eo.ranges.push_back({c.name, *c.lower, *c.upper});
  }
  for (const io::Hierarchy& h : run.parts.training_schema.hierarchies) {
    if (h.unlisted_null) continue;  // otherwise unlisted combinations write "other" (coarser)
    for (const std::string& c : h.columns) eo.other_columns.push_back(c);
  }
  eo.threads = run.o.threads;
  DPKIT_ASSIGN_OR_RETURN(report::Evaluation ev, report::Evaluate(real, synth, holdout ? &*holdout
                                                                                      : nullptr,
                                                                 eo, run.rng));
  const report::PrivacyGuarantee g = Guarantee(run, /*whole_history=*/true);
  run.res.report_html = run.paths.report_html;
  run.res.report_json = run.paths.report_json;
  return report::WriteReport(run.env, ev, &g, run.paths.report_html, run.paths.report_json);
}

absl::Status WritePrivacyJson(Execution& run) {
  run.res.privacy_json = run.paths.privacy;
  return run.env->WriteFileAtomically(run.paths.privacy, Guarantee(run, /*whole_history=*/false).ToJson());
}

absl::Status WriteSummary(Execution& run, const synth::Synthesizer& model) {
  PipelineResult& res = run.res;
  res.synthetic_csv = run.paths.synthetic;
  res.summary_json = run.paths.summary;
  res.ledger = run.paths.ledger;
  res.epsilon_charged = run.o.epsilon;
  res.delta_charged = run.o.delta;
  res.epsilon_remaining = run.receipt.remaining.epsilon;
  nlohmann::json s;
  s["options"] = nlohmann::json::parse(run.o.ToJson());
  s["dp_outputs"] = {{"synthetic_csv", res.synthetic_csv},
                     {"privacy_json", res.privacy_json},
                     {"summary_json", res.summary_json},
                     {"ledger", res.ledger}};
  s["data_owner_outputs_not_dp"] = {{"folder", res.owner_dir}, {"clean_csv", res.clean_csv},
                                    {"pii_json", res.pii_json}, {"report_html", res.report_html},
                                    {"report_json", res.report_json}};
  s["plan"] = {{"steps", run.parts.release.steps},
               {"neighbouring", run.parts.release.neighbouring}};
  s["privacy"] = {{"epsilon_charged", res.epsilon_charged}, {"delta_charged", res.delta_charged},
                  {"epsilon_remaining", res.epsilon_remaining},
                  {"privacy_unit", res.privacy_unit}, {"dataset", run.receipt.dataset},
                  {"charge_id", run.receipt.charge_id}};
  if (run.o.insecure_seed) s["insecure_seed"] = "NOT PRIVATE: noise from --insecure-seed";
  s["synthetic_rows"] = res.synthetic_rows;
  s["columns"] = {{"synthesized", res.synthesized_columns},
                  {"faked", res.faked_columns},
                  {"dropped", res.dropped_columns},
                  {"derived", run.roles.Names(Role::kDerive)}};
  s["notes"] = res.notes;
  s["synthesizer"] = nlohmann::json::parse(model.report().ToJson());
  return run.env->WriteFileAtomically(run.paths.summary, s.dump(2));
}

}  // namespace dpkit::pipeline
