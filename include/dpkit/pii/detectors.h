// PII detectors: validators for single values and a span detector for free text.
//
// Everything here is rule-based (patterns, checksums, name lists, context words); there is no
// statistical model. The rules and their sources:
//   - Credit cards: Luhn (ISO/IEC 7812-1 Annex B) plus the issuer (IIN) ranges and lengths of
//     Visa, Mastercard (51-55, 2221-2720), Amex (34, 37), Discover (6011, 644-649, 65,
//     622126-622925), Diners (300-305, 36, 38-39), JCB (3528-3589; legacy 1800, 2131),
//     Maestro (50, 56-69, 12-19 digits), UnionPay (62).
//   - US SSN: SSA rules (Program Operations Manual RM 10201.035 and SSA "SSN randomization",
//     2011): area 001-899 except 666, group 01-99, serial 0001-9999; plus the published
//     advertising numbers 078-05-1120 and 219-09-9999, which are rejected.
//   - IBAN: ISO 13616 / SWIFT IBAN registry lengths per country; check digits by ISO 7064
//     MOD 97-10 (remainder must be 1).
//   - IPv4: four decimal octets 0-255 without leading zeros; IPv6: RFC 4291 section 2.2 text
//     forms (with "::" compression and an embedded IPv4 tail).
//   - Phones: ITU-T E.164 (a '+', a country calling code, at most 15 digits), NANP (area and
//     exchange codes begin with 2-9), and national formats with separators, weighed by context.
//   - Names: lists assembled from public frequency tables (US Census 2010 surnames, US SSA
//     baby names, and common European given names) plus capitalisation and context cues.
//
// Thread safety: all functions are pure and thread-safe.
#ifndef DPKIT_PII_DETECTORS_H_
#define DPKIT_PII_DETECTORS_H_

#include <string>
#include <string_view>
#include <vector>

#include "dpkit/pii/entity.h"

namespace dpkit::pii {

// --- Validators (a whole value; surrounding whitespace is ignored). ---

// Luhn checksum over the digits of `s` (non-digits are skipped). False if there are no digits.
bool LuhnValid(std::string_view s);
// 12-19 digits (single spaces or dashes allowed between groups), Luhn-valid, known IIN range.
bool IsCreditCard(std::string_view s);
// "Visa", "Mastercard", "Amex", "Discover", "Diners", "JCB", "Maestro", "UnionPay", or "" for
// a number no known brand issues (checks the prefix and length only, not Luhn).
std::string CardBrand(std::string_view digits);
// AAA-GG-SSSS, "AAA GG SSSS" or 9 plain digits; issuable area/group/serial (see above).
bool IsUsSsn(std::string_view s);
// IBAN, compact or printed in groups of four separated by single spaces; case-insensitive.
bool IsIban(std::string_view s);
bool IsIpv4(std::string_view s);
bool IsIpv6(std::string_view s);
bool IsEmail(std::string_view s);
// Scheme URL (http, https, ftp), "www." host, or a bare domain name with a known TLD.
bool IsUrlOrDomain(std::string_view s);

// What a whole cell of a structured column contains. `column_name` adds header context (e.g. a
// 9-digit number in a column named "ssn", a 5-digit number in a "zip" column, a capitalised
// word in a "first_name" column). Returns kNone when the cell is not recognised as a whole.
struct CellMatch {
  EntityType type = EntityType::kNone;
  double score = 0;
};
CellMatch ClassifyCell(std::string_view cell, std::string_view column_name = "");

// --- Free text. ---

struct DetectOptions {
  // Only spans with score >= min_score are returned.
  double min_score = 0.5;
  // When non-empty, only these types are returned.
  std::vector<EntityType> types;
};

// Detects entity spans in UTF-8 `text`. Spans are sorted by `begin` and do not overlap (where
// detectors disagree the higher-scoring, then longer, span wins). Linear in the text length.
std::vector<Span> DetectEntities(std::string_view text, const DetectOptions& options = {});

}  // namespace dpkit::pii

#endif  // DPKIT_PII_DETECTORS_H_
