#include "dpkit/pii/replace.h"

#include <set>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "dpkit/base/status.h"
#include "dpkit/pii/detectors.h"
#include "nlohmann/json.hpp"

namespace dpkit::pii {
namespace {

using Json = nlohmann::json;

absl::StatusOr<Operator> ParseOperator(const Json& j, const std::string& where) {
  Operator op;
  if (j.is_string()) {
    absl::StatusOr<OperatorKind> k = ParseOperatorKind(j.get<std::string>());
    if (!k.ok()) return absl::InvalidArgumentError(absl::StrCat(where, ": ", k.status().message()));
    op.kind = *k;
    return op;
  }
  if (!j.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": expected an operator name or an object {\"operator\": ...}, got ",
                     j.dump()));
  }
  if (!j.contains("operator") || !j["operator"].is_string()) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": missing \"operator\" (a string)"));
  }
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& k = it.key();
    const Json& v = it.value();
    auto need_int = [&](int* out) -> absl::Status {
      if (!v.is_number_integer()) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, ".", k, " must be an integer, got ", v.dump()));
      }
      *out = v.get<int>();
      return absl::OkStatus();
    };
    if (k == "operator") {
      absl::StatusOr<OperatorKind> kind = ParseOperatorKind(v.get<std::string>());
      if (!kind.ok()) return absl::InvalidArgumentError(absl::StrCat(where, ": ", kind.status().message()));
      op.kind = *kind;
    } else if (k == "token") {
      if (!v.is_string()) return absl::InvalidArgumentError(absl::StrCat(where, ".token must be a string"));
      op.token = v.get<std::string>();
    } else if (k == "keep_first") {
      DPKIT_RETURN_IF_ERROR(need_int(&op.keep_first));
    } else if (k == "keep_last") {
      DPKIT_RETURN_IF_ERROR(need_int(&op.keep_last));
    } else if (k == "hash_length") {
      DPKIT_RETURN_IF_ERROR(need_int(&op.hash_length));
    } else if (k == "mask_char") {
      if (!v.is_string() || v.get<std::string>().size() != 1) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, ".mask_char must be a one-character string, got ", v.dump()));
      }
      op.mask_char = v.get<std::string>()[0];
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          where, ": unknown field '", k,
          "' (operator fields: operator, token, keep_first, keep_last, mask_char, hash_length)"));
    }
  }
  absl::Status st = op.Validate();
  if (!st.ok()) return absl::InvalidArgumentError(absl::StrCat(where, ": ", st.message()));
  return op;
}

Json OperatorJson(const Operator& op) {
  Json j = {{"operator", OperatorKindName(op.kind)}};
  if (op.kind == OperatorKind::kRedact && !op.token.empty()) j["token"] = op.token;
  if (op.kind == OperatorKind::kMask) {
    j["keep_first"] = op.keep_first;
    j["keep_last"] = op.keep_last;
    j["mask_char"] = std::string(1, op.mask_char);
  }
  if (op.kind == OperatorKind::kHash) j["hash_length"] = op.hash_length;
  return j;
}

const Operator& KeepOp() {
  static const Operator* op = new Operator(Operator::Of(OperatorKind::kKeep));
  return *op;
}

}  // namespace

Policy Policy::Default() {
  Policy p;
  for (EntityType t : {EntityType::kPerson, EntityType::kEmail, EntityType::kPhone,
                       EntityType::kStreetAddress, EntityType::kCreditCard, EntityType::kUsSsn,
                       EntityType::kIban, EntityType::kIpAddress, EntityType::kUrl,
                       EntityType::kDateOfBirth}) {
    p.entities[t] = Operator::Of(OperatorKind::kPseudonym);
  }
  p.entities[EntityType::kDate] = Operator::Of(OperatorKind::kKeep);
  p.entities[EntityType::kZipCode] = Operator::Of(OperatorKind::kKeep);
  return p;
}

absl::StatusOr<Policy> Policy::FromJson(std::string_view json, std::string_view source) {
  const std::string src(source);
  Json j = Json::parse(json.begin(), json.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    return absl::InvalidArgumentError(
        absl::StrCat(src, ": not valid JSON; see docs/pii.md for the policy format"));
  }
  if (!j.is_object()) return absl::InvalidArgumentError(absl::StrCat(src, ": expected a JSON object"));
  Policy p = Default();
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& k = it.key();
    const Json& v = it.value();
    if (k == "columns") {
      if (!v.is_object()) return absl::InvalidArgumentError(absl::StrCat(src, ": \"columns\" must be an object"));
      for (auto c = v.begin(); c != v.end(); ++c) {
        DPKIT_ASSIGN_OR_RETURN(p.columns[c.key()],
                               ParseOperator(c.value(), absl::StrCat(src, ": columns.", c.key())));
      }
    } else if (k == "entities") {
      if (!v.is_object()) return absl::InvalidArgumentError(absl::StrCat(src, ": \"entities\" must be an object"));
      for (auto e = v.begin(); e != v.end(); ++e) {
        absl::StatusOr<EntityType> t = ParseEntityType(e.key());
        if (!t.ok()) return absl::InvalidArgumentError(absl::StrCat(src, ": entities: ", t.status().message()));
        DPKIT_ASSIGN_OR_RETURN(Operator op,
                               ParseOperator(e.value(), absl::StrCat(src, ": entities.", e.key())));
        if (op.kind == OperatorKind::kSpans) {
          return absl::InvalidArgumentError(absl::StrCat(src, ": entities.", e.key(),
                                                         ": 'spans' applies to columns only"));
        }
        p.entities[*t] = op;
      }
    } else if (k == "quasi_identifiers") {
      DPKIT_ASSIGN_OR_RETURN(p.quasi_identifiers, ParseOperator(v, absl::StrCat(src, ": ", k)));
    } else if (k == "unmatched_identifiers") {
      DPKIT_ASSIGN_OR_RETURN(p.unmatched_identifiers, ParseOperator(v, absl::StrCat(src, ": ", k)));
    } else if (k == "free_text") {
      DPKIT_ASSIGN_OR_RETURN(p.free_text, ParseOperator(v, absl::StrCat(src, ": ", k)));
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          src, ": unknown key '", k,
          "' (allowed: columns, entities, quasi_identifiers, unmatched_identifiers, free_text)"));
    }
  }
  return p;
}

absl::StatusOr<Policy> Policy::Load(const std::string& path, Env* env) {
  if (!env->FileExists(path)) {
    return absl::NotFoundError(absl::StrCat("policy file '", path,
                                            "' does not exist; see docs/pii.md for the format"));
  }
  DPKIT_ASSIGN_OR_RETURN(std::string text, env->ReadFile(path));
  return FromJson(text, path);
}

const Operator& Policy::ForEntity(EntityType type) const {
  auto it = entities.find(type);
  return it == entities.end() ? KeepOp() : it->second;
}

bool Policy::NeedsKey() const {
  if (quasi_identifiers.NeedsKey() || unmatched_identifiers.NeedsKey() || free_text.NeedsKey()) return true;
  for (const auto& [c, op] : columns) {
    if (op.NeedsKey()) return true;
  }
  for (const auto& [t, op] : entities) {
    if (op.NeedsKey()) return true;
  }
  return false;
}

std::string Policy::ToJson() const {
  Json j;
  j["columns"] = Json::object();
  for (const auto& [c, op] : columns) j["columns"][c] = OperatorJson(op);
  j["entities"] = Json::object();
  for (const auto& [t, op] : entities) j["entities"][EntityTypeName(t)] = OperatorJson(op);
  j["quasi_identifiers"] = OperatorJson(quasi_identifiers);
  j["unmatched_identifiers"] = OperatorJson(unmatched_identifiers);
  j["free_text"] = OperatorJson(free_text);
  return j.dump(2);
}

std::string ReplaceResult::ToJson() const {
  Json j;
  j["rows"] = table.num_rows();
  j["actions"] = Json::array();
  for (const auto& a : actions) {
    j["actions"].push_back({{"column", a.column},
                            {"action", a.action},
                            {"why", a.why},
                            {"cells_changed", a.cells_changed},
                            {"spans_replaced", a.spans_replaced}});
  }
  j["privacy_unit"] = privacy_unit ? Json(*privacy_unit) : Json(nullptr);
  j["scan"] = Json::parse(scan.ToJson());
  return j.dump(2);
}

absl::StatusOr<io::Table> ReadCsvAsText(const std::string& path, Env* env) {
  io::CsvReadOptions header_only;
  header_only.max_rows = 0;
  DPKIT_ASSIGN_OR_RETURN(io::Table head, io::ReadCsv(path, header_only, env));
  io::Schema schema;
  for (const std::string& name : head.ColumnNames()) {
    io::ColumnSchema c;
    c.name = name;
    c.type = io::DataType::kString;
    schema.columns.push_back(c);
  }
  io::CsvReadOptions options;
  options.schema = schema;
  options.num_threads = 2;
  return io::ReadCsv(path, options, env);
}

absl::StatusOr<ReplaceResult> ReplacePii(const io::Table& input, const ReplaceOptions& options) {
  const Policy& policy = options.policy;
  for (const auto& [name, op] : policy.columns) {
    if (!input.HasColumn(name)) {
      return absl::NotFoundError(absl::StrCat("unknown column '", name, "' in policy (available: ",
                                              absl::StrJoin(input.ColumnNames(), ", "), ")"));
    }
  }
  ReplaceResult result;
  result.scan = ScanTable(input, options.scan);
  Anonymizer anonymizer(options.key, options.rng);
  std::vector<io::Column> out_cols;
  std::string unit = result.scan.privacy_unit ? result.scan.privacy_unit->column : "";
  for (int ci = 0; ci < input.num_columns(); ++ci) {
    const io::Column& col = input.column(ci);
    const ColumnScan& scan = result.scan.columns[ci];
    ColumnAction action;
    action.column = col.name();
    Operator op;
    EntityType type = scan.entity;
    auto it = policy.columns.find(col.name());
    if (it != policy.columns.end()) {
      op = it->second;
      action.why = "policy column entry";
      if (op.kind == OperatorKind::kSpans && !scan.free_text) type = EntityType::kNone;
    } else if (scan.free_text && scan.column_class == ColumnClass::kIdentifier) {
      op = policy.free_text;
      action.why = absl::StrFormat("free text with PII (conf %.2f)", scan.confidence);
    } else if (scan.column_class == ColumnClass::kIdentifier) {
      if (type != EntityType::kNone) {
        op = policy.ForEntity(type);
      } else {
        op = policy.unmatched_identifiers;
      }
      action.why = absl::StrFormat("identifier (%s, conf %.2f)", EntityTypeName(type), scan.confidence);
    } else if (scan.column_class == ColumnClass::kQuasiIdentifier) {
      op = policy.quasi_identifiers;
      action.why = absl::StrFormat("quasi-identifier (conf %.2f)", scan.confidence);
    } else {
      op = Operator::Of(OperatorKind::kKeep);
      action.why = "safe";
    }
    if (op.kind == OperatorKind::kSpans) {
      action.action = "spans";
    } else {
      action.action = type != EntityType::kNone && op.kind != OperatorKind::kKeep &&
                              op.kind != OperatorKind::kDrop
                          ? absl::StrCat(op.ToString(), " (", EntityTypeName(type), ")")
                          : op.ToString();
    }
    if (op.kind == OperatorKind::kDrop) {
      if (col.name() == unit) unit.clear();
      result.actions.push_back(action);
      continue;
    }
    if (op.kind == OperatorKind::kKeep) {
      out_cols.push_back(col);
      result.actions.push_back(action);
      continue;
    }
    if (col.name() == unit && (op.kind == OperatorKind::kFake || op.kind == OperatorKind::kRedact ||
                               op.kind == OperatorKind::kMask)) {
      unit.clear();  // no longer one value per person
    }
    // Replace cell by cell; keyed operators are deterministic, so cache per distinct value.
    const bool cacheable = op.kind != OperatorKind::kFake;
    absl::flat_hash_map<std::string, std::string> cache;
    std::vector<std::string> values(col.size());
    std::vector<uint8_t> valid;
    if (col.has_nulls()) valid.assign(col.size(), 1);
    for (int64_t r = 0; r < col.size(); ++r) {
      if (col.IsNull(r)) {
        valid[r] = 0;
        continue;
      }
      std::string v = col.type() == io::DataType::kString ? col.StringAt(r) : col.FormatValue(r);
      if (cacheable) {
        auto c = cache.find(v);
        if (c != cache.end()) {
          if (c->second != v) ++action.cells_changed;
          values[r] = c->second;
          continue;
        }
      }
      std::string replaced;
      if (op.kind == OperatorKind::kSpans) {
        std::vector<Span> spans = DetectEntities(v);
        std::vector<Span> kept;
        for (const Span& s : spans) {
          if (policy.ForEntity(s.type).kind != OperatorKind::kKeep) kept.push_back(s);
        }
        action.spans_replaced += static_cast<int64_t>(kept.size());
        DPKIT_ASSIGN_OR_RETURN(replaced, anonymizer.ReplaceSpans(v, kept, [&](EntityType t) -> const Operator& {
                                 return policy.ForEntity(t);
                               }));
      } else {
        absl::StatusOr<std::string> rep = anonymizer.Apply(op, type, v);
        if (!rep.ok()) {
          return absl::Status(rep.status().code(),
                              absl::StrCat("column '", col.name(), "': ", rep.status().message()));
        }
        replaced = *std::move(rep);
      }
      if (replaced != v) ++action.cells_changed;
      if (cacheable) cache.emplace(v, replaced);
      values[r] = std::move(replaced);
    }
    out_cols.push_back(io::Column::String(col.name(), values, std::move(valid)));
    result.actions.push_back(action);
  }
  DPKIT_ASSIGN_OR_RETURN(result.table, io::Table::Make(std::move(out_cols)));
  if (!unit.empty()) result.privacy_unit = unit;
  return result;
}

}  // namespace dpkit::pii
