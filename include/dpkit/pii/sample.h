// A realistic generated customer table for demos and tests (`dpkit sample customers`).
//
// NOT a privacy mechanism and NOT real data: every value is drawn from `gen` (the CLI passes a
// testing::SeededRng with a fixed default seed so the table is reproducible). Names, streets and
// cities come from public frequency lists (src/pii/lexicon.cc); any match with a real person,
// phone number or card is coincidence. Card numbers are Luhn-valid with real brand prefixes.
//
// Columns: customer_id, first_name, last_name, gender, email, phone, street_address, city,
// state, zip, credit_card, date_of_birth, age, education, income, segment, signup_date,
// tenure_months, purchases_12m, spend_12m, churned.
// Dependencies built in (so DP synthesis and analytics have structure to find):
//   city -> state, zip (city's ZIP prefix) and phone area code; gender -> first name;
//   first/last name -> e-mail; age -> education mix and income (rises to the 50s, then falls);
//   education -> income (log-normal, higher medians for degrees); income -> segment and
//   purchases (Poisson); purchases x income -> spend; few purchases and short tenure -> churn
//   (logistic). Ages are computed at the reference date 2025-06-30.
#ifndef DPKIT_PII_SAMPLE_H_
#define DPKIT_PII_SAMPLE_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "dpkit/io/schema.h"
#include "dpkit/io/table.h"
#include "dpkit/random/bit_generator.h"

namespace dpkit::pii {

struct CustomerSampleOptions {
  int64_t rows = 10000;  // 1 .. 10,000,000
};

inline constexpr uint64_t kDefaultSampleSeed = 20250630;

absl::StatusOr<io::Table> GenerateCustomers(const CustomerSampleOptions& options,
                                            random::BitGenerator& gen);

// The public schema of that table, from the generator's own data dictionary (not from any
// generated value): types, bounds that hold by construction, declared categories, PII roles
// ("pii") and the privacy unit customer_id. What a data owner writes for their real table.
io::Schema CustomersSchema();

}  // namespace dpkit::pii

#endif  // DPKIT_PII_SAMPLE_H_
