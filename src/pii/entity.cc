#include "dpkit/pii/entity.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "pii/text_util.h"

namespace dpkit::pii {

const char* EntityTypeName(EntityType type) {
  switch (type) {
    case EntityType::kNone: return "NONE";
    case EntityType::kEmail: return "EMAIL";
    case EntityType::kPhone: return "PHONE";
    case EntityType::kCreditCard: return "CREDIT_CARD";
    case EntityType::kUsSsn: return "US_SSN";
    case EntityType::kIban: return "IBAN";
    case EntityType::kIpAddress: return "IP_ADDRESS";
    case EntityType::kDate: return "DATE";
    case EntityType::kDateOfBirth: return "DATE_OF_BIRTH";
    case EntityType::kStreetAddress: return "STREET_ADDRESS";
    case EntityType::kZipCode: return "ZIP_CODE";
    case EntityType::kUrl: return "URL";
    case EntityType::kPerson: return "PERSON";
  }
  return "NONE";
}

absl::StatusOr<EntityType> ParseEntityType(std::string_view name) {
  std::string n;
  for (char c : name) n.push_back(internal::ToUpper(c == '-' || c == ' ' ? '_' : c));
  for (int i = 0; i < kNumEntityTypes; ++i) {
    auto t = static_cast<EntityType>(i);
    if (n == EntityTypeName(t)) return t;
  }
  struct Alias {
    const char* name;
    EntityType type;
  };
  static constexpr Alias kAliases[] = {
      {"EMAIL_ADDRESS", EntityType::kEmail},      {"PHONE_NUMBER", EntityType::kPhone},
      {"TELEPHONE", EntityType::kPhone},          {"CARD", EntityType::kCreditCard},
      {"CC", EntityType::kCreditCard},            {"SSN", EntityType::kUsSsn},
      {"IBAN_CODE", EntityType::kIban},           {"IP", EntityType::kIpAddress},
      {"DATE_TIME", EntityType::kDate},           {"DOB", EntityType::kDateOfBirth},
      {"BIRTHDAY", EntityType::kDateOfBirth},     {"ADDRESS", EntityType::kStreetAddress},
      {"STREET", EntityType::kStreetAddress},     {"ZIP", EntityType::kZipCode},
      {"POSTCODE", EntityType::kZipCode},         {"DOMAIN", EntityType::kUrl},
      {"DOMAIN_NAME", EntityType::kUrl},          {"NAME", EntityType::kPerson},
  };
  for (const Alias& a : kAliases) {
    if (n == a.name) return a.type;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown entity type '", std::string(name),
      "'; use one of EMAIL, PHONE, CREDIT_CARD, US_SSN, IBAN, IP_ADDRESS, DATE, DATE_OF_BIRTH, "
      "STREET_ADDRESS, ZIP_CODE, URL, PERSON"));
}

}  // namespace dpkit::pii
