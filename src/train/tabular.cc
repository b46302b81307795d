#include "dpkit/train/tabular.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "dpkit/base/status.h"
#include "dpkit/base/validation.h"

namespace dpkit::train {

namespace nn = torch::nn;

const char* TaskKindName(TaskKind kind) {
  switch (kind) {
    case TaskKind::kAuto:
      return "auto";
    case TaskKind::kClassification:
      return "classification";
    case TaskKind::kRegression:
      return "regression";
  }
  return "?";
}

absl::StatusOr<TaskKind> ParseTaskKind(const std::string& name) {
  if (name == "auto") return TaskKind::kAuto;
  if (name == "classification") return TaskKind::kClassification;
  if (name == "regression") return TaskKind::kRegression;
  return absl::InvalidArgumentError(absl::StrCat(
      "task must be auto, classification or regression, got '", name, "'"));
}

namespace {

bool IsNumericType(io::DataType t) {
  return t == io::DataType::kInt64 || t == io::DataType::kDouble || t == io::DataType::kDate ||
         t == io::DataType::kBool;
}

std::string CellText(const io::Column& c, int64_t row) {
  return c.type() == io::DataType::kString ? c.StringAt(row) : c.FormatValue(row);
}

}  // namespace

absl::StatusOr<TabularEncoder> TabularEncoder::Create(const io::Schema& schema,
                                                      const std::string& target,
                                                      std::vector<std::string> features,
                                                      TaskKind task) {
  TabularEncoder e;
  e.target_ = target;
  auto t = schema.Get(target);
  if (!t.ok()) {
    return absl::NotFoundError(absl::StrCat("target column '", target, "' is not in the schema (",
                                            absl::StrJoin(schema.ColumnNames(), ", "), ")"));
  }
  const io::ColumnSchema& ts = **t;
  e.target_schema_ = ts;
  if (task == TaskKind::kAuto) {
    task = (ts.type == io::DataType::kString || ts.type == io::DataType::kBool ||
            !ts.categories.empty())
               ? TaskKind::kClassification
               : TaskKind::kRegression;
  }
  e.task_ = task;
  if (task == TaskKind::kRegression) {
    if (ts.type != io::DataType::kInt64 && ts.type != io::DataType::kDouble) {
      return absl::InvalidArgumentError(absl::StrCat(
          "target '", target, "' has type ", io::DataTypeName(ts.type),
          ": regression needs a numeric (int64 or double) target; use --task classification for "
          "a categorical target"));
    }
    if (ts.has_bounds() && *ts.upper > *ts.lower) {
      e.scale_target_ = true;
      e.target_offset_ = 0.5 * (*ts.lower + *ts.upper);
      e.target_scale_ = 0.5 * (*ts.upper - *ts.lower);
    }
  } else {
    if (ts.type == io::DataType::kBool && ts.categories.empty()) {
      e.classes_ = {"false", "true"};
    } else if (ts.categories.size() >= 2) {
      e.classes_ = ts.categories;
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          "classification target '", target,
          "' needs its classes declared as \"categories\" in the schema (at least 2); they are "
          "public information and must not be read off the data"));
    }
  }
  for (size_t i = 0; i < e.classes_.size(); ++i) e.class_index_.emplace(e.classes_[i], i);
  if (features.empty()) {
    for (const auto& c : schema.columns) {
      if (c.name != target && c.name != schema.privacy_unit) features.push_back(c.name);
    }
  }
  if (features.empty()) return absl::InvalidArgumentError("no feature columns");
  for (const std::string& name : features) {
    if (name == target) {
      return absl::InvalidArgumentError(absl::StrCat("feature '", name, "' is the target"));
    }
    auto cs = schema.Get(name);
    if (!cs.ok()) {
      return absl::NotFoundError(absl::StrCat("feature column '", name, "' is not in the schema (",
                                              absl::StrJoin(schema.ColumnNames(), ", "), ")"));
    }
    const io::ColumnSchema& s = **cs;
    Column col;
    col.name = name;
    if (!s.categories.empty()) {
      col.categorical = true;
      for (const auto& cat : s.categories) {
        col.index.emplace(cat, col.num_categories++);
        e.feature_names_.push_back(absl::StrCat(name, "=", cat));
      }
      e.feature_names_.push_back(absl::StrCat(name, "=<other>"));
    } else if (IsNumericType(s.type)) {
      if (s.type == io::DataType::kBool) {
        col.lower = 0;
        col.upper = 1;
      } else if (!s.has_bounds()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "numeric feature '", name, "' has no bounds: declare \"lower\" and \"upper\" for it in "
            "the schema (public bounds; values are clamped to them), or drop it with --features"));
      } else {
        col.lower = *s.lower;
        col.upper = *s.upper;
      }
      e.feature_names_.push_back(name);
      if (s.nullable) {
        col.missing_indicator = true;
        e.feature_names_.push_back(absl::StrCat(name, "=<missing>"));
      }
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          "feature '", name, "' is a ", io::DataTypeName(s.type),
          " column without categories: declare its \"categories\" in the schema or drop it"));
    }
    e.columns_.push_back(std::move(col));
  }
  return e;
}

int64_t TabularEncoder::num_outputs() const {
  return task_ == TaskKind::kClassification ? static_cast<int64_t>(classes_.size()) : 1;
}

absl::StatusOr<std::vector<const io::Column*>> TabularEncoder::FeatureColumns(
    const io::Table& table, const std::string& source) const {
  std::vector<const io::Column*> cols;
  for (const Column& c : columns_) {
    auto col = table.ColumnByName(c.name);
    if (!col.ok()) return absl::NotFoundError(absl::StrCat(source, ": ", col.status().message()));
    if (!c.categorical && (*col)->type() == io::DataType::kString) {
      return DataError(absl::StrCat(source, ": column '", c.name,
                                    "' holds text but the schema declares it numeric"));
    }
    cols.push_back(*col);
  }
  return cols;
}

bool TabularEncoder::EncodeTarget(const io::Column& t, int64_t row, double* y,
                                  std::string* problem) const {
  if (task_ == TaskKind::kClassification) {
    std::string label = CellText(t, row);
    auto it = class_index_.find(label);
    if (it == class_index_.end() && !label.empty() && label.back() == '.') {
      it = class_index_.find(label.substr(0, label.size() - 1));
    }
    if (it == class_index_.end()) {
      *problem = absl::StrCat("target '", target_, "' value '", label,
                              "' is not one of the declared classes (",
                              absl::StrJoin(classes_, ", "),
                              "); add it to the schema's categories or fix the row");
      return false;
    }
    *y = static_cast<double>(it->second);
    return true;
  }
  double v = t.NumericAt(row);
  if (!std::isfinite(v)) {
    *problem = absl::StrCat("target '", target_, "' is not a finite number");
    return false;
  }
  if (scale_target_) {
    v = (std::clamp(v, *target_schema_.lower, *target_schema_.upper) - target_offset_) /
        target_scale_;
  }
  *y = v;
  return true;
}

bool TabularEncoder::EncodeFeatures(const std::vector<const io::Column*>& cols, int64_t row,
                                    std::vector<float>& out, std::string* problem) const {
  for (size_t j = 0; j < columns_.size(); ++j) {
    const Column& c = columns_[j];
    const io::Column& col = *cols[j];
    const bool is_null = col.IsNull(row);
    if (c.categorical) {
      int slot = c.num_categories;  // other / missing
      if (!is_null) {
        auto it = c.index.find(CellText(col, row));
        if (it != c.index.end()) slot = it->second;
      }
      for (int k = 0; k <= c.num_categories; ++k) out.push_back(k == slot ? 1.0f : 0.0f);
      continue;
    }
    const double v = is_null ? NAN : col.NumericAt(row);
    const bool missing = !std::isfinite(v);
    if (missing && !c.missing_indicator) {
      *problem = absl::StrCat("column '", c.name,
                              "' is missing or not finite but the schema says it is not nullable");
      return false;
    }
    double scaled = 0;
    if (!missing && c.upper > c.lower) {
      scaled = 2 * (std::clamp(v, c.lower, c.upper) - c.lower) / (c.upper - c.lower) - 1;
    }
    out.push_back(static_cast<float>(scaled));
    if (c.missing_indicator) out.push_back(missing ? 1.0f : 0.0f);
  }
  return true;
}

absl::StatusOr<EncodedData> TabularEncoder::Encode(const io::Table& table,
                                                   const std::string& source,
                                                   EncodeRows rows) const {
  DPKIT_ASSIGN_OR_RETURN(std::vector<const io::Column*> cols, FeatureColumns(table, source));
  auto tcol_or = table.ColumnByName(target_);
  if (!tcol_or.ok()) return absl::NotFoundError(absl::StrCat(source, ": ", tcol_or.status().message()));
  const io::Column& tcol = **tcol_or;
  if (task_ == TaskKind::kRegression && !IsNumericType(tcol.type())) {
    return absl::InvalidArgumentError(absl::StrCat(
        source, ": target '", target_, "' is ", io::DataTypeName(tcol.type()),
        ", not numeric: regression needs a numeric target"));
  }
  EncodedData out;
  std::vector<float> x, row_x, y;
  x.reserve(static_cast<size_t>(table.num_rows() * num_features()));
  for (int64_t r = 0; r < table.num_rows(); ++r) {
    double target = 0;
    std::string problem;
    row_x.clear();
    if (tcol.IsNull(r)) {
      ++out.dropped_rows;
      continue;
    }
    if (!EncodeTarget(tcol, r, &target, &problem) || !EncodeFeatures(cols, r, row_x, &problem)) {
      if (rows == EncodeRows::kOwner) {
        return DataError(absl::StrCat(source, ": row ", r + 1, ": ", problem));
      }
      ++out.dropped_rows;
      continue;
    }
    x.insert(x.end(), row_x.begin(), row_x.end());
    y.push_back(static_cast<float>(target));
  }
  const int64_t n = static_cast<int64_t>(y.size());
  out.x = torch::from_blob(x.data(), {n, num_features()}, torch::kFloat).clone();
  out.y = torch::from_blob(y.data(), {n}, torch::kFloat).clone();
  if (task_ == TaskKind::kClassification) out.y = out.y.to(torch::kLong);
  return out;
}

absl::StatusOr<nn::Sequential> BuildModel(const std::string& spec, int64_t num_inputs,
                                          int64_t num_outputs) {
  std::vector<std::string> parts = absl::StrSplit(spec, ':');
  std::vector<int64_t> hidden;
  std::string act = "relu";
  auto bad = [&](const std::string& why) {
    return absl::InvalidArgumentError(absl::StrCat(
        "model '", spec, "': ", why, "; use 'linear' or 'mlp:H1,H2,...[:relu|tanh|gelu|silu]', "
        "e.g. mlp:64,64"));
  };
  if (parts[0] == "linear" || parts[0] == "logreg") {
    if (parts.size() != 1) return bad("linear takes no arguments");
  } else if (parts[0] == "mlp") {
    if (parts.size() < 2 || parts.size() > 3) return bad("expected hidden sizes");
    for (absl::string_view h : absl::StrSplit(parts[1], ',')) {
      int64_t v;
      if (!absl::SimpleAtoi(h, &v) || v < 1 || v > 1000000) {
        return bad(absl::StrCat("hidden size '", std::string(h), "' is not an integer in [1, 1e6]"));
      }
      hidden.push_back(v);
    }
    if (parts.size() == 3) act = parts[2];
  } else {
    return bad("unknown model type");
  }
  nn::Sequential m;
  int64_t in = num_inputs;
  for (int64_t h : hidden) {
    m->push_back(nn::Linear(in, h));
    if (act == "relu") {
      m->push_back(nn::ReLU());
    } else if (act == "tanh") {
      m->push_back(nn::Tanh());
    } else if (act == "gelu") {
      m->push_back(nn::GELU());
    } else if (act == "silu") {
      m->push_back(nn::SiLU());
    } else {
      return bad(absl::StrCat("unknown activation '", act, "'"));
    }
    in = h;
  }
  m->push_back(nn::Linear(in, num_outputs));
  return m;
}

}  // namespace dpkit::train
