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
#include "dpkit/random/samplers.h"
#include "nlohmann/json.hpp"

namespace dpkit::synth {

struct Synthesizer::State {
  SynthReport report;
  std::vector<std::string> names;
  std::optional<SynthModel> model;
  io::Domain domain;
  std::optional<io::Encoder> encoder;  // absent for FitEncoded
  std::vector<io::DataType> types;
};

absl::StatusOr<Method> ParseMethod(const std::string& name) {
  if (name == "aim") return Method::kAim;
  if (name == "mst") return Method::kMst;
  return absl::InvalidArgumentError(
      absl::StrCat("method must be 'aim' or 'mst', got '", name, "'"));
}

std::vector<PrivacyMap> SynthReport::privacy_maps() const {
  if (delta_preprocessing > 0) {
    return {PrivacyMap::ApproxDp(epsilon_spent, delta, absl::StrCat("synth/", method))};
  }
  return {PrivacyMap::Zcdp(rho_spent, absl::StrCat("synth/", method))};
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
  j["input_rows"] = input_rows;
  j["neighbouring"] = neighbouring;
  j["columns"] = nlohmann::json::array();
  for (const auto& c : columns) {
    j["columns"].push_back({{"name", c.name},
                            {"encoding", c.encoding},
                            {"domain_size", c.domain_size},
                            {"rho", c.rho},
                            {"delta", c.delta}});
  }
  nlohmann::json f;
  f["rho_budget"] = fit.rho_budget;
  f["rho_spent"] = fit.rho_spent;
  f["rounds"] = fit.rounds;
  f["estimated_rows"] = fit.estimated_rows;
  f["model_cells"] = fit.model_cells;
  f["seconds"] = fit.seconds;
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

absl::Status ValidateOptions(const SynthOptions& o) {
  DPKIT_RETURN_IF_ERROR(ValidatePositiveFinite("epsilon", o.epsilon));
  DPKIT_RETURN_IF_ERROR(ValidateDelta("delta", o.delta, /*allow_zero=*/false));
  DPKIT_RETURN_IF_ERROR(ValidateOpenUnitInterval("preprocessing_fraction", o.preprocessing_fraction));
  DPKIT_RETURN_IF_ERROR(
      ValidateOpenUnitInterval("partition_delta_fraction", o.partition_delta_fraction));
  DPKIT_RETURN_IF_ERROR(ValidateAtLeast("numeric_bins", o.numeric_bins, 2));
  DPKIT_RETURN_IF_ERROR(ValidateAtLeast("quantile_grid", o.quantile_grid, 2));
  DPKIT_RETURN_IF_ERROR(ValidateAtLeast("rows per round iterations", o.round_iters, 1));
  DPKIT_RETURN_IF_ERROR(ValidatePositiveFinite("max_model_mb", o.max_model_mb));
  return absl::OkStatus();
}

absl::StatusOr<FitResult> RunMechanism(const EncodedData& data, double rho,
                                       const SynthOptions& o, random::BitGenerator& gen) {
  if (o.method == Method::kMst) {
    MstOptions m;
    m.rho = rho;
    m.inference = o.inference;
    m.threads = o.threads;
    m.progress = o.progress;
    return FitMst(data, m, gen);
  }
  AimOptions a;
  a.rho = rho;
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
  a.inference = o.inference;
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

// Finishes the report and state after the mechanism ran.
absl::Status Finish(Synthesizer::State* s, FitResult fit, const SynthOptions& o) {
  SynthReport& r = s->report;
  r.method = o.method == Method::kMst ? "mst" : "aim";
  r.rho_spent = r.rho_preprocessing + fit.report.rho_spent;
  DPKIT_ASSIGN_OR_RETURN(r.epsilon_spent,
                         accounting::ZcdpEpsilon(r.rho_spent, o.delta - r.delta_preprocessing));
  r.fit = std::move(fit.report);
  s->model.emplace(std::move(fit.model));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Synthesizer> Synthesizer::FitEncoded(const io::EncodedTable& table,
                                                    const SynthOptions& options,
                                                    random::BitGenerator& gen) {
  DPKIT_RETURN_IF_ERROR(ValidateOptions(options));
  if (table.num_attributes() < 1) return absl::InvalidArgumentError("the table has no columns");
  auto s = std::make_shared<State>();
  s->domain = table.domain();
  s->names = table.domain().names();
  SynthReport& r = s->report;
  r.epsilon = options.epsilon;
  r.delta = options.delta;
  r.input_rows = table.num_rows();
  r.neighbouring = "add/remove one row";
  DPKIT_ASSIGN_OR_RETURN(r.rho_total, RhoForEpsilonDelta(options.epsilon, options.delta));
  for (int a = 0; a < table.num_attributes(); ++a) {
    r.columns.push_back({table.domain().name(a), "domain file", table.domain().size(a), 0, 0});
  }
  const EncodedData data = FromEncodedTable(table);
  DPKIT_ASSIGN_OR_RETURN(auto fit, RunMechanism(data, r.rho_total, options, gen));
  DPKIT_RETURN_IF_ERROR(Finish(s.get(), std::move(fit), options));
  return Synthesizer(std::move(s));
}

absl::StatusOr<Synthesizer> Synthesizer::Fit(const io::Table& input, const io::Schema* schema,
                                             const SynthOptions& options,
                                             random::BitGenerator& gen) {
  DPKIT_RETURN_IF_ERROR(ValidateOptions(options));
  if (schema != nullptr) {
    DPKIT_RETURN_IF_ERROR(schema->Validate());
    DPKIT_RETURN_IF_ERROR(schema->CheckTable(input));
  }
  auto s = std::make_shared<State>();
  SynthReport& r = s->report;
  r.epsilon = options.epsilon;
  r.delta = options.delta;

  // Contribution bounding: one row per privacy unit (the first), unit column dropped.
  io::Table table = input;
  std::string unit = schema != nullptr ? schema->privacy_unit : "";
  if (!unit.empty()) {
    DPKIT_ASSIGN_OR_RETURN(const io::Column* uc, input.ColumnByName(unit));
    absl::flat_hash_set<std::string> seen;
    std::vector<int64_t> keep;
    for (int64_t row = 0; row < input.num_rows(); ++row) {
      if (uc->IsNull(row)) continue;  // rows without a unit cannot be attributed: dropped
      if (seen.insert(uc->FormatValue(row)).second) keep.push_back(row);
    }
    DPKIT_ASSIGN_OR_RETURN(table, input.TakeRows(keep));
    std::vector<std::string> names;
    for (const auto& n : table.ColumnNames()) {
      if (n != unit) names.push_back(n);
    }
    DPKIT_ASSIGN_OR_RETURN(table, table.SelectColumns(names));
    r.neighbouring = absl::StrCat("add/remove all rows of one '", unit,
                                  "' (each unit bounded to its first row)");
  } else {
    r.neighbouring = "add/remove one row";
  }
  if (table.num_columns() < 1) return absl::InvalidArgumentError("no columns to synthesise");
  r.input_rows = table.num_rows();

  // Plan each column's encoding.
  enum class Plan { kCategories, kBins, kPartition, kQuantiles, kIntegers };
  std::vector<Plan> plan;
  std::vector<io::ColumnEncoding> enc;
  int need_rho = 0, need_delta = 0;
  for (const io::Column& col : table.columns()) {
    const io::ColumnSchema* cs = schema != nullptr ? schema->Find(col.name()) : nullptr;
    io::ColumnEncoding e;
    e.name = col.name();
    e.null_category = cs == nullptr || cs->nullable;
    s->types.push_back(col.type());
    const bool numeric = col.type() == io::DataType::kInt64 ||
                         col.type() == io::DataType::kDouble || col.type() == io::DataType::kDate;
    if (cs != nullptr && !cs->categories.empty()) {
      e.categories = cs->categories;
      e.other_category = true;
      plan.push_back(Plan::kCategories);
    } else if (col.type() == io::DataType::kBool) {
      e.categories = {"false", "true"};
      plan.push_back(Plan::kCategories);
    } else if (numeric && cs != nullptr && !cs->bins.empty()) {
      e.bin_edges = cs->bins;
      plan.push_back(Plan::kBins);
    } else if (numeric) {
      if (cs == nullptr || !cs->has_bounds()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "column '", col.name(), "' (", io::DataTypeName(col.type()),
            ") needs public \"lower\"/\"upper\" bounds or \"bins\" in the schema: bounds read off "
            "the data are not private. Add them to the schema file (--schema)"));
      }
      const double lo = *cs->lower, hi = *cs->upper;
      if (!(hi > lo)) {
        return absl::InvalidArgumentError(absl::StrCat("column '", col.name(),
                                                       "': upper bound must exceed lower, got [",
                                                       FormatDouble(lo), ", ", FormatDouble(hi),
                                                       "]"));
      }
      const bool integral = col.type() != io::DataType::kDouble;
      if (integral && std::floor(hi) - std::ceil(lo) + 1 <= options.numeric_bins) {
        for (double v = std::ceil(lo); v <= std::floor(hi) + 1; v += 1) e.bin_edges.push_back(v);
        plan.push_back(Plan::kIntegers);
      } else {
        plan.push_back(Plan::kQuantiles);
        ++need_rho;
      }
    } else {  // string without declared categories
      e.other_category = true;
      plan.push_back(Plan::kPartition);
      ++need_rho;
      ++need_delta;
    }
    enc.push_back(std::move(e));
  }

  r.delta_preprocessing = need_delta > 0 ? options.partition_delta_fraction * options.delta : 0;
  DPKIT_ASSIGN_OR_RETURN(r.rho_total, RhoForEpsilonDelta(options.epsilon,
                                                         options.delta - r.delta_preprocessing));
  const double rho_col =
      need_rho > 0 ? options.preprocessing_fraction * r.rho_total / need_rho : 0.0;
  const double delta_col = need_delta > 0 ? r.delta_preprocessing / need_delta : 0.0;

  for (int ci = 0; ci < table.num_columns(); ++ci) {
    const io::Column& col = table.column(ci);
    io::ColumnEncoding& e = enc[ci];
    ColumnReport cr;
    cr.name = col.name();
    switch (plan[ci]) {
      case Plan::kCategories:
        cr.encoding = "declared categories";
        break;
      case Plan::kBins:
        cr.encoding = "declared bins";
        break;
      case Plan::kIntegers:
        cr.encoding = "one bin per integer in the declared bounds";
        break;
      case Plan::kQuantiles: {
        const io::ColumnSchema* cs = schema->Find(col.name());
        const double lo = *cs->lower, hi = *cs->upper;
        const int g = options.quantile_grid;
        DPKIT_ASSIGN_OR_RETURN(auto dg, random::DiscreteGaussianSampler::Create(
                                            std::sqrt(1.0 / (2.0 * rho_col))));
        std::vector<double> hist(g, 0.0);
        for (int64_t row = 0; row < col.size(); ++row) {
          if (col.IsNull(row)) continue;
          const double v = col.NumericAt(row);
          if (std::isnan(v)) continue;
          int cell = static_cast<int>(std::floor((v - lo) / (hi - lo) * g));
          hist[std::clamp(cell, 0, g - 1)] += 1;
        }
        double total = 0;
        for (double& h : hist) {
          h = std::max(0.0, h + static_cast<double>(dg.Sample(gen)));
          total += h;
        }
        const bool integral = col.type() != io::DataType::kDouble;
        std::vector<double> edges = {integral ? std::ceil(lo) : lo};
        double cum = 0;
        int k = 1;
        for (int cell = 0; cell < g && k < options.numeric_bins; ++cell) {
          cum += hist[cell];
          while (k < options.numeric_bins && total > 0 && cum >= total * k / options.numeric_bins) {
            double edge = lo + (hi - lo) * (cell + 1) / g;
            if (integral) edge = std::floor(edge);
            if (edge > edges.back() && edge < hi) edges.push_back(edge);
            ++k;
          }
        }
        const double top = integral ? std::floor(hi) + 1 : hi;
        if (top > edges.back()) edges.push_back(top);
        if (edges.size() < 2) edges.push_back(edges.back() + 1);
        e.bin_edges = edges;
        cr.rho = 1.0 / (2.0 * dg.sigma() * dg.sigma());
        r.rho_preprocessing += cr.rho;
        cr.encoding = absl::StrCat("DP quantile bins (", edges.size() - 1, " bins, sigma=",
                                   absl::StrFormat("%.3g", dg.sigma()), ")");
        break;
      }
      case Plan::kPartition: {
        DPKIT_ASSIGN_OR_RETURN(auto dg, random::DiscreteGaussianSampler::Create(
                                            std::sqrt(1.0 / (2.0 * rho_col))));
        const double sigma = dg.sigma();
        const double threshold = 1.0 + sigma * std::sqrt(2.0 * std::log(1.0 / delta_col));
        absl::flat_hash_map<std::string, int64_t> counts;
        for (int64_t row = 0; row < col.size(); ++row) {
          if (!col.IsNull(row)) ++counts[col.FormatValue(row)];
        }
        std::vector<std::string> kept;
        for (const auto& [value, n] : counts) {
          if (static_cast<double>(n) + static_cast<double>(dg.Sample(gen)) >= threshold) {
            kept.push_back(value);
          }
        }
        std::sort(kept.begin(), kept.end());
        e.categories = kept;
        if (e.categories.empty()) e.other_category = true;
        cr.rho = 1.0 / (2.0 * sigma * sigma);
        cr.delta = delta_col;
        r.rho_preprocessing += cr.rho;
        cr.encoding = absl::StrCat("private partition selection (", kept.size(),
                                   " values kept, threshold ", absl::StrFormat("%.1f", threshold),
                                   "; rest -> other)");
        break;
      }
    }
    if (options.progress) {
      options.progress(absl::StrCat("preprocess: column '", cr.name, "': ", cr.encoding));
    }
    r.columns.push_back(std::move(cr));
  }
  DPKIT_ASSIGN_OR_RETURN(auto encoder, io::Encoder::Create(enc));
  DPKIT_ASSIGN_OR_RETURN(auto encoded, encoder.Encode(table));
  for (int a = 0; a < encoded.num_attributes(); ++a) {
    r.columns[a].domain_size = encoded.domain().size(a);
  }
  s->domain = encoded.domain();
  s->names = encoded.domain().names();
  s->encoder.emplace(std::move(encoder));
  const double rho_mech = r.rho_total - r.rho_preprocessing;
  if (!(rho_mech > 0)) return absl::InternalError("no budget left after preprocessing");
  DPKIT_ASSIGN_OR_RETURN(auto fit, RunMechanism(FromEncodedTable(encoded), rho_mech, options, gen));
  DPKIT_RETURN_IF_ERROR(Finish(s.get(), std::move(fit), options));
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
  return s_->encoder->Decode(et, gen, s_->types);
}

absl::Status Synthesizer::SampleToCsv(const std::string& path, int64_t rows,
                                      random::BitGenerator& gen, Env* env) const {
  if (rows < 0) return absl::InvalidArgumentError(absl::StrCat("rows must be >= 0, got ", rows));
  DPKIT_ASSIGN_OR_RETURN(auto writer, io::CsvWriter::Open(path, s_->names, {}, env));
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
        DPKIT_ASSIGN_OR_RETURN(auto t, s_->encoder->Decode(et, gen, s_->types));
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

}  // namespace dpkit::synth
