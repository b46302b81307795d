#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "dpkit/base/status.h"
#include "dpkit/pii/scan.h"
#include "dpkit/synth/derived_columns.h"
#include "pipeline/internal.h"

namespace dpkit::pipeline::internal {
namespace {

bool IsDirectIdentifier(pii::EntityType e) {
  return e != pii::EntityType::kNone && e != pii::EntityType::kDate &&
         e != pii::EntityType::kDateOfBirth && e != pii::EntityType::kZipCode;
}

// A schema's "pii" key: "free_text", an entity type name, or "identifier" (a generic id).
absl::StatusOr<ColumnRole> RoleFromSchema(const io::ColumnSchema& cs) {
  ColumnRole r{cs.name};
  if (cs.pii == "none") return r;  // explicitly not personal data: modelled
  if (cs.pii == "free_text") {
    r.role = Role::kDrop;
    return r;
  }
  if (cs.pii == "identifier") {
    r.role = Role::kFake;
    return r;
  }
  absl::StatusOr<pii::EntityType> e = pii::ParseEntityType(cs.pii);
  if (!e.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "column '", cs.name, "': unknown \"pii\" value '", cs.pii,
        "' (use an entity type such as email, phone, person, credit_card, street_address, "
        "zip_code, date_of_birth, or \"identifier\", \"free_text\", \"none\")"));
  }
  r.entity = *e;
  if (*e == pii::EntityType::kZipCode) r.role = Role::kModelZip3;
  else if (IsDirectIdentifier(*e)) r.role = Role::kFake;
  return r;
}

ColumnRole RoleFromHeader(const std::string& name) {
  const pii::HeaderRole h = pii::ClassifyHeader(name);
  ColumnRole r{name};
  r.entity = h.entity;
  if (h.entity == pii::EntityType::kZipCode) {
    r.role = Role::kModelZip3;
  } else if (h.column_class == pii::ColumnClass::kIdentifier) {
    r.role = Role::kFake;
  }
  return r;
}

// A derived column's date columns must be synthesised for it to be computed from them.
absl::Status CheckDerivedSources(const io::Schema& schema, const ColumnRoles& roles) {
  const std::vector<std::string> modelled = roles.Modelled();
  for (const ColumnRole& r : roles.columns) {
    if (r.role != Role::kDerive) continue;
    DPKIT_RETURN_IF_ERROR(synth::CheckDatesModelled(*schema.Find(r.name), modelled));
  }
  return absl::OkStatus();
}

}  // namespace

std::vector<std::string> ColumnRoles::Names(Role role) const {
  std::vector<std::string> out;
  for (const ColumnRole& c : columns) {
    if (c.role == role) out.push_back(c.name);
  }
  return out;
}

std::vector<std::string> ColumnRoles::Modelled() const {
  std::vector<std::string> out;
  for (const ColumnRole& c : columns) {
    if (c.role == Role::kModel || c.role == Role::kModelZip3) out.push_back(c.name);
  }
  return out;
}

std::string GeneraliseZip(const std::string& z) {
  return z.size() >= 3 ? z.substr(0, 3) + std::string(z.size() - 3, '*') : z;
}

absl::StatusOr<ColumnRoles> PlanColumnRoles(const std::vector<std::string>& header,
                                            const io::Schema& schema, const std::string& unit) {
  ColumnRoles roles;
  roles.unit = unit;
  if (!unit.empty() && std::find(header.begin(), header.end(), unit) == header.end()) {
    return absl::InvalidArgumentError(
        absl::StrCat("privacy unit column '", unit, "' is not in the data's header"));
  }
  std::vector<std::string> by_header;
  for (const std::string& name : header) {
    if (name == unit) continue;
    const io::ColumnSchema* cs = schema.Find(name);
    if (cs != nullptr && cs->derived.has_value()) {
      roles.columns.push_back({.name = name, .role = Role::kDerive});
      continue;
    }
    if (cs != nullptr && !cs->pii.empty()) {
      DPKIT_ASSIGN_OR_RETURN(ColumnRole r, RoleFromSchema(*cs));
      roles.columns.push_back(std::move(r));
      continue;
    }
    ColumnRole r = RoleFromHeader(name);
    if (r.role != Role::kModel && cs == nullptr) {
      by_header.push_back(absl::StrCat("'", name, "'"));
    }
    roles.columns.push_back(std::move(r));
  }
  if (!by_header.empty()) {
    roles.notes.push_back(absl::StrCat(
        "column role(s) of ", absl::StrJoin(by_header, ", "),
        " taken from the header names (public default: identifiers faked, postal codes kept at "
        "3 digits); declare \"pii\" in a schema to change them"));
  }
  if (roles.Modelled().empty()) {
    return absl::InvalidArgumentError(
        "no column left to synthesise: every column is an identifier or free text");
  }
  DPKIT_RETURN_IF_ERROR(CheckDerivedSources(schema, roles));
  return roles;
}

}  // namespace dpkit::pipeline::internal
