#include "dpkit/pii/sample.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "dpkit/base/validation.h"
#include "dpkit/io/civil_date.h"
#include "dpkit/pii/detectors.h"
#include "dpkit/random/samplers.h"
#include "pii/lexicon.h"
#include "pii/text_util.h"

namespace dpkit::pii {
namespace {

constexpr double kPi = 3.14159265358979323846;

// Post-processing-style draws for synthetic demo data (not noise for a privacy guarantee).
double Uniform01(random::BitGenerator& gen) { return random::UniformDouble01(gen); }
uint64_t UniformN(random::BitGenerator& gen, uint64_t n) { return random::UniformUint64(gen, n); }
double StdNormal(random::BitGenerator& gen) {
  // Box-Muller; 1 - U in (0, 1] keeps the log finite.
  double u1 = 1.0 - Uniform01(gen), u2 = Uniform01(gen);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2 * kPi * u2);
}
int64_t Poisson(random::BitGenerator& gen, double lambda) {
  // Knuth's product-of-uniforms method; lambda here is < 40.
  const double limit = std::exp(-lambda);
  double p = 1.0;
  int64_t k = 0;
  do {
    ++k;
    p *= Uniform01(gen);
  } while (p > limit);
  return k - 1;
}
bool Bernoulli(random::BitGenerator& gen, double p) { return random::BernoulliDouble(gen, p); }

std::string Lower(std::string_view s) { return internal::AsciiLower(s); }

// Reference date for ages and tenure.
constexpr io::CivilDate kRefDate{.year = 2025, .month = 6, .day = 30};
const int64_t kRefDay = io::DaysFromCivil(kRefDate.year, kRefDate.month, kRefDate.day);

std::string CardNumber(random::BitGenerator& gen) {
  double u = Uniform01(gen);
  std::string prefix;
  size_t len = 16;
  if (u < 0.50) {
    prefix = "4";
  } else if (u < 0.80) {
    prefix = absl::StrCat(51 + UniformN(gen, 5));
  } else if (u < 0.92) {
    prefix = UniformN(gen, 2) ? "34" : "37";
    len = 15;
  } else {
    prefix = "6011";
  }
  std::string d = prefix;
  while (d.size() < len) d.push_back(static_cast<char>('0' + UniformN(gen, 10)));
  for (char c = '0'; c <= '9'; ++c) {
    d.back() = c;
    if (LuhnValid(d)) break;
  }
  return d;
}

}  // namespace

absl::StatusOr<io::Table> GenerateCustomers(const CustomerSampleOptions& options,
                                            random::BitGenerator& gen) {
  if (options.rows < 1 || options.rows > 10'000'000) {
    return absl::InvalidArgumentError(
        absl::StrCat("rows must be in [1, 10000000], got ", options.rows));
  }
  const int64_t n = options.rows;
  const auto cities = lexicon::UsCities();
  std::vector<double> city_cdf;
  double total = 0;
  for (const auto& c : cities) city_cdf.push_back(total += c.population_k);

  static constexpr const char* kEducation[] = {"High School", "Some College", "Bachelor",
                                               "Master", "Doctorate"};
  static constexpr double kEduMedian[] = {38000, 45000, 68000, 85000, 105000};

  std::vector<int64_t> id(n), age(n), dob(n), signup(n), tenure(n), purchases(n), churned(n);
  std::vector<double> income(n), spend(n);
  std::vector<std::string> first(n), last(n), gender(n), email(n), phone(n), street(n), city(n),
      state(n), zip(n), card(n), education(n), segment(n);

  for (int64_t i = 0; i < n; ++i) {
    id[i] = 100001 + i;
    // Gender and name.
    double g = Uniform01(gen);
    gender[i].assign(1, g < 0.505 ? 'F' : (g < 0.995 ? 'M' : 'X'));
    auto given_list = gender[i] == "F"   ? lexicon::FemaleGivenNames()
                      : gender[i] == "M" ? lexicon::MaleGivenNames()
                                         : (UniformN(gen, 2) ? lexicon::FemaleGivenNames()
                                                             : lexicon::MaleGivenNames());
    first[i] = std::string(given_list[UniformN(gen, given_list.size())]);
    // Surnames (ASCII spellings): the first 100 (most frequent) are drawn more often.
    static const std::vector<std::string_view>* ascii_surnames = [] {
      auto* v = new std::vector<std::string_view>();
      for (auto s : lexicon::Surnames()) {
        if (std::all_of(s.begin(), s.end(), [](char c) { return internal::IsAsciiAlpha(c); })) v->push_back(s);
      }
      return v;
    }();
    const auto& surnames = *ascii_surnames;
    size_t si = Bernoulli(gen, 0.6) ? UniformN(gen, std::min<size_t>(100, surnames.size()))
                                    : UniformN(gen, surnames.size());
    last[i] = std::string(surnames[si]);
    // Age and date of birth.
    int64_t a = Bernoulli(gen, 0.85) ? 18 + static_cast<int64_t>(UniformN(gen, 47))
                                     : 65 + static_cast<int64_t>(UniformN(gen, 21));
    // Born within the year before the a-th birthday on the reference date: exactly a years old.
    dob[i] = io::DaysFromCivil(kRefDate.year - a, kRefDate.month, kRefDate.day) -
             static_cast<int64_t>(UniformN(gen, 365));
    age[i] = io::WholeUnitsBetween(io::TimeUnit::kYears, dob[i], kRefDay);
    // Location: city -> state, zip, area code.
    double u = Uniform01(gen) * total;
    size_t ci = std::lower_bound(city_cdf.begin(), city_cdf.end(), u) - city_cdf.begin();
    ci = std::min(ci, cities.size() - 1);
    const auto& c = cities[ci];
    city[i] = std::string(c.city);
    state[i] = std::string(c.state);
    zip[i] = absl::StrFormat("%03d%02d", c.zip_prefix, static_cast<int>(1 + UniformN(gen, 98)));
    phone[i] = absl::StrFormat("%03d-%03d-%04d", c.area_code,
                               static_cast<int>(200 + UniformN(gen, 800)),
                               static_cast<int>(UniformN(gen, 10000)));
    const auto types = lexicon::StreetTypes();
    const auto& st = types[UniformN(gen, types.size())];
    std::string number = absl::StrCat(1 + UniformN(gen, Bernoulli(gen, 0.7) ? 9999 : 99));
    street[i] = absl::StrCat(number, " ",
                             std::string(lexicon::StreetNames()[UniformN(gen, lexicon::StreetNames().size())]),
                             " ", std::string(Bernoulli(gen, 0.6) ? st.abbrev : st.full));
    if (Bernoulli(gen, 0.12)) absl::StrAppend(&street[i], " Apt ", 1 + UniformN(gen, 40) * 10 + UniformN(gen, 10));
    // E-mail from the name.
    std::string f = Lower(first[i]), l = Lower(last[i]);
    std::string local;
    switch (UniformN(gen, 5)) {
      case 0: local = absl::StrCat(f, ".", l); break;
      case 1: local = absl::StrCat(f, l); break;
      case 2: local = absl::StrCat(f.substr(0, 1), l); break;
      case 3: local = absl::StrCat(f, "_", l); break;
      default: local = absl::StrCat(f, ".", l.substr(0, 1)); break;
    }
    if (Bernoulli(gen, 0.55)) {
      const int64_t y = io::CivilFromDays(dob[i]).year;
      const int64_t dd = Bernoulli(gen, 0.5) ? y % 100 : static_cast<int64_t>(1 + UniformN(gen, 999));
      absl::StrAppend(&local, dd);
    }
    auto providers = lexicon::EmailProviders();
    email[i] = absl::StrCat(local, "@", std::string(providers[UniformN(gen, providers.size())]));
    card[i] = CardNumber(gen);
    // Education depends on age (the young have not finished degrees yet).
    double w[5] = {0.30, 0.27, 0.26, 0.13, 0.04};
    if (a < 23) {
      w[0] = 0.45, w[1] = 0.45, w[2] = 0.10, w[3] = 0.0, w[4] = 0.0;
    } else if (a >= 65) {
      w[0] = 0.40, w[1] = 0.25, w[2] = 0.22, w[3] = 0.10, w[4] = 0.03;
    }
    double ue = Uniform01(gen) * (w[0] + w[1] + w[2] + w[3] + w[4]);
    int e = 0;
    while (e < 4 && ue >= w[e]) ue -= w[e++];
    education[i] = kEducation[e];
    // Income: education median x age curve x log-normal noise.
    double age_factor = 0.55 + 0.45 * std::exp(-std::pow((a - 50.0) / 18.0, 2));
    if (a >= 67) age_factor *= 0.75;  // retirement
    income[i] = std::round(kEduMedian[e] * age_factor * std::exp(0.45 * StdNormal(gen)) / 100) * 100;
    // Segment from income with noise.
    double seg = std::log(income[i]) + 0.3 * StdNormal(gen);
    segment[i] = seg < std::log(40000.0) ? "Budget" : (seg > std::log(110000.0) ? "Premium" : "Standard");
    double seg_mult = segment[i] == "Budget" ? 0.8 : (segment[i] == "Premium" ? 1.4 : 1.0);
    // Signup between 2015-01-01 and the reference date, after the 18th birthday.
    int64_t earliest = std::max(io::DaysFromCivil(2015, 1, 1), dob[i] + 18 * 365 + 5);
    signup[i] = earliest + static_cast<int64_t>(UniformN(gen, static_cast<uint64_t>(std::max<int64_t>(1, kRefDay - earliest))));
    tenure[i] = io::WholeUnitsBetween(io::TimeUnit::kMonths, signup[i], kRefDay);
    // Purchases and spend.
    double lambda = (1.5 + 5.5 * std::sqrt(income[i] / 70000.0)) * seg_mult;
    if (tenure[i] < 12) lambda *= std::max(0.2, tenure[i] / 12.0);
    purchases[i] = Poisson(gen, std::min(lambda, 35.0));
    double order_value = 35.0 * std::pow(income[i] / 60000.0, 0.4);
    double s = 0;
    for (int64_t k = 0; k < purchases[i]; ++k) s += order_value * std::exp(0.35 * StdNormal(gen));
    spend[i] = std::round(s * 100) / 100;
    // Churn: logistic in purchases and tenure.
    double logit = 1.0 - 0.32 * purchases[i] - 0.015 * tenure[i] +
                   (segment[i] == "Budget" ? 0.4 : 0.0) - (segment[i] == "Premium" ? 0.3 : 0.0);
    churned[i] = Bernoulli(gen, 1.0 / (1.0 + std::exp(-logit))) ? 1 : 0;
  }
  std::vector<io::Column> cols;
  cols.push_back(io::Column::Int64("customer_id", id));
  cols.push_back(io::Column::String("first_name", first));
  cols.push_back(io::Column::String("last_name", last));
  cols.push_back(io::Column::String("gender", gender));
  cols.push_back(io::Column::String("email", email));
  cols.push_back(io::Column::String("phone", phone));
  cols.push_back(io::Column::String("street_address", street));
  cols.push_back(io::Column::String("city", city));
  cols.push_back(io::Column::String("state", state));
  cols.push_back(io::Column::String("zip", zip));
  cols.push_back(io::Column::String("credit_card", card));
  cols.push_back(io::Column::Date("date_of_birth", dob));
  cols.push_back(io::Column::Int64("age", age));
  cols.push_back(io::Column::String("education", education));
  std::vector<int64_t> income_int(income.begin(), income.end());  // whole hundreds
  cols.push_back(io::Column::Int64("income", income_int));
  cols.push_back(io::Column::String("segment", segment));
  cols.push_back(io::Column::Date("signup_date", signup));
  cols.push_back(io::Column::Int64("tenure_months", tenure));
  cols.push_back(io::Column::Int64("purchases_12m", purchases));
  cols.push_back(io::Column::Double("spend_12m", spend));
  cols.push_back(io::Column::Bool("churned", churned));
  return io::Table::Make(std::move(cols));
}

namespace {

// The generator's public gazetteer as declared categories: every city name and every state code
// it can produce, each once, in gazetteer order (a data dictionary's code list, not the data).
std::vector<std::string> GazetteerValues(std::string_view lexicon::UsCity::*field) {
  std::vector<std::string> values;
  for (const auto& c : lexicon::UsCities()) {
    std::string v(c.*field);
    if (std::find(values.begin(), values.end(), v) == values.end()) values.push_back(std::move(v));
  }
  return values;
}

// The gazetteer as a public hierarchy ZIP3 -> city -> state: one entry per gazetteer city, its
// ZIP3 written as the pipeline generalises the generated 5-digit codes ("021**"). Complete for
// this generator (every row's combination is an entry), so "unlisted": "null".
io::Hierarchy GazetteerHierarchy() {
  io::Hierarchy h{.columns = {"zip", "city", "state"}, .unlisted_null = true};
  for (const auto& c : lexicon::UsCities()) {
    h.values.push_back({absl::StrFormat("%03d**", c.zip_prefix), std::string(c.city),
                        std::string(c.state)});
  }
  return h;
}

// Whole years or months from the date column `from` to the reference date.
io::Derivation WholeUnitsTo(io::TimeUnit unit, std::string from) {
  return {.unit = unit, .from = {.column = std::move(from)}, .to = {.day = kRefDay}};
}

}  // namespace

io::Schema CustomersSchema() {
  using io::DataType;
  auto date = [](int y, int m, int d) { return static_cast<double>(io::DaysFromCivil(y, m, d)); };
  io::Schema s;
  s.privacy_unit = "customer_id";
  s.columns = {
      {.name = "customer_id", .type = DataType::kInt64},
      {.name = "first_name", .type = DataType::kString, .pii = "person"},
      {.name = "last_name", .type = DataType::kString, .pii = "person"},
      {.name = "gender", .type = DataType::kString, .categories = {"F", "M", "X"}},
      {.name = "email", .type = DataType::kString, .pii = "email"},
      {.name = "phone", .type = DataType::kString, .pii = "phone"},
      {.name = "street_address", .type = DataType::kString, .pii = "street_address"},
      // Declared complete: the synthesizer keeps every city instead of discovering the common
      // ones privately (which turned a third of the rows into "other" at epsilon 1).
      {.name = "city", .type = DataType::kString,
       .categories = GazetteerValues(&lexicon::UsCity::city)},
      {.name = "state", .type = DataType::kString,
       .categories = GazetteerValues(&lexicon::UsCity::state)},
      {.name = "zip", .type = DataType::kString, .pii = "zip_code"},
      {.name = "credit_card", .type = DataType::kString, .pii = "credit_card"},
      // Ages 18..85 at the reference date 2025-06-30.
      {.name = "date_of_birth", .type = DataType::kDate, .lower = date(1939, 1, 1),
       .upper = date(2007, 12, 31)},
      // Age and tenure are computed from the dates (whole years and months to the reference
      // date): the synthesizer derives them from the synthetic dates (synth/derived_columns.h).
      {.name = "age", .type = DataType::kInt64, .lower = 18, .upper = 90,
       .derived = WholeUnitsTo(io::TimeUnit::kYears, "date_of_birth")},
      {.name = "education", .type = DataType::kString,
       .categories = {"High School", "Some College", "Bachelor", "Master", "Doctorate"}},
      {.name = "income", .type = DataType::kInt64, .lower = 0, .upper = 400000},
      {.name = "segment", .type = DataType::kString, .categories = {"Budget", "Standard", "Premium"}},
      {.name = "signup_date", .type = DataType::kDate, .lower = date(2015, 1, 1),
       .upper = date(2025, 6, 30)},
      {.name = "tenure_months", .type = DataType::kInt64, .lower = 0, .upper = 130,
       .derived = WholeUnitsTo(io::TimeUnit::kMonths, "signup_date")},
      {.name = "purchases_12m", .type = DataType::kInt64, .lower = 0, .upper = 60},
      {.name = "spend_12m", .type = DataType::kDouble, .lower = 0, .upper = 10000},
      {.name = "churned", .type = DataType::kBool},
  };
  // The synthesizer models the three as one column of gazetteer combinations: no city outside
  // its state, no ZIP3 outside its city (synth/hierarchy.h).
  s.hierarchies = {GazetteerHierarchy()};
  return s;
}

}  // namespace dpkit::pii
