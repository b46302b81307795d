#include "dpkit/pii/scan.h"

#include <algorithm>
#include <cmath>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "dpkit/pii/detectors.h"
#include "nlohmann/json.hpp"
#include "pii/text_util.h"

namespace dpkit::pii {

using internal::IsAsciiAlnum;
using internal::IsDigit;

const char* ColumnClassName(ColumnClass c) {
  switch (c) {
    case ColumnClass::kIdentifier: return "identifier";
    case ColumnClass::kQuasiIdentifier: return "quasi_identifier";
    case ColumnClass::kSafe: return "safe";
  }
  return "safe";
}

namespace {

// Header tokens: split on non-alphanumerics and lower->upper camelCase boundaries.
std::vector<std::string> HeaderTokens(const std::string& name) {
  std::vector<std::string> out;
  std::string cur;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    if (!IsAsciiAlnum(c)) {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
      continue;
    }
    if (internal::IsAsciiUpper(c) && i > 0 && internal::IsAsciiLower(name[i - 1]) && !cur.empty()) {
      out.push_back(cur);
      cur.clear();
    }
    cur.push_back(internal::ToLower(c));
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

struct Cue {
  const char* key;  // a token, or "+substr" to match inside the joined lower-case header
  ColumnClass cls;
  EntityType entity;
  double weight;
};

// Header cues, most specific first.
constexpr Cue kCues[] = {
    {"+email", ColumnClass::kIdentifier, EntityType::kEmail, 0.9},
    {"mail", ColumnClass::kIdentifier, EntityType::kEmail, 0.8},
    {"+ssn", ColumnClass::kIdentifier, EntityType::kUsSsn, 0.9},
    {"+socialsecurity", ColumnClass::kIdentifier, EntityType::kUsSsn, 0.9},
    {"+nationalid", ColumnClass::kIdentifier, EntityType::kNone, 0.9},
    {"+passport", ColumnClass::kIdentifier, EntityType::kNone, 0.9},
    {"+licen", ColumnClass::kIdentifier, EntityType::kNone, 0.75},
    {"+iban", ColumnClass::kIdentifier, EntityType::kIban, 0.9},
    {"+ccnumber", ColumnClass::kIdentifier, EntityType::kCreditCard, 0.9},
    {"+cardnumber", ColumnClass::kIdentifier, EntityType::kCreditCard, 0.9},
    {"+creditcard", ColumnClass::kIdentifier, EntityType::kCreditCard, 0.9},
    {"+cvv", ColumnClass::kIdentifier, EntityType::kNone, 0.8},
    {"+phone", ColumnClass::kIdentifier, EntityType::kPhone, 0.85},
    {"tel", ColumnClass::kIdentifier, EntityType::kPhone, 0.8},
    {"mobile", ColumnClass::kIdentifier, EntityType::kPhone, 0.8},
    {"cell", ColumnClass::kIdentifier, EntityType::kPhone, 0.7},
    {"fax", ColumnClass::kIdentifier, EntityType::kPhone, 0.8},
    {"+username", ColumnClass::kIdentifier, EntityType::kNone, 0.85},
    {"login", ColumnClass::kIdentifier, EntityType::kNone, 0.8},
    {"+password", ColumnClass::kIdentifier, EntityType::kNone, 0.9},
    {"+maiden", ColumnClass::kIdentifier, EntityType::kPerson, 0.85},
    {"+firstname", ColumnClass::kIdentifier, EntityType::kPerson, 0.8},
    {"+givenname", ColumnClass::kIdentifier, EntityType::kPerson, 0.8},
    {"+lastname", ColumnClass::kIdentifier, EntityType::kPerson, 0.85},
    {"+surname", ColumnClass::kIdentifier, EntityType::kPerson, 0.85},
    {"+fullname", ColumnClass::kIdentifier, EntityType::kPerson, 0.9},
    {"+middle", ColumnClass::kQuasiIdentifier, EntityType::kNone, 0.6},
    {"fname", ColumnClass::kIdentifier, EntityType::kPerson, 0.8},
    {"lname", ColumnClass::kIdentifier, EntityType::kPerson, 0.8},
    {"name", ColumnClass::kIdentifier, EntityType::kPerson, 0.75},
    {"+streetaddress", ColumnClass::kIdentifier, EntityType::kStreetAddress, 0.9},
    {"address", ColumnClass::kIdentifier, EntityType::kStreetAddress, 0.85},
    {"street", ColumnClass::kIdentifier, EntityType::kStreetAddress, 0.85},
    {"ip", ColumnClass::kIdentifier, EntityType::kIpAddress, 0.8},
    {"+ipaddress", ColumnClass::kIdentifier, EntityType::kIpAddress, 0.9},
    {"url", ColumnClass::kIdentifier, EntityType::kUrl, 0.7},
    {"website", ColumnClass::kIdentifier, EntityType::kUrl, 0.7},
    {"domain", ColumnClass::kIdentifier, EntityType::kUrl, 0.6},
    {"guid", ColumnClass::kIdentifier, EntityType::kNone, 0.85},
    {"uuid", ColumnClass::kIdentifier, EntityType::kNone, 0.85},
    {"id", ColumnClass::kIdentifier, EntityType::kNone, 0.8},
    {"+account", ColumnClass::kIdentifier, EntityType::kNone, 0.7},
    {"mtcn", ColumnClass::kIdentifier, EntityType::kNone, 0.75},
    {"ups", ColumnClass::kIdentifier, EntityType::kNone, 0.7},
    {"+tracking", ColumnClass::kIdentifier, EntityType::kNone, 0.7},
    {"vin", ColumnClass::kIdentifier, EntityType::kNone, 0.8},
    {"mrn", ColumnClass::kIdentifier, EntityType::kNone, 0.8},
    {"+birth", ColumnClass::kQuasiIdentifier, EntityType::kDateOfBirth, 0.9},
    {"dob", ColumnClass::kQuasiIdentifier, EntityType::kDateOfBirth, 0.9},
    {"+zip", ColumnClass::kQuasiIdentifier, EntityType::kZipCode, 0.9},
    {"+postcode", ColumnClass::kQuasiIdentifier, EntityType::kZipCode, 0.9},
    {"+postal", ColumnClass::kQuasiIdentifier, EntityType::kZipCode, 0.9},
    {"age", ColumnClass::kQuasiIdentifier, EntityType::kNone, 0.8},
    {"gender", ColumnClass::kQuasiIdentifier, EntityType::kNone, 0.8},
    {"sex", ColumnClass::kQuasiIdentifier, EntityType::kNone, 0.8},
    {"race", ColumnClass::kQuasiIdentifier, EntityType::kNone, 0.7},
    {"+ethnic", ColumnClass::kQuasiIdentifier, EntityType::kNone, 0.7},
    {"city", ColumnClass::kQuasiIdentifier, EntityType::kNone, 0.7},
    {"town", ColumnClass::kQuasiIdentifier, EntityType::kNone, 0.7},
    {"state", ColumnClass::kQuasiIdentifier, EntityType::kNone, 0.6},
    {"county", ColumnClass::kQuasiIdentifier, EntityType::kNone, 0.6},
    {"country", ColumnClass::kQuasiIdentifier, EntityType::kNone, 0.5},
    {"+latitude", ColumnClass::kQuasiIdentifier, EntityType::kNone, 0.8},
    {"+longitude", ColumnClass::kQuasiIdentifier, EntityType::kNone, 0.8},
    {"lat", ColumnClass::kQuasiIdentifier, EntityType::kNone, 0.7},
    {"lon", ColumnClass::kQuasiIdentifier, EntityType::kNone, 0.7},
    {"lng", ColumnClass::kQuasiIdentifier, EntityType::kNone, 0.7},
    {"+occupation", ColumnClass::kQuasiIdentifier, EntityType::kNone, 0.6},
    {"job", ColumnClass::kQuasiIdentifier, EntityType::kNone, 0.6},
    {"+employer", ColumnClass::kQuasiIdentifier, EntityType::kNone, 0.6},
    {"company", ColumnClass::kQuasiIdentifier, EntityType::kNone, 0.5},
    {"+marital", ColumnClass::kQuasiIdentifier, EntityType::kNone, 0.6},
    {"+nationality", ColumnClass::kQuasiIdentifier, EntityType::kNone, 0.6},
    {"+religion", ColumnClass::kQuasiIdentifier, EntityType::kNone, 0.6},
    {"+vehicle", ColumnClass::kQuasiIdentifier, EntityType::kNone, 0.5},
    {"+bloodtype", ColumnClass::kQuasiIdentifier, EntityType::kNone, 0.5},
    {"height", ColumnClass::kQuasiIdentifier, EntityType::kNone, 0.5},
    {"+centimeters", ColumnClass::kQuasiIdentifier, EntityType::kNone, 0.5},
    {"+feetinches", ColumnClass::kQuasiIdentifier, EntityType::kNone, 0.5},
    {"+kilograms", ColumnClass::kQuasiIdentifier, EntityType::kNone, 0.5},
    {"+pounds", ColumnClass::kQuasiIdentifier, EntityType::kNone, 0.5},
    {"+expir", ColumnClass::kQuasiIdentifier, EntityType::kNone, 0.5},
    {"weight", ColumnClass::kQuasiIdentifier, EntityType::kNone, 0.5},
    {"title", ColumnClass::kQuasiIdentifier, EntityType::kNone, 0.4},
};

const Cue* MatchCue(const std::string& name) {
  std::vector<std::string> tokens = HeaderTokens(name);
  std::string joined;
  for (const auto& t : tokens) joined += t;
  for (const Cue& c : kCues) {
    std::string_view key = c.key;
    if (key[0] == '+') {
      if (joined.find(key.substr(1)) != std::string::npos) return &c;
    } else {
      for (const auto& t : tokens) {
        if (t == key) return &c;
      }
    }
  }
  return nullptr;
}

bool IsIdentifierEntity(EntityType t) {
  switch (t) {
    case EntityType::kEmail:
    case EntityType::kPhone:
    case EntityType::kCreditCard:
    case EntityType::kUsSsn:
    case EntityType::kIban:
    case EntityType::kIpAddress:
    case EntityType::kStreetAddress:
    case EntityType::kUrl:
    case EntityType::kPerson:
      return true;
    default:
      return false;
  }
}

bool LooksLikeCode(const std::string& v) {
  if (v.size() < 3 || v.size() > 64) return false;
  bool digit = false;
  for (char c : v) {
    if (internal::IsSpace(c)) return false;
    digit |= IsDigit(c);
    if (!IsAsciiAlnum(c) && c != '-' && c != '_' && c != '.' && c != ':') return false;
  }
  // Decimal numbers (income, measurements) are not codes.
  bool decimal = v.find('.') != std::string::npos &&
                 std::all_of(v.begin(), v.end(), [](char c) { return IsDigit(c) || c == '.' || c == '-'; });
  return digit && !decimal;
}

bool IsTextLike(const std::string& v) {
  if (v.size() < 25) return false;
  int spaces = 0;
  for (char c : v) spaces += c == ' ';
  return spaces >= 4;
}

}  // namespace

HeaderRole ClassifyHeader(const std::string& name) {
  HeaderRole role;
  const Cue* cue = MatchCue(name);
  if (cue == nullptr) return role;
  role.column_class = cue->cls;
  role.entity = cue->entity;
  role.cue = cue->key[0] == '+' ? cue->key + 1 : cue->key;
  return role;
}

ColumnScan ScanColumn(const std::string& name, const std::vector<std::string>& values,
                      int64_t null_count, const ScanOptions& options) {
  ColumnScan s;
  s.name = name;
  s.non_null = static_cast<int64_t>(values.size());
  {
    absl::flat_hash_set<std::string_view> distinct;
    for (const auto& v : values) distinct.insert(v);
    s.distinct = static_cast<int64_t>(distinct.size());
  }
  s.uniqueness = s.non_null > 0 ? static_cast<double>(s.distinct) / s.non_null : 0;
  const int64_t n = s.non_null;
  const int64_t max_sample = std::max<int64_t>(1, options.max_sample_rows);
  const double step = n > max_sample ? static_cast<double>(n) / max_sample : 1.0;
  int64_t text_like = 0, cells_with_spans = 0, codes = 0;
  std::map<EntityType, int64_t> span_counts;
  double total_len = 0;
  for (double pos = 0; pos < n && s.sampled < max_sample; pos += step) {
    const std::string& v = values[static_cast<size_t>(pos)];
    ++s.sampled;
    total_len += v.size();
    if (LooksLikeCode(v)) ++codes;
    if (IsTextLike(v)) {
      ++text_like;
      std::vector<Span> spans = DetectEntities(v);
      if (!spans.empty()) ++cells_with_spans;
      for (const Span& sp : spans) ++span_counts[sp.type];
      CellMatch m = ClassifyCell(v, name);
      if (m.type != EntityType::kNone) ++s.entity_counts[m.type];
      continue;
    }
    CellMatch m = ClassifyCell(v, name);
    if (m.type != EntityType::kNone) ++s.entity_counts[m.type];
  }
  const double sampled = std::max<int64_t>(1, s.sampled);
  const Cue* cue = MatchCue(name);
  if (cue != nullptr) s.header_cue = cue->key[0] == '+' ? cue->key + 1 : cue->key;

  // Dominant whole-cell entity.
  EntityType dom = EntityType::kNone;
  int64_t dom_count = 0;
  for (const auto& [t, c] : s.entity_counts) {
    if (c > dom_count) {
      dom = t;
      dom_count = c;
    }
  }
  const double frac = dom_count / sampled;

  // Free text.
  const double avg_len = total_len / sampled;
  if (s.sampled > 0 && text_like / sampled >= 0.5 && avg_len >= 30 && frac < 0.5) {
    s.free_text = true;
    s.entity_counts = span_counts;
    const double with = cells_with_spans / sampled;
    bool identifying = false;
    for (const auto& [t, c] : span_counts) identifying |= IsIdentifierEntity(t) || t == EntityType::kDateOfBirth;
    if (identifying && cells_with_spans > 0) {
      s.column_class = ColumnClass::kIdentifier;
      s.confidence = std::min(0.95, 0.55 + with);
      s.reasons.push_back(absl::StrFormat("free text; %.0f%% of sampled cells contain PII spans",
                                          100 * with));
    } else {
      s.column_class = ColumnClass::kSafe;
      s.confidence = 0.6;
      s.reasons.push_back("free text without detected PII spans");
    }
    EntityType best = EntityType::kNone;
    int64_t best_c = 0;
    for (const auto& [t, c] : span_counts) {
      if (c > best_c) best = t, best_c = c;
    }
    s.entity = best;
    return s;
  }

  if (frac >= 0.5) {
    s.entity = dom;
    bool header_agrees = cue != nullptr && (cue->entity == dom ||
                                            (cue->entity == EntityType::kDateOfBirth && dom == EntityType::kDate));
    s.reasons.push_back(absl::StrFormat("%.0f%% of sampled cells are %s", 100 * frac,
                                        EntityTypeName(dom)));
    if (header_agrees) s.reasons.push_back(absl::StrCat("header '", name, "' agrees"));
    double conf = std::min(0.99, 0.45 + 0.5 * frac + (header_agrees ? 0.1 : 0));
    if (IsIdentifierEntity(dom)) {
      // A person-name column of low-uniqueness first names is still an identifier (with a
      // surname it identifies), but a column of a few capitalised words without a name header
      // (e.g. "Male"/"Female", city names) is not.
      if (dom == EntityType::kPerson && cue == nullptr && s.uniqueness < 0.2) {
        s.column_class = ColumnClass::kQuasiIdentifier;
        s.confidence = 0.5;
        s.reasons.push_back("name-like values but few distinct values and no name header");
      } else if (dom == EntityType::kPerson && cue != nullptr &&
                 cue->cls == ColumnClass::kQuasiIdentifier) {
        s.column_class = ColumnClass::kQuasiIdentifier;
        s.confidence = cue->weight;
        s.entity = EntityType::kNone;
      } else {
        s.column_class = ColumnClass::kIdentifier;
        s.confidence = conf;
      }
    } else {
      // Dates, dates of birth, ZIP codes.
      if (dom == EntityType::kDate && cue != nullptr && cue->entity == EntityType::kDateOfBirth) {
        s.entity = EntityType::kDateOfBirth;
      }
      s.column_class = ColumnClass::kQuasiIdentifier;
      s.confidence = dom == EntityType::kDate ? std::min(conf, 0.6) : conf;
      if (dom == EntityType::kDate) s.reasons.push_back("dates are quasi-identifiers (HIPAA Safe Harbor lists all date elements)");
    }
    return s;
  }

  // A header that names an entity type whose values contradict it ("Time on Website" holding
  // durations, "event_name" holding event labels) is not enough on its own.
  if (cue != nullptr && cue->entity != EntityType::kNone && n >= 20 && frac < 0.2) {
    s.column_class = ColumnClass::kSafe;
    s.confidence = 0.55;
    s.header_cue = cue->key[0] == '+' ? cue->key + 1 : cue->key;
    s.reasons.push_back(absl::StrFormat("header suggests %s but only %.0f%% of sampled cells are",
                                        EntityTypeName(cue->entity), 100 * frac));
    return s;
  }
  if (cue != nullptr) {
    s.column_class = cue->cls;
    s.confidence = cue->weight;
    s.reasons.push_back(absl::StrCat("header '", name, "' matches '", s.header_cue, "'"));
    // Weak value evidence for the cue's entity lowers the confidence, except for generic cues.
    if (cue->entity != EntityType::kNone && cue->cls == ColumnClass::kIdentifier) {
      s.confidence *= 0.5 + 0.5 * std::min(1.0, frac * 2);
      s.entity = frac > 0 ? dom : EntityType::kNone;
      s.reasons.push_back(absl::StrFormat("only %.0f%% of sampled cells look like %s", 100 * frac,
                                          EntityTypeName(cue->entity)));
    }
    if (cue->cls == ColumnClass::kIdentifier && cue->entity == EntityType::kNone && n >= 20) {
      s.confidence = std::min(0.95, s.confidence * (0.6 + 0.4 * s.uniqueness));
      s.reasons.push_back(absl::StrFormat("uniqueness %.2f", s.uniqueness));
    }
    return s;
  }

  // No cue, no entity: a unique code-like column is probably a key.
  if (n >= 20 && s.uniqueness >= 0.9 && codes / sampled >= 0.9) {
    s.column_class = ColumnClass::kIdentifier;
    s.confidence = 0.5 + 0.4 * s.uniqueness * (codes / sampled) - 0.05;
    s.reasons.push_back(absl::StrFormat("%.0f%% distinct code-like values (a key?)", 100 * s.uniqueness));
    return s;
  }
  s.column_class = ColumnClass::kSafe;
  s.confidence = frac > 0 ? 0.6 - 0.2 * frac : 0.7;
  if (dom_count > 0) {
    s.reasons.push_back(absl::StrFormat("only %.0f%% of sampled cells look like %s", 100 * frac,
                                        EntityTypeName(dom)));
  } else {
    s.reasons.push_back("no PII pattern, no identifying header");
  }
  return s;
}

ScanResult ScanTable(const io::Table& table, const ScanOptions& options) {
  ScanResult r;
  r.rows = table.num_rows();
  for (const io::Column& col : table.columns()) {
    std::vector<std::string> values;
    values.reserve(col.size());
    for (int64_t i = 0; i < col.size(); ++i) {
      if (col.IsNull(i)) continue;
      values.push_back(col.type() == io::DataType::kString ? col.StringAt(i) : col.FormatValue(i));
    }
    r.columns.push_back(ScanColumn(col.name(), values, col.null_count(), options));
  }
  // Privacy unit.
  double best = 0;
  for (const ColumnScan& c : r.columns) {
    if (c.column_class != ColumnClass::kIdentifier || c.free_text) continue;
    if (r.rows > 0 && c.non_null < 0.95 * r.rows) continue;
    std::vector<std::string> tokens = HeaderTokens(c.name);
    auto has = [&](std::initializer_list<std::string_view> keys) {
      for (const auto& t : tokens) {
        for (auto k : keys) {
          if (t == k) return true;
        }
      }
      return false;
    };
    double score = 0;
    std::string reason;
    bool id_token = has({"id", "uuid", "guid", "key", "number", "no"});
    if (id_token && has({"customer", "user", "patient", "member", "client", "person", "account",
                         "employee", "subscriber", "student", "visitor", "citizen", "pid", "uid"})) {
      score = 1.0;
      reason = "named like a per-person id";
    } else if (id_token && c.header_cue != "" && c.entity == EntityType::kNone) {
      score = 0.85;
      reason = "an id column";
    } else if (c.entity == EntityType::kEmail) {
      score = 0.8;
      reason = "e-mail address (one per person)";
    } else if (c.entity == EntityType::kUsSsn || c.header_cue == "nationalid") {
      score = 0.75;
      reason = "national identifier";
    } else if (c.entity == EntityType::kPhone) {
      score = 0.6;
      reason = "phone number";
    } else if (c.entity == EntityType::kNone && c.uniqueness >= 0.9) {
      score = 0.5;
      reason = "unique code";
    } else {
      continue;
    }
    double conf = score * c.confidence;
    if (conf > best) {
      best = conf;
      r.privacy_unit = PrivacyUnitProposal{
          c.name, conf,
          absl::StrFormat("%s; %.0f%% distinct over %d rows", reason, 100 * c.uniqueness, c.non_null)};
    }
  }
  return r;
}

const ColumnScan* ScanResult::Find(const std::string& column) const {
  for (const auto& c : columns) {
    if (c.name == column) return &c;
  }
  return nullptr;
}

std::string ScanResult::ToJson() const {
  nlohmann::json j;
  j["rows"] = rows;
  j["columns"] = nlohmann::json::array();
  for (const auto& c : columns) {
    nlohmann::json counts = nlohmann::json::object();
    for (const auto& [t, n] : c.entity_counts) counts[EntityTypeName(t)] = n;
    j["columns"].push_back({{"name", c.name},
                            {"class", ColumnClassName(c.column_class)},
                            {"confidence", std::round(c.confidence * 1000) / 1000},
                            {"entity", EntityTypeName(c.entity)},
                            {"free_text", c.free_text},
                            {"entity_counts", counts},
                            {"sampled", c.sampled},
                            {"non_null", c.non_null},
                            {"distinct", c.distinct},
                            {"uniqueness", std::round(c.uniqueness * 1000) / 1000},
                            {"header_cue", c.header_cue},
                            {"reasons", c.reasons}});
  }
  if (privacy_unit) {
    j["privacy_unit"] = {{"column", privacy_unit->column},
                         {"confidence", std::round(privacy_unit->confidence * 1000) / 1000},
                         {"reason", privacy_unit->reason}};
  } else {
    j["privacy_unit"] = nullptr;
  }
  return j.dump(2);
}

std::string ScanResult::ToText() const {
  size_t w = 6;
  for (const auto& c : columns) w = std::max(w, c.name.size());
  w = std::min<size_t>(w, 28);
  std::string out = absl::StrFormat("%d rows, %d columns\n\n", rows, columns.size());
  absl::StrAppend(&out, absl::StrFormat("%-*s  %-16s %5s  %-15s %7s  %s\n", w, "column", "class",
                                        "conf", "entity", "unique", "evidence"));
  for (const auto& c : columns) {
    std::string entity = c.entity == EntityType::kNone ? "-" : EntityTypeName(c.entity);
    if (c.free_text) entity = absl::StrCat("text:", entity == "-" ? "none" : entity);
    std::string ev = c.reasons.empty() ? "" : c.reasons.front();
    std::string name = c.name.size() > w ? c.name.substr(0, w - 1) + "~" : c.name;
    absl::StrAppend(&out, absl::StrFormat("%-*s  %-16s %5.2f  %-15s %7.3f  %s\n", w, name,
                                          ColumnClassName(c.column_class), c.confidence, entity,
                                          c.uniqueness, ev));
  }
  if (privacy_unit) {
    absl::StrAppend(&out, absl::StrFormat("\nproposed privacy unit: %s (confidence %.2f; %s)\n",
                                          privacy_unit->column, privacy_unit->confidence,
                                          privacy_unit->reason));
  } else {
    absl::StrAppend(&out,
                    "\nno privacy-unit column found: DP releases will treat each row as one unit\n");
  }
  return out;
}

}  // namespace dpkit::pii
