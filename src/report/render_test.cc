// Rendering: the HTML is self-contained, escapes user data and has a chart per section; the
// JSON carries every metric; the privacy file parses strictly; writing is atomic.
#include "dpkit/report/render.h"

#include <regex>
#include <string>

#include "absl/strings/str_cat.h"
#include "dpkit/base/env.h"
#include "dpkit/random/seeded_rng.h"
#include "dpkit/report/privacy_guarantee.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace dpkit::report {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TextTable Small(const std::string& evil_name) {
  TextTable t;
  t.source = "t.csv";
  t.names = {"x", evil_name, "y"};
  t.columns.resize(3);
  for (int i = 0; i < 80; ++i) {
    t.columns[0].push_back(std::to_string(i * 1.5));
    t.columns[1].push_back(i % 3 == 0 ? "<b>a</b>" : "b&c");
    t.columns[2].push_back(i % 2 ? "yes" : "no");
  }
  return t;
}

Evaluation Eval(const TextTable& t) {
  random::testing::SeededRng rng(1);
  EvaluationOptions o;
  o.target = "y";
  o.privacy_sample = 50;
  TextTable holdout = t;  // same distribution, but no row equals a real row
  for (auto& v : holdout.columns[0]) v += "1";
  auto ev = Evaluate(t, t, &holdout, o, rng);
  EXPECT_TRUE(ev.ok()) << ev.status();
  return *ev;
}

constexpr char kGuarantee[] = R"({
  "format": "dpkit-privacy/1", "epsilon": 1.5, "delta": 1e-6, "privacy_unit": "customer_id",
  "mechanism": "aim", "accountant": "zcdp", "dataset": "customers",
  "notes": ["<i>note</i>"],
  "ledger_entries": [
    {"id": 3, "time": "2024-05-01T00:00:00Z", "epsilon": 1.5, "delta": 1e-6, "note": "fit",
     "privacy_map": {"kind": "zcdp", "rho": 0.05, "mechanism": "aim/measure"}, "extra": [1, 2]}
  ]})";

size_t Count(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
  return n;
}

TEST(RenderTest, HtmlIsSelfContainedEscapedAndHasCharts) {
  const TextTable t = Small("<script>alert(1)</script>");
  const Evaluation ev = Eval(t);
  auto g = PrivacyGuarantee::FromJson(kGuarantee, "run.json");
  ASSERT_TRUE(g.ok()) << g.status();
  const std::string html = RenderHtml(ev, &*g);
  EXPECT_THAT(html, HasSubstr("<!DOCTYPE html>"));
  // Nothing is loaded from elsewhere.
  EXPECT_THAT(html, Not(HasSubstr("http://")));
  EXPECT_THAT(html, Not(HasSubstr("https://")));
  EXPECT_THAT(html, Not(HasSubstr("<link")));
  EXPECT_THAT(html, Not(HasSubstr(" src=")));
  // User data is escaped: the only <script> is ours.
  EXPECT_EQ(Count(html, "<script>"), 1u);
  EXPECT_THAT(html, HasSubstr("&lt;script&gt;alert(1)&lt;/script&gt;"));
  EXPECT_THAT(html, HasSubstr("&lt;b&gt;a&lt;/b&gt;"));
  EXPECT_THAT(html, HasSubstr("&lt;i&gt;note&lt;/i&gt;"));
  // Charts: 3 histograms, 3 heatmaps, utility, DCR.
  EXPECT_EQ(Count(html, "data-chart=\"histogram\""), 3u);
  EXPECT_EQ(Count(html, "data-chart=\"heatmap-"), 3u);
  EXPECT_EQ(Count(html, "data-chart=\"utility\""), 1u);
  EXPECT_EQ(Count(html, "data-chart=\"dcr\""), 1u);
  // The guarantee and the ledger entry are at the top.
  EXPECT_LT(html.find("id=\"guarantee\""), html.find("id=\"summary\""));
  EXPECT_THAT(html, HasSubstr("customer_id"));
  EXPECT_THAT(html, HasSubstr("zcdp(rho="));
  // A copy of the data is flagged red on exact matches.
  EXPECT_THAT(html, HasSubstr("data-verdict=\"privacy.exact\" data-level=\"bad\""));
}

TEST(RenderTest, NoGuaranteeIsRed) {
  const Evaluation ev = Eval(Small("z"));
  const auto v = Verdicts(ev, nullptr);
  ASSERT_FALSE(v.empty());
  EXPECT_EQ(v[0].id, "guarantee");
  EXPECT_EQ(v[0].level, VerdictLevel::kBad);
  EXPECT_THAT(RenderHtml(ev, nullptr), HasSubstr("No differential-privacy guarantee"));
}

TEST(RenderTest, JsonHasEveryMetric) {
  const Evaluation ev = Eval(Small("z"));
  auto g = PrivacyGuarantee::FromJson(kGuarantee, "run.json");
  ASSERT_TRUE(g.ok());
  const auto j = nlohmann::json::parse(RenderJson(ev, &*g));
  EXPECT_EQ(j["format"], "dpkit-report/1");
  EXPECT_EQ(j["guarantee"]["epsilon"], 1.5);
  EXPECT_EQ(j["guarantee"]["ledger_entries"][0]["extra"], nlohmann::json({1, 2}));
  EXPECT_EQ(j["fidelity"]["columns"].size(), 3u);
  EXPECT_TRUE(j["fidelity"]["columns"][0]["ks"].is_number());
  EXPECT_TRUE(j["fidelity"]["columns"][1]["tvd"].is_number());
  EXPECT_EQ(j["fidelity"]["kmarginal"]["score"], 1000.0);
  EXPECT_EQ(j["fidelity"]["associations"]["real"].size(), 9u);
  EXPECT_TRUE(j["utility"]["computed"]);
  EXPECT_TRUE(j["utility"]["train_synthetic_test_real"]["auc"].is_number());
  EXPECT_TRUE(j["privacy"]["membership_inference"]["advantage"].is_number());
  EXPECT_TRUE(j["privacy"]["dcr"]["closer_to_train_share"].is_number());
  EXPECT_EQ(j["privacy"]["exact_matches"]["synthetic_rows_matching_real"], 80);
  EXPECT_TRUE(j["privacy"]["attribute_inference"]["computed"]);
  EXPECT_GE(j["verdicts"].size(), 8u);
}

TEST(PrivacyGuaranteeTest, ParsesAndRoundTrips) {
  auto g = PrivacyGuarantee::FromJson(kGuarantee, "run.json");
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_EQ(g->epsilon, 1.5);
  EXPECT_EQ(g->privacy_unit, "customer_id");
  ASSERT_EQ(g->ledger_entries.size(), 1u);
  EXPECT_EQ(g->ledger_entries[0].id, "3");
  EXPECT_EQ(g->ledger_entries[0].mechanism, "aim/measure");
  auto again = PrivacyGuarantee::FromJson(g->ToJson(), "x");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->ToJson(), g->ToJson());
}

TEST(PrivacyGuaranteeTest, RejectsBadFilesWithClearMessages) {
  struct Case {
    std::string text;
    absl::StatusCode code;
    std::string message;
  };
  const std::string base =
      R"("format": "dpkit-privacy/1", "privacy_unit": "row", "mechanism": "mst", "accountant": "zcdp")";
  const Case cases[] = {
      {"{not json", absl::StatusCode::kDataLoss, "run.json is not valid JSON"},
      {"[1]", absl::StatusCode::kInvalidArgument, "JSON object"},
      {R"({"format": "v0", "epsilon": 1, "delta": 0})", absl::StatusCode::kInvalidArgument,
       "\"format\" must be \"dpkit-privacy/1\", got \"v0\""},
      {"{" + base + R"(, "delta": 0})", absl::StatusCode::kInvalidArgument,
       "missing required field \"epsilon\""},
      {"{" + base + R"(, "epsilon": -1, "delta": 0})", absl::StatusCode::kInvalidArgument,
       "epsilon must be finite and >= 0, got -1"},
      {"{" + base + R"(, "epsilon": 1, "delta": 1.5})", absl::StatusCode::kInvalidArgument,
       "delta"},
      {"{" + base + R"(, "epsilon": "1", "delta": 0})", absl::StatusCode::kInvalidArgument,
       "\"epsilon\" must be a number, got \"1\""},
      {R"({"format": "dpkit-privacy/1", "epsilon": 1, "delta": 0, "privacy_unit": "",
           "mechanism": "m", "accountant": "a"})",
       absl::StatusCode::kInvalidArgument, "\"privacy_unit\" must be a non-empty string"},
      {"{" + base + R"(, "epsilon": 1, "delta": 0, "ledger_entries": [{"privacy_map": {"kind": "zcdp", "rho": -2}}]})",
       absl::StatusCode::kInvalidArgument, "ledger_entries[0].privacy_map"},
  };
  for (const auto& c : cases) {
    auto g = PrivacyGuarantee::FromJson(c.text, "run.json");
    ASSERT_FALSE(g.ok()) << c.text;
    EXPECT_EQ(g.status().code(), c.code) << c.text << " -> " << g.status();
    EXPECT_THAT(std::string(g.status().message()), HasSubstr(c.message)) << c.text;
    EXPECT_THAT(std::string(g.status().message()), HasSubstr("run.json"));
  }
}

TEST(RenderTest, WriteReportIsAtomicOnFullDisk) {
  const Evaluation ev = Eval(Small("z"));
  const std::string dir = ::testing::TempDir();
  const std::string html = absl::StrCat(dir, "/report_render_test.html");
  const std::string json = absl::StrCat(dir, "/report_render_test.json");
  ASSERT_TRUE(WriteReport(Env::Default(), ev, nullptr, html, json).ok());
  auto before = Env::Default()->ReadFile(html);
  ASSERT_TRUE(before.ok());
  testing::FaultInjectionEnv env(Env::Default());
  env.SetDiskFullAfterBytes(1000);
  const absl::Status s = WriteReport(&env, ev, nullptr, html, json);
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.message()), HasSubstr("report_render_test"));
  // The old files are intact.
  EXPECT_EQ(*Env::Default()->ReadFile(html), *before);
  EXPECT_TRUE(nlohmann::json::accept(*Env::Default()->ReadFile(json)));
}

}  // namespace
}  // namespace dpkit::report
