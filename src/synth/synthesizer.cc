#include "dpkit/synth/synthesizer.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "dpkit/accounting/zcdp.h"
#include "dpkit/base/status.h"
#include "dpkit/base/validation.h"
#include "dpkit/io/csv.h"
#include "dpkit/io/unit_bounding.h"
#include "dpkit/synth/derived_columns.h"
#include "dpkit/synth/hierarchy.h"
#include "synth/preprocess.h"
#include "dpkit/random/samplers.h"
#include "nlohmann/json.hpp"

namespace dpkit::synth {

struct Synthesizer::State {
  SynthReport report;
  std::string null_token;
  std::vector<std::string> names;
  std::optional<SynthModel> model;
  io::Domain domain;
  std::optional<io::Encoder> encoder;  // absent for FitEncoded
  std::vector<io::DataType> types;
  io::Schema structure;  // the plan's hierarchies and derived columns (no other columns)
  std::vector<std::string> output_columns;  // empty = `names`

  const std::vector<std::string>& header() const {
    return output_columns.empty() ? names : output_columns;
  }
};

absl::StatusOr<Method> ParseMethod(const std::string& name) {
  if (name == "aim") return Method::kAim;
  if (name == "mst") return Method::kMst;
  return absl::InvalidArgumentError(
      absl::StrCat("method must be 'aim' or 'mst', got '", name, "'"));
}

const char* MethodName(Method m) { return m == Method::kMst ? "mst" : "aim"; }

absl::Status ValidateOptions(const SynthOptions& o) {
  DPKIT_RETURN_IF_ERROR(ValidatePositiveFinite("epsilon", o.epsilon));
  DPKIT_RETURN_IF_ERROR(ValidateDelta("delta", o.delta, /*allow_zero=*/false));
  DPKIT_RETURN_IF_ERROR(ValidateOpenUnitInterval("preprocessing_fraction", o.preprocessing_fraction));
  DPKIT_RETURN_IF_ERROR(
      ValidateOpenUnitInterval("partition_delta_fraction", o.partition_delta_fraction));
  DPKIT_RETURN_IF_ERROR(ValidateAtLeast("numeric_bins", o.numeric_bins, 2));
  DPKIT_RETURN_IF_ERROR(ValidateAtLeast("quantile_grid", o.quantile_grid, 2));
  DPKIT_RETURN_IF_ERROR(ValidateAtLeast("rows per round iterations", o.round_iters, 1));
  DPKIT_RETURN_IF_ERROR(ValidateAtLeast("inference iterations", o.inference.max_iters, 0));
  DPKIT_RETURN_IF_ERROR(ValidatePositiveFinite("max_model_mb", o.max_model_mb));
  return accounting::ZcdpRhoForEpsilon(o.epsilon, o.delta).status();
}

std::string SynthReport::ToJson() const {
  nlohmann::json j;
  j["method"] = method;
  j["epsilon"] = epsilon;
  j["delta"] = delta;
  j["rho_total"] = rho_total;
  j["rho_preprocessing"] = rho_preprocessing;
  j["delta_preprocessing"] = delta_preprocessing;
  j["rho_spent"] = rho_spent;
  j["epsilon_spent"] = epsilon_spent;
  j["neighbouring"] = neighbouring;
  j["columns"] = nlohmann::json::array();
  for (const auto& c : columns) {
    nlohmann::json col = {{"name", c.name},         {"encoding", c.encoding},
                          {"domain_size", c.domain_size}, {"rho", c.rho},
                          {"delta", c.delta},       {"other", c.other}};
    if (c.lower) col["lower"] = *c.lower;
    if (c.upper) col["upper"] = *c.upper;
    j["columns"].push_back(std::move(col));
  }
  j["notes"] = notes;
  nlohmann::json f;
  f["rho_budget"] = fit.rho_budget;
  f["rho_spent"] = fit.rho_spent;
  f["rounds"] = fit.rounds;
  f["estimated_rows"] = fit.estimated_rows;
  f["model_cells"] = fit.model_cells;
  f["measured"] = nlohmann::json::array();
  for (size_t i = 0; i < fit.measured.size(); ++i) {
    std::vector<std::string> attrs;
    for (int a : fit.measured[i]) attrs.push_back(columns.size() > size_t(a) ? columns[a].name
                                                                             : absl::StrCat(a));
    f["measured"].push_back({{"attributes", attrs}, {"sigma", fit.sigmas[i]}});
  }
  f["charges"] = nlohmann::json::array();
  for (const auto& c : fit.charges) f["charges"].push_back({{"what", c.what}, {"rho", c.rho}});
  j["mechanism"] = f;
  return j.dump(2);
}

namespace {

absl::StatusOr<FitResult> RunMechanism(const EncodedData& data, double rho,
                                       const SynthOptions& o,
                                       const mechanisms::NoiseFactory& noise,
                                       random::BitGenerator& gen) {
  if (o.method == Method::kMst) {
    MstOptions m;
    m.rho = rho;
    m.noise = &noise;
    if (o.inference.max_iters > 0) m.inference = o.inference;
    m.threads = o.threads;
    m.progress = o.progress;
    return FitMst(data, m, gen);
  }
  AimOptions a;
  a.rho = rho;
  a.noise = &noise;
  for (const auto& names : o.workload) {
    Clique c;
    for (const auto& n : names) {
      auto it = std::find(data.names.begin(), data.names.end(), n);
      if (it == data.names.end()) {
        return absl::NotFoundError(absl::StrCat("workload: unknown column '", n,
                                                "' (available: ",
                                                absl::StrJoin(data.names, ", "), ")"));
      }
      c.push_back(static_cast<int>(it - data.names.begin()));
    }
    std::sort(c.begin(), c.end());
    a.workload.push_back(c);
  }
  a.rounds = o.rounds;
  a.max_model_mb = o.max_model_mb;
  a.round_iters = o.round_iters;
  if (o.inference.max_iters > 0) a.inference = o.inference;
  a.threads = o.threads;
  a.progress = o.progress;
  return FitAim(data, a, gen);
}

EncodedData FromEncodedTable(const io::EncodedTable& t) {
  EncodedData d;
  d.names = t.domain().names();
  for (int64_t s : t.domain().sizes()) d.domain.push_back(static_cast<int>(s));
  for (int a = 0; a < t.num_attributes(); ++a) d.columns.push_back(t.column(a));
  return d;
}

// The plan's hierarchies and derived columns as a schema (synth/hierarchy.h takes one).
io::Schema Structure(const SynthPlan& plan) {
  io::Schema s;
  s.hierarchies = plan.hierarchies;
  s.columns = plan.derived;
  return s;
}

// Decoded model columns -> the synthetic table the plan promises: hierarchies split, derived
// columns computed from the synthetic dates, columns in input order (post-processing).
absl::StatusOr<io::Table> OutputTable(const Synthesizer::State& s, io::Table t) {
  if (s.output_columns.empty()) return t;
  DPKIT_ASSIGN_OR_RETURN(t, SplitHierarchies(s.structure, t));
  for (const io::ColumnSchema& c : s.structure.columns) {
    DPKIT_ASSIGN_OR_RETURN(io::Column col, DeriveColumn(c, t));
    DPKIT_RETURN_IF_ERROR(t.AddColumn(std::move(col)));
  }
  return t.SelectColumns(s.output_columns);
}

// The report's fields known from the plan.
void StartReport(const SynthPlan& plan, SynthReport& r) {
  r.method = MethodName(plan.options.method);
  r.epsilon = plan.options.epsilon;
  r.delta = plan.options.delta;
  r.rho_total = plan.rho_total;
  r.delta_preprocessing = plan.delta_preprocessing;
  r.neighbouring = plan.neighbouring();
  r.notes = plan.notes;
}

// Finishes the report and state after the mechanism ran.
absl::Status Finish(Synthesizer::State* s, FitResult fit, const SynthOptions& o) {
  SynthReport& r = s->report;
  r.rho_spent = r.rho_preprocessing + fit.report.rho_spent;
  DPKIT_ASSIGN_OR_RETURN(r.epsilon_spent,
                         accounting::ZcdpEpsilon(r.rho_spent, o.delta - r.delta_preprocessing));
  r.fit = std::move(fit.report);
  s->model.emplace(std::move(fit.model));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Synthesizer> Synthesizer::FitEncoded(const SynthPlan& plan,
                                                    const io::EncodedTable& table,
                                                    const mechanisms::NoiseFactory& noise,
                                                    random::BitGenerator& gen) {
  if (plan.domain_file_size != table.num_attributes()) {
    return absl::InvalidArgumentError("the data does not match the plan's domain file");
  }
  auto s = std::make_shared<State>();
  s->domain = table.domain();
  s->names = table.domain().names();
  SynthReport& r = s->report;
  StartReport(plan, r);
  for (int a = 0; a < table.num_attributes(); ++a) {
    r.columns.push_back({table.domain().name(a), "domain file", table.domain().size(a), 0, 0});
  }
  DPKIT_ASSIGN_OR_RETURN(auto fit, RunMechanism(FromEncodedTable(table), plan.rho_mechanism,
                                                plan.options, noise, gen));
  DPKIT_RETURN_IF_ERROR(Finish(s.get(), std::move(fit), plan.options));
  return Synthesizer(std::move(s));
}

absl::StatusOr<Synthesizer> Synthesizer::Fit(const SynthPlan& plan, const io::Table& input,
                                             const mechanisms::NoiseFactory& noise,
                                             random::BitGenerator& gen) {
  auto s = std::make_shared<State>();
  s->null_token = plan.null_token;
  SynthReport& r = s->report;
  StartReport(plan, r);
  s->structure = Structure(plan);
  if (!plan.hierarchies.empty() || !plan.derived.empty()) s->output_columns = plan.output_columns;
  // Each hierarchy's columns become one column, row by row from the public list.
  DPKIT_ASSIGN_OR_RETURN(io::Table table, CombineHierarchies(s->structure, input));
  // Contribution bounding: one uniformly random row per privacy unit, unit column dropped.
  if (!plan.unit.empty()) {
    DPKIT_ASSIGN_OR_RETURN(table, io::BoundRowsPerUnit(table, {.unit = plan.unit}, gen));
  }
  std::vector<std::string> names;
  for (const ColumnPlan& c : plan.columns) names.push_back(c.name);
  DPKIT_ASSIGN_OR_RETURN(table, table.SelectColumns(names));
  DPKIT_ASSIGN_OR_RETURN(table, internal::ApplyDeclaredDomains(plan, table));
  std::vector<io::ColumnEncoding> encodings;
  for (size_t i = 0; i < plan.columns.size(); ++i) {
    ColumnPlan c = plan.columns[i];
    const io::Column& col = table.column(static_cast<int>(i));
    if (col.type() != c.type) {
      return absl::InvalidArgumentError(absl::StrCat(
          "column '", c.name, "' was read as ", io::DataTypeName(col.type()), ", planned as ",
          io::DataTypeName(c.type), ": read the data with the plan's schema"));
    }
    DPKIT_ASSIGN_OR_RETURN(std::string how,
                           internal::CompleteEncoding(col, plan.options, noise, gen, &c));
    if (plan.options.progress) {
      plan.options.progress(absl::StrCat("preprocess: column '", c.name, "': ", how));
    }
    ColumnReport cr{c.name, how, 0, c.rho, c.delta};
    if (!c.encoding.bin_edges.empty()) cr.lower = c.lower, cr.upper = c.upper;
    cr.other = c.encoding.other_category;
    r.columns.push_back(std::move(cr));
    r.rho_preprocessing += c.rho;
    s->types.push_back(c.type);
    encodings.push_back(std::move(c.encoding));
  }
  DPKIT_ASSIGN_OR_RETURN(auto encoder, io::Encoder::Create(encodings));
  DPKIT_ASSIGN_OR_RETURN(auto encoded, encoder.Encode(table));
  for (int a = 0; a < encoded.num_attributes(); ++a) {
    r.columns[a].domain_size = encoded.domain().size(a);
  }
  s->domain = encoded.domain();
  s->names = encoded.domain().names();
  s->encoder.emplace(std::move(encoder));
  DPKIT_ASSIGN_OR_RETURN(auto fit, RunMechanism(FromEncodedTable(encoded), plan.rho_mechanism,
                                                plan.options, noise, gen));
  DPKIT_RETURN_IF_ERROR(Finish(s.get(), std::move(fit), plan.options));
  return Synthesizer(std::move(s));
}

const SynthReport& Synthesizer::report() const { return s_->report; }
const std::vector<std::string>& Synthesizer::column_names() const { return s_->names; }
const SynthModel& Synthesizer::model() const { return *s_->model; }

absl::StatusOr<EncodedData> Synthesizer::SampleEncoded(int64_t rows,
                                                       random::BitGenerator& gen) const {
  return s_->model->SampleData(rows, gen, s_->names);
}

absl::StatusOr<io::Table> Synthesizer::Sample(int64_t rows, random::BitGenerator& gen) const {
  DPKIT_ASSIGN_OR_RETURN(EncodedData d, SampleEncoded(rows, gen));
  DPKIT_ASSIGN_OR_RETURN(auto et, io::EncodedTable::Create(s_->domain, std::move(d.columns)));
  if (!s_->encoder) return et.ToTable();
  DPKIT_ASSIGN_OR_RETURN(io::Table t, s_->encoder->Decode(et, gen, s_->types));
  return OutputTable(*s_, std::move(t));
}

absl::Status Synthesizer::SampleToCsv(const std::string& path, int64_t rows,
                                      random::BitGenerator& gen, Env* env) const {
  if (rows < 0) return absl::InvalidArgumentError(absl::StrCat("rows must be >= 0, got ", rows));
  DPKIT_ASSIGN_OR_RETURN(auto writer,
                         io::CsvWriter::Open(path, s_->header(), {.null_token = s_->null_token}, env));
  std::string buf;
  absl::Status st = s_->model->Sample(
      rows, gen, [&](const std::vector<std::vector<int32_t>>& cols, int64_t n) -> absl::Status {
        if (!s_->encoder) {  // codes: format directly
          buf.clear();
          for (int64_t r = 0; r < n; ++r) {
            for (size_t a = 0; a < cols.size(); ++a) {
              if (a) buf.push_back(',');
              absl::StrAppend(&buf, cols[a][r]);
            }
            buf.push_back('\n');
          }
          return writer->WriteRaw(buf);
        }
        std::vector<std::vector<int32_t>> copy(cols.size());
        for (size_t a = 0; a < cols.size(); ++a) copy[a].assign(cols[a].begin(), cols[a].begin() + n);
        DPKIT_ASSIGN_OR_RETURN(auto et, io::EncodedTable::Create(s_->domain, std::move(copy)));
        DPKIT_ASSIGN_OR_RETURN(io::Table decoded, s_->encoder->Decode(et, gen, s_->types));
        DPKIT_ASSIGN_OR_RETURN(io::Table t, OutputTable(*s_, std::move(decoded)));
        std::vector<std::optional<std::string>> fields(t.num_columns());
        for (int64_t r = 0; r < t.num_rows(); ++r) {
          for (int c = 0; c < t.num_columns(); ++c) {
            const io::Column& col = t.column(c);
            if (col.IsNull(r)) {
              fields[c].reset();
            } else {
              fields[c] = col.FormatValue(r);
            }
          }
          DPKIT_RETURN_IF_ERROR(writer->WriteRow(fields));
        }
        return absl::OkStatus();
      });
  DPKIT_RETURN_IF_ERROR(st);
  return writer->Close();
}

namespace {

template <typename Table, typename FitFn>
absl::StatusOr<SynthRelease> Release(const SynthPlan& plan, const Table& table,
                                     const std::string& dataset, const std::string& operation,
                                     release::Charger& charger, FitFn fit) {
  // The public defaults the plan took (e.g. columns the schema does not list), said before the
  // charge: they come from public inputs only.
  if (plan.options.progress) {
    for (const std::string& n : plan.notes) plan.options.progress(absl::StrCat("note: ", n));
  }
  DPKIT_ASSIGN_OR_RETURN(ledger::Receipt receipt,
                         charger.Charge(plan.ToRelease(dataset, operation)));
  absl::StatusOr<Synthesizer> model = fit(table);
  if (!model.ok()) return release::ChargedFailure(model.status(), receipt);
  return SynthRelease{*std::move(model), std::move(receipt)};
}

}  // namespace

absl::StatusOr<SynthRelease> ReleaseSynth(const SynthPlan& plan, const io::Table& table,
                                          const std::string& dataset,
                                          const std::string& operation,
                                          release::Charger& charger,
                                          const mechanisms::NoiseFactory& noise,
                                          random::BitGenerator& gen) {
  return Release(plan, table, dataset, operation, charger, [&](const io::Table& t) {
    return Synthesizer::Fit(plan, t, noise, gen);
  });
}

absl::StatusOr<SynthRelease> ReleaseSynthEncoded(const SynthPlan& plan,
                                                 const io::EncodedTable& table,
                                                 const std::string& dataset,
                                                 const std::string& operation,
                                                 release::Charger& charger,
                                                 const mechanisms::NoiseFactory& noise,
                                                 random::BitGenerator& gen) {
  return Release(plan, table, dataset, operation, charger, [&](const io::EncodedTable& t) {
    return Synthesizer::FitEncoded(plan, t, noise, gen);
  });
}

}  // namespace dpkit::synth
