#include "dpkit/pipeline/pipeline.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "dpkit/accounting/accountant.h"
#include "dpkit/analytics/bounds.h"
#include "dpkit/analytics/query.h"
#include "dpkit/base/status.h"
#include "dpkit/base/validation.h"
#include "dpkit/io/csv.h"
#include "dpkit/io/schema.h"
#include "dpkit/ledger/ledger.h"
#include "dpkit/pii/operators.h"
#include "dpkit/pii/replace.h"
#include "dpkit/pii/scan.h"
#include "dpkit/random/samplers.h"
#include "dpkit/report/evaluation.h"
#include "dpkit/report/privacy_guarantee.h"
#include "dpkit/report/render.h"
#include "dpkit/report/table_input.h"
#include "dpkit/synth/synthesizer.h"
#include "nlohmann/json.hpp"

namespace dpkit::pipeline {
namespace {

std::string Stem(const std::string& path) {
  size_t slash = path.find_last_of('/');
  std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  for (const std::string ext : {".csv.gz", ".csv", ".gz"}) {
    if (base.size() > ext.size() && base.compare(base.size() - ext.size(), ext.size(), ext) == 0) {
      return base.substr(0, base.size() - ext.size());
    }
  }
  return base;
}

std::string IsoNow(Env* env) {
  std::time_t t = static_cast<std::time_t>(env->NowMicros() / 1000000);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

uint64_t Mix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

uint64_t HashText(const std::string& s, uint64_t salt) {
  uint64_t h = 0xcbf29ce484222325ull ^ salt;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return Mix(h);
}

// "53703" -> "537**": the first three digits, as HIPAA Safe Harbor keeps them.
std::string GeneraliseZip(const std::string& z) {
  return z.size() >= 3 ? z.substr(0, 3) + std::string(z.size() - 3, '*') : z;
}

bool IsNumericType(io::DataType t) {
  return t == io::DataType::kInt64 || t == io::DataType::kDouble || t == io::DataType::kDate;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Options

absl::Status PipelineOptions::MergeJsonFile(const std::string& path, Env* env) {
  DPKIT_ASSIGN_OR_RETURN(std::string text, env->ReadFile(path));
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": not a JSON object"));
  }
  try {
    for (auto it = j.begin(); it != j.end(); ++it) {
      const std::string& k = it.key();
      const auto& v = it.value();
      if (k == "data") data = v.get<std::string>();
      else if (k == "out" || k == "out_dir") out_dir = v.get<std::string>();
      else if (k == "epsilon") epsilon = v.get<double>();
      else if (k == "delta") delta = v.get<double>();
      else if (k == "method") method = v.get<std::string>();
      else if (k == "rows") rows = v.get<int64_t>();
      else if (k == "schema") schema = v.get<std::string>();
      else if (k == "policy") policy = v.get<std::string>();
      else if (k == "key_file") key_file = v.get<std::string>();
      else if (k == "ledger") ledger = v.get<std::string>();
      else if (k == "dataset") dataset = v.get<std::string>();
      else if (k == "privacy_unit") privacy_unit = v.get<std::string>();
      else if (k == "target") target = v.get<std::string>();
      else if (k == "min_null_fraction") min_null_fraction = v.get<double>();
      else if (k == "decimals") decimals = v.get<int>();
      else if (k == "holdout_fraction") holdout_fraction = v.get<double>();
      else if (k == "count_fraction") count_fraction = v.get<double>();
      else if (k == "bounds_fraction") bounds_fraction = v.get<double>();
      else if (k == "threads") threads = v.get<int>();
      else {
        return absl::InvalidArgumentError(absl::StrCat(
            path, ": unknown key '", k,
            "' (known: data, out, epsilon, delta, method, rows, schema, policy, key_file, ledger, "
            "dataset, privacy_unit, target, holdout_fraction, count_fraction, bounds_fraction, "
            "min_null_fraction, decimals, threads)"));
      }
    }
  } catch (const nlohmann::json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": wrong value type: ", e.what()));
  }
  return absl::OkStatus();
}

std::string PipelineOptions::ToJson() const {
  nlohmann::json j = {{"data", data},         {"out", out_dir},
                      {"epsilon", epsilon},   {"delta", delta},
                      {"method", method},     {"rows", rows},
                      {"schema", schema},     {"policy", policy},
                      {"key_file", key_file}, {"ledger", ledger},
                      {"dataset", dataset},   {"privacy_unit", privacy_unit},
                      {"target", target},     {"holdout_fraction", holdout_fraction},
                      {"count_fraction", count_fraction}, {"bounds_fraction", bounds_fraction},
                      {"min_null_fraction", min_null_fraction}, {"decimals", decimals},
                      {"threads", threads}};
  return j.dump(2);
}

absl::Status PipelineOptions::Validate() const {
  if (data.empty()) return absl::InvalidArgumentError("no input: give --data <customers.csv>");
  if (out_dir.empty()) return absl::InvalidArgumentError("no output directory: give --out <dir>");
  DPKIT_RETURN_IF_ERROR(ValidatePositiveFinite("epsilon", epsilon));
  DPKIT_RETURN_IF_ERROR(ValidateDelta("delta", delta, /*allow_zero=*/false));
  if (method != "aim" && method != "mst") {
    return absl::InvalidArgumentError(absl::StrCat("method must be aim or mst, got '", method, "'"));
  }
  if (rows < 0) return absl::InvalidArgumentError(absl::StrCat("rows must be >= 0, got ", rows));
  if (!(holdout_fraction >= 0 && holdout_fraction < 0.9)) {
    return absl::InvalidArgumentError(absl::StrCat("holdout_fraction must be in [0, 0.9), got ",
                                                   FormatDouble(holdout_fraction)));
  }
  if (!(count_fraction > 0 && bounds_fraction > 0 && count_fraction + bounds_fraction < 0.5)) {
    return absl::InvalidArgumentError(
        "count_fraction and bounds_fraction must be > 0 and together < 0.5");
  }
  if (!(min_null_fraction >= 0 && min_null_fraction < 0.5)) {
    return absl::InvalidArgumentError(absl::StrCat("min_null_fraction must be in [0, 0.5), got ",
                                                   FormatDouble(min_null_fraction)));
  }
  if (decimals > 15) return absl::InvalidArgumentError("decimals must be <= 15 (-1 = no rounding)");
  if (threads < 1) return absl::InvalidArgumentError("threads must be >= 1");
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------------------------
// The flow

absl::StatusOr<PipelineResult> RunPipeline(const PipelineOptions& o, random::BitGenerator& rng,
                                           Env* env) {
  DPKIT_RETURN_IF_ERROR(o.Validate());
  auto say = [&](const std::string& s) {
    if (o.progress) o.progress(s);
  };
  PipelineResult res;
  const std::string out = o.out_dir;
  DPKIT_RETURN_IF_ERROR(env->CreateDirs(out));
  res.clean_csv = out + "/clean.csv";
  res.pii_json = out + "/pii.json";
  res.synthetic_csv = out + "/synthetic.csv";
  res.report_html = out + "/report.html";
  res.report_json = out + "/report.json";
  res.privacy_json = out + "/privacy.json";
  res.summary_json = out + "/summary.json";
  res.ledger = o.ledger.empty() ? out + "/ledger.db" : o.ledger;
  const std::string dataset = o.dataset.empty() ? Stem(o.data) : o.dataset;

  // Optional inputs are read first so that bad files fail before anything is written.
  std::optional<io::Schema> user_schema;
  if (!o.schema.empty()) {
    DPKIT_ASSIGN_OR_RETURN(user_schema, io::LoadSchema(o.schema, env));
  }
  pii::Policy policy = pii::Policy::Default();
  if (!o.policy.empty()) {
    DPKIT_ASSIGN_OR_RETURN(policy, pii::Policy::Load(o.policy, env));
  }

  // 1-2. PII.
  say(absl::StrCat("[1/6] reading ", o.data, " and scanning for PII"));
  DPKIT_ASSIGN_OR_RETURN(io::Table original, pii::ReadCsvAsText(o.data, env));
  if (original.num_rows() == 0) return DataError(absl::StrCat(o.data, ": no data rows"));
  std::optional<pii::PiiKey> key;
  if (!o.key_file.empty()) {
    DPKIT_ASSIGN_OR_RETURN(key, pii::PiiKey::FromFile(o.key_file, env));
  } else {
    key = pii::PiiKey::Generate(rng);
    DPKIT_RETURN_IF_ERROR(env->WriteFileAtomically(out + "/pii.key", key->ToHex() + "\n"));
    res.notes.push_back(absl::StrCat("generated a PII key in ", out,
                                     "/pii.key: keep it secret; reuse it (--key-file) for "
                                     "pseudonyms consistent across runs"));
  }
  pii::ReplaceOptions ro;
  ro.policy = policy;
  ro.key = &*key;
  ro.rng = &rng;
  DPKIT_ASSIGN_OR_RETURN(pii::ReplaceResult replaced, pii::ReplacePii(original, ro));
  DPKIT_RETURN_IF_ERROR(io::WriteCsv(replaced.table, res.clean_csv, {}, env));
  DPKIT_RETURN_IF_ERROR(env->WriteFileAtomically(res.pii_json, replaced.ToJson()));
  say(absl::StrCat("      ", replaced.actions.size(), " column action(s); de-identified copy in ",
                   res.clean_csv, " (not DP: keep it private)"));

  // 3. Privacy unit and column roles.
  std::string unit = o.privacy_unit;
  if (unit.empty() && user_schema) unit = user_schema->privacy_unit;
  if (unit.empty() && replaced.privacy_unit) unit = *replaced.privacy_unit;
  if (!unit.empty() && !replaced.table.HasColumn(unit)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "privacy unit column '", unit, "' is not in the de-identified table (dropped by the PII "
        "policy?); keep it (pseudonymise it) or choose another unit"));
  }
  res.privacy_unit = unit.empty() ? ledger::kRowLevelUnit : unit;
  std::vector<std::string> synth_cols;
  std::map<std::string, pii::EntityType> faked;
  for (const auto& col : original.columns()) {
    const std::string& name = col.name();
    const pii::ColumnScan* cs = replaced.scan.Find(name);
    if (name == unit) continue;
    if (!replaced.table.HasColumn(name)) {
      res.dropped_columns.push_back(name);
      continue;
    }
    if (cs && cs->free_text) {
      res.dropped_columns.push_back(name);
      res.notes.push_back(absl::StrCat("free-text column '", name,
                                       "' is not synthesised (marginal-based synthesis models "
                                       "categorical/numeric columns)"));
      continue;
    }
    if (cs && cs->column_class == pii::ColumnClass::kIdentifier) {
      faked[name] = cs->entity;
      res.faked_columns.push_back(name);
      continue;
    }
    synth_cols.push_back(name);
  }
  if (synth_cols.empty()) {
    return absl::FailedPreconditionError("no column left to synthesise after PII replacement");
  }
  res.synthesized_columns = synth_cols;
  // Checked before anything is charged: a typo must not cost budget.
  if (!o.target.empty() &&
      std::find(synth_cols.begin(), synth_cols.end(), o.target) == synth_cols.end()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "target column '", o.target, "' is not among the synthesised columns (",
        absl::StrJoin(synth_cols, ", "), ")"));
  }

  // Typed training data (only the modelled columns and the unit).
  io::CsvReadOptions cro;
  cro.select_columns = synth_cols;
  if (!unit.empty()) cro.select_columns.push_back(unit);
  io::Schema schema;
  if (user_schema) {
    io::Schema sub;
    for (const auto& c : user_schema->columns) {
      if (std::find(cro.select_columns.begin(), cro.select_columns.end(), c.name) !=
          cro.select_columns.end()) {
        sub.columns.push_back(c);
      }
    }
    sub.null_tokens = user_schema->null_tokens;
    cro.schema = sub;
  }
  // Codes that look numeric but are categories (ZIP codes) are read as text and generalised to
  // their first three digits ("53703" -> "537**", as HIPAA Safe Harbor does): five-digit codes
  // are too rare to survive private partition selection.
  std::vector<std::string> zip_cols;
  for (const auto& name : synth_cols) {
    const pii::ColumnScan* cs = replaced.scan.Find(name);
    bool declared = cro.schema && cro.schema->Find(name);
    if (cs && cs->entity == pii::EntityType::kZipCode && !declared) {
      if (!cro.schema) cro.schema = io::Schema();
      io::ColumnSchema c;
      c.name = name;
      c.type = io::DataType::kString;
      cro.schema->columns.push_back(c);
      zip_cols.push_back(name);
    }
  }
  DPKIT_ASSIGN_OR_RETURN(io::Table typed, io::ReadCsv(res.clean_csv, cro, env));
  for (const auto& name : zip_cols) {
    const io::Column& c = *typed.ColumnByName(name).value();
    std::vector<std::string> vals(static_cast<size_t>(c.size()));
    std::vector<uint8_t> valid(static_cast<size_t>(c.size()), 1);
    for (int64_t r = 0; r < c.size(); ++r) {
      if (c.IsNull(r)) {
        valid[r] = 0;
        continue;
      }
      const std::string& z = c.StringAt(r);
      vals[r] = GeneraliseZip(z);
    }
    DPKIT_RETURN_IF_ERROR(typed.ReplaceColumn(io::Column::String(name, vals, valid)));
    res.notes.push_back(absl::StrCat("ZIP codes in '", name, "' generalised to 3 digits before synthesis"));
  }
  schema = io::InferSchema(typed);
  if (user_schema) {
    for (auto& c : schema.columns) {
      if (const io::ColumnSchema* u = user_schema->Find(c.name)) c = *u;
    }
  }
  schema.privacy_unit = unit;

  // 4. Split units into training and holdout.
  const uint64_t salt = rng.NextU64();
  std::vector<int64_t> train_rows, holdout_rows;
  const io::Column* ucol = unit.empty() ? nullptr : &*replaced.table.ColumnByName(unit).value();
  for (int64_t r = 0; r < replaced.table.num_rows(); ++r) {
    uint64_t h = ucol ? HashText(ucol->IsNull(r) ? std::string() : ucol->FormatValue(r), salt)
                      : Mix(salt ^ static_cast<uint64_t>(r));
    bool hold = static_cast<double>(h >> 11) * 0x1.0p-53 < o.holdout_fraction;
    (hold ? holdout_rows : train_rows).push_back(r);
  }
  if (train_rows.empty()) return absl::FailedPreconditionError("no training rows after the holdout split");
  DPKIT_ASSIGN_OR_RETURN(io::Table train, typed.TakeRows(train_rows));

  // 5. Budget: charge everything first.
  const double eps_count = o.epsilon * o.count_fraction;
  std::vector<std::string> need_bounds;
  for (auto& c : schema.columns) {
    if (c.name == unit) continue;
    if (c.type == io::DataType::kDate && c.bins.empty() && !c.has_bounds()) {
      // Dates without declared bounds get a public, data-independent range; the synthesizer's
      // DP quantile bins adapt to the data inside it.
      int64_t lo = 0, hi = 0;
      io::ParseDate("1900-01-01", &lo);
      io::ParseDate("2100-12-31", &hi);
      c.lower = static_cast<double>(lo);
      c.upper = static_cast<double>(hi);
      res.notes.push_back(absl::StrCat("date column '", c.name,
                                       "' assumed within [1900-01-01, 2100-12-31] (public default; "
                                       "declare bounds in a schema to change it)"));
      continue;
    }
    if (IsNumericType(c.type) && c.bins.empty() && !c.has_bounds()) need_bounds.push_back(c.name);
  }
  const double eps_bounds = need_bounds.empty() ? 0.0 : o.epsilon * o.bounds_fraction;
  const double eps_synth = o.epsilon - eps_count - eps_bounds;
  analytics::QuerySpec count_spec;
  count_spec.aggregates = {{analytics::AggregateFunction::kCount}};
  count_spec.epsilon = eps_count;
  DPKIT_ASSIGN_OR_RETURN(analytics::QueryPlan count_plan, analytics::PlanQuery(train, schema, count_spec));
  std::vector<PrivacyMap> maps = count_plan.PrivacyMaps();
  maps.back().mechanism = "pipeline/row_count";
  analytics::ApproximateBoundsOptions bo;
  bo.privacy_unit = unit;
  if (!need_bounds.empty()) {
    bo.epsilon = eps_bounds / static_cast<double>(need_bounds.size());
    DPKIT_ASSIGN_OR_RETURN(PrivacyMap bm, analytics::ApproximateBoundsPrivacyMap(bo));
    for (size_t i = 0; i < need_bounds.size(); ++i) {
      bm.mechanism = absl::StrCat("pipeline/bounds(", need_bounds[i], ")");
      maps.push_back(bm);
    }
  }
  // The synthesizer gets what is left; if floating-point rounding makes the composed total exceed
  // epsilon by an ulp, give the synthesizer one ulp less until it fits exactly.
  double eps_synth_used = eps_synth;
  for (int guard = 0; guard < 64; ++guard) {
    auto acc = accounting::CreateAccountant(accounting::AccountantKind::kBasic);
    if (!acc.ok()) return acc.status();
    for (const auto& m : maps) DPKIT_RETURN_IF_ERROR((*acc)->Add(m));
    DPKIT_RETURN_IF_ERROR((*acc)->Add(PrivacyMap::ApproxDp(eps_synth_used, o.delta)));
    DPKIT_ASSIGN_OR_RETURN(double total, (*acc)->Epsilon(o.delta));
    if (total <= o.epsilon) break;
    eps_synth_used = std::nextafter(eps_synth_used, 0.0);
  }
  maps.push_back(PrivacyMap::ApproxDp(eps_synth_used, o.delta, absl::StrCat("pipeline/", o.method)));
  say(absl::StrCat("[2/6] charging epsilon=", FormatDouble(o.epsilon), " delta=",
                   FormatDouble(o.delta), " to ledger ", res.ledger, " (dataset '", dataset,
                   "', unit ", res.privacy_unit, ")"));
  DPKIT_ASSIGN_OR_RETURN(auto led, ledger::Ledger::Open(res.ledger));
  auto status = led->Status(dataset, res.privacy_unit);
  if (status.status().code() == absl::StatusCode::kNotFound) {
    DPKIT_RETURN_IF_ERROR(led->CreateBudget(dataset, res.privacy_unit,
                                            ledger::Budget::EpsilonDelta(o.epsilon, o.delta),
                                            accounting::AccountantKind::kBasic));
    res.notes.push_back(absl::StrCat("created budget epsilon=", FormatDouble(o.epsilon), " delta=",
                                     FormatDouble(o.delta), " for dataset '", dataset, "' in ",
                                     res.ledger));
  } else if (!status.ok()) {
    return status.status();
  }
  DPKIT_ASSIGN_OR_RETURN(ledger::Receipt receipt,
                         led->Charge(dataset, res.privacy_unit, maps,
                                     absl::StrCat("dpkit pipeline ", o.method, " on ", o.data)));
  // The charged maps compose (basic composition) to at most (o.epsilon, o.delta); the receipt's
  // cost is expressed at the budget's delta, which may differ from this run's.
  res.epsilon_charged = o.epsilon;
  res.delta_charged = o.delta;
  res.epsilon_remaining = receipt.remaining.epsilon;

  // Row count and bounds.
  say("[3/6] DP row count and bounds");
  int64_t rows = o.rows;
  {
    analytics::ExecutionOptions ex;
    ex.rng = &rng;
    DPKIT_ASSIGN_OR_RETURN(analytics::QueryResult cr, analytics::RunQuery(train, schema, count_spec, ex));
    int64_t n = static_cast<int64_t>(std::llround(cr.rows[0].values[0].value));
    if (rows == 0) rows = std::max<int64_t>(1, n);
  }
  std::set<std::string> unbounded;
  for (const auto& name : need_bounds) {
    auto b = analytics::ApproximateBounds(train, name, bo, rng);
    if (!b.ok()) {
      if (b.status().code() != absl::StatusCode::kFailedPrecondition) return b.status();
      unbounded.insert(name);
      res.notes.push_back(absl::StrCat("column '", name, "' left out: ", b.status().message()));
      continue;
    }
    // Post-processing of the DP output: widen to include 0 (money, counts and ages start there;
    // a positive lower bound would clamp small values up).
    double lo = std::min(b->lower, 0.0), hi = std::max(b->upper, 0.0);
    for (auto& c : schema.columns) {
      if (c.name == name) {
        c.lower = lo;
        c.upper = hi;
      }
    }
    b->lower = lo;
    b->upper = hi;
    res.notes.push_back(absl::StrCat("bounds for '", name, "' found privately: [", FormatDouble(b->lower),
                                     ", ", FormatDouble(b->upper), "]"));
  }
  if (!unbounded.empty()) {
    std::vector<std::string> keep_cols;
    for (const auto& c : typed.ColumnNames()) {
      if (!unbounded.count(c)) keep_cols.push_back(c);
    }
    DPKIT_ASSIGN_OR_RETURN(train, train.SelectColumns(keep_cols));
    io::Schema kept;
    for (const auto& c : schema.columns) {
      if (!unbounded.count(c.name)) kept.columns.push_back(c);
    }
    kept.privacy_unit = schema.privacy_unit;
    schema = kept;
    for (const auto& n : unbounded) {
      synth_cols.erase(std::remove(synth_cols.begin(), synth_cols.end(), n), synth_cols.end());
      res.dropped_columns.push_back(n);
    }
    res.synthesized_columns = synth_cols;
    if (synth_cols.empty()) {
      return absl::FailedPreconditionError("no column left to synthesise (no DP bounds found)");
    }
  }

  // 6. Synthesize.
  say(absl::StrCat("[4/6] fitting ", o.method, " (epsilon=", FormatDouble(eps_synth), ") on ",
                   synth_cols.size(), " columns"));
  synth::SynthOptions so;
  DPKIT_ASSIGN_OR_RETURN(so.method, synth::ParseMethod(o.method));
  so.epsilon = eps_synth_used;
  so.delta = o.delta;
  so.threads = o.threads;
  DPKIT_ASSIGN_OR_RETURN(synth::Synthesizer model, synth::Synthesizer::Fit(train, &schema, so, rng));
  DPKIT_ASSIGN_OR_RETURN(io::Table sampled, model.Sample(rows, rng));
  // Every column is modelled as nullable (whether a column has nulls is itself private), so the
  // noise gives the null code a little mass even where the input has none. Post-processing of the
  // DP output: when a column's synthetic null count is below what 3 sigma of its 1-way
  // measurement noise would produce (scaled to the synthetic row count; the rule MST uses to merge
  // rare values) or below min_null_fraction of the rows, those nulls are treated as noise and the
  // cells take the value of a random non-null synthetic cell of the same column.
  {
    const synth::FitReport& fit = model.report().fit;
    const std::vector<std::string>& names = model.column_names();
    const double scale =
        fit.estimated_rows > 0 ? static_cast<double>(rows) / fit.estimated_rows : 1.0;
    for (int c = 0; c < sampled.num_columns(); ++c) {
      const io::Column& col = sampled.column(c);
      const int64_t nulls = col.null_count();
      if (nulls == 0 || nulls == col.size()) continue;
      double noise_nulls = 0;
      auto it = std::find(names.begin(), names.end(), col.name());
      for (size_t m = 0; it != names.end() && m < fit.measured.size(); ++m) {
        if (fit.measured[m].size() == 1 && fit.measured[m][0] == it - names.begin()) {
          noise_nulls = 3.0 * fit.sigmas[m] * scale;
          break;
        }
      }
      const double limit =
          std::max(noise_nulls, o.min_null_fraction * static_cast<double>(col.size()));
      if (static_cast<double>(nulls) >= limit) continue;
      std::vector<int64_t> present, idx(static_cast<size_t>(col.size()));
      for (int64_t r = 0; r < col.size(); ++r) {
        if (!col.IsNull(r)) present.push_back(r);
      }
      for (int64_t r = 0; r < col.size(); ++r) {
        idx[r] = col.IsNull(r) ? present[random::UniformUint64(rng, present.size())] : r;
      }
      DPKIT_RETURN_IF_ERROR(sampled.ReplaceColumn(col.Take(idx)));
    }
  }
  // Real-valued columns decode uniformly within their DP bins; print them with `decimals`
  // decimals instead of 17 significant digits (post-processing).
  if (o.decimals >= 0) {
    const double scale = std::pow(10.0, o.decimals);
    for (int c = 0; c < sampled.num_columns(); ++c) {
      const io::Column& col = sampled.column(c);
      if (col.type() != io::DataType::kDouble) continue;
      std::vector<double> v = col.double_values();
      std::vector<uint8_t> valid(v.size(), 1);
      for (size_t r = 0; r < v.size(); ++r) {
        if (col.IsNull(static_cast<int64_t>(r))) valid[r] = 0;
        else v[r] = std::round(v[r] * scale) / scale;
      }
      DPKIT_RETURN_IF_ERROR(
          sampled.ReplaceColumn(io::Column::Double(col.name(), std::move(v), std::move(valid))));
    }
  }
  res.synthetic_rows = rows;
  // Assemble in the input's column order: modelled columns, a fresh unit id, fake identifiers.
  std::vector<io::Column> cols;
  for (const auto& col : original.columns()) {
    const std::string& name = col.name();
    if (name == unit) {
      std::vector<std::string> ids(static_cast<size_t>(rows));
      for (int64_t i = 0; i < rows; ++i) ids[i] = absl::StrCat("SYN", 1000000 + i);
      cols.push_back(io::Column::String(name, ids));
    } else if (faked.count(name)) {
      const io::Column& clean = *replaced.table.ColumnByName(name).value();
      std::vector<std::string> vals(static_cast<size_t>(rows));
      for (int64_t i = 0; i < rows; ++i) {
        int64_t r = static_cast<int64_t>(random::UniformUint64(rng, static_cast<uint64_t>(clean.size())));
        std::string tmpl = clean.IsNull(r) ? std::string() : clean.FormatValue(r);
        vals[i] = pii::FakeValue(faked[name], tmpl, rng);
      }
      cols.push_back(io::Column::String(name, vals));
    } else if (sampled.HasColumn(name)) {
      cols.push_back(*sampled.ColumnByName(name).value());
    }
  }
  DPKIT_ASSIGN_OR_RETURN(io::Table synthetic, io::Table::Make(std::move(cols)));
  say(absl::StrCat("[5/6] writing ", rows, " synthetic rows to ", res.synthetic_csv));
  DPKIT_RETURN_IF_ERROR(io::WriteCsv(synthetic, res.synthetic_csv, {}, env));

  // 7. Report.
  say("[6/6] evaluating and writing the report");
  report::PrivacyGuarantee g;
  g.epsilon = o.epsilon;
  g.delta = o.delta;
  g.privacy_unit = unit.empty() ? "row" : unit;
  g.mechanism = absl::StrCat(o.method, " (PII replaced first; identifier columns faked)");
  g.accountant = accounting::AccountantKindName(receipt.accountant);
  g.dataset = dataset;
  g.created = IsoNow(env);
  g.notes.push_back(absl::StrCat("synthetic.csv and its row count are (", FormatDouble(g.epsilon), ", ",
                                 FormatDouble(g.delta), ")-DP per ", g.privacy_unit,
                                 "; the real-data statistics in this report are not DP"));
  for (const auto& n : res.notes) g.notes.push_back(n);
  {
    ledger::HistoryOptions ho;
    ho.include_refused = false;
    auto hist = led->History(dataset, res.privacy_unit, ho);
    if (hist.ok()) {
      for (const auto& rec : *hist) {
        if (rec.charge_id != receipt.charge_id) continue;  // this run's charge only
        for (const auto& m : rec.maps) {
          nlohmann::json e = {{"id", rec.charge_id}, {"mechanism", m.mechanism},
                              {"privacy_map", nlohmann::json::parse(m.ToJson())},
                              {"note", rec.operation}};
          if (m.kind == PrivacyMapKind::kApproxDp) {
            e["epsilon"] = m.epsilon;
            e["delta"] = m.delta;
          }
          g.ledger_entries.push_back({std::to_string(rec.charge_id), "", m.mechanism,
                                      m.kind == PrivacyMapKind::kApproxDp ? std::optional<double>(m.epsilon) : std::nullopt,
                                      m.kind == PrivacyMapKind::kApproxDp ? std::optional<double>(m.delta) : std::nullopt,
                                      m.ToString(), rec.operation, e.dump()});
        }
      }
    }
  }
  DPKIT_RETURN_IF_ERROR(env->WriteFileAtomically(res.privacy_json, g.ToJson()));
  DPKIT_ASSIGN_OR_RETURN(io::Table real_rows, original.TakeRows(train_rows));
  report::TextTable real = report::FromIoTable(real_rows, o.data);
  report::TextTable synth_text = report::FromIoTable(synthetic, res.synthetic_csv);
  std::optional<report::TextTable> holdout;
  if (!holdout_rows.empty()) {
    DPKIT_ASSIGN_OR_RETURN(io::Table h, original.TakeRows(holdout_rows));
    holdout = report::FromIoTable(h, absl::StrCat(o.data, " (holdout)"));
  }
  // The report compares the modelled and faked columns; the unit column is synthetic ids.
  auto drop_unit = [&](report::TextTable& t) {
    for (size_t c = 0; c < t.names.size(); ++c) {
      if (t.names[c] == unit) {
        t.names.erase(t.names.begin() + c);
        t.columns.erase(t.columns.begin() + c);
        return;
      }
    }
  };
  auto keep_only = [&](report::TextTable& t, const std::set<std::string>& keep) {
    for (size_t c = t.names.size(); c-- > 0;) {
      if (!keep.count(t.names[c])) {
        t.names.erase(t.names.begin() + c);
        t.columns.erase(t.columns.begin() + c);
      }
    }
  };
  std::set<std::string> keep(synth_cols.begin(), synth_cols.end());
  for (const auto& [n, e] : faked) keep.insert(n);
  for (auto* t : {&real, &synth_text}) {
    drop_unit(*t);
    keep_only(*t, keep);
  }
  if (holdout) {
    drop_unit(*holdout);
    keep_only(*holdout, keep);
  }
  report::EvaluationOptions eo;
  eo.target = o.target;
  // Compare ZIP codes at the granularity they were synthesised at.
  for (const auto& name : zip_cols) {
    for (report::TextTable* t : {&real, holdout ? &*holdout : nullptr}) {
      if (!t) continue;
      for (size_t c = 0; c < t->names.size(); ++c) {
        if (t->names[c] != name) continue;
        for (auto& z : t->columns[c]) {
          z = GeneraliseZip(z);
        }
      }
    }
    eo.categorical.push_back(name);
  }
  if (!eo.target.empty() && !keep.count(eo.target)) {
    return absl::InvalidArgumentError(absl::StrCat("target column '", o.target,
                                                   "' is not among the synthesised columns (",
                                                   absl::StrJoin(synth_cols, ", "), ")"));
  }
  for (const auto& [n, e] : faked) {
    eo.identifier_columns.push_back(n);
    eo.identifier_entities.push_back(pii::EntityTypeName(e));
  }
  eo.threads = o.threads;
  DPKIT_ASSIGN_OR_RETURN(report::Evaluation ev,
                         report::Evaluate(real, synth_text, holdout ? &*holdout : nullptr, eo, rng));
  DPKIT_RETURN_IF_ERROR(report::WriteReport(env, ev, &g, res.report_html, res.report_json));

  // 8. Summary.
  nlohmann::json s;
  s["options"] = nlohmann::json::parse(o.ToJson());
  s["artifacts"] = {{"clean_csv", res.clean_csv},         {"pii_json", res.pii_json},
                    {"synthetic_csv", res.synthetic_csv}, {"report_html", res.report_html},
                    {"report_json", res.report_json},     {"privacy_json", res.privacy_json},
                    {"ledger", res.ledger}};
  s["privacy"] = {{"epsilon_charged", res.epsilon_charged},
                  {"delta_charged", res.delta_charged},
                  {"epsilon_remaining", res.epsilon_remaining},
                  {"privacy_unit", res.privacy_unit},
                  {"dataset", dataset},
                  {"split", {{"count", eps_count}, {"bounds", eps_bounds}, {"synthesizer", eps_synth}}}};
  s["synthetic_rows"] = res.synthetic_rows;
  s["columns"] = {{"synthesized", res.synthesized_columns},
                  {"faked", res.faked_columns},
                  {"dropped", res.dropped_columns}};
  s["notes"] = res.notes;
  s["synthesizer"] = nlohmann::json::parse(model.report().ToJson());
  DPKIT_RETURN_IF_ERROR(env->WriteFileAtomically(res.summary_json, s.dump(2)));
  return res;
}

}  // namespace dpkit::pipeline
