// Format-preserving fake values (see dpkit/pii/operators.h for the rules).
#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "dpkit/io/civil_date.h"
#include "dpkit/io/table.h"
#include "dpkit/pii/detectors.h"
#include "dpkit/pii/operators.h"
#include "dpkit/random/samplers.h"
#include "pii/lexicon.h"
#include "pii/text_util.h"

namespace dpkit::pii {

using internal::IsAsciiAlpha;
using internal::IsAsciiLower;
using internal::IsAsciiUpper;
using internal::IsDigit;
using internal::Trim;

namespace {

uint64_t Uniform(random::BitGenerator& gen, uint64_t n) { return random::UniformUint64(gen, n); }

template <typename T>
const T& Pick(std::span<const T> items, random::BitGenerator& gen) {
  return items[Uniform(gen, items.size())];
}

char RandomDigit(random::BitGenerator& gen) { return static_cast<char>('0' + Uniform(gen, 10)); }

// Replaces every digit with a random digit, every letter with a random letter of the same case;
// other characters are kept.
std::string ReplaceClasses(std::string_view s, random::BitGenerator& gen) {
  std::string out(s);
  for (char& c : out) {
    if (IsDigit(c)) {
      c = RandomDigit(gen);
    } else if (IsAsciiUpper(c)) {
      c = static_cast<char>('A' + Uniform(gen, 26));
    } else if (IsAsciiLower(c)) {
      c = static_cast<char>('a' + Uniform(gen, 26));
    }
  }
  return out;
}

enum class CaseStyle { kTitle, kUpper, kLower };
CaseStyle StyleOf(std::string_view s) {
  bool upper = false, lower = false;
  for (char c : s) {
    upper |= IsAsciiUpper(c);
    lower |= IsAsciiLower(c);
  }
  if (upper && !lower) return CaseStyle::kUpper;
  if (lower && !upper) return CaseStyle::kLower;
  return CaseStyle::kTitle;
}
std::string ApplyStyle(std::string s, CaseStyle style) {
  if (style == CaseStyle::kUpper) {
    for (char& c : s) c = internal::ToUpper(c);
  } else if (style == CaseStyle::kLower) {
    for (char& c : s) c = internal::ToLower(c);
  }
  return s;
}

std::string_view GivenName(random::BitGenerator& gen) {
  return Uniform(gen, 2) == 0 ? Pick(lexicon::FemaleGivenNames(), gen)
                              : Pick(lexicon::MaleGivenNames(), gen);
}

std::vector<std::string_view> SplitWords(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && internal::IsSpace(s[i])) ++i;
    size_t j = i;
    while (j < s.size() && !internal::IsSpace(s[j])) ++j;
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

std::string FakePerson(std::string_view original, random::BitGenerator& gen) {
  std::string_view v = Trim(original);
  std::vector<std::string_view> words = SplitWords(v);
  CaseStyle style = StyleOf(v);
  if (words.size() <= 1) {
    std::string_view w = words.empty() ? v : words[0];
    bool given = lexicon::IsGivenName(w) && !lexicon::IsSurname(w);
    return ApplyStyle(std::string(given ? GivenName(gen) : Pick(lexicon::Surnames(), gen)), style);
  }
  // "Last, First" form.
  if (words[0].ends_with(",") && words.size() == 2) {
    return ApplyStyle(absl::StrCat(std::string(Pick(lexicon::Surnames(), gen)), ", ", std::string(GivenName(gen))), style);
  }
  std::string out;
  for (size_t i = 0; i < words.size(); ++i) {
    std::string_view w = words[i];
    if (i > 0) out.push_back(' ');
    bool initial = w.size() <= 2 && IsAsciiAlpha(w[0]) && (w.size() == 1 || w[1] == '.');
    if (lexicon::IsPersonTitle(w)) {
      out.append(w);
    } else if (initial) {
      out.push_back(static_cast<char>('A' + Uniform(gen, 26)));
      if (w.size() == 2) out.push_back('.');
    } else if (i == 0) {
      out.append(GivenName(gen));
    } else if (i + 1 == words.size()) {
      out.append(Pick(lexicon::Surnames(), gen));
    } else {
      out.append(GivenName(gen));
    }
  }
  return ApplyStyle(out, style);
}

std::string AsciiLowerLetters(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (IsAsciiAlpha(c)) out.push_back(internal::ToLower(c));
  }
  return out;
}

std::string FakeEmail(std::string_view original, random::BitGenerator& gen) {
  std::string first = AsciiLowerLetters(GivenName(gen));
  std::string last = AsciiLowerLetters(Pick(lexicon::Surnames(), gen));
  std::string local;
  switch (Uniform(gen, 4)) {
    case 0: local = absl::StrCat(first, ".", last); break;
    case 1: local = absl::StrCat(first, last); break;
    case 2: local = absl::StrCat(first.substr(0, 1), last); break;
    default: local = absl::StrCat(first, "_", last); break;
  }
  absl::StrAppend(&local, Uniform(gen, 1000));
  static constexpr std::string_view kDomains[] = {"example.com", "example.net", "example.org"};
  std::string out = absl::StrCat(local, "@", std::string(kDomains[Uniform(gen, 3)]));
  return StyleOf(Trim(original)) == CaseStyle::kUpper ? ApplyStyle(out, CaseStyle::kUpper) : out;
}

std::string FakePhone(std::string_view original, random::BitGenerator& gen) {
  std::string_view v = Trim(original);
  std::string digits;
  for (char c : v) {
    if (IsDigit(c)) digits.push_back(c);
  }
  // Number of leading digits kept: the country calling code after '+', or a NANP "1".
  size_t keep = 0;
  if (!v.empty() && v[0] == '+') {
    for (size_t l = 1; l <= 3 && l <= digits.size(); ++l) {
      if (lexicon::IsCountryCallingCode(digits.substr(0, l))) {
        keep = l;
        break;
      }
    }
  }
  bool nanp = false;
  size_t nanp_off = 0;
  if ((keep == 1 && digits[0] == '1' && digits.size() == 11) ||
      (keep == 0 && digits.size() == 10 && digits[0] >= '2')) {
    nanp = true;
    nanp_off = keep;
  } else if (keep == 0 && digits.size() == 11 && digits[0] == '1') {
    nanp = true;
    nanp_off = 1;
  }
  std::string fresh = digits;
  for (size_t i = keep; i < fresh.size(); ++i) fresh[i] = RandomDigit(gen);
  if (nanp) {
    // Area code from a real city, exchange 555, line 0100-0199 (NANPA's fictional range).
    int area = Pick(lexicon::UsCities(), gen).area_code;
    std::string tail = absl::StrFormat("%03d5550%d%d%d", area, 1, static_cast<int>(Uniform(gen, 10)),
                                       static_cast<int>(Uniform(gen, 10)));
    fresh.replace(nanp_off, 10, tail);
  } else if (keep < fresh.size()) {
    // Keep a national trunk prefix '0' if the original had one; otherwise no leading 0.
    fresh[keep] = digits[keep] == '0' ? '0' : static_cast<char>('1' + Uniform(gen, 9));
  }
  std::string out(v);
  size_t k = 0;
  for (char& c : out) {
    if (IsDigit(c)) c = fresh[k++];
  }
  return out;
}

std::string FakeCard(std::string_view original, random::BitGenerator& gen) {
  std::string_view v = Trim(original);
  std::string digits;
  for (char c : v) {
    if (IsDigit(c)) digits.push_back(c);
  }
  if (digits.size() < 12) return ReplaceClasses(v, gen);
  std::string brand = CardBrand(digits);
  size_t keep = 1;
  if (brand == "Mastercard" || brand == "Amex" || brand == "Diners" || brand == "UnionPay") keep = 2;
  if (brand == "Discover" || brand == "JCB") keep = 4;
  std::string fresh = digits;
  for (size_t i = keep; i + 1 < fresh.size(); ++i) fresh[i] = RandomDigit(gen);
  // Luhn check digit.
  for (char d = '0'; d <= '9'; ++d) {
    fresh.back() = d;
    if (LuhnValid(fresh)) break;
  }
  std::string out(v);
  size_t k = 0;
  for (char& c : out) {
    if (IsDigit(c)) c = fresh[k++];
  }
  return out;
}

std::string FakeSsn(std::string_view original, random::BitGenerator& gen) {
  std::string_view v = Trim(original);
  // Areas 900-999 are never issued as SSNs (SSA), so the fake cannot be a real number.
  std::string d = absl::StrFormat("%03d%02d%04d", 900 + static_cast<int>(Uniform(gen, 100)),
                                  1 + static_cast<int>(Uniform(gen, 99)),
                                  1 + static_cast<int>(Uniform(gen, 9999)));
  std::string out(v);
  size_t k = 0;
  for (char& c : out) {
    if (IsDigit(c) && k < d.size()) c = d[k++];
  }
  if (k != d.size()) return absl::StrCat(d.substr(0, 3), "-", d.substr(3, 2), "-", d.substr(5));
  return out;
}

std::string FakeIban(std::string_view original, random::BitGenerator& gen) {
  std::string_view v = Trim(original);
  if (!IsIban(v)) return ReplaceClasses(v, gen);
  bool lower = std::any_of(v.begin(), v.end(), [](char c) { return IsAsciiLower(c); });
  std::string compact;
  for (char c : v) {
    if (c != ' ') compact.push_back(internal::ToUpper(c));
  }
  for (size_t i = 4; i < compact.size(); ++i) {
    char& c = compact[i];
    c = IsDigit(c) ? RandomDigit(gen) : static_cast<char>('A' + Uniform(gen, 26));
  }
  // Check digits: 98 - (BBAN + country + "00") mod 97.
  std::string r = compact.substr(4) + compact.substr(0, 2) + "00";
  int rem = 0;
  for (char c : r) {
    rem = IsDigit(c) ? (rem * 10 + (c - '0')) % 97 : (rem * 100 + (c - 'A' + 10)) % 97;
  }
  int check = 98 - rem;
  compact[2] = static_cast<char>('0' + check / 10);
  compact[3] = static_cast<char>('0' + check % 10);
  std::string out(v);
  size_t k = 0;
  for (char& c : out) {
    if (c != ' ') c = lower ? internal::ToLower(compact[k++]) : compact[k++];
  }
  return out;
}

std::string FakeIp(std::string_view original, random::BitGenerator& gen) {
  std::string_view v = Trim(original);
  std::string suffix;
  size_t slash = v.find('/');
  if (slash != std::string_view::npos) {
    suffix = std::string(v.substr(slash));
    v = v.substr(0, slash);
  }
  if (IsIpv4(v)) {
    // A public-looking unicast address (first octet 1-223, not 10 or 127).
    int a;
    do {
      a = 1 + static_cast<int>(Uniform(gen, 223));
    } while (a == 10 || a == 127);
    return absl::StrCat(a, ".", Uniform(gen, 256), ".", Uniform(gen, 256), ".",
                        1 + Uniform(gen, 254), suffix);
  }
  std::string out(v);
  for (char& c : out) {
    if (internal::IsHex(c)) {
      static constexpr char kHex[] = "0123456789abcdef";
      char h = kHex[Uniform(gen, 16)];
      c = IsAsciiUpper(c) ? internal::ToUpper(h) : h;
    }
  }
  return out + suffix;
}

// Numeric dates: finds three digit groups separated by one of "-/." and re-renders a shifted
// date with the same order, separators and zero padding. Anything else: digits replaced.
std::string FakeDate(std::string_view original, random::BitGenerator& gen) {
  std::string_view v = Trim(original);
  struct G {
    size_t b, e;
  };
  std::vector<G> groups;
  size_t i = 0;
  while (i < v.size() && groups.size() < 3) {
    if (IsDigit(v[i])) {
      size_t j = i;
      while (j < v.size() && IsDigit(v[j])) ++j;
      groups.push_back({i, j});
      i = j;
      if (groups.size() < 3 && !(i < v.size() && (v[i] == '-' || v[i] == '/' || v[i] == '.'))) break;
      ++i;
    } else {
      break;
    }
  }
  const int64_t shift = static_cast<int64_t>(Uniform(gen, 731)) - 365;
  if (groups.size() == 3) {
    auto num = [&](int k) { return std::stoi(std::string(v.substr(groups[k].b, groups[k].e - groups[k].b))); };
    auto len = [&](int k) { return groups[k].e - groups[k].b; };
    int yi, mi, di;
    if (len(0) == 4) {
      yi = 0, mi = 1, di = 2;
    } else if (v[groups[0].e] == '/' && num(0) <= 12) {
      mi = 0, di = 1, yi = 2;  // US m/d/y
    } else {
      di = 0, mi = 1, yi = 2;  // d.m.y, d-m-y, d/m/y
    }
    int64_t y = num(yi);
    if (len(yi) == 2) y += y < 30 ? 2000 : 1900;
    int m = num(mi), d = num(di);
    if (m >= 1 && m <= 12 && d >= 1 && d <= 31) {
      const io::CivilDate shifted = io::CivilFromDays(io::DaysFromCivil(y, m, d) + shift);
      const int64_t ny = shifted.year;
      const int nm = shifted.month, nd = shifted.day;
      auto fmt = [&](int64_t value, size_t width) {
        std::string s = std::to_string(value);
        if (width == 2 && s.size() > 2) s = s.substr(s.size() - 2);
        while (s.size() < width) s.insert(s.begin(), '0');
        return s;
      };
      std::string out(v);
      std::string parts[3];
      parts[yi] = fmt(ny, len(yi));
      parts[mi] = fmt(nm, len(mi));
      parts[di] = fmt(nd, len(di));
      for (int k = 2; k >= 0; --k) out.replace(groups[k].b, len(k), parts[k]);
      return out;
    }
  }
  // Textual dates ("March 5, 1982"): replace day and year digits; keep the month word.
  std::string out(v);
  for (char& c : out) {
    if (IsDigit(c)) c = RandomDigit(gen);
  }
  return out;
}

std::string FakeStreet(std::string_view original, random::BitGenerator& gen) {
  std::string_view v = Trim(original);
  std::vector<std::string_view> words = SplitWords(v);
  std::string type;
  for (auto w : words) {
    std::string_view c = w;
    while (!c.empty() && (c.back() == ',' || c.back() == '.')) c.remove_suffix(1);
    if (lexicon::IsStreetType(c) && internal::IsAsciiUpper(c[0])) {
      type = std::string(c);
      break;
    }
  }
  if (type.empty()) {
    const auto& t = Pick(lexicon::StreetTypes(), gen);
    type = std::string(Uniform(gen, 2) ? t.full : t.abbrev);
  }
  size_t digits = 0;
  if (!words.empty()) {
    while (digits < words[0].size() && IsDigit(words[0][digits])) ++digits;
  }
  if (digits == 0) digits = 1 + Uniform(gen, 4);
  std::string number(1, static_cast<char>('1' + Uniform(gen, 9)));
  while (number.size() < digits) number.push_back(RandomDigit(gen));
  std::string out = absl::StrCat(number, " ", std::string(Pick(lexicon::StreetNames(), gen)), " ", type);
  // A second line / city part ("..., Boston, MA 02127" or a new line): a fake US city line.
  size_t cut = v.find_first_of(",\n");
  if (cut != std::string_view::npos && cut + 1 < v.size()) {
    const auto& city = Pick(lexicon::UsCities(), gen);
    absl::StrAppend(&out, v[cut] == '\n' ? "\n" : ", ", std::string(city.city), ", ", std::string(city.state), " ",
                    absl::StrFormat("%03d%02d", city.zip_prefix, static_cast<int>(Uniform(gen, 100))));
  }
  return out;
}

std::string FakeUrl(std::string_view original, random::BitGenerator& gen) {
  std::string_view v = Trim(original);
  std::string lower = internal::AsciiLower(v);
  std::string scheme;
  for (std::string_view p : {"https://", "http://", "ftp://"}) {
    if (lower.starts_with(p)) scheme = std::string(v.substr(0, p.size()));
  }
  std::string_view rest = v.substr(scheme.size());
  bool www = internal::AsciiLower(rest.substr(0, 4)) == "www.";
  size_t host_end = rest.find_first_of("/?#:");
  std::string_view host = rest.substr(0, host_end);
  std::string tld = "com";
  size_t dot = host.rfind('.');
  if (dot != std::string_view::npos) tld = std::string(host.substr(dot + 1));
  static constexpr std::string_view kWords[] = {
      "blue", "river", "north", "bright", "cedar", "summit", "pixel", "harbor", "maple", "orbit",
      "silver", "stone", "cloud", "field", "lumen", "quartz", "tandem", "vista", "willow", "zenith"};
  std::string name = absl::StrCat(std::string(kWords[Uniform(gen, 20)]), std::string(kWords[Uniform(gen, 20)]));
  std::string out = absl::StrCat(scheme, www ? "www." : "", name, ".", tld);
  if (host_end != std::string_view::npos) out.push_back('/');
  return out;
}

}  // namespace

std::string FakeValue(EntityType type, std::string_view original, random::BitGenerator& gen) {
  switch (type) {
    case EntityType::kPerson: return FakePerson(original, gen);
    case EntityType::kEmail: return FakeEmail(original, gen);
    case EntityType::kPhone: return FakePhone(original, gen);
    case EntityType::kCreditCard: return FakeCard(original, gen);
    case EntityType::kUsSsn: return FakeSsn(original, gen);
    case EntityType::kIban: return FakeIban(original, gen);
    case EntityType::kIpAddress: return FakeIp(original, gen);
    case EntityType::kDate:
    case EntityType::kDateOfBirth: return FakeDate(original, gen);
    case EntityType::kStreetAddress: return FakeStreet(original, gen);
    case EntityType::kUrl: return FakeUrl(original, gen);
    case EntityType::kZipCode:
    case EntityType::kNone: return ReplaceClasses(Trim(original), gen);
  }
  return ReplaceClasses(Trim(original), gen);
}

}  // namespace dpkit::pii

namespace dpkit::pii {
namespace {

// Public templates: the only "originals" fresh fakes are derived from (US locale).
constexpr std::string_view kCardTemplates[] = {"4111111111111111", "5555555555554444",
                                               "378282246310005"};

std::string FreshDate(random::BitGenerator& gen) {
  int64_t lo = 0, hi = 0;
  io::ParseDate("1940-01-01", &lo);
  io::ParseDate("2007-12-31", &hi);
  return io::FormatDate(lo + static_cast<int64_t>(Uniform(gen, static_cast<uint64_t>(hi - lo + 1))));
}

// "Jane" for a given-name header, "Doe" for a surname header, else "Jane Doe".
std::string_view PersonTemplate(std::string_view header) {
  std::string h = internal::AsciiLower(header);
  h.erase(std::remove_if(h.begin(), h.end(), [](char c) { return !IsAsciiLower(c); }), h.end());
  for (std::string_view k : {"first", "given", "fname", "forename"}) {
    if (h.find(k) != std::string::npos) return "Jane";
  }
  for (std::string_view k : {"last", "surname", "family", "lname", "maiden"}) {
    if (h.find(k) != std::string::npos) return "Doe";
  }
  return "Jane Doe";
}

}  // namespace

std::string FreshFakeValue(EntityType type, random::BitGenerator& gen, std::string_view header) {
  switch (type) {
    case EntityType::kPerson: return FakeValue(type, PersonTemplate(header), gen);
    case EntityType::kEmail: return FakeValue(type, "jane.doe@example.com", gen);
    case EntityType::kPhone: return FakeValue(type, "608-555-0100", gen);
    case EntityType::kCreditCard: return FakeValue(type, kCardTemplates[Uniform(gen, 3)], gen);
    case EntityType::kUsSsn: return FakeValue(type, "900-00-0000", gen);
    case EntityType::kIban: return FakeValue(type, "DE89370400440532013000", gen);
    case EntityType::kIpAddress: return FakeValue(type, "192.0.2.1", gen);
    case EntityType::kDate:
    case EntityType::kDateOfBirth: return FreshDate(gen);
    case EntityType::kStreetAddress: return FakeValue(type, "123 Main St", gen);
    case EntityType::kUrl: return FakeValue(type, "https://www.example.com/", gen);
    case EntityType::kZipCode: return FakeValue(type, "00000", gen);
    case EntityType::kNone: return FakeValue(type, "ID00000000", gen);
  }
  return FakeValue(EntityType::kNone, "ID00000000", gen);
}

}  // namespace dpkit::pii
