// Rule-based PII detectors. See dpkit/pii/detectors.h for the rules and their sources.
#include "dpkit/pii/detectors.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "pii/lexicon.h"
#include "pii/text_util.h"

namespace dpkit::pii {

using internal::AsciiLower;
using internal::ContextAfter;
using internal::ContextBefore;
using internal::DecodeAt;
using internal::IsAsciiAlnum;
using internal::IsAsciiAlpha;
using internal::IsAsciiLower;
using internal::IsAsciiUpper;
using internal::IsDigit;
using internal::IsHex;
using internal::IsSpace;
using internal::Trim;
using internal::WordBoundaryAfter;
using internal::WordBoundaryBefore;

namespace {

std::string DigitsOf(std::string_view s) {
  std::string d;
  for (char c : s) {
    if (IsDigit(c)) d.push_back(c);
  }
  return d;
}

int ToInt(std::string_view d) {
  int v = 0;
  for (char c : d) v = v * 10 + (c - '0');
  return v;
}

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return IsDigit(c); });
}

// Digits with single ' ' or '-' separators between groups (one separator kind only).
bool DigitsWithSeparators(std::string_view s, std::string* digits) {
  char sep = 0;
  digits->clear();
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (IsDigit(c)) {
      digits->push_back(c);
    } else if (c == ' ' || c == '-') {
      if (sep != 0 && c != sep) return false;
      sep = c;
      if (i == 0 || i + 1 == s.size() || !IsDigit(s[i - 1]) || !IsDigit(s[i + 1])) return false;
    } else {
      return false;
    }
  }
  return !digits->empty();
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Validators.

bool LuhnValid(std::string_view s) {
  int sum = 0;
  int n = 0;
  for (size_t i = s.size(); i-- > 0;) {
    char c = s[i];
    if (!IsDigit(c)) continue;
    int d = c - '0';
    if (n % 2 == 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    ++n;
  }
  return n > 0 && sum % 10 == 0;
}

std::string CardBrand(std::string_view d) {
  const size_t n = d.size();
  if (n < 12 || n > 19 || !AllDigits(d)) return "";
  auto prefix = [&](size_t k) { return ToInt(d.substr(0, k)); };
  if (d[0] == '4' && (n == 13 || n == 16 || n == 19)) return "Visa";
  int p2 = prefix(2), p3 = prefix(3), p4 = prefix(4), p6 = prefix(6);
  if (n == 16 && ((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720))) return "Mastercard";
  if (n == 15 && (p2 == 34 || p2 == 37)) return "Amex";
  if (n >= 16 && n <= 19 &&
      (p4 == 6011 || (p3 >= 644 && p3 <= 649) || p2 == 65 || (p6 >= 622126 && p6 <= 622925)))
    return "Discover";
  if (n >= 14 && n <= 19 && ((p3 >= 300 && p3 <= 305) || p2 == 36 || p2 == 38 || p2 == 39))
    return "Diners";
  if ((n >= 16 && n <= 19 && p4 >= 3528 && p4 <= 3589) || (n == 15 && (p4 == 1800 || p4 == 2131)))
    return "JCB";
  if (n >= 16 && n <= 19 && p2 == 62) return "UnionPay";
  if (n >= 12 && n <= 19 && (p2 == 50 || (p2 >= 56 && p2 <= 69))) return "Maestro";
  return "";
}

bool IsCreditCard(std::string_view s) {
  std::string digits;
  if (!DigitsWithSeparators(Trim(s), &digits)) return false;
  return LuhnValid(digits) && !CardBrand(digits).empty();
}

namespace {
bool SsnPartsValid(int area, int group, int serial) {
  if (area == 0 || area == 666 || area >= 900) return false;
  if (group == 0 || serial == 0) return false;
  if (area == 78 && group == 5 && serial == 1120) return false;   // Woolworth wallet card
  if (area == 219 && group == 9 && serial == 9999) return false;  // SSA advertising sample
  return true;
}
}  // namespace

bool IsUsSsn(std::string_view s) {
  s = Trim(s);
  std::string d;
  if (s.size() == 11 && (s[3] == '-' || s[3] == ' ') && s[6] == s[3]) {
    d = absl::StrCat(std::string(s.substr(0, 3)), std::string(s.substr(4, 2)),
                     std::string(s.substr(7, 4)));
  } else if (s.size() == 9) {
    d = std::string(s);
  } else {
    return false;
  }
  if (!AllDigits(d)) return false;
  return SsnPartsValid(ToInt(d.substr(0, 3)), ToInt(d.substr(3, 2)), ToInt(d.substr(5, 4)));
}

namespace {
// ISO 7064 MOD 97-10 over an IBAN in compact upper-case form: rotate, letters -> 10..35.
bool IbanChecksumOk(const std::string& compact) {
  std::string r = compact.substr(4) + compact.substr(0, 4);
  int rem = 0;
  for (char c : r) {
    if (IsDigit(c)) {
      rem = (rem * 10 + (c - '0')) % 97;
    } else if (IsAsciiUpper(c)) {
      rem = (rem * 100 + (c - 'A' + 10)) % 97;
    } else {
      return false;
    }
  }
  return rem == 1;
}

bool CompactIbanValid(const std::string& compact) {
  if (compact.size() < 15 || compact.size() > 34) return false;
  if (!IsAsciiUpper(compact[0]) || !IsAsciiUpper(compact[1]) || !IsDigit(compact[2]) ||
      !IsDigit(compact[3]))
    return false;
  int len = lexicon::IbanLength(compact.substr(0, 2));
  if (len == 0 || static_cast<int>(compact.size()) != len) return false;
  for (char c : compact) {
    if (!IsDigit(c) && !IsAsciiUpper(c)) return false;
  }
  return IbanChecksumOk(compact);
}
}  // namespace

bool IsIban(std::string_view s) {
  s = Trim(s);
  std::string compact;
  bool has_upper = false, has_lower = false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == ' ') {
      if (i == 0 || s[i - 1] == ' ') return false;
      continue;
    }
    if (IsAsciiLower(c)) has_lower = true;
    if (IsAsciiUpper(c)) has_upper = true;
    compact.push_back(internal::ToUpper(c));
  }
  if (has_upper && has_lower) return false;
  return CompactIbanValid(compact);
}

bool IsIpv4(std::string_view s) {
  s = Trim(s);
  int parts = 0;
  size_t i = 0;
  while (i <= s.size()) {
    size_t j = i;
    while (j < s.size() && IsDigit(s[j])) ++j;
    size_t len = j - i;
    if (len == 0 || len > 3) return false;
    if (len > 1 && s[i] == '0') return false;
    if (ToInt(s.substr(i, len)) > 255) return false;
    ++parts;
    if (j == s.size()) break;
    if (s[j] != '.' || parts == 4) return false;
    i = j + 1;
  }
  return parts == 4;
}

bool IsIpv6(std::string_view s) {
  s = Trim(s);
  if (s.size() < 2 || s.size() > 45) return false;
  size_t dc = s.find("::");
  if (dc != std::string_view::npos && s.find("::", dc + 1) != std::string_view::npos) return false;
  auto count_groups = [](std::string_view part, bool allow_v4_tail, int* groups) {
    *groups = 0;
    if (part.empty()) return true;
    size_t i = 0;
    while (true) {
      size_t j = part.find(':', i);
      std::string_view g = part.substr(i, j == std::string_view::npos ? part.size() - i : j - i);
      bool last = j == std::string_view::npos;
      if (last && allow_v4_tail && g.find('.') != std::string_view::npos) {
        if (!IsIpv4(g)) return false;
        *groups += 2;
        return true;
      }
      if (g.empty() || g.size() > 4) return false;
      for (char c : g) {
        if (!IsHex(c)) return false;
      }
      ++*groups;
      if (last) return true;
      i = j + 1;
    }
  };
  int left = 0, right = 0;
  if (dc == std::string_view::npos) {
    if (!count_groups(s, true, &left)) return false;
    return left == 8;
  }
  if (!count_groups(s.substr(0, dc), false, &left)) return false;
  if (!count_groups(s.substr(dc + 2), true, &right)) return false;
  return left + right <= 7;
}

namespace {
bool IsLocalPartChar(char c) {
  return IsAsciiAlnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-' || c == '\'';
}
bool IsDomainChar(char c) { return IsAsciiAlnum(c) || c == '.' || c == '-'; }

// Validates a domain name: labels of [A-Za-z0-9-] not starting/ending with '-', >= 2 labels,
// an alphabetic TLD of >= 2 letters. Sets *tld.
bool ValidDomain(std::string_view d, std::string_view* tld, int* labels) {
  if (d.empty() || d.size() > 253) return false;
  *labels = 0;
  size_t i = 0;
  std::string_view last;
  while (true) {
    size_t j = d.find('.', i);
    std::string_view label = d.substr(i, j == std::string_view::npos ? d.size() - i : j - i);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-')
      return false;
    for (char c : label) {
      if (!IsAsciiAlnum(c) && c != '-') return false;
    }
    ++*labels;
    last = label;
    if (j == std::string_view::npos) break;
    i = j + 1;
  }
  if (*labels < 2 || last.size() < 2) return false;
  for (char c : last) {
    if (!IsAsciiAlpha(c)) return false;
  }
  *tld = last;
  return true;
}
}  // namespace

bool IsEmail(std::string_view s) {
  s = Trim(s);
  size_t at = s.find('@');
  if (at == std::string_view::npos || at == 0 || s.find('@', at + 1) != std::string_view::npos)
    return false;
  std::string_view local = s.substr(0, at), domain = s.substr(at + 1);
  if (local.size() > 64 || local.front() == '.' || local.back() == '.') return false;
  for (char c : local) {
    if (!IsLocalPartChar(c)) return false;
  }
  std::string_view tld;
  int labels = 0;
  return ValidDomain(domain, &tld, &labels);
}

bool IsUrlOrDomain(std::string_view s) {
  s = Trim(s);
  std::string lower = AsciiLower(s);
  std::string_view rest = lower;
  bool scheme = false;
  for (std::string_view p : {"https://", "http://", "ftp://"}) {
    if (rest.starts_with(p)) {
      rest.remove_prefix(p.size());
      scheme = true;
      break;
    }
  }
  if (rest.empty()) return false;
  size_t end = rest.find_first_of("/?#:");
  std::string_view host = rest.substr(0, end);
  std::string_view tld;
  int labels = 0;
  if (IsIpv4(host)) return scheme;
  if (!ValidDomain(host, &tld, &labels)) return false;
  for (char c : rest) {
    if (IsSpace(c)) return false;
  }
  return scheme || host.starts_with("www.") || lexicon::IsKnownTld(tld);
}

// ---------------------------------------------------------------------------------------------
// Free-text detection.

namespace {

const std::initializer_list<std::string_view> kPhoneContext = {
    "phone", "tel", "call", "mobile", "cell", "fax", "contact", "reach", "dial", "text me",
    "whatsapp", "number", "messages to", "answering at", "ring", "landline", "office", "sms"};
const std::initializer_list<std::string_view> kDobContext = {
    "born", "birth", "dob", "d.o.b", "b-day", "bday"};

class Detector {
 public:
  explicit Detector(std::string_view text) : t_(text) {}

  std::vector<Span> Run(const DetectOptions& options) {
    Emails();
    Urls();
    Ibans();
    Ips();
    Numbers();
    TextDates();
    Words();
    Addresses();
    Persons();
    return Resolve(options);
  }

 private:
  void Add(EntityType type, size_t b, size_t e, double score) {
    if (e > b && score > 0) spans_.push_back({type, b, e, std::min(score, 1.0)});
  }

  // --- Email. ---
  void Emails() {
    for (size_t at = t_.find('@'); at != std::string_view::npos; at = t_.find('@', at + 1)) {
      size_t b = at;
      while (b > 0 && IsLocalPartChar(t_[b - 1])) --b;
      while (b < at && (t_[b] == '.' || t_[b] == '\'')) ++b;
      size_t e = at + 1;
      while (e < t_.size() && IsDomainChar(t_[e])) ++e;
      while (e > at + 1 && (t_[e - 1] == '.' || t_[e - 1] == '-')) --e;
      if (b == at || e <= at + 1) continue;
      if (IsEmail(t_.substr(b, e - b))) Add(EntityType::kEmail, b, e, 0.95);
    }
  }

  // --- URLs and bare domains. ---
  size_t UrlEnd(size_t from) const {
    size_t e = from;
    while (e < t_.size() && !IsSpace(t_[e]) && t_[e] != '<' && t_[e] != '>' && t_[e] != '"')
      ++e;
    while (e > from && std::string_view(".,;:!?)]}'\"").find(t_[e - 1]) != std::string_view::npos)
      --e;
    return e;
  }

  void Urls() {
    std::string lower = AsciiLower(t_);
    for (std::string_view p : {"https://", "http://", "ftp://", "www."}) {
      for (size_t i = lower.find(p); i != std::string::npos; i = lower.find(p, i + 1)) {
        if (!WordBoundaryBefore(t_, i)) continue;
        if (p == "www." && i >= 3 && lower.compare(i - 3, 3, "://") == 0) continue;
        size_t e = UrlEnd(i);
        if (e > i + p.size() + 3) Add(EntityType::kUrl, i, e, 0.9);
      }
    }
    // Bare domains: label(.label)+ ending in a known TLD, not part of an email or URL.
    size_t i = 0;
    while (i < t_.size()) {
      if (!IsAsciiAlnum(t_[i]) || !WordBoundaryBefore(t_, i) || (i > 0 && t_[i - 1] == '@') ||
          (i > 0 && (t_[i - 1] == '.' || t_[i - 1] == '/' || t_[i - 1] == '-'))) {
        ++i;
        continue;
      }
      size_t e = i;
      while (e < t_.size() && IsDomainChar(t_[e])) ++e;
      size_t token_end = e;
      while (e > i && (t_[e - 1] == '.' || t_[e - 1] == '-')) --e;
      std::string_view cand = t_.substr(i, e - i);
      std::string_view tld;
      int labels = 0;
      if (cand.find('.') != std::string_view::npos && (e >= t_.size() || t_[e] != '@') &&
          ValidDomain(cand, &tld, &labels) && WordBoundaryAfter(t_, e)) {
        std::string ltld = AsciiLower(tld);
        bool case_ok = tld == std::string_view(ltld) ||
                       std::all_of(tld.begin(), tld.end(), [](char c) { return IsAsciiUpper(c); });
        size_t dot = cand.rfind('.');
        size_t prev_dot = cand.rfind('.', dot - 1);
        std::string_view sld = prev_dot == std::string_view::npos
                                   ? cand.substr(0, dot)
                                   : cand.substr(prev_dot + 1, dot - prev_dot - 1);
        bool sld_alpha = std::any_of(sld.begin(), sld.end(), [](char c) { return IsAsciiAlpha(c); });
        if (case_ok && sld_alpha && sld.size() >= 2 && lexicon::IsKnownTld(ltld)) {
          double score = ltld.size() > 2 ? 0.75 : (sld.size() >= 3 ? 0.6 : 0.4);
          if (labels >= 3) score += 0.1;
          size_t end = e;
          if (end < t_.size() && t_[end] == '/') end = UrlEnd(end);
          Add(EntityType::kUrl, i, end, score);
        }
      }
      i = std::max(token_end, i + 1);
    }
  }

  // --- IBAN. ---
  void Ibans() {
    for (size_t i = 0; i + 15 <= t_.size(); ++i) {
      if (!IsAsciiAlpha(t_[i]) || !IsAsciiAlpha(t_[i + 1]) || !IsDigit(t_[i + 2]) ||
          !IsDigit(t_[i + 3]) || !WordBoundaryBefore(t_, i))
        continue;
      char cc[3] = {internal::ToUpper(t_[i]), internal::ToUpper(t_[i + 1]), 0};
      int len = lexicon::IbanLength(cc);
      if (len == 0) continue;
      std::string compact;
      size_t e = i;
      while (e < t_.size() && static_cast<int>(compact.size()) < len) {
        char c = t_[e];
        if (IsAsciiAlnum(c)) {
          compact.push_back(internal::ToUpper(c));
          ++e;
        } else if (c == ' ' && e + 1 < t_.size() && IsAsciiAlnum(t_[e + 1]) && !compact.empty()) {
          ++e;
        } else {
          break;
        }
      }
      if (static_cast<int>(compact.size()) != len || !WordBoundaryAfter(t_, e)) continue;
      std::string_view raw = t_.substr(i, e - i);
      bool up = std::any_of(raw.begin(), raw.end(), [](char c) { return IsAsciiUpper(c); });
      bool lo = std::any_of(raw.begin(), raw.end(), [](char c) { return IsAsciiLower(c); });
      if (up && lo) continue;
      if (CompactIbanValid(compact)) {
        Add(EntityType::kIban, i, e, 0.95);
        i = e;
      }
    }
  }

  // --- IP addresses. ---
  void Ips() {
    static const std::initializer_list<std::string_view> kVersionContext = {
        "version", "ver.", "release", "build", "firmware", "python", "java", "node", "update",
        "upgrade", "patch", "v."};
    for (size_t i = 0; i < t_.size(); ++i) {
      if (!IsDigit(t_[i]) || !WordBoundaryBefore(t_, i) || (i > 0 && t_[i - 1] == '.')) continue;
      size_t e = i;
      while (e < t_.size() && (IsDigit(t_[e]) || t_[e] == '.')) ++e;
      size_t token_end = e;
      while (e > i && t_[e - 1] == '.') --e;
      std::string_view cand = t_.substr(i, e - i);
      if (std::count(cand.begin(), cand.end(), '.') == 3 && IsIpv4(cand) &&
          WordBoundaryAfter(t_, token_end) && (e == token_end || token_end == e + 1)) {
        bool version = (i > 0 && (t_[i - 1] == 'v' || t_[i - 1] == 'V')) ||
                       ContextBefore(t_, i, 20, kVersionContext);
        double score = version ? 0.3 : 0.85;
        if (!version && ContextBefore(t_, i, 30, {"ip", "address", "host", "server", "client"}))
          score = 0.95;
        size_t end = e;
        if (end + 1 < t_.size() && t_[end] == '/' && IsDigit(t_[end + 1])) {
          size_t k = end + 1;
          while (k < t_.size() && IsDigit(t_[k])) ++k;
          if (k - end - 1 <= 2 && ToInt(t_.substr(end + 1, k - end - 1)) <= 32) end = k;
        }
        Add(EntityType::kIpAddress, i, end, score);
      }
      i = token_end;
    }
    // IPv6: runs of [0-9A-Fa-f:.] with at least two colons.
    for (size_t i = 0; i < t_.size(); ++i) {
      if (!(IsHex(t_[i]) || t_[i] == ':') || !WordBoundaryBefore(t_, i) ||
          (i > 0 && t_[i - 1] == ':'))
        continue;
      size_t e = i;
      while (e < t_.size() && (IsHex(t_[e]) || t_[e] == ':' || t_[e] == '.')) ++e;
      size_t token_end = e;
      while (e > i && (t_[e - 1] == '.' || (t_[e - 1] == ':' && !(e >= i + 2 && t_[e - 2] == ':'))))
        --e;
      std::string_view cand = t_.substr(i, e - i);
      if (std::count(cand.begin(), cand.end(), ':') >= 2 && WordBoundaryAfter(t_, token_end) &&
          IsIpv6(cand)) {
        // "::" alone or tiny forms like "a::b" need context.
        bool strong = std::count(cand.begin(), cand.end(), ':') >= 4 || cand.size() >= 10;
        Add(EntityType::kIpAddress, i, e, strong ? 0.9 : 0.45);
      }
      i = std::max(token_end, i + 1) - 1;
    }
  }

  // --- Numbers: cards, SSNs, phones, numeric dates, ZIP codes, years. ---
  struct Group {
    size_t b, e;
  };

  void Numbers() {
    size_t i = 0;
    while (i < t_.size()) {
      if (!IsDigit(t_[i]) || !WordBoundaryBefore(t_, i) ||
          (i > 0 && (t_[i - 1] == '.' || t_[i - 1] == ':' || t_[i - 1] == '$' ||
                     t_[i - 1] == '#' || t_[i - 1] == '/' || t_[i - 1] == '_'))) {
        ++i;
        continue;
      }
      std::vector<Group> groups;
      size_t k = i;
      while (true) {
        size_t b = k;
        while (k < t_.size() && IsDigit(t_[k])) ++k;
        // A group glued to letters ("20th", "4GB") ends the chunk and is not usable.
        if (k < t_.size() && !WordBoundaryAfter(t_, k)) {
          if (groups.empty()) groups.push_back({b, b});  // marks "unusable"
          break;
        }
        groups.push_back({b, k});
        // Separator: 1-3 chars of " -./()", no newline.
        size_t s = k;
        while (s < t_.size() && s - k < 3 &&
               std::string_view(" -./()").find(t_[s]) != std::string_view::npos)
          ++s;
        if (s == k || s >= t_.size() || !IsDigit(t_[s]) || groups.size() >= 12) break;
        std::string_view sep = t_.substr(k, s - k);
        if (std::count(sep.begin(), sep.end(), ' ') > 1) break;
        k = s;
      }
      if (groups.size() == 1 && groups[0].b == groups[0].e) {
        while (i < t_.size() && IsAsciiAlnum(t_[i])) ++i;
        continue;
      }
      MatchGroups(groups);
      i = groups.back().e;
    }
  }

  std::string Sep(const std::vector<Group>& g, size_t a) const {
    return std::string(t_.substr(g[a].e, g[a + 1].b - g[a].e));
  }

  void MatchGroups(const std::vector<Group>& g) {
    size_t a = 0;
    while (a < g.size()) {
      bool matched = false;
      for (size_t z = std::min(g.size() - 1, a + 7) + 1; z-- > a;) {
        if (MatchWindow(g, a, z)) {
          a = z + 1;
          matched = true;
          break;
        }
      }
      if (!matched) ++a;
    }
  }

  bool PhoneContext(size_t b, size_t e) const {
    return ContextBefore(t_, b, 40, kPhoneContext) ||
           ContextAfter(t_, e, 14, {"fax", "office", "mobile", "cell", "phone", "(m)", "(w)"});
  }

  static bool ValidYmd(int y, int m, int d) {
    if (m < 1 || m > 12 || d < 1 || d > 31) return false;
    static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return d <= kDays[m - 1] && y >= 0;
  }

  // Extends a date ending at `e` over a following time " hh:mm[:ss]" or "Thh:mm[:ss]".
  size_t ExtendTime(size_t e) const {
    if (e + 5 < t_.size() + 1 && e < t_.size() && (t_[e] == ' ' || t_[e] == 'T')) {
      size_t k = e + 1;
      auto two = [&](size_t p) { return p + 1 < t_.size() && IsDigit(t_[p]) && IsDigit(t_[p + 1]); };
      if (two(k) && k + 2 < t_.size() && t_[k + 2] == ':' && two(k + 3)) {
        k += 5;
        if (k + 2 < t_.size() && t_[k] == ':' && two(k + 1)) k += 3;
        if (WordBoundaryAfter(t_, k)) return k;
      }
    }
    return e;
  }

  void AddDate(size_t b, size_t e, double score) {
    e = ExtendTime(e);
    if (ContextBefore(t_, b, 30, kDobContext)) {
      Add(EntityType::kDateOfBirth, b, e, std::max(score, 0.85));
    } else {
      Add(EntityType::kDate, b, e, score);
    }
  }

  bool MatchWindow(const std::vector<Group>& g, size_t a, size_t z) {
    size_t b = g[a].b, e = g[z].e;
    if (b == e) return false;
    const size_t k = z - a + 1;
    std::vector<std::string> seps;
    for (size_t x = a; x < z; ++x) seps.push_back(Sep(g, x));
    bool same_sep = std::all_of(seps.begin(), seps.end(), [&](const std::string& s) { return s == seps[0]; });
    std::string digits;
    std::vector<size_t> lens;
    for (size_t x = a; x <= z; ++x) {
      digits.append(t_.substr(g[x].b, g[x].e - g[x].b));
      lens.push_back(g[x].e - g[x].b);
    }
    const size_t n = digits.size();
    // A leading '+' or '(' belongs to the number.
    bool plus = false, paren = false;
    size_t pb = b;
    if (pb > 0 && t_[pb - 1] == '(') {
      paren = true;
      --pb;
    }
    if (pb > 0 && t_[pb - 1] == '+') {
      plus = true;
      --pb;
    }
    if ((plus || paren) && pb > 0 && !WordBoundaryBefore(t_, pb)) return false;
    bool has_paren_sep = std::any_of(seps.begin(), seps.end(), [](const std::string& s) {
      return s.find_first_of("()") != std::string::npos;
    });

    // 1. Numeric dates.
    if (k == 3 && same_sep && (seps[0] == "/" || seps[0] == "-" || seps[0] == ".") && !plus &&
        !paren) {
      int v0 = ToInt(digits.substr(0, lens[0])), v1 = ToInt(digits.substr(lens[0], lens[1])),
          v2 = ToInt(digits.substr(lens[0] + lens[1]));
      bool ok = false;
      if (lens[0] == 4 && lens[1] <= 2 && lens[2] <= 2) {
        ok = v0 >= 1800 && v0 <= 2099 && ValidYmd(v0, v1, v2);
      } else if (lens[0] <= 2 && lens[1] <= 2 && (lens[2] == 4 || lens[2] == 2)) {
        bool year_ok = lens[2] == 2 || (v2 >= 1800 && v2 <= 2099);
        ok = year_ok && (ValidYmd(2000, v0, v1) || ValidYmd(2000, v1, v0));
      }
      if (ok) {
        AddDate(b, e, seps[0] == "." && lens[2] == 2 ? 0.6 : 0.8);
        return true;
      }
    }
    // 2. US SSN.
    if (k == 3 && lens[0] == 3 && lens[1] == 2 && lens[2] == 4 && same_sep &&
        (seps[0] == "-" || seps[0] == " ") && !plus && !paren) {
      bool ctx = ContextBefore(t_, b, 40, {"ssn", "social security", "social sec", "ss#", "ss #"});
      if (SsnPartsValid(ToInt(digits.substr(0, 3)), ToInt(digits.substr(3, 2)),
                        ToInt(digits.substr(5)))) {
        Add(EntityType::kUsSsn, b, e, ctx ? 0.95 : (seps[0] == "-" ? 0.85 : 0.6));
        return true;
      }
      if (!PhoneContext(b, e)) return false;  // an invalid SSN is not re-read as a phone
    }
    if (k == 1 && n == 9 && !plus && !paren &&
        ContextBefore(t_, b, 30, {"ssn", "social security", "ss#"}) && IsUsSsn(digits)) {
      Add(EntityType::kUsSsn, b, e, 0.8);
      return true;
    }
    // 3. Credit cards.
    if (n >= 12 && n <= 19 && !plus && !paren && !has_paren_sep &&
        (k == 1 || (same_sep && (seps[0] == " " || seps[0] == "-") &&
                    std::all_of(lens.begin(), lens.end(), [](size_t l) { return l >= 3; })))) {
      if (LuhnValid(digits)) {
        bool ctx = ContextBefore(t_, b, 40, {"card", "cc", "visa", "master", "amex", "credit", "debit"});
        if (!CardBrand(digits).empty()) {
          Add(EntityType::kCreditCard, b, e, ctx ? 1.0 : 0.9);
          return true;
        }
        if (ctx) {
          Add(EntityType::kCreditCard, b, e, 0.6);
          return true;
        }
      }
    }
    // 4. Phones.
    const bool ctx = PhoneContext(b, e);
    // A date at the start of the window ("2000-04-16 11") is matched by a smaller window.
    if (k > 3 && seps[0] == seps[1] && (seps[0] == "-" || seps[0] == "/" || seps[0] == ".") &&
        ((lens[0] == 4 && lens[1] <= 2 && lens[2] <= 2) ||
         (lens[0] <= 2 && lens[1] <= 2 && (lens[2] == 4 || lens[2] == 2)))) {
      return false;
    }
    // NANP-shaped (3-3-4) but not a valid NANP number: a phone only with context.
    const bool nanp_shape_invalid = k == 3 && lens[0] == 3 && lens[1] == 3 && lens[2] == 4 &&
                                    (digits[0] < '2' || digits[3] < '2');
    if (nanp_shape_invalid && !ctx) return false;
    size_t end = e;
    // "(905) 674-3793": a '(' before the first group needs a ')' after it.
    const bool phone_shape = !(paren && !has_paren_sep);
    if (phone_shape && plus) {
      bool cc_ok = false;
      for (size_t l = 1; l <= 3 && l <= lens[0]; ++l) cc_ok |= lexicon::IsCountryCallingCode(digits.substr(0, l));
      if (cc_ok && n >= 8 && n <= 15 && (k >= 2 || n >= 10)) {
        Add(EntityType::kPhone, pb, end, 0.85 + (ctx ? 0.1 : 0));
        return true;
      }
      return false;
    }
    if (phone_shape) {
      // NANP, optionally with a leading "1" group.
      size_t off = (k == 4 && lens[0] == 1 && digits[0] == '1') ? 1 : 0;
      if (k - off == 3 && lens[off] == 3 && lens[off + 1] == 3 && lens[off + 2] == 4) {
        size_t d0 = off;  // digit index of the area code
        char area = digits[d0], exch = digits[d0 + 3];
        bool seps_ok = true;
        for (size_t x = off; x < seps.size(); ++x) {
          const std::string& s = seps[x];
          seps_ok &= (s == "-" || s == "." || s == " " || s == ") " || s == ")" || s == ")-");
        }
        if (area >= '2' && exch >= '2' && seps_ok) {
          Add(EntityType::kPhone, pb, end, 0.85 + (ctx ? 0.1 : 0));
          return true;
        }
      }
      if (k == 1 && n == 10 && digits[0] >= '2' && digits[3] >= '2') {
        if (ctx) {
          Add(EntityType::kPhone, pb, end, 0.75);
          return true;
        }
      }
      if (k == 1 && n == 11 && digits[0] == '1' && ctx) {
        Add(EntityType::kPhone, pb, end, 0.7);
        return true;
      }
    }
    // National formats with separators.
    if (phone_shape && k >= 2 && n >= 6 && n <= 13 &&
        std::all_of(lens.begin(), lens.end(), [](size_t l) { return l <= 5; }) &&
        std::none_of(seps.begin(), seps.end(), [](const std::string& s) {
          return s.find('/') != std::string::npos;
        }) &&
        !(std::all_of(seps.begin(), seps.end(), [](const std::string& s) { return s == "."; }) && k <= 3)) {
      double score = (k >= 3 && n >= 8) ? 0.55 : 0.4;
      if (paren) score += 0.1;
      if (ctx) score += 0.3;
      if (n < 7 && !ctx) score = 0.2;
      if (score >= 0.5) {
        Add(EntityType::kPhone, pb, end, score);
        return true;
      }
    }
    if (k >= 2 && n >= 10 && n <= 15 && digits.starts_with("00") && ctx) {
      Add(EntityType::kPhone, pb, end, 0.6);
      return true;
    }
    // 5. ZIP codes.
    bool zip_ctx = ContextBefore(t_, b, 25, {"zip", "postal", "postcode", "post code", "plz"});
    if (!paren && (k == 1 || (k == 2 && same_sep && (seps[0] == "-" || seps[0] == " ")))) {
      bool us_zip = (k == 1 && n == 5) || (k == 2 && lens[0] == 5 && lens[1] == 4);
      bool state_before = b >= 3 && t_[b - 1] == ' ' && IsAsciiUpper(t_[b - 2]) &&
                          IsAsciiUpper(t_[b - 3]) && (b == 3 || !IsAsciiAlnum(t_[b - 4])) &&
                          lexicon::IsUsStateCode(t_.substr(b - 3, 2));
      if (us_zip && (zip_ctx || state_before)) {
        Add(EntityType::kZipCode, b, e, zip_ctx ? 0.85 : 0.75);
        return true;
      }
      if (zip_ctx && n >= 3 && n <= 8 && ContextBefore(t_, b, 16, {"zip", "postal", "postcode", "plz"})) {
        Add(EntityType::kZipCode, b, e, 0.75);
        return true;
      }
    }
    // 6. Years in date context.
    if (k == 1 && n == 4) {
      int y = ToInt(digits);
      if (y >= 1800 && y <= 2099 &&
          ContextBefore(t_, b, 12, {"in ", "since ", "of ", "during ", "year ", "born ", "until ",
                                    "by ", "from ", "circa ", "around ", "early ", "late ",
                                    "mid ", "before ", "after ", "till "})) {
        AddDate(b, e, 0.6);
        return true;
      }
    }
    return false;
  }

  // --- Textual dates: "March 5, 1982", "5 March 1982", "5th of March", "Mar 1982",
  //     weekday names. ---
  struct Word {
    size_t b, e;
    std::string_view w;  // stripped of surrounding punctuation
  };

  void TextDates() {
    Tokenize();
    for (size_t x = 0; x < words_.size(); ++x) {
      const Word& w = words_[x];
      if (w.w.empty()) continue;
      size_t l = 0;
      if (!internal::IsUpperLetter(DecodeAt(w.w, 0, &l))) continue;
      if (lexicon::IsWeekday(w.w)) {
        Add(EntityType::kDate, w.b, w.b + w.w.size(), 0.6);
        continue;
      }
      int month = lexicon::MonthNumber(w.w);
      if (month == 0) continue;
      size_t b = w.b, e = w.b + w.w.size();
      bool has_day = false, has_year = false;
      auto day_of = [&](std::string_view s) {
        std::string_view d = s;
        for (std::string_view suf : {"st", "nd", "rd", "th"}) {
          if (d.size() > 2 && d.ends_with(suf)) d.remove_suffix(2);
        }
        return AllDigits(d) && d.size() <= 2 && ToInt(d) >= 1 && ToInt(d) <= 31;
      };
      // Preceding day: "5 March", "5th of March".
      if (x >= 1 && day_of(words_[x - 1].w)) {
        b = words_[x - 1].b;
        has_day = true;
      } else if (x >= 2 && AsciiLower(words_[x - 1].w) == "of" && day_of(words_[x - 2].w)) {
        b = words_[x - 2].b;
        has_day = true;
      }
      size_t y = x + 1;
      if (!has_day && y < words_.size() && day_of(words_[y].w)) {
        e = words_[y].b + words_[y].w.size();
        has_day = true;
        ++y;
      }
      if (y < words_.size() && words_[y].w.size() == 4 && AllDigits(words_[y].w)) {
        int yr = ToInt(words_[y].w);
        if (yr >= 1800 && yr <= 2099) {
          e = words_[y].b + 4;
          has_year = true;
        }
      }
      if (!has_day && !has_year) continue;
      // "May" alone as a verb is excluded by requiring a day or a year.
      AddDate(b, e, has_day && has_year ? 0.9 : 0.75);
    }
  }

  void Tokenize() {
    if (tokenized_) return;
    tokenized_ = true;
    size_t i = 0;
    while (i < t_.size()) {
      while (i < t_.size() && IsSpace(t_[i])) ++i;
      size_t b = i;
      while (i < t_.size() && !IsSpace(t_[i])) ++i;
      if (b == i) break;
      std::string_view w = t_.substr(b, i - b);
      size_t wb = b;
      while (!w.empty() && std::string_view("\"'([{<,;:!?*").find(w.front()) != std::string_view::npos) {
        w.remove_prefix(1);
        ++wb;
      }
      while (!w.empty() && std::string_view("\"')]}>,;:!?*.").find(w.back()) != std::string_view::npos)
        w.remove_suffix(1);
      words_.push_back({wb, i, w});
    }
  }

  void Words() { Tokenize(); }

  // --- Street addresses. ---
  static bool IsHouseNumber(std::string_view w) {
    if (w.empty() || w.size() > 8 || !IsDigit(w[0])) return false;
    size_t k = 0;
    while (k < w.size() && IsDigit(w[k])) ++k;
    if (k > 6) return false;
    std::string_view rest = w.substr(k);
    if (rest.empty()) return true;
    if (rest.size() == 1 && IsAsciiAlpha(rest[0])) return true;
    if (rest[0] == '-' && AllDigits(rest.substr(1))) return true;
    if (rest == ".") return true;
    return false;
  }
  static bool IsCapWord(std::string_view w) {
    if (w.empty()) return false;
    size_t l = 0;
    char32_t c = DecodeAt(w, 0, &l);
    return internal::IsUpperLetter(c);
  }
  static bool IsOrdinal(std::string_view w) {
    return w.size() >= 3 && IsDigit(w[0]) &&
           (w.ends_with("st") || w.ends_with("nd") || w.ends_with("rd") || w.ends_with("th"));
  }
  static bool IsUnitWord(std::string_view w) {
    std::string l = AsciiLower(w);
    if (!l.empty() && l.back() == '.') l.pop_back();
    return l == "apt" || l == "apartment" || l == "suite" || l == "ste" || l == "unit" ||
           l == "fl" || l == "floor" || l == "room" || l == "rm" || l == "#" || l == "bldg" ||
           l == "building" || l == "dept" || l == "lot";
  }
  // Word index of the first word starting at or after byte `pos`.
  size_t WordAt(size_t pos) const {
    return std::lower_bound(words_.begin(), words_.end(), pos,
                            [](const Word& w, size_t p) { return w.b < p; }) -
           words_.begin();
  }
  bool SameLine(size_t from, size_t to) const {
    return t_.substr(from, to - from).find('\n') == std::string_view::npos;
  }
  // After an address ending at word index `x` (exclusive end byte e), takes a unit and up to
  // three short ", City" / "\nCity, ST 12345" segments.
  size_t ExtendAddress(size_t x, size_t e) {
    // Unit: "Apt. 864", "Suite 501", "#12".
    if (x < words_.size() && IsUnitWord(words_[x].w) && x + 1 < words_.size() &&
        IsAsciiAlnum(words_[x + 1].w.empty() ? ' ' : words_[x + 1].w[0]) &&
        words_[x].b - e <= 2) {
      e = words_[x + 1].b + words_[x + 1].w.size();
      x += 2;
    } else if (x < words_.size() && words_[x].w.size() >= 2 && words_[x].w[0] == '#' &&
               words_[x].b - e <= 2) {
      e = words_[x].b + words_[x].w.size();
      ++x;
    }
    for (int seg = 0; seg < 3; ++seg) {
      size_t p = e;
      bool sep = false;
      while (p < t_.size() && (t_[p] == ',' || IsSpace(t_[p]))) {
        sep |= t_[p] == ',' || t_[p] == '\n';
        ++p;
      }
      if (!sep || p >= t_.size() || p - e > 6) break;
      size_t q = p;
      while (q < t_.size() && t_[q] != ',' && t_[q] != '\n') ++q;
      std::string_view s = Trim(t_.substr(p, q - p));
      if (s.empty() || s.size() > 40) break;
      if (s.find_first_of("?!;:\"()") != std::string_view::npos) break;
      // Words that are capitalised, numbers or 2-letter codes; at most 4. A segment that goes
      // on with other words ("IL 62704 now") ends the address after its last good word.
      int nw = 0;
      bool ok = true;
      size_t i = 0, good_end = 0;
      while (i < s.size() && ok && nw < 4) {
        while (i < s.size() && s[i] == ' ') ++i;
        size_t j = i;
        while (j < s.size() && s[j] != ' ') ++j;
        if (j == i) break;
        std::string_view w = s.substr(i, j - i);
        if (w.back() == '.') w.remove_suffix(1);
        ok = !w.empty() && (IsCapWord(w) || IsDigit(w[0]));
        if (ok && !IsDigit(w[0]) && lexicon::IsStopWord(w) && !lexicon::IsUsStateCode(w)) ok = false;
        if (ok) {
          ++nw;
          good_end = i + w.size();
        }
        i = j;
      }
      if (nw == 0) break;
      const size_t seg_begin = p + (s.data() - t_.substr(p).data());
      e = seg_begin + good_end;
      if (!ok || good_end < s.size()) break;
    }
    return e;
  }

  void Addresses() {
    Tokenize();
    size_t x = 0;
    while (x < words_.size()) {
      size_t matched_end = 0, matched_begin = 0, next = 0;
      double score = 0;
      const std::string_view w = words_[x].w;
      // A: "123 [N] Main [Street] St[.]" -> number, 1-4 cap words/ordinals, a street type.
      if (IsHouseNumber(w) && WordBoundaryBefore(t_, words_[x].b)) {
        for (size_t m = 1; m <= 5 && x + m < words_.size(); ++m) {
          std::string_view v = words_[x + m].w;
          if (!SameLine(words_[x].b, words_[x + m].b)) break;
          if (m >= 2 && lexicon::IsStreetType(v) && IsCapWord(v)) {
            matched_begin = words_[x].b;
            matched_end = words_[x + m].b + v.size();
            next = x + m + 1;
            score = 0.85;
            break;
          }
          if (!(IsCapWord(v) || IsOrdinal(v))) break;
          if (m == 1 && lexicon::IsStopWord(v) && !lexicon::IsStreetType(v)) break;
        }
        // C with a leading number: "6750 Koskikatu 25".
        if (score == 0 && x + 1 < words_.size() && lexicon::HasStreetSuffix(words_[x + 1].w) &&
            IsCapWord(words_[x + 1].w)) {
          matched_begin = words_[x].b;
          matched_end = words_[x + 1].b + words_[x + 1].w.size();
          next = x + 2;
          if (next < words_.size() && IsHouseNumber(words_[next].w)) {
            matched_end = words_[next].b + words_[next].w.size();
            ++next;
          }
          score = 0.8;
        }
      }
      // B: "Rua do Arenque 1634", "Avenida Noruega 42", "Via Roma 5".
      if (score == 0 && IsCapWord(w) && lexicon::IsStreetPrefixWord(w)) {
        for (size_t m = 1; m <= 5 && x + m < words_.size(); ++m) {
          std::string_view v = words_[x + m].w;
          if (!SameLine(words_[x].b, words_[x + m].b)) break;
          if (m >= 2 && IsHouseNumber(v)) {
            matched_begin = words_[x].b;
            matched_end = words_[x + m].b + v.size();
            next = x + m + 1;
            score = 0.8;
            break;
          }
          std::string lv = AsciiLower(v);
          if (!(IsCapWord(v) || lv == "de" || lv == "do" || lv == "da" || lv == "del" ||
                lv == "della" || lv == "la" || lv == "des" || lv == "du" || lv == "dos" ||
                lv == "das" || lv == "di" || lv == "von" || IsOrdinal(v)))
            break;
        }
      }
      // F: "Villacher Strasse 89", "Csabai kapu 39": 1-3 capitalised words, a street word,
      // a house number.
      if (score == 0 && IsCapWord(w) && !lexicon::IsStopWord(w)) {
        for (size_t m = 1; m <= 3 && x + m + 1 < words_.size(); ++m) {
          std::string_view v = words_[x + m].w;
          if (!SameLine(words_[x].b, words_[x + m + 1].b)) break;
          if (lexicon::IsStreetType(v) && IsHouseNumber(words_[x + m + 1].w)) {
            matched_begin = words_[x].b;
            matched_end = words_[x + m + 1].b + words_[x + m + 1].w.size();
            next = x + m + 2;
            score = 0.75;
            break;
          }
          if (!IsCapWord(v)) break;
        }
      }
      // G: "28030 Edeby 55", "0138 Brisas 6802": a number, 1-3 capitalised words, a number.
      if (score == 0 && AllDigits(w) && w.size() >= 3 && w.size() <= 5 &&
          WordBoundaryBefore(t_, words_[x].b)) {
        for (size_t m = 1; m <= 3 && x + m + 1 < words_.size(); ++m) {
          std::string_view v = words_[x + m].w;
          if (!IsCapWord(v) || lexicon::IsStopWord(v) || !SameLine(words_[x].b, words_[x + m + 1].b)) break;
          std::string_view num = words_[x + m + 1].w;
          if (AllDigits(num) && num.size() <= 5 && words_[x + m + 1].e == words_[x + m + 1].b + num.size()) {
            matched_begin = words_[x].b;
            matched_end = words_[x + m + 1].b + num.size();
            next = x + m + 2;
            score = 0.6;
            break;
          }
        }
      }
      // C: "Koskikatu 25", "Mellemvej 32", "Hauptstraße 5a" (also lower case).
      if (score == 0 && lexicon::HasStreetSuffix(w) && x + 1 < words_.size() &&
          IsHouseNumber(words_[x + 1].w) && SameLine(words_[x].b, words_[x + 1].b)) {
        matched_begin = words_[x].b;
        matched_end = words_[x + 1].b + words_[x + 1].w.size();
        next = x + 2;
        score = 0.8;
      }
      // E: PO boxes and military addresses.
      if (score == 0) {
        std::string lw = AsciiLower(w);
        if ((lw == "p.o." || lw == "po" || lw == "p.o") && x + 2 < words_.size() &&
            AsciiLower(words_[x + 1].w) == "box" && IsHouseNumber(words_[x + 2].w)) {
          matched_begin = words_[x].b;
          matched_end = words_[x + 2].b + words_[x + 2].w.size();
          next = x + 3;
          score = 0.85;
        } else if ((w == "PSC" || w == "Unit" || w == "CMR") && x + 3 < words_.size() &&
                   AllDigits(words_[x + 1].w) && words_[x + 2].w == "Box" &&
                   AllDigits(words_[x + 3].w)) {
          matched_begin = words_[x].b;
          matched_end = words_[x + 3].b + words_[x + 3].w.size();
          next = x + 4;
          score = 0.85;
        } else if ((w == "APO" || w == "FPO" || w == "DPO") && x + 2 < words_.size() &&
                   (words_[x + 1].w == "AA" || words_[x + 1].w == "AE" || words_[x + 1].w == "AP") &&
                   AllDigits(words_[x + 2].w) && words_[x + 2].w.size() == 5) {
          matched_begin = words_[x].b;
          matched_end = words_[x + 2].b + 5;
          next = x + 3;
          score = 0.85;
        }
      }
      // D: a unit alone, "Apt. 595", "Suite 501".
      if (score == 0 && IsCapWord(w) && IsUnitWord(w) && w != "Unit" && x + 1 < words_.size() &&
          IsHouseNumber(words_[x + 1].w) && SameLine(words_[x].b, words_[x + 1].b)) {
        Add(EntityType::kStreetAddress, words_[x].b, words_[x + 1].b + words_[x + 1].w.size(), 0.6);
        x += 2;
        continue;
      }
      if (score > 0) {
        size_t e = ExtendAddress(next, matched_end);
        Add(EntityType::kStreetAddress, matched_begin, e, score);
        x = std::max(next, WordAt(e));
        continue;
      }
      ++x;
    }
  }

  // --- Person names. ---
  static bool IsInitial(std::string_view w) {
    return (w.size() == 1 && IsAsciiUpper(w[0])) ||
           (w.size() == 2 && IsAsciiUpper(w[0]) && w[1] == '.');
  }
  // Capitalised word with at least one lower-case letter after the first (not ALL CAPS).
  static bool IsNameLike(std::string_view w) {
    if (w.size() < 2) return false;
    size_t l = 0;
    char32_t c = DecodeAt(w, 0, &l);
    if (!internal::IsUpperLetter(c)) return false;
    bool lower = false;
    for (size_t i = l; i < w.size();) {
      size_t len = 0;
      char32_t d = DecodeAt(w, i, &len);
      if (internal::IsLowerLetter(d)) {
        lower = true;
      } else if (!(internal::IsLetter(d) || d == '\'' || d == '-' || d == 0x2019)) {
        return false;
      }
      i += len;
    }
    return lower;
  }
  static bool HasNonAscii(std::string_view w) {
    return std::any_of(w.begin(), w.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
  }
  bool SentenceStart(size_t b) const {
    size_t p = b;
    while (p > 0 && (t_[p - 1] == ' ' || t_[p - 1] == '"' || t_[p - 1] == '\'' || t_[p - 1] == '(')) --p;
    if (p == 0) return true;
    char c = t_[p - 1];
    return c == '.' || c == '!' || c == '?' || c == '\n' || c == ':';
  }

  void Persons() {
    Tokenize();
    size_t x = 0;
    while (x < words_.size()) {
      // Build a run of name-like words / initials separated by single spaces on one line.
      size_t y = x;
      auto word_ok = [&](size_t i) {
        std::string_view w = words_[i].w;
        std::string_view core = w;
        if (core.ends_with("'s")) core.remove_suffix(2);
        if (IsInitial(w)) return true;
        return IsNameLike(core) && !lexicon::IsStopWord(core) && !lexicon::IsPersonTitle(core) &&
               lexicon::MonthNumber(core) == 0 && !lexicon::IsWeekday(core);
      };
      while (y < words_.size() && word_ok(y) && y - x < 5) {
        if (y > x) {
          // Must be separated by exactly one space from the previous word, and the previous
          // word must not end with punctuation that closes a name (",", ".", ...).
          const Word& prev = words_[y - 1];
          if (words_[y].b != prev.e + 1 || t_[prev.e] != ' ') break;
          if (prev.e != prev.b + prev.w.size() && !IsInitial(prev.w))
            break;  // punctuation after the previous word
        }
        ++y;
      }
      if (y == x) {
        ++x;
        continue;
      }
      // Trim trailing initials.
      while (y > x && IsInitial(words_[y - 1].w)) --y;
      if (y == x) {
        ++x;
        continue;
      }
      runs_.push_back({x, y, ScoreRun(x, y)});
      x = y;
    }
    ListNames();
  }

  // Names in a list: "Kónya, Becker and Vasquez". A list of >= 3 single capitalised words where
  // at least one is already a name (or in the name lists) makes every item a name.
  void ListNames() {
    size_t i = 0;
    while (i < runs_.size()) {
      size_t j = i;
      while (j + 1 < runs_.size()) {
        const NameRun& a = runs_[j];
        const NameRun& b = runs_[j + 1];
        size_t ae = words_[a.y - 1].b + words_[a.y - 1].w.size();
        std::string_view between = t_.substr(ae, words_[b.x].b - ae);
        if (between != ", " && between != " and " && between != ", and " && between != " & ") break;
        ++j;
      }
      if (j - i + 1 >= 3) {
        int hits = 0;
        bool singles = true;
        for (size_t r = i; r <= j; ++r) {
          singles &= runs_[r].y - runs_[r].x == 1;
          std::string_view w = words_[runs_[r].x].w;
          hits += runs_[r].score >= 0.5 || lexicon::IsGivenName(w) || lexicon::IsSurname(w);
        }
        if (singles && hits >= 1) {
          for (size_t r = i; r <= j; ++r) {
            const Word& w = words_[runs_[r].x];
            if (runs_[r].score < 0.5) Add(EntityType::kPerson, w.b, w.b + w.w.size(), 0.55);
          }
        }
      }
      i = j + 1;
    }
  }

  struct NameRun {
    size_t x, y;
    double score;
  };

  double ScoreRun(size_t x, size_t y) {
    const size_t k = y - x;
    if (k > 4) return 0;
    bool org = false, given = false, sur = false, initial_mid = false, non_ascii = false;
    for (size_t i = x; i < y; ++i) {
      std::string_view w = words_[i].w;
      if (w.ends_with("'s")) w.remove_suffix(2);
      org |= lexicon::IsOrgWord(w);
      if (i == x || !IsInitial(w)) given |= (i < y - 1 || k == 1) && lexicon::IsGivenName(w);
      if (i > x || k == 1) sur |= lexicon::IsSurname(w);
      if (i > x && i + 1 < y && IsInitial(w)) initial_mid = true;
      non_ascii |= HasNonAscii(w);
    }
    if (org || lexicon::IsStreetPrefixWord(words_[x].w)) return -1;
    // "Kimberly Way", "Isaac Lodge": a street type that is not also a surname ends the run.
    {
      std::string_view lastw = words_[y - 1].w;
      if (k >= 2 && lexicon::IsStreetType(lastw) && !lexicon::IsSurname(lastw)) return -1;
    }
    const size_t b = words_[x].b;
    const size_t e = words_[y - 1].b + words_[y - 1].w.size() -
                     (words_[y - 1].w.ends_with("'s") ? 2 : 0);
    double s = 0;
    if (given) s += k >= 2 ? 0.6 : 0.35;
    if (sur) s += k >= 2 ? 0.3 : 0.25;
    if (initial_mid) s += 0.5;
    const bool sentence_start = SentenceStart(b);
    if (k >= 2) s += sentence_start ? 0.15 : 0.35;
    if (k >= 2 && non_ascii) s += 0.2;
    // Title before: "Dr. Smith", "Mrs Jones".
    bool titled = false;
    if (x >= 1 && lexicon::IsPersonTitle(words_[x - 1].w) && words_[x - 1].e + 1 >= b &&
        SameLine(words_[x - 1].b, b)) {
      s += 0.6;
      titled = true;
    }
    if (ContextBefore(t_, b, 14, {"name is", "name:", "name's", "named ", "called ", "call me ",
                                  "user:", "signed", "directed by:", "written by", "ask for ",
                                  "name was", "surname", "last name", "first name"})) {
      s += 0.55;
    } else if (ContextBefore(t_, b, 12, {"i am ", "i'm ", "dear ", "by ", "regards", "sincerely",
                                         "thanks,", "contact ", "meet ", "from ", "with ",
                                         "founders:", "hi ", "hello "})) {
      s += 0.3;
    }
    // Dialogue "Nicole: ..." at line start.
    const bool dialogue = e < t_.size() && t_[e] == ':' && (b == 0 || t_[b - 1] == '\n');
    if (dialogue && (k == 1 || given)) s += 0.5;
    if (ContextAfter(t_, e, 14, {" said", " says", " wrote", " listed", " told", " asked",
                                 " is a ", " was a ", " and his", " and her", " lives ",
                                 " had given", " will be", " flew ", " spent ", " is the ",
                                 " was born", " grew up"}))
      s += k >= 2 ? 0.35 : 0.25;
    if (k == 1 && !given && sentence_start && !titled && !dialogue) s -= 0.3;
    if (s >= 0.5) Add(EntityType::kPerson, b, e, std::min(0.95, s));
    return s;
  }

  std::vector<Span> Resolve(const DetectOptions& options) {
    std::vector<Span> cand;
    for (const Span& s : spans_) {
      if (s.score < options.min_score) continue;
      if (!options.types.empty() &&
          std::find(options.types.begin(), options.types.end(), s.type) == options.types.end())
        continue;
      cand.push_back(s);
    }
    std::stable_sort(cand.begin(), cand.end(), [](const Span& a, const Span& b) {
      if (a.score != b.score) return a.score > b.score;
      return a.size() > b.size();
    });
    std::map<size_t, size_t> kept;  // begin -> end
    std::vector<Span> out;
    for (const Span& s : cand) {
      auto it = kept.lower_bound(s.begin);
      if (it != kept.end() && it->first < s.end) continue;
      if (it != kept.begin() && std::prev(it)->second > s.begin) continue;
      kept[s.begin] = s.end;
      out.push_back(s);
    }
    std::sort(out.begin(), out.end(), [](const Span& a, const Span& b) { return a.begin < b.begin; });
    return out;
  }

  std::string_view t_;
  std::vector<Span> spans_;
  std::vector<Word> words_;
  std::vector<NameRun> runs_;
  bool tokenized_ = false;
};

}  // namespace

std::vector<Span> DetectEntities(std::string_view text, const DetectOptions& options) {
  return Detector(text).Run(options);
}

// ---------------------------------------------------------------------------------------------
// Cells.

namespace {

bool HeaderHas(const std::string& h, std::initializer_list<std::string_view> keys) {
  for (auto k : keys) {
    if (h.find(k) != std::string::npos) return true;
  }
  return false;
}

// Normalised header: lower case, letters and digits only.
std::string NormHeader(std::string_view name) {
  std::string h;
  for (char c : name) {
    if (IsAsciiAlnum(c)) h.push_back(internal::ToLower(c));
  }
  return h;
}

bool ParseNumericDate(std::string_view s) {
  // yyyy-mm-dd, mm/dd/yyyy, dd.mm.yyyy, m/d/yy, optionally followed by a time.
  size_t cut = s.find_first_of(" T");
  if (cut != std::string_view::npos) s = s.substr(0, cut);
  char sep = 0;
  std::vector<std::string_view> parts;
  size_t i = 0;
  for (size_t j = 0; j <= s.size(); ++j) {
    if (j == s.size() || !IsDigit(s[j])) {
      if (j < s.size()) {
        if (sep == 0) sep = s[j];
        if (s[j] != sep || (sep != '-' && sep != '/' && sep != '.')) return false;
      }
      parts.push_back(s.substr(i, j - i));
      i = j + 1;
    }
  }
  if (parts.size() != 3) return false;
  for (auto p : parts) {
    if (!AllDigits(p) || p.size() > 4) return false;
  }
  int a = ToInt(parts[0]), b = ToInt(parts[1]), c = ToInt(parts[2]);
  auto ok = [](int m, int d) { return m >= 1 && m <= 12 && d >= 1 && d <= 31; };
  if (parts[0].size() == 4) return a >= 1800 && a <= 2099 && ok(b, c);
  if (parts[2].size() == 4 || parts[2].size() == 2) return ok(a, b) || ok(b, a);
  return false;
}

}  // namespace

CellMatch ClassifyCell(std::string_view cell, std::string_view column_name) {
  std::string_view v = Trim(cell);
  if (v.empty()) return {};
  const std::string h = NormHeader(column_name);
  if (IsEmail(v)) return {EntityType::kEmail, 0.95};
  if (IsIban(v)) return {EntityType::kIban, 0.95};
  if (IsCreditCard(v)) return {EntityType::kCreditCard, 0.9};
  if (IsIpv4(v) || IsIpv6(v)) return {EntityType::kIpAddress, 0.9};
  const bool ssn_header = HeaderHas(h, {"ssn", "socialsecurity", "nationalid", "taxid"});
  if (IsUsSsn(v) && (v.size() == 11 || ssn_header)) {
    return {EntityType::kUsSsn, v.size() == 11 && v[3] == '-' ? 0.9 : 0.8};
  }
  if (ParseNumericDate(v)) {
    if (HeaderHas(h, {"birth", "dob", "bday"})) return {EntityType::kDateOfBirth, 0.9};
    return {EntityType::kDate, 0.8};
  }
  if (HeaderHas(h, {"zip", "postcode", "postal", "plz"})) {
    std::string d = DigitsOf(v);
    if (v.size() <= 10 && !d.empty() &&
        std::all_of(v.begin(), v.end(), [](char c) { return IsAsciiAlnum(c) || c == ' ' || c == '-'; }))
      return {EntityType::kZipCode, 0.85};
  }
  if (HeaderHas(h, {"phone", "tel", "mobile", "cell", "fax"})) {
    std::string d = DigitsOf(v);
    if (d.size() >= 6 && d.size() <= 15 &&
        std::all_of(v.begin(), v.end(), [](char c) {
          return IsDigit(c) || c == ' ' || c == '-' || c == '.' || c == '(' || c == ')' ||
                 c == '+' || c == 'x';
        }))
      return {EntityType::kPhone, 0.85};
  }
  if (IsUrlOrDomain(v)) return {EntityType::kUrl, 0.8};
  if (AllDigits(v) && v.size() == 5 && HeaderHas(h, {"zip"})) return {EntityType::kZipCode, 0.85};
  // Whole-cell free-text match.
  std::vector<Span> spans = DetectEntities(v, {.min_score = 0.4, .types = {}});
  for (const Span& s : spans) {
    if (s.size() * 10 >= v.size() * 9) {
      EntityType t = s.type;
      if (t == EntityType::kDate && HeaderHas(h, {"birth", "dob", "bday"})) t = EntityType::kDateOfBirth;
      return {t, s.score};
    }
  }
  // Header-assisted names and addresses.
  const bool name_header =
      HeaderHas(h, {"firstname", "lastname", "fullname", "givenname", "surname", "fname",
                    "lname", "maiden", "middlename", "customername", "patientname",
                    "providername", "contactname", "employeename"}) ||
      h == "name" || h == "first" || h == "last";
  int words = 0;
  bool cap_words = true;
  {
    size_t i = 0;
    while (i < v.size()) {
      while (i < v.size() && v[i] == ' ') ++i;
      size_t j = i;
      while (j < v.size() && v[j] != ' ') ++j;
      if (j == i) break;
      std::string_view w = v.substr(i, j - i);
      size_t l = 0;
      if (!internal::IsUpperLetter(DecodeAt(w, 0, &l))) cap_words = false;
      for (char c : w) {
        if (IsDigit(c) || c == '@' || c == '/') cap_words = false;
      }
      ++words;
      i = j;
    }
  }
  if (name_header && cap_words && words >= 1 && words <= 4) return {EntityType::kPerson, 0.85};
  if (HeaderHas(h, {"address", "street"}) && !HeaderHas(h, {"email", "ip", "mac", "web"}) &&
      (IsDigit(v[0]) || cap_words) && v.size() >= 5)
    return {EntityType::kStreetAddress, 0.8};
  if (cap_words && words >= 2 && words <= 3) {
    std::string_view first = v.substr(0, v.find(' '));
    std::string_view last = v.substr(v.rfind(' ') + 1);
    if (lexicon::IsGivenName(first) && (lexicon::IsSurname(last) || words == 2))
      return {EntityType::kPerson, lexicon::IsSurname(last) ? 0.75 : 0.6};
  }
  return {};
}

}  // namespace dpkit::pii
