#include "analytics/sql/parser/parser.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dpkit::analytics::sql {
namespace {

using ::testing::HasSubstr;

TEST(ParserTest, FullQuery) {
  auto s = ParseSql(
      "EXPLAIN SELECT sex, COUNT(*) AS n, AVG(age BETWEEN 0 AND 100), PERCENTILE(income, 0.9) "
      "FROM pums p JOIN visits v ON p.pid = v.pid WHERE age >= 18 AND educ IN (1, 2, 3) "
      "AND NOT married = 1 GROUP BY sex ORDER BY n DESC LIMIT 10 "
      "WITH EPSILON 1.5, DELTA 1e-6, MAX_GROUPS = 2, MECHANISM gaussian;");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_TRUE(s->explain);
  ASSERT_EQ(s->items.size(), 4u);
  EXPECT_EQ(s->items[1].alias, "n");
  EXPECT_EQ(s->items[1].expr->name, "COUNT");
  EXPECT_EQ(s->items[1].expr->args[0]->kind, ExprKind::kStar);
  EXPECT_EQ(s->items[2].expr->name, "AVG");
  EXPECT_EQ(*s->items[2].expr->lower, 0);
  EXPECT_EQ(*s->items[2].expr->upper, 100);
  EXPECT_EQ(s->items[3].expr->args.size(), 2u);
  EXPECT_EQ(s->from.name, "pums");
  EXPECT_EQ(s->from.alias, "p");
  ASSERT_TRUE(s->join.has_value());
  EXPECT_EQ(s->join->table.name, "visits");
  EXPECT_EQ(s->join->left->table, "p");
  EXPECT_EQ(s->where->ToString(), "(((age >= 18) AND educ IN (1, 2, 3)) AND NOT (married = 1))");
  EXPECT_EQ(s->group_by.size(), 1u);
  EXPECT_EQ(s->order_by[0].name, "n");
  EXPECT_TRUE(s->order_by[0].descending);
  EXPECT_EQ(*s->limit, 10);
  ASSERT_EQ(s->options.size(), 4u);
  EXPECT_EQ(s->options[0].name, "EPSILON");
  EXPECT_DOUBLE_EQ(s->options[0].value.double_value, 1.5);
  EXPECT_EQ(s->options[2].value.int_value, 2);
  EXPECT_EQ(s->options[3].value.string_value, "gaussian");
}

TEST(ParserTest, PrecedenceAndLiterals) {
  auto s = ParseSql("SELECT COUNT(*) FROM t WHERE a + 2 * b > -3.5 OR c = 'it''s' AND d IS NOT NULL");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->where->ToString(),
            "(((a + (2 * b)) > -3.5) OR ((c = 'it's') AND d IS NOT NULL))");
}

TEST(ParserTest, CountDistinctAndQuotedIdentifiers) {
  auto s = ParseSql("select count(distinct \"user id\") from `my table`");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_TRUE(s->items[0].expr->distinct);
  EXPECT_EQ(s->items[0].expr->args[0]->name, "user id");
  EXPECT_EQ(s->from.name, "my table");
}

TEST(ParserTest, ErrorsPointAtTheToken) {
  auto s = ParseSql("SELECT COUNT(*) AS n\nFORM t");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.status().message(), HasSubstr("at 2:1: expected FROM, found 'FORM'"));
  EXPECT_THAT(s.status().message(), HasSubstr("\n  FORM t\n  ^"));
  EXPECT_THAT(ParseSql("SELECT a FROM t WHERE").status().message(),
              HasSubstr("expected an expression, found end of query"));
  EXPECT_THAT(ParseSql("SELECT 'abc FROM t").status().message(), HasSubstr("unterminated string"));
  EXPECT_THAT(ParseSql("SELECT a FROM t LIMIT 1.5").status().message(),
              HasSubstr("LIMIT needs a non-negative integer"));
  EXPECT_THAT(ParseSql("SELECT SUM(x BETWEEN 5 AND 1) FROM t").status().message(),
              HasSubstr("lower <= upper"));
  EXPECT_THAT(ParseSql("SELECT a FROM t extra junk").status().message(),
              HasSubstr("unexpected text after the end"));
  EXPECT_THAT(ParseSql("SELECT a FROM t WHERE a $ 1").status().message(),
              HasSubstr("unexpected character '$'"));
}

}  // namespace
}  // namespace dpkit::analytics::sql
