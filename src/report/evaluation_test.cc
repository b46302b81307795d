// The evaluation on generated tables where the right answer is known: a synthetic table that
// copies the real one must be flagged on every privacy measure; an independent sample from the
// same population must not; a table with broken correlations must lose fidelity and utility.
#include "dpkit/report/evaluation.h"

#include <cmath>
#include <string>

#include "absl/strings/str_cat.h"
#include "dpkit/io/table.h"
#include "dpkit/random/samplers.h"
#include "dpkit/report/render.h"
#include "dpkit/random/seeded_rng.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "report/encode.h"

namespace dpkit::report {
namespace {

using ::testing::HasSubstr;

// A population with structure: income depends on age and city; label on income; email is a
// per-row identifier with the given prefix.
TextTable Population(uint64_t seed, int rows, const std::string& email_prefix,
                     const std::string& source) {
  random::testing::SeededRng rng(seed);
  TextTable t;
  t.source = source;
  t.names = {"age", "city", "income", "label", "email"};
  t.columns.resize(5);
  const char* cities[] = {"Lyon", "Oslo", "Pune", "Kobe", "Lima"};
  for (int i = 0; i < rows; ++i) {
    const int age = 18 + static_cast<int>(random::UniformUint64(rng, 60));
    const int city = static_cast<int>(random::UniformUint64(rng, 5));
    const double noise = static_cast<double>(random::UniformUint64(rng, 20000));
    const double income = 1000.0 * age + 15000.0 * city + noise;
    t.columns[0].push_back(std::to_string(age));
    t.columns[1].push_back(cities[city]);
    t.columns[2].push_back(absl::StrCat(income));
    t.columns[3].push_back(income > 75000 ? "high" : "low");
    t.columns[4].push_back(absl::StrCat(email_prefix, i, "@example.com"));
  }
  return t;
}

EvaluationOptions Options() {
  EvaluationOptions o;
  o.target = "label";
  o.privacy_sample = 300;
  return o;
}

TEST(EvaluationTest, CopyOfRealIsFlaggedEverywhere) {
  const TextTable real = Population(1, 600, "r", "real.csv");
  const TextTable holdout = Population(2, 600, "h", "holdout.csv");
  TextTable synthetic = real;
  synthetic.source = "copy.csv";
  random::testing::SeededRng rng(7);
  auto ev = Evaluate(real, synthetic, &holdout, Options(), rng);
  ASSERT_TRUE(ev.ok()) << ev.status();
  // Fidelity is perfect.
  EXPECT_DOUBLE_EQ(ev->kmarginal.score, 1000.0);
  for (const auto& c : ev->columns) {
    EXPECT_EQ(c.tvd.value_or(0) + c.ks.value_or(0), 0.0) << c.name;
  }
  EXPECT_EQ(ev->associations.max_abs_difference, 0.0);
  // The email column is detected as an identifier and left out of the metrics.
  ASSERT_EQ(ev->excluded_columns.size(), 1u);
  EXPECT_THAT(ev->excluded_columns[0], HasSubstr("email"));
  EXPECT_EQ(ev->columns.size(), 4u);
  // Every privacy measure fires.
  const auto& p = ev->privacy;
  EXPECT_EQ(p.exact_matches, 600);
  EXPECT_EQ(p.holdout_exact_matches.value_or(-1), 0);
  EXPECT_DOUBLE_EQ(p.synthetic_to_train.zero_share, 1.0);
  ASSERT_TRUE(p.closer_to_train_share.has_value());
  EXPECT_GT(*p.closer_to_train_share, 0.7);
  ASSERT_TRUE(p.membership_advantage.has_value());
  EXPECT_GT(*p.membership_advantage, 0.5);
  EXPECT_GT(*p.membership_auc, 0.75);
  EXPECT_EQ(p.replayed_values, 600);  // every email
  EXPECT_EQ(p.replay_rows, 600);
  // Utility: the same training data gives the same model.
  ASSERT_TRUE(ev->utility.computed);
  EXPECT_DOUBLE_EQ(ev->utility.train_real.accuracy, ev->utility.train_synthetic.accuracy);
}

TEST(EvaluationTest, IndependentSampleLooksPrivateAndFaithful) {
  const TextTable real = Population(1, 2000, "r", "real.csv");
  const TextTable holdout = Population(2, 2000, "h", "holdout.csv");
  const TextTable synthetic = Population(3, 2000, "s", "fresh.csv");
  random::testing::SeededRng rng(7);
  auto ev = Evaluate(real, synthetic, &holdout, Options(), rng);
  ASSERT_TRUE(ev.ok()) << ev.status();
  EXPECT_GT(ev->kmarginal.score, 850);
  EXPECT_LT(ev->associations.mean_abs_difference, 0.08);
  const auto& p = ev->privacy;
  EXPECT_EQ(p.exact_matches, 0);
  EXPECT_EQ(p.replayed_values, 0);
  ASSERT_TRUE(p.closer_to_train_share.has_value());
  // 300 sampled rows: 0.5 +- 4 standard errors (0.029) is a false-alarm rate below 1e-4.
  EXPECT_NEAR(*p.closer_to_train_share, 0.5, 0.12);
  // Chance level is the 5% KS critical value; 2x of it is far beyond any plausible null draw.
  EXPECT_LT(*p.membership_advantage, 2 * *p.membership_chance_level);
  EXPECT_NEAR(*p.membership_auc, 0.5, 0.1);
  ASSERT_TRUE(ev->utility.computed);
  EXPECT_GT(ev->utility.train_synthetic.accuracy, 0.85);
  EXPECT_NEAR(ev->utility.train_synthetic.accuracy, ev->utility.train_real.accuracy, 0.06);
  ASSERT_TRUE(p.attribute_computed);
  EXPECT_LT(std::abs(p.attribute_advantage), 0.06);
}

TEST(EvaluationTest, BrokenCorrelationsLoseFidelityAndUtility) {
  const TextTable real = Population(1, 600, "r", "real.csv");
  TextTable shuffled = Population(3, 600, "s", "shuffled.csv");
  // Reverse the label column: marginals stay, the label-income link is gone.
  std::reverse(shuffled.columns[3].begin(), shuffled.columns[3].end());
  std::reverse(shuffled.columns[1].begin(), shuffled.columns[1].end());
  random::testing::SeededRng rng(7);
  auto ev = Evaluate(real, shuffled, nullptr, Options(), rng);
  ASSERT_TRUE(ev.ok()) << ev.status();
  EXPECT_GT(ev->associations.max_abs_difference, 0.3);
  EXPECT_LT(ev->kmarginal.score, 900);
  ASSERT_TRUE(ev->utility.computed);
  EXPECT_LT(ev->utility.train_synthetic.accuracy, ev->utility.train_real.accuracy - 0.2);
  // No holdout: membership inference is not measured and says why.
  EXPECT_FALSE(ev->privacy.membership_advantage.has_value());
  EXPECT_THAT(ev->privacy.membership_note, HasSubstr("--holdout"));
  EXPECT_THAT(ev->utility.test_set, HasSubstr("20%"));
}

TEST(EvaluationTest, ColumnKindsAndHistograms) {
  const TextTable real = Population(1, 300, "r", "real.csv");
  random::testing::SeededRng rng(7);
  auto ev = Evaluate(real, real, nullptr, Options(), rng);
  ASSERT_TRUE(ev.ok());
  // age has 60 distinct integers (> 20) -> numeric; city -> categorical; label -> categorical.
  EXPECT_EQ(ev->columns[0].kind, ColumnKind::kNumeric);
  EXPECT_EQ(ev->columns[1].kind, ColumnKind::kCategorical);
  EXPECT_EQ(ev->columns[0].histogram.size(), 20u);
  EXPECT_EQ(ev->columns[1].histogram.size(), 5u);
  double total = 0;
  for (const auto& b : ev->columns[0].histogram) total += b.real;
  EXPECT_NEAR(total, 1.0, 1e-9);
  EXPECT_EQ(ev->associations.measure[0 * 4 + 1], "eta");
  EXPECT_EQ(ev->associations.measure[0 * 4 + 2], "pearson");
  EXPECT_EQ(ev->associations.measure[1 * 4 + 3], "cramers_v");
  EXPECT_EQ(ev->kmarginal.marginals_possible, 4);  // C(4, 3)
  EXPECT_EQ(ev->kmarginal.marginals_scored, 4);
  // Forcing age categorical changes its metric to TVD.
  EvaluationOptions o = Options();
  o.categorical = {"age"};
  auto ev2 = Evaluate(real, real, nullptr, o, rng);
  ASSERT_TRUE(ev2.ok());
  EXPECT_TRUE(ev2->columns[0].tvd.has_value());
}

TEST(EvaluationTest, BadInputsGiveClearErrors) {
  const TextTable real = Population(1, 100, "r", "real.csv");
  random::testing::SeededRng rng(7);
  EvaluationOptions o = Options();
  o.target = "salary";
  auto s = Evaluate(real, real, nullptr, o, rng).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("unknown target column 'salary'"));

  TextTable missing_col = real;
  missing_col.source = "s.csv";
  missing_col.names.pop_back();
  missing_col.columns.pop_back();
  s = Evaluate(real, missing_col, nullptr, Options(), rng).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("s.csv lacks column 'email'"));

  TextTable bad_number = real;
  bad_number.source = "s.csv";
  bad_number.columns[2][4] = "lots";
  // Undeclared: the column is compared as categories (a synthesizer may write "other").
  EXPECT_TRUE(Evaluate(real, bad_number, nullptr, Options(), rng).ok());
  EvaluationOptions declared = Options();
  declared.numeric = {"income"};
  s = Evaluate(real, bad_number, nullptr, declared, rng).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(s.message(), HasSubstr("column 'income', row 5: 'lots' is not a number"));

  TextTable empty = real;
  for (auto& c : empty.columns) c.clear();
  s = Evaluate(empty, real, nullptr, Options(), rng).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);

  o = Options();
  o.kmarginal_k = 0;
  EXPECT_EQ(Evaluate(real, real, nullptr, o, rng).status().code(),
            absl::StatusCode::kInvalidArgument);
  o = Options();
  o.quasi_identifiers = {"zip"};
  EXPECT_THAT(Evaluate(real, real, nullptr, o, rng).status().message(),
              HasSubstr("unknown quasi-identifier column 'zip'"));
}

TEST(EvaluationTest, ColumnOrderOfSyntheticMayDiffer) {
  const TextTable real = Population(1, 200, "r", "real.csv");
  TextTable permuted;
  permuted.source = "p.csv";
  for (int c : {4, 2, 0, 3, 1}) {
    permuted.names.push_back(real.names[c]);
    permuted.columns.push_back(real.columns[c]);
  }
  random::testing::SeededRng rng(7);
  auto ev = Evaluate(real, permuted, nullptr, Options(), rng);
  ASSERT_TRUE(ev.ok()) << ev.status();
  EXPECT_DOUBLE_EQ(ev->kmarginal.score, 1000.0);
  EXPECT_EQ(ev->privacy.exact_matches, 200);
}

TEST(EvaluationTest, RareValueReplay) {
  TextTable real;
  real.source = "r.csv";
  real.names = {"note", "n"};
  real.columns.resize(2);
  for (int i = 0; i < 60; ++i) {
    real.columns[0].push_back(i == 0 ? "Zanzibar-77" : (i % 2 ? "common" : "usual"));
    real.columns[1].push_back(std::to_string(i % 3));
  }
  TextTable syn = real;
  syn.source = "s.csv";
  for (int i = 1; i < 60; ++i) syn.columns[0][i] = "common";
  random::testing::SeededRng rng(7);
  EvaluationOptions o;
  auto ev = Evaluate(real, syn, nullptr, o, rng);
  ASSERT_TRUE(ev.ok()) << ev.status();
  ASSERT_EQ(ev->privacy.replay.size(), 1u);
  EXPECT_EQ(ev->privacy.replay[0].column, "note");
  EXPECT_EQ(ev->privacy.replay[0].candidates, 1);
  EXPECT_EQ(ev->privacy.replay[0].replayed, 1);
  EXPECT_EQ(ev->privacy.replay_rows, 1);
  ASSERT_EQ(ev->privacy.replay[0].examples.size(), 1u);
  EXPECT_THAT(ev->privacy.replay[0].examples[0], HasSubstr("Za•••"));
  EXPECT_THAT(ev->privacy.replay[0].examples[0], ::testing::Not(HasSubstr("Zanzibar")));
}

// Identifier values that coincide by chance (a fake-name generator drawing from the same
// vocabulary as the real data) are judged against the holdout baseline: not "copied".
TEST(EvaluationTest, ChanceReplayOfIdentifiersIsNotFlaggedAsCopying) {
  // Names from a shared vocabulary of 300: real, holdout and synthetic draw independently.
  auto names = [](uint64_t seed, int rows, const std::string& source) {
    TextTable t = Population(seed, rows, source.substr(0, 1), source);
    random::testing::SeededRng rng(seed + 100);
    t.names.push_back("last_name");
    t.columns.emplace_back();
    for (int i = 0; i < rows; ++i) {
      t.columns.back().push_back(absl::StrCat("Name", random::UniformUint64(rng, 300)));
    }
    return t;
  };
  const TextTable real = names(11, 600, "real.csv");
  const TextTable holdout = names(12, 600, "holdout.csv");
  const TextTable synthetic = names(13, 600, "synthetic.csv");
  EvaluationOptions o = Options();
  o.identifier_columns = {"last_name"};
  random::testing::SeededRng rng(7);
  auto ev = Evaluate(real, synthetic, &holdout, o, rng);
  ASSERT_TRUE(ev.ok()) << ev.status();
  const PrivacyRiskResult::Replay* rep = nullptr;
  for (const auto& r : ev->privacy.replay) {
    if (r.column == "last_name") rep = &r;
  }
  ASSERT_NE(rep, nullptr);
  EXPECT_GT(rep->replayed, 0);           // coincidences happen...
  EXPECT_GT(rep->holdout_replayed, 0);   // ...at the same rate for never-seen values
  EXPECT_GT(rep->expected, 0);
  EXPECT_FALSE(rep->above_chance);
  EXPECT_EQ(ev->privacy.excess_replayed, 0);  // the verdict counts only replay beyond chance
  for (const auto& v : Verdicts(*ev, nullptr)) {
    if (v.id == "privacy.pii_replay") {
      EXPECT_NE(v.level, VerdictLevel::kBad) << v.explanation;
      EXPECT_THAT(v.explanation, HasSubstr("coincidence"));
    }
  }
  // A synthesizer that copies the real identifiers is flagged against the same baseline.
  TextTable copying = synthetic;
  copying.columns.back() = real.columns.back();
  auto ev2 = Evaluate(real, copying, &holdout, o, rng);
  ASSERT_TRUE(ev2.ok());
  EXPECT_GT(ev2->privacy.excess_replayed, 0);
  EXPECT_LE(ev2->privacy.excess_replayed, ev2->privacy.replayed_values);
  for (const auto& v : Verdicts(*ev2, nullptr)) {
    if (v.id == "privacy.pii_replay") {
      EXPECT_EQ(v.level, VerdictLevel::kBad) << v.explanation;
    }
  }
  // After the pipeline replaced identifiers, the advice is not to replace them again.
  o.identifiers_replaced = true;
  auto ev3 = Evaluate(real, copying, &holdout, o, rng);
  ASSERT_TRUE(ev3.ok());
  for (const auto& v : Verdicts(*ev3, nullptr)) {
    if (v.id == "privacy.pii_replay") {
      EXPECT_THAT(v.explanation, ::testing::Not(HasSubstr("pii replace"))) << v.explanation;
    }
  }
}

// Dates are compared as ordered values (KS in days, date axes), and what the synthesizer did is
// reported when the caller says: the real share outside its range, the "other" shares.
TEST(EvaluationTest, DatesAreOrderedAndSynthesisChangesAreReported) {
  auto table = [](uint64_t seed, const std::string& source, bool with_other) {
    random::testing::SeededRng rng(seed);
    TextTable t;
    t.source = source;
    t.names = {"signup", "city"};
    t.columns.resize(2);
    for (int i = 0; i < 400; ++i) {
      const int64_t day = 18000 + static_cast<int64_t>(random::UniformUint64(rng, 1000));
      t.columns[0].push_back(io::FormatDate(day));
      const int city = static_cast<int>(random::UniformUint64(rng, 4));
      t.columns[1].push_back(with_other && city == 3 ? "other" : absl::StrCat("City", city));
    }
    return t;
  };
  const TextTable real = table(1, "real.csv", false);
  const TextTable synthetic = table(2, "synthetic.csv", true);
  EvaluationOptions o;
  o.ranges = {{"signup", 18000, 18499}};  // about half of the real dates lie above it
  o.other_columns = {"city"};
  random::testing::SeededRng rng(3);
  auto ev = Evaluate(real, synthetic, nullptr, o, rng);
  ASSERT_TRUE(ev.ok()) << ev.status();
  ASSERT_EQ(ev->columns.size(), 2u);
  const ColumnFidelity& signup = ev->columns[0];
  EXPECT_EQ(signup.kind, ColumnKind::kNumeric);
  EXPECT_TRUE(signup.is_date);
  ASSERT_TRUE(signup.ks.has_value());
  EXPECT_LT(*signup.ks, 0.15);  // same distribution
  ASSERT_FALSE(signup.histogram.empty());
  EXPECT_THAT(signup.histogram[0].label, HasSubstr("2019-"));  // day 18000 = 2019-04-14
  ASSERT_TRUE(signup.clipped_real.has_value());
  EXPECT_NEAR(*signup.clipped_real, 0.5, 0.1);
  const ColumnFidelity& city = ev->columns[1];
  ASSERT_TRUE(city.other_synthetic.has_value() && city.unmatched_real.has_value());
  EXPECT_NEAR(*city.other_synthetic, 0.25, 0.07);
  EXPECT_NEAR(*city.unmatched_real, 0.25, 0.07);  // City3 never occurs in synthetic
  EXPECT_FALSE(city.clipped_real.has_value());
}

TEST(EncodeTest, ParseNumberAndSampling) {
  double v;
  EXPECT_TRUE(internal::ParseNumber(" 3.5 ", &v));
  EXPECT_EQ(v, 3.5);
  EXPECT_TRUE(internal::ParseNumber("+2", &v));
  EXPECT_FALSE(internal::ParseNumber("nan", &v));
  EXPECT_FALSE(internal::ParseNumber("1e999", &v));
  EXPECT_FALSE(internal::ParseNumber("12abc", &v));
  EXPECT_FALSE(internal::ParseNumber("", &v));
  random::testing::SeededRng rng(3);
  auto idx = internal::SampleIndices(10, 4, rng);
  EXPECT_EQ(idx.size(), 4u);
  std::sort(idx.begin(), idx.end());
  EXPECT_EQ(std::unique(idx.begin(), idx.end()), idx.end());
  EXPECT_EQ(internal::SampleIndices(3, 10, rng).size(), 3u);
}

}  // namespace
}  // namespace dpkit::report
