// Entity types that the pii module detects, and detected spans.
//
// Thread safety: plain values; all functions are pure.
#ifndef DPKIT_PII_ENTITY_H_
#define DPKIT_PII_ENTITY_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace dpkit::pii {

enum class EntityType {
  kNone = 0,
  kEmail,          // local@domain.tld
  kPhone,          // E.164, international (+CC ...), NANP, national formats with separators
  kCreditCard,     // 12-19 digits, Luhn-valid, known IIN range
  kUsSsn,          // AAA-GG-SSSS with issuable area/group/serial
  kIban,           // ISO 13616, country length + mod-97 checksum
  kIpAddress,      // IPv4 dotted quad, IPv6 (RFC 4291 text forms)
  kDate,           // calendar dates, date-times, weekday names, years in date context
  kDateOfBirth,    // a date with birth context ("born", "DOB", a birth-date column)
  kStreetAddress,  // number + street + street type, unit, PO box, European street forms
  kZipCode,        // postal code (with context, or in a postal-code column)
  kUrl,            // URL (scheme or www.) or bare domain name with a known TLD
  kPerson,         // person name (name lists + capitalisation + context)
};

inline constexpr int kNumEntityTypes = 13;

// Stable upper-case names used in JSON, policies and reports: "EMAIL", "PHONE", "CREDIT_CARD",
// "US_SSN", "IBAN", "IP_ADDRESS", "DATE", "DATE_OF_BIRTH", "STREET_ADDRESS", "ZIP_CODE", "URL",
// "PERSON" ("NONE" for kNone).
const char* EntityTypeName(EntityType type);
// Parses a name as above (case-insensitive; also accepts a few aliases such as EMAIL_ADDRESS,
// PHONE_NUMBER, SSN, IP, DOB, ADDRESS, ZIP, DOMAIN, NAME). InvalidArgument names the bad value.
absl::StatusOr<EntityType> ParseEntityType(std::string_view name);

// A detected entity in a text: bytes [begin, end) of the UTF-8 input.
struct Span {
  EntityType type = EntityType::kNone;
  size_t begin = 0;
  size_t end = 0;
  double score = 0;  // in (0, 1]; detectors' calibrated-by-hand confidence

  size_t size() const { return end - begin; }
};

}  // namespace dpkit::pii

#endif  // DPKIT_PII_ENTITY_H_
