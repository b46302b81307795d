#include "dpkit/report/privacy_guarantee.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "dpkit/base/privacy_map.h"
#include "dpkit/base/status.h"
#include "dpkit/base/validation.h"
#include "nlohmann/json.hpp"

namespace dpkit::report {
namespace {

using nlohmann::json;

std::string Scalar(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "";
  return v.dump();
}

absl::Status Bad(const std::string& source, const std::string& message) {
  return absl::InvalidArgumentError(absl::StrCat("privacy file ", source, ": ", message));
}

}  // namespace

absl::StatusOr<PrivacyGuarantee> PrivacyGuarantee::FromJson(const std::string& text,
                                                            const std::string& source) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    return DataError(absl::StrCat("privacy file ", source,
                                  " is not valid JSON; it should be the dpkit-privacy/1 file "
                                  "written by the synthesizer or pipeline"));
  }
  if (!j.is_object()) return Bad(source, "expected a JSON object at the top level");
  if (!j.contains("format") || !j["format"].is_string() || j["format"] != kPrivacyFormat) {
    return Bad(source, absl::StrCat("\"format\" must be \"", kPrivacyFormat, "\", got ",
                                    j.contains("format") ? j["format"].dump() : "nothing"));
  }
  PrivacyGuarantee g;
  auto number = [&](const char* key, double* out) -> absl::Status {
    if (!j.contains(key)) return Bad(source, absl::StrCat("missing required field \"", key, "\""));
    if (!j[key].is_number()) {
      return Bad(source, absl::StrCat("\"", key, "\" must be a number, got ", j[key].dump()));
    }
    *out = j[key].get<double>();
    return absl::OkStatus();
  };
  auto text_field = [&](const char* key, std::string* out, bool required) -> absl::Status {
    if (!j.contains(key)) {
      return required ? Bad(source, absl::StrCat("missing required field \"", key, "\""))
                      : absl::OkStatus();
    }
    if (!j[key].is_string() || (required && j[key].get<std::string>().empty())) {
      return Bad(source,
                 absl::StrCat("\"", key, "\" must be a non-empty string, got ", j[key].dump()));
    }
    *out = j[key].get<std::string>();
    return absl::OkStatus();
  };
  DPKIT_RETURN_IF_ERROR(number("epsilon", &g.epsilon));
  DPKIT_RETURN_IF_ERROR(number("delta", &g.delta));
  if (absl::Status s = ValidateNonNegativeFinite("epsilon", g.epsilon); !s.ok()) {
    return Bad(source, std::string(s.message()));
  }
  if (absl::Status s = ValidateDelta("delta", g.delta, /*allow_zero=*/true); !s.ok()) {
    return Bad(source, std::string(s.message()));
  }
  DPKIT_RETURN_IF_ERROR(text_field("privacy_unit", &g.privacy_unit, true));
  DPKIT_RETURN_IF_ERROR(text_field("mechanism", &g.mechanism, true));
  DPKIT_RETURN_IF_ERROR(text_field("accountant", &g.accountant, true));
  DPKIT_RETURN_IF_ERROR(text_field("dataset", &g.dataset, false));
  DPKIT_RETURN_IF_ERROR(text_field("created", &g.created, false));
  if (j.contains("notes")) {
    if (!j["notes"].is_array()) return Bad(source, "\"notes\" must be an array of strings");
    for (const auto& n : j["notes"]) g.notes.push_back(Scalar(n));
  }
  if (j.contains("ledger_entries")) {
    if (!j["ledger_entries"].is_array()) {
      return Bad(source, "\"ledger_entries\" must be an array of objects");
    }
    size_t i = 0;
    for (const auto& e : j["ledger_entries"]) {
      ++i;
      if (!e.is_object()) {
        return Bad(source, absl::StrCat("ledger_entries[", i - 1, "] must be an object, got ",
                                        e.dump()));
      }
      LedgerEntryView v;
      v.raw_json = e.dump();
      if (e.contains("id")) v.id = Scalar(e["id"]);
      if (e.contains("time")) v.time = Scalar(e["time"]);
      if (e.contains("mechanism")) v.mechanism = Scalar(e["mechanism"]);
      if (e.contains("note")) v.note = Scalar(e["note"]);
      for (const char* key : {"epsilon", "delta"}) {
        if (!e.contains(key)) continue;
        if (!e[key].is_number() || !std::isfinite(e[key].get<double>())) {
          return Bad(source, absl::StrCat("ledger_entries[", i - 1, "].", key,
                                          " must be a finite number, got ", e[key].dump()));
        }
        (std::string(key) == "epsilon" ? v.epsilon : v.delta) = e[key].get<double>();
      }
      if (e.contains("privacy_map")) {
        auto pm = PrivacyMap::FromJson(e["privacy_map"].dump());
        if (!pm.ok()) {
          return Bad(source, absl::StrCat("ledger_entries[", i - 1,
                                          "].privacy_map: ", pm.status().message()));
        }
        v.privacy_map = pm->ToString();
        if (v.mechanism.empty()) v.mechanism = pm->mechanism;
      }
      g.ledger_entries.push_back(std::move(v));
    }
  }
  return g;
}

std::string PrivacyGuarantee::ToJson() const {
  json j;
  j["format"] = kPrivacyFormat;
  j["epsilon"] = epsilon;
  j["delta"] = delta;
  j["privacy_unit"] = privacy_unit;
  j["mechanism"] = mechanism;
  j["accountant"] = accountant;
  if (!dataset.empty()) j["dataset"] = dataset;
  if (!created.empty()) j["created"] = created;
  if (!notes.empty()) j["notes"] = notes;
  if (!ledger_entries.empty()) {
    j["ledger_entries"] = json::array();
    for (const auto& e : ledger_entries) {
      json parsed = json::parse(e.raw_json, nullptr, false);
      if (parsed.is_discarded()) {
        parsed = json::object();
        if (!e.id.empty()) parsed["id"] = e.id;
        if (!e.time.empty()) parsed["time"] = e.time;
        if (!e.mechanism.empty()) parsed["mechanism"] = e.mechanism;
        if (e.epsilon) parsed["epsilon"] = *e.epsilon;
        if (e.delta) parsed["delta"] = *e.delta;
        if (!e.note.empty()) parsed["note"] = e.note;
      }
      j["ledger_entries"].push_back(parsed);
    }
  }
  return j.dump(2);
}

}  // namespace dpkit::report
