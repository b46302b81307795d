// Word lists used by the detectors, the fake-value generators and the sample-table generator.
// Assembled by the dpkit authors from public facts (see lexicon.cc for each list's source).
// Private to the pii module.
#ifndef DPKIT_SRC_PII_LEXICON_H_
#define DPKIT_SRC_PII_LEXICON_H_

#include <span>
#include <string_view>

namespace dpkit::pii::lexicon {

// Given names (Title case). Female and male lists are separate for the sample generator.
std::span<const std::string_view> FemaleGivenNames();
std::span<const std::string_view> MaleGivenNames();
// Common international given names (detection only).
std::span<const std::string_view> OtherGivenNames();
std::span<const std::string_view> Surnames();
// Street base names ("Maple", "Washington", ...) and street types ("Street", "St", ...).
std::span<const std::string_view> StreetNames();
struct StreetType {
  std::string_view full;
  std::string_view abbrev;
};
std::span<const StreetType> StreetTypes();

struct UsCity {
  std::string_view city;
  std::string_view state;  // USPS code
  int zip_prefix;          // first three digits of the city's ZIP codes
  int area_code;           // one NANP area code serving the city
  int population_k;        // approximate population, thousands (sampling weight)
};
std::span<const UsCity> UsCities();
std::span<const std::string_view> EmailProviders();

// Lookups (ASCII case-insensitive unless noted).
bool IsGivenName(std::string_view word);  // exact Title-case spelling or any case
bool IsSurname(std::string_view word);
// Common English words that start sentences or appear capitalised but are not names
// (determiners, pronouns, question words, months, weekdays, titles of organisations...).
bool IsStopWord(std::string_view word);
// Words that mark an organisation or place rather than a person ("Inc", "University", ...).
bool IsOrgWord(std::string_view word);
bool IsPersonTitle(std::string_view word);  // Mr, Mrs, Ms, Miss, Dr, Prof, Sir, ...
// Street type words in several languages, with or without trailing '.'.
bool IsStreetType(std::string_view word);
// Words that introduce a street name in Romance/other languages ("Rue", "Avenida", "Via", ...).
bool IsStreetPrefixWord(std::string_view word);
// True if `word` ends with a Northern/Central-European street suffix ("katu", "vej", "straße"...).
bool HasStreetSuffix(std::string_view word);
bool IsUsStateCode(std::string_view code);  // exact upper-case USPS code
// Month name or abbreviation -> 1..12, else 0. Weekday name -> true.
int MonthNumber(std::string_view word);
bool IsWeekday(std::string_view word);
// Top-level domains accepted for bare domain names (generic + country codes), lower case.
bool IsKnownTld(std::string_view tld);
// ITU-T E.164 country calling codes (1-3 digits).
bool IsCountryCallingCode(std::string_view digits);
// IBAN length for an ISO 3166 alpha-2 country in the IBAN registry, or 0.
int IbanLength(std::string_view country);

}  // namespace dpkit::pii::lexicon

#endif  // DPKIT_SRC_PII_LEXICON_H_
