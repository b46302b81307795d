#include "dpkit/train/tabular.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <sstream>
#include <unordered_map>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "dpkit/base/env.h"
#include "dpkit/base/status.h"
#include "dpkit/base/validation.h"
#include "dpkit/train/dp_sgd.h"
#include "dpkit/train/privacy.h"
#include "train/torch_util.h"

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

absl::StatusOr<EncodedData> TabularEncoder::Encode(const io::Table& table,
                                                   const std::string& source) const {
  std::vector<const io::Column*> cols;
  for (const Column& c : columns_) {
    auto col = table.ColumnByName(c.name);
    if (!col.ok()) {
      return absl::NotFoundError(absl::StrCat(source, ": ", col.status().message()));
    }
    cols.push_back(*col);
  }
  auto tcol_or = table.ColumnByName(target_);
  if (!tcol_or.ok()) return absl::NotFoundError(absl::StrCat(source, ": ", tcol_or.status().message()));
  const io::Column& tcol = **tcol_or;
  if (task_ == TaskKind::kRegression && !IsNumericType(tcol.type())) {
    return absl::InvalidArgumentError(absl::StrCat(
        source, ": target '", target_, "' is ", io::DataTypeName(tcol.type()),
        ", not numeric: regression needs a numeric target"));
  }
  std::unordered_map<std::string, int64_t> class_index;
  for (size_t i = 0; i < classes_.size(); ++i) class_index.emplace(classes_[i], i);

  const int64_t F = num_features();
  std::vector<float> x;
  std::vector<int64_t> y_class;
  std::vector<float> y_reg;
  x.reserve(static_cast<size_t>(table.num_rows() * F));
  EncodedData out;
  for (int64_t r = 0; r < table.num_rows(); ++r) {
    if (tcol.IsNull(r)) {
      ++out.dropped_rows;
      continue;
    }
    if (task_ == TaskKind::kClassification) {
      std::string label = CellText(tcol, r);
      auto it = class_index.find(label);
      if (it == class_index.end() && !label.empty() && label.back() == '.') {
        it = class_index.find(label.substr(0, label.size() - 1));
      }
      if (it == class_index.end()) {
        return DataError(absl::StrCat(source, ": row ", r + 1, ": target '", target_, "' value '",
                                      label, "' is not one of the declared classes (",
                                      absl::StrJoin(classes_, ", "),
                                      "); add it to the schema's categories or fix the row"));
      }
      y_class.push_back(it->second);
    } else {
      double v = tcol.NumericAt(r);
      if (!std::isfinite(v)) {
        return DataError(absl::StrCat(source, ": row ", r + 1, ": target '", target_,
                                      "' is not a finite number"));
      }
      if (scale_target_) {
        v = std::clamp(v, *target_schema_.lower, *target_schema_.upper);
        v = (v - target_offset_) / target_scale_;
      }
      y_reg.push_back(static_cast<float>(v));
    }
    for (size_t j = 0; j < columns_.size(); ++j) {
      const Column& c = columns_[j];
      const io::Column& col = *cols[j];
      const bool is_null = col.IsNull(r);
      if (c.categorical) {
        int slot = c.num_categories;  // other / missing
        if (!is_null) {
          auto it = c.index.find(CellText(col, r));
          if (it != c.index.end()) slot = it->second;
        }
        for (int k = 0; k <= c.num_categories; ++k) x.push_back(k == slot ? 1.0f : 0.0f);
      } else {
        double v = is_null ? NAN : col.NumericAt(r);
        if (col.type() == io::DataType::kString) {
          return DataError(absl::StrCat(source, ": column '", c.name,
                                        "' holds text but the schema declares it numeric"));
        }
        const bool missing = !std::isfinite(v);
        if (missing && !c.missing_indicator) {
          return DataError(absl::StrCat(source, ": row ", r + 1, ": column '", c.name,
                                        "' is missing or not finite but the schema says it is "
                                        "not nullable"));
        }
        double scaled = 0;
        if (!missing && c.upper > c.lower) {
          scaled = 2 * (std::clamp(v, c.lower, c.upper) - c.lower) / (c.upper - c.lower) - 1;
        }
        x.push_back(static_cast<float>(scaled));
        if (c.missing_indicator) x.push_back(missing ? 1.0f : 0.0f);
      }
    }
  }
  const int64_t n = table.num_rows() - out.dropped_rows;
  out.x = torch::from_blob(x.data(), {n, F}, torch::kFloat).clone();
  if (task_ == TaskKind::kClassification) {
    out.y = torch::from_blob(y_class.data(), {n}, torch::kLong).clone();
  } else {
    out.y = torch::from_blob(y_reg.data(), {n}, torch::kFloat).clone();
  }
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

absl::StatusOr<TrainingPlan> PlanTraining(const TrainingOptions& o, int64_t num_train) {
  DPKIT_RETURN_IF_ERROR(ValidatePositiveFinite("epsilon", o.epsilon));
  DPKIT_RETURN_IF_ERROR(ValidateDelta("delta", o.delta, /*allow_zero=*/false));
  DPKIT_RETURN_IF_ERROR(ValidateAtLeast("epochs", o.epochs, 1));
  DPKIT_RETURN_IF_ERROR(ValidateAtLeast("batch_size", o.batch_size, 1));
  DPKIT_RETURN_IF_ERROR(ValidatePositiveFinite("clip", o.max_grad_norm));
  DPKIT_RETURN_IF_ERROR(ValidatePositiveFinite("lr", o.learning_rate));
  if (o.optimizer != "sgd" && o.optimizer != "adam") {
    return absl::InvalidArgumentError(
        absl::StrCat("optimizer must be sgd or adam, got '", o.optimizer, "'"));
  }
  if (num_train < 2) {
    return absl::FailedPreconditionError(
        absl::StrCat("the training set has ", num_train, " rows; DP-SGD needs at least 2"));
  }
  if (o.batch_size > num_train) {
    return absl::InvalidArgumentError(absl::StrCat("batch size ", o.batch_size,
                                                   " exceeds the number of training rows (",
                                                   num_train, ")"));
  }
  if (o.delta >= 1.0 / static_cast<double>(num_train)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "delta ", FormatDouble(o.delta), " is not below 1/N = ",
        FormatDouble(1.0 / num_train), " for N = ", num_train,
        " training rows: such a delta allows leaking a whole row; use delta < 1/N (e.g. ",
        FormatDouble(std::pow(10, std::floor(std::log10(0.1 / num_train)))), ")"));
  }
  TrainingPlan p;
  p.sampling_rate = static_cast<double>(o.batch_size) / static_cast<double>(num_train);
  p.steps_per_epoch = std::max<int64_t>(1, std::llround(1.0 / p.sampling_rate));
  p.steps = p.steps_per_epoch * o.epochs;
  CalibrationOptions c{.target_epsilon = o.epsilon, .delta = o.delta,
                       .sampling_rate = p.sampling_rate, .steps = p.steps,
                       .accountant = o.accountant, .max_noise_multiplier = o.max_noise_multiplier};
  auto cal = CalibrateNoiseMultiplier(c);
  if (!cal.ok()) {
    if (cal.status().code() != absl::StatusCode::kInvalidArgument) return cal.status();
    DPKIT_ASSIGN_OR_RETURN(double min_eps, DpSgdEpsilon(o.max_noise_multiplier, p.sampling_rate,
                                                        p.steps, o.delta, o.accountant));
    DPKIT_ASSIGN_OR_RETURN(int64_t max_steps,
                           MaxStepsWithinBudget(o.max_noise_multiplier, p.sampling_rate, o.epsilon,
                                                o.delta, p.steps, o.accountant));
    const int64_t max_epochs = max_steps / p.steps_per_epoch;
    return absl::InvalidArgumentError(absl::StrCat(
        "epsilon ", FormatDouble(o.epsilon), " is too small for ", o.epochs, " epochs at batch size ",
        o.batch_size, " on ", num_train, " rows (delta ", FormatDouble(o.delta),
        "): it would need a noise multiplier above ", FormatDouble(o.max_noise_multiplier),
        ". The smallest feasible epsilon for these settings is ", absl::StrFormat("%.4g", min_eps),
        max_epochs >= 1 ? absl::StrCat("; or train at most ", max_epochs, " epochs")
                        : std::string("; or use a smaller batch size or more data")));
  }
  p.noise_multiplier = cal->noise_multiplier;
  p.planned_epsilon = cal->epsilon;
  return p;
}

namespace {

struct EvalMetrics {
  double loss = -1, accuracy = -1, rmse = -1;
};

EvalMetrics Evaluate(nn::Sequential& model, const EncodedData& eval, TaskKind task,
                     double target_scale) {
  EvalMetrics m;
  if (!eval.x.defined() || eval.x.size(0) == 0) return m;
  torch::NoGradGuard guard;
  model->eval();
  torch::Tensor out = model->forward(eval.x);
  if (task == TaskKind::kClassification) {
    m.loss = CrossEntropyLoss()(out, eval.y).mean().item<double>();
    m.accuracy = out.argmax(1).eq(eval.y).to(torch::kDouble).mean().item<double>();
  } else {
    torch::Tensor se = MseLoss()(out, eval.y);
    m.loss = se.mean().item<double>();
    m.rmse = std::sqrt(m.loss) * target_scale;
  }
  model->train();
  return m;
}

}  // namespace

absl::StatusOr<TrainingResult> RunTraining(const TrainingPlan& plan, const TrainingOptions& o,
                                           nn::Sequential model, const EncodedData& train,
                                           const EncodedData& eval, TaskKind task,
                                           double target_scale, random::BitGenerator& gen,
                                           const std::function<absl::Status(const PrivacyMap&)>& charge,
                                           const std::function<void(const Progress&)>& on_step,
                                           const std::function<void(const EpochReport&)>& on_epoch) {
  return GuardTorch("training", [&]() -> absl::StatusOr<TrainingResult> {
    const int64_t n = train.x.size(0);
    std::unique_ptr<torch::optim::Optimizer> opt;
    if (o.optimizer == "adam") {
      opt = std::make_unique<torch::optim::Adam>(model->parameters(),
                                                 torch::optim::AdamOptions(o.learning_rate));
    } else {
      opt = std::make_unique<torch::optim::SGD>(
          model->parameters(), torch::optim::SGDOptions(o.learning_rate).momentum(o.momentum));
    }
    DpSgdOptions dpo{.noise_multiplier = plan.noise_multiplier,
                     .sampling_rate = plan.sampling_rate,
                     .max_steps = plan.steps,
                     .clipping = {.max_grad_norm = o.max_grad_norm,
                                  .mode = o.clipping_mode,
                                  .per_layer_max_grad_norms = {}},
                     .max_physical_batch_size = o.max_physical_batch_size};
    DPKIT_ASSIGN_OR_RETURN(auto engine, DpSgdEngine::Create(model, *opt, dpo, n, gen));
    PerExampleLoss loss = task == TaskKind::kClassification ? CrossEntropyLoss() : MseLoss();
    TrainingResult result;
    result.effective_noise_multiplier = engine->effective_noise_multiplier();
    result.grid_granularity = engine->noise()->granularity();
    result.sensitivity_inflation = engine->noise()->sensitivity_inflation();
    result.num_parameters = engine->grad_sample().num_parameters();
    DPKIT_ASSIGN_OR_RETURN(result.privacy, engine->PlannedPrivacy());
    if (charge) DPKIT_RETURN_IF_ERROR(charge(result.privacy));
    DPKIT_ASSIGN_OR_RETURN(auto curve,
                           DpSgdEpsilonCurve::Create(result.effective_noise_multiplier,
                                                     plan.sampling_rate, o.accountant));
    model->train();
    const int64_t epochs = plan.steps / plan.steps_per_epoch;
    for (int64_t epoch = 1; epoch <= epochs; ++epoch) {
      auto start = std::chrono::steady_clock::now();
      for (int64_t s = 0; s < plan.steps_per_epoch; ++s) {
        DPKIT_ASSIGN_OR_RETURN(StepResult r, engine->Step(train.x, train.y, loss));
        (void)r;
        if (on_step) on_step({epoch, epochs, s + 1, plan.steps_per_epoch});
      }
      EpochReport rep;
      rep.epoch = epoch;
      rep.steps = engine->steps_taken();
      rep.seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      EvalMetrics m = Evaluate(model, eval, task, target_scale);
      rep.eval_loss = m.loss;
      rep.eval_accuracy = m.accuracy;
      rep.eval_rmse = m.rmse;
      DPKIT_ASSIGN_OR_RETURN(rep.epsilon_spent, curve.Epsilon(rep.steps, o.delta));
      result.epochs.push_back(rep);
      if (on_epoch) on_epoch(rep);
    }
    result.epsilon_spent = result.epochs.empty() ? 0 : result.epochs.back().epsilon_spent;
    result.layers = engine->grad_sample().LayerDescriptions();
    return result;
  });
}

absl::Status SaveModel(nn::Sequential model, const std::string& path) {
  std::ostringstream os;
  DPKIT_RETURN_IF_ERROR(GuardTorch("saving the model", [&]() -> absl::Status {
    torch::save(model, os);
    return absl::OkStatus();
  }));
  return Env::Default()->WriteFileAtomically(path, os.str());
}

}  // namespace dpkit::train
