#include "dpkit/pii/evaluate.h"

#include <algorithm>
#include <chrono>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "dpkit/base/status.h"
#include "dpkit/pii/detectors.h"
#include "nlohmann/json.hpp"

namespace dpkit::pii {
namespace {

// Byte offset of each code point index (plus one past the end).
std::vector<size_t> CodePointOffsets(const std::string& s) {
  std::vector<size_t> off;
  for (size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) off.push_back(i);
  }
  off.push_back(s.size());
  return off;
}

double F1(double p, double r) { return p + r > 0 ? 2 * p * r / (p + r) : 0; }

}  // namespace

absl::StatusOr<std::vector<LabelledText>> LoadLabelledTexts(const std::string& path, Env* env) {
  DPKIT_ASSIGN_OR_RETURN(std::string raw, env->ReadFile(path));
  nlohmann::json j = nlohmann::json::parse(raw, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_array()) {
    return DataError(absl::StrCat(path, ": not a JSON array of labelled texts"));
  }
  std::vector<LabelledText> out;
  for (size_t r = 0; r < j.size(); ++r) {
    const auto& rec = j[r];
    if (!rec.is_object() || !rec.contains("full_text") || !rec["full_text"].is_string()) {
      return DataError(absl::StrCat(path, ": record ", r, " has no string 'full_text'"));
    }
    LabelledText t;
    t.text = rec["full_text"].get<std::string>();
    std::vector<size_t> off = CodePointOffsets(t.text);
    if (rec.contains("spans") && rec["spans"].is_array()) {
      for (const auto& s : rec["spans"]) {
        if (!s.contains("entity_type") || !s.contains("start_position") ||
            !s.contains("end_position") || !s["start_position"].is_number_integer() ||
            !s["end_position"].is_number_integer()) {
          return DataError(absl::StrCat(path, ": record ", r,
                                        ": span needs entity_type, start_position, end_position"));
        }
        int64_t b = s["start_position"].get<int64_t>(), e = s["end_position"].get<int64_t>();
        if (b < 0 || e < b || e >= static_cast<int64_t>(off.size())) {
          return DataError(absl::StrCat(path, ": record ", r, ": span [", b, ", ", e,
                                        ") is outside the text"));
        }
        t.spans.push_back({s["entity_type"].get<std::string>(), off[b], off[e]});
      }
    }
    out.push_back(std::move(t));
  }
  return out;
}

absl::StatusOr<std::vector<std::vector<LabelledSpan>>> LoadPredictions(
    const std::string& path, const std::vector<LabelledText>& texts, Env* env) {
  DPKIT_ASSIGN_OR_RETURN(std::string raw, env->ReadFile(path));
  nlohmann::json j = nlohmann::json::parse(raw, nullptr, false);
  if (j.is_discarded() || !j.is_array() || j.size() != texts.size()) {
    return DataError(absl::StrCat(path, ": expected a JSON array with one element per text (",
                                  texts.size(), ")"));
  }
  std::vector<std::vector<LabelledSpan>> out(texts.size());
  for (size_t r = 0; r < j.size(); ++r) {
    std::vector<size_t> off = CodePointOffsets(texts[r].text);
    for (const auto& s : j[r]) {
      if (!s.contains("entity_type") || !s.contains("start") || !s.contains("end")) {
        return DataError(absl::StrCat(path, ": element ", r, ": span needs entity_type, start, end"));
      }
      int64_t b = s["start"].get<int64_t>(), e = s["end"].get<int64_t>();
      if (b < 0 || e < b || e >= static_cast<int64_t>(off.size())) {
        return DataError(absl::StrCat(path, ": element ", r, ": span outside the text"));
      }
      out[r].push_back({s["entity_type"].get<std::string>(), off[b], off[e]});
    }
  }
  return out;
}

std::string EvalCategory(EntityType type) {
  switch (type) {
    case EntityType::kPerson: return "PERSON";
    case EntityType::kStreetAddress: return "STREET_ADDRESS";
    case EntityType::kZipCode: return "ZIP_CODE";
    case EntityType::kCreditCard: return "CREDIT_CARD";
    case EntityType::kPhone: return "PHONE_NUMBER";
    case EntityType::kEmail: return "EMAIL_ADDRESS";
    case EntityType::kIban: return "IBAN_CODE";
    case EntityType::kUsSsn: return "US_SSN";
    case EntityType::kIpAddress: return "IP_ADDRESS";
    case EntityType::kDate:
    case EntityType::kDateOfBirth: return "DATE_TIME";
    case EntityType::kUrl: return "DOMAIN_NAME";
    case EntityType::kNone: return "";
  }
  return "";
}

const std::vector<std::string>& EvalCategories() {
  static const auto* v = new std::vector<std::string>{
      "PERSON",        "STREET_ADDRESS", "ZIP_CODE", "CREDIT_CARD", "PHONE_NUMBER", "EMAIL_ADDRESS",
      "IBAN_CODE",     "US_SSN",         "IP_ADDRESS", "DATE_TIME", "DOMAIN_NAME"};
  return *v;
}

EvalReport ScoreSpans(const std::vector<LabelledText>& texts,
                      const std::vector<std::vector<LabelledSpan>>& predictions) {
  std::map<std::string, CategoryScore> by;
  std::map<std::string, std::array<int64_t, 3>> chars;  // predicted, gold, both
  for (const auto& c : EvalCategories()) by[c].category = c;
  auto scored = [&](const std::string& c) { return by.count(c) > 0; };
  for (size_t i = 0; i < texts.size(); ++i) {
    const auto& gold = texts[i].spans;
    const auto& pred = predictions[i];
    for (const auto& g : gold) {
      if (!scored(g.category)) continue;
      CategoryScore& s = by[g.category];
      ++s.gold;
      for (const auto& p : pred) {
        if (p.category == g.category && p.begin < g.end && g.begin < p.end) {
          ++s.gold_found;
          break;
        }
      }
    }
    for (const auto& p : pred) {
      if (!scored(p.category)) continue;
      CategoryScore& s = by[p.category];
      ++s.predicted;
      for (const auto& g : gold) {
        if (p.category == g.category && p.begin < g.end && g.begin < p.end) {
          ++s.predicted_ok;
          break;
        }
      }
    }
    // Character level.
    const size_t n = texts[i].text.size();
    for (const auto& c : EvalCategories()) {
      std::vector<uint8_t> mask(n, 0);
      for (const auto& g : gold) {
        if (g.category == c) {
          for (size_t k = g.begin; k < g.end && k < n; ++k) mask[k] |= 1;
        }
      }
      for (const auto& p : pred) {
        if (p.category == c) {
          for (size_t k = p.begin; k < p.end && k < n; ++k) mask[k] |= 2;
        }
      }
      auto& ch = chars[c];
      for (uint8_t m : mask) {
        if (m & 2) ++ch[0];
        if (m & 1) ++ch[1];
        if (m == 3) ++ch[2];
      }
    }
  }
  EvalReport report;
  report.texts = static_cast<int64_t>(texts.size());
  CategoryScore micro;
  micro.category = "ALL";
  std::array<int64_t, 3> all_chars = {0, 0, 0};
  auto finish = [](CategoryScore& s, const std::array<int64_t, 3>& ch) {
    s.precision = s.predicted > 0 ? static_cast<double>(s.predicted_ok) / s.predicted : 0;
    s.recall = s.gold > 0 ? static_cast<double>(s.gold_found) / s.gold : 0;
    s.f1 = F1(s.precision, s.recall);
    s.char_precision = ch[0] > 0 ? static_cast<double>(ch[2]) / ch[0] : 0;
    s.char_recall = ch[1] > 0 ? static_cast<double>(ch[2]) / ch[1] : 0;
    s.char_f1 = F1(s.char_precision, s.char_recall);
  };
  for (const auto& c : EvalCategories()) {
    CategoryScore s = by[c];
    finish(s, chars[c]);
    micro.gold += s.gold;
    micro.predicted += s.predicted;
    micro.gold_found += s.gold_found;
    micro.predicted_ok += s.predicted_ok;
    for (int k = 0; k < 3; ++k) all_chars[k] += chars[c][k];
    report.categories.push_back(s);
  }
  finish(micro, all_chars);
  report.micro = micro;
  return report;
}

EvalReport EvaluateDetector(const std::vector<LabelledText>& texts, double min_score) {
  std::vector<std::vector<LabelledSpan>> pred(texts.size());
  auto start = std::chrono::steady_clock::now();
  for (size_t i = 0; i < texts.size(); ++i) {
    for (const Span& s : DetectEntities(texts[i].text, {.min_score = min_score, .types = {}})) {
      std::string c = EvalCategory(s.type);
      if (!c.empty()) pred[i].push_back({c, s.begin, s.end});
    }
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EvalReport r = ScoreSpans(texts, pred);
  r.seconds = secs;
  return r;
}

std::string EvalReport::ToJson() const {
  nlohmann::json j;
  j["texts"] = texts;
  j["matching"] = "entity-level any-overlap; char-level byte overlap";
  auto row = [](const CategoryScore& s) {
    return nlohmann::json{{"category", s.category},     {"gold", s.gold},
                          {"predicted", s.predicted},   {"gold_found", s.gold_found},
                          {"predicted_ok", s.predicted_ok}, {"precision", s.precision},
                          {"recall", s.recall},         {"f1", s.f1},
                          {"char_precision", s.char_precision}, {"char_recall", s.char_recall},
                          {"char_f1", s.char_f1}};
  };
  for (const auto& s : categories) j["categories"].push_back(row(s));
  j["micro"] = row(micro);
  if (seconds > 0) j["seconds"] = seconds;
  return j.dump(2);
}

std::string EvalReport::ToTable() const {
  std::string out = absl::StrFormat("%-15s %6s %6s %7s %7s %7s %8s %8s %8s\n", "category", "gold",
                                    "pred", "prec", "recall", "F1", "c-prec", "c-recall", "c-F1");
  auto line = [&](const CategoryScore& s) {
    absl::StrAppend(&out, absl::StrFormat("%-15s %6d %6d %7.3f %7.3f %7.3f %8.3f %8.3f %8.3f\n",
                                          s.category, s.gold, s.predicted, s.precision, s.recall,
                                          s.f1, s.char_precision, s.char_recall, s.char_f1));
  };
  for (const auto& s : categories) line(s);
  line(micro);
  return out;
}

}  // namespace dpkit::pii
