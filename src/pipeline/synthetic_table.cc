// Post-processing of the DP synthetic sample and the output table (no private input is read).
#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "dpkit/base/status.h"
#include "dpkit/pii/operators.h"
#include "dpkit/random/samplers.h"
#include "dpkit/synth/derived_columns.h"
#include "pipeline/internal.h"

namespace dpkit::pipeline::internal {
namespace {

// Nulls below 3 sigma of the column's 1-way measurement noise (scaled to the synthetic row
// count; the rule MST uses to merge rare values; several 1-way measurements of the column, as
// AIM's top-up takes, pool to 1 / sqrt(sum 1 / sigma^2)) or below min_null_fraction of the rows.
double NoiseLevelNulls(const synth::Synthesizer& model, const std::string& column, int64_t rows,
                       double min_null_fraction) {
  const synth::FitReport& fit = model.report().fit;
  const std::vector<std::string>& names = model.column_names();
  const double scale = fit.estimated_rows > 0 ? static_cast<double>(rows) / fit.estimated_rows : 1;
  double precision = 0;
  auto it = std::find(names.begin(), names.end(), column);
  for (size_t m = 0; it != names.end() && m < fit.measured.size(); ++m) {
    if (fit.measured[m].size() == 1 && fit.measured[m][0] == it - names.begin()) {
      precision += 1 / (fit.sigmas[m] * fit.sigmas[m]);
    }
  }
  const double noise_nulls = precision > 0 ? 3.0 * scale / std::sqrt(precision) : 0;
  return std::max(noise_nulls, min_null_fraction * static_cast<double>(rows));
}

// Every column is modelled as nullable (whether a column has nulls is private), so the noise
// gives the null code a little mass even where the input has none: noise-level nulls take the
// value of a random non-null synthetic cell of the same column.
io::Column FillNoiseNulls(const io::Column& col, double limit, random::BitGenerator& rng) {
  const int64_t nulls = col.null_count();
  if (nulls == 0 || nulls == col.size() || static_cast<double>(nulls) >= limit) return col;
  std::vector<int64_t> present, idx(static_cast<size_t>(col.size()));
  for (int64_t r = 0; r < col.size(); ++r) {
    if (!col.IsNull(r)) present.push_back(r);
  }
  for (int64_t r = 0; r < col.size(); ++r) {
    idx[r] = col.IsNull(r) ? present[random::UniformUint64(rng, present.size())] : r;
  }
  return col.Take(idx);
}

io::Column RoundDoubles(const io::Column& col, int decimals) {
  const double scale = std::pow(10.0, decimals);
  std::vector<double> v = col.double_values();
  std::vector<uint8_t> valid(v.size(), 1);
  for (size_t r = 0; r < v.size(); ++r) {
    if (col.IsNull(static_cast<int64_t>(r))) {
      valid[r] = 0;
    } else {
      v[r] = std::round(v[r] * scale) / scale;
    }
  }
  return io::Column::Double(col.name(), std::move(v), std::move(valid));
}

}  // namespace

absl::Status PostProcess(const PipelineOptions& o, const synth::Synthesizer& model, int64_t rows,
                         random::BitGenerator& rng, io::Table* sampled) {
  for (int c = 0; c < sampled->num_columns(); ++c) {
    const io::Column& col = sampled->column(c);
    const double limit = NoiseLevelNulls(model, col.name(), rows, o.min_null_fraction);
    DPKIT_RETURN_IF_ERROR(sampled->ReplaceColumn(FillNoiseNulls(col, limit, rng)));
    if (o.decimals >= 0 && sampled->column(c).type() == io::DataType::kDouble) {
      DPKIT_RETURN_IF_ERROR(sampled->ReplaceColumn(RoundDoubles(sampled->column(c), o.decimals)));
    }
  }
  return absl::OkStatus();
}

absl::Status AddDerivedColumns(const std::vector<io::ColumnSchema>& derived, ColumnRoles& roles,
                               std::vector<std::string>& notes, io::Table* sampled) {
  for (const io::ColumnSchema& c : derived) {
    absl::StatusOr<io::Column> col = synth::DeriveColumn(c, *sampled);
    if (col.ok()) {
      DPKIT_RETURN_IF_ERROR(sampled->AddColumn(*std::move(col)));
      continue;
    }
    for (ColumnRole& r : roles.columns) {
      if (r.name == c.name) r.role = Role::kDrop;
    }
    notes.push_back(absl::StrCat("column '", c.name, "' left out: ", col.status().message()));
  }
  return absl::OkStatus();
}

absl::StatusOr<io::Table> AssembleSynthetic(const std::vector<std::string>& header,
                                            const ColumnRoles& roles, const io::Table& sampled,
                                            int64_t rows, random::BitGenerator& rng) {
  std::vector<io::Column> cols;
  for (const std::string& name : header) {
    if (name == roles.unit) {
      std::vector<std::string> ids(static_cast<size_t>(rows));
      for (int64_t i = 0; i < rows; ++i) ids[i] = absl::StrCat("SYN", 1000000 + i);
      cols.push_back(io::Column::String(name, ids));
      continue;
    }
    auto role = std::find_if(roles.columns.begin(), roles.columns.end(),
                             [&](const ColumnRole& r) { return r.name == name; });
    if (role == roles.columns.end() || role->role == Role::kDrop) continue;
    if (role->role == Role::kFake) {
      std::vector<std::string> fakes(static_cast<size_t>(rows));
      for (std::string& f : fakes) f = pii::FreshFakeValue(role->entity, rng, name);
      cols.push_back(io::Column::String(name, fakes));
    } else if (sampled.HasColumn(name)) {
      cols.push_back(*sampled.ColumnByName(name).value());
    }
  }
  return io::Table::Make(std::move(cols));
}

}  // namespace dpkit::pipeline::internal
