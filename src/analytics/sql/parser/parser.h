// Lexer and recursive-descent parser for dpkit's SQL dialect (grammar in ast.h).
// Errors are InvalidArgument: "SQL syntax error at 1:17: expected FROM, found 'GROUP'" followed by
// the query line and a caret under the offending token.
#ifndef DPKIT_SRC_ANALYTICS_SQL_PARSER_PARSER_H_
#define DPKIT_SRC_ANALYTICS_SQL_PARSER_PARSER_H_

#include <string>

#include "absl/status/statusor.h"
#include "analytics/sql/parser/ast.h"

namespace dpkit::analytics::sql {

absl::StatusOr<SelectStatement> ParseSql(const std::string& text);

// Formats an error at byte offset `position` of `text` (used by later stages too).
std::string SqlErrorAt(const std::string& text, int position, const std::string& message);

}  // namespace dpkit::analytics::sql

#endif  // DPKIT_SRC_ANALYTICS_SQL_PARSER_PARSER_H_
