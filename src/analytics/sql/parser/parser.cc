#include "analytics/sql/parser/parser.h"

#include <cctype>
#include <cstdlib>
#include <set>
#include <sstream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "dpkit/base/status.h"

namespace dpkit::analytics::sql {
namespace {

enum class Tok { kIdent, kKeyword, kNumber, kString, kSymbol, kEnd };

struct Token {
  Tok type;
  std::string text;  // keywords upper-cased; identifiers as written (quotes removed)
  int pos;
  bool quoted = false;
};

const std::set<std::string>& Keywords() {
  static const auto* k = new std::set<std::string>{
      "SELECT", "FROM",  "WHERE", "GROUP", "BY",    "HAVING", "ORDER", "ASC",   "DESC",
      "LIMIT",  "AS",    "JOIN",  "INNER", "ON",    "AND",    "OR",    "NOT",   "IN",
      "BETWEEN", "IS",   "NULL",  "TRUE",  "FALSE", "LIKE",   "DISTINCT", "EXPLAIN", "WITH"};
  return *k;
}

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

class Lexer {
 public:
  explicit Lexer(const std::string& text) : text_(text) {}

  absl::StatusOr<std::vector<Token>> Run() {
    std::vector<Token> out;
    size_t i = 0;
    const size_t n = text_.size();
    while (i < n) {
      char c = text_[i];
      if (std::isspace(static_cast<unsigned char>(c))) {
        ++i;
        continue;
      }
      if (c == '-' && i + 1 < n && text_[i + 1] == '-') {  // comment to end of line
        while (i < n && text_[i] != '\n') ++i;
        continue;
      }
      int pos = static_cast<int>(i);
      if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
        size_t j = i;
        while (j < n && (std::isalnum(static_cast<unsigned char>(text_[j])) || text_[j] == '_')) ++j;
        std::string word = text_.substr(i, j - i);
        std::string up = Upper(word);
        if (Keywords().count(up)) {
          out.push_back({Tok::kKeyword, up, pos});
        } else {
          out.push_back({Tok::kIdent, word, pos});
        }
        i = j;
        continue;
      }
      if (c == '"' || c == '`') {  // quoted identifier
        char q = c;
        size_t j = i + 1;
        std::string word;
        while (j < n && text_[j] != q) word += text_[j++];
        if (j >= n) return Error(pos, "unterminated quoted identifier");
        out.push_back({Tok::kIdent, word, pos, true});
        i = j + 1;
        continue;
      }
      if (c == '\'') {  // string literal, '' escapes a quote
        size_t j = i + 1;
        std::string s;
        while (true) {
          if (j >= n) return Error(pos, "unterminated string literal");
          if (text_[j] == '\'') {
            if (j + 1 < n && text_[j + 1] == '\'') {
              s += '\'';
              j += 2;
              continue;
            }
            break;
          }
          s += text_[j++];
        }
        out.push_back({Tok::kString, s, pos});
        i = j + 1;
        continue;
      }
      if (std::isdigit(static_cast<unsigned char>(c)) ||
          (c == '.' && i + 1 < n && std::isdigit(static_cast<unsigned char>(text_[i + 1])))) {
        size_t j = i;
        while (j < n && (std::isdigit(static_cast<unsigned char>(text_[j])) || text_[j] == '.')) ++j;
        if (j < n && (text_[j] == 'e' || text_[j] == 'E')) {
          size_t k = j + 1;
          if (k < n && (text_[k] == '+' || text_[k] == '-')) ++k;
          if (k < n && std::isdigit(static_cast<unsigned char>(text_[k]))) {
            j = k;
            while (j < n && std::isdigit(static_cast<unsigned char>(text_[j]))) ++j;
          }
        }
        out.push_back({Tok::kNumber, text_.substr(i, j - i), pos});
        i = j;
        continue;
      }
      static const char* kTwo[] = {"<=", ">=", "<>", "!=", "=="};
      bool matched = false;
      for (const char* t : kTwo) {
        if (text_.compare(i, 2, t) == 0) {
          out.push_back({Tok::kSymbol, t, pos});
          i += 2;
          matched = true;
          break;
        }
      }
      if (matched) continue;
      if (std::string("(),.*+-/=<>;%").find(c) != std::string::npos) {
        out.push_back({Tok::kSymbol, std::string(1, c), pos});
        ++i;
        continue;
      }
      return Error(pos, absl::StrCat("unexpected character '", std::string(1, c), "'"));
    }
    out.push_back({Tok::kEnd, "", static_cast<int>(n)});
    return out;
  }

 private:
  absl::Status Error(int pos, const std::string& msg) {
    return absl::InvalidArgumentError(SqlErrorAt(text_, pos, msg));
  }
  const std::string& text_;
};

class Parser {
 public:
  Parser(const std::string& text, std::vector<Token> tokens)
      : text_(text), tokens_(std::move(tokens)) {}

  absl::StatusOr<SelectStatement> ParseStatement() {
    SelectStatement stmt;
    if (AcceptKeyword("EXPLAIN")) stmt.explain = true;
    DPKIT_RETURN_IF_ERROR(ExpectKeyword("SELECT"));
    do {
      SelectItem item;
      DPKIT_ASSIGN_OR_RETURN(item.expr, ParseExpr());
      if (AcceptKeyword("AS")) {
        DPKIT_ASSIGN_OR_RETURN(item.alias, ExpectIdent("an alias"));
      } else if (Peek().type == Tok::kIdent) {
        item.alias = Next().text;
      }
      stmt.items.push_back(std::move(item));
    } while (AcceptSymbol(","));
    DPKIT_RETURN_IF_ERROR(ExpectKeyword("FROM"));
    DPKIT_ASSIGN_OR_RETURN(stmt.from, ParseTableRef());
    if (PeekKeyword("INNER") || PeekKeyword("JOIN")) {
      AcceptKeyword("INNER");
      DPKIT_RETURN_IF_ERROR(ExpectKeyword("JOIN"));
      JoinClause join;
      DPKIT_ASSIGN_OR_RETURN(join.table, ParseTableRef());
      DPKIT_RETURN_IF_ERROR(ExpectKeyword("ON"));
      DPKIT_ASSIGN_OR_RETURN(join.left, ParsePrimary());
      if (!AcceptSymbol("=") && !AcceptSymbol("==")) return ErrorHere("expected '=' in JOIN ... ON");
      DPKIT_ASSIGN_OR_RETURN(join.right, ParsePrimary());
      if (join.left->kind != ExprKind::kColumn || join.right->kind != ExprKind::kColumn) {
        return ErrorAt(join.left->position, "JOIN ... ON must compare two columns (a.col = b.col)");
      }
      stmt.join = std::move(join);
    }
    if (AcceptKeyword("WHERE")) {
      DPKIT_ASSIGN_OR_RETURN(stmt.where, ParseExpr());
    }
    if (AcceptKeyword("GROUP")) {
      DPKIT_RETURN_IF_ERROR(ExpectKeyword("BY"));
      do {
        DPKIT_ASSIGN_OR_RETURN(auto e, ParseExpr());
        stmt.group_by.push_back(std::move(e));
      } while (AcceptSymbol(","));
    }
    if (AcceptKeyword("HAVING")) {
      DPKIT_ASSIGN_OR_RETURN(stmt.having, ParseExpr());
    }
    if (AcceptKeyword("ORDER")) {
      DPKIT_RETURN_IF_ERROR(ExpectKeyword("BY"));
      do {
        OrderItem o;
        if (Peek().type == Tok::kNumber) {
          o.name = Next().text;  // ordinal
        } else {
          DPKIT_ASSIGN_OR_RETURN(auto e, ParsePrimary());
          o.name = e->kind == ExprKind::kColumn ? e->name : e->ToString();
        }
        if (AcceptKeyword("DESC")) {
          o.descending = true;
        } else {
          AcceptKeyword("ASC");
        }
        stmt.order_by.push_back(std::move(o));
      } while (AcceptSymbol(","));
    }
    if (AcceptKeyword("LIMIT")) {
      const Token& t = Peek();
      if (t.type != Tok::kNumber || t.text.find_first_of(".eE") != std::string::npos) {
        return ErrorHere("LIMIT needs a non-negative integer");
      }
      stmt.limit = std::atoll(Next().text.c_str());
    }
    if (AcceptKeyword("WITH")) {
      do {
        QueryOption opt;
        opt.position = Peek().pos;
        if (Peek().type != Tok::kIdent && Peek().type != Tok::kKeyword) {
          return ErrorHere("expected an option name after WITH (EPSILON, DELTA, MAX_GROUPS, ...)");
        }
        opt.name = Upper(Next().text);
        AcceptSymbol("=");
        DPKIT_ASSIGN_OR_RETURN(auto value, ParseUnary());
        if (value->kind == ExprKind::kLiteral) {
          opt.value = value->literal;
        } else if (value->kind == ExprKind::kColumn) {  // bare word, e.g. MECHANISM gaussian
          opt.value.type = LiteralType::kString;
          opt.value.string_value = value->name;
        } else {
          return ErrorAt(value->position, "option value must be a number or a word");
        }
        stmt.options.push_back(std::move(opt));
      } while (AcceptSymbol(","));
    }
    AcceptSymbol(";");
    if (Peek().type != Tok::kEnd) return ErrorHere("unexpected text after the end of the query");
    return stmt;
  }

 private:
  // ---- expressions, lowest precedence first ----
  absl::StatusOr<ExprPtr> ParseExpr() { return ParseOr(); }

  absl::StatusOr<ExprPtr> ParseOr() {
    DPKIT_ASSIGN_OR_RETURN(ExprPtr left, ParseAnd());
    while (PeekKeyword("OR")) {
      int pos = Next().pos;
      DPKIT_ASSIGN_OR_RETURN(ExprPtr right, ParseAnd());
      left = MakeBinary("OR", std::move(left), std::move(right), pos);
    }
    return left;
  }

  absl::StatusOr<ExprPtr> ParseAnd() {
    DPKIT_ASSIGN_OR_RETURN(ExprPtr left, ParseNot());
    while (PeekKeyword("AND")) {
      int pos = Next().pos;
      DPKIT_ASSIGN_OR_RETURN(ExprPtr right, ParseNot());
      left = MakeBinary("AND", std::move(left), std::move(right), pos);
    }
    return left;
  }

  absl::StatusOr<ExprPtr> ParseNot() {
    if (PeekKeyword("NOT")) {
      int pos = Next().pos;
      DPKIT_ASSIGN_OR_RETURN(ExprPtr inner, ParseNot());
      auto e = std::make_unique<Expr>();
      e->kind = ExprKind::kUnary;
      e->name = "NOT";
      e->position = pos;
      e->args.push_back(std::move(inner));
      return e;
    }
    return ParseComparison();
  }

  absl::StatusOr<ExprPtr> ParseComparison() {
    DPKIT_ASSIGN_OR_RETURN(ExprPtr left, ParseAdditive());
    while (true) {
      const Token& t = Peek();
      if (t.type == Tok::kSymbol &&
          (t.text == "=" || t.text == "==" || t.text == "<>" || t.text == "!=" || t.text == "<" ||
           t.text == "<=" || t.text == ">" || t.text == ">=")) {
        Token op = Next();
        std::string name = op.text == "==" ? "=" : (op.text == "!=" ? "<>" : op.text);
        DPKIT_ASSIGN_OR_RETURN(ExprPtr right, ParseAdditive());
        left = MakeBinary(name, std::move(left), std::move(right), op.pos);
        continue;
      }
      bool negated = false;
      if (PeekKeyword("NOT") && (PeekKeyword("IN", 1) || PeekKeyword("BETWEEN", 1) ||
                                 PeekKeyword("LIKE", 1))) {
        Next();
        negated = true;
      }
      if (PeekKeyword("IN")) {
        int pos = Next().pos;
        DPKIT_RETURN_IF_ERROR(ExpectSymbol("("));
        auto e = std::make_unique<Expr>();
        e->kind = ExprKind::kIn;
        e->position = pos;
        e->negated = negated;
        e->args.push_back(std::move(left));
        do {
          DPKIT_ASSIGN_OR_RETURN(auto item, ParseAdditive());
          e->args.push_back(std::move(item));
        } while (AcceptSymbol(","));
        DPKIT_RETURN_IF_ERROR(ExpectSymbol(")"));
        left = std::move(e);
        continue;
      }
      if (PeekKeyword("BETWEEN")) {
        int pos = Next().pos;
        DPKIT_ASSIGN_OR_RETURN(auto lo, ParseAdditive());
        DPKIT_RETURN_IF_ERROR(ExpectKeyword("AND"));
        DPKIT_ASSIGN_OR_RETURN(auto hi, ParseAdditive());
        auto e = std::make_unique<Expr>();
        e->kind = ExprKind::kBetween;
        e->position = pos;
        e->negated = negated;
        e->args.push_back(std::move(left));
        e->args.push_back(std::move(lo));
        e->args.push_back(std::move(hi));
        left = std::move(e);
        continue;
      }
      if (PeekKeyword("LIKE")) {
        int pos = Next().pos;
        DPKIT_ASSIGN_OR_RETURN(ExprPtr right, ParseAdditive());
        left = MakeBinary("LIKE", std::move(left), std::move(right), pos);
        if (negated) {
          auto e = std::make_unique<Expr>();
          e->kind = ExprKind::kUnary;
          e->name = "NOT";
          e->position = pos;
          e->args.push_back(std::move(left));
          left = std::move(e);
        }
        continue;
      }
      if (negated) return ErrorHere("expected IN, BETWEEN or LIKE after NOT");
      if (PeekKeyword("IS")) {
        int pos = Next().pos;
        bool is_not = AcceptKeyword("NOT");
        DPKIT_RETURN_IF_ERROR(ExpectKeyword("NULL"));
        auto e = std::make_unique<Expr>();
        e->kind = ExprKind::kIsNull;
        e->position = pos;
        e->negated = is_not;
        e->args.push_back(std::move(left));
        left = std::move(e);
        continue;
      }
      return left;
    }
  }

  absl::StatusOr<ExprPtr> ParseAdditive() {
    DPKIT_ASSIGN_OR_RETURN(ExprPtr left, ParseMultiplicative());
    while (PeekSymbol("+") || PeekSymbol("-")) {
      Token op = Next();
      DPKIT_ASSIGN_OR_RETURN(ExprPtr right, ParseMultiplicative());
      left = MakeBinary(op.text, std::move(left), std::move(right), op.pos);
    }
    return left;
  }

  absl::StatusOr<ExprPtr> ParseMultiplicative() {
    DPKIT_ASSIGN_OR_RETURN(ExprPtr left, ParseUnary());
    while (PeekSymbol("*") || PeekSymbol("/") || PeekSymbol("%")) {
      Token op = Next();
      DPKIT_ASSIGN_OR_RETURN(ExprPtr right, ParseUnary());
      left = MakeBinary(op.text, std::move(left), std::move(right), op.pos);
    }
    return left;
  }

  absl::StatusOr<ExprPtr> ParseUnary() {
    if (PeekSymbol("-")) {
      int pos = Next().pos;
      DPKIT_ASSIGN_OR_RETURN(ExprPtr inner, ParseUnary());
      if (inner->kind == ExprKind::kLiteral && inner->literal.type == LiteralType::kInt) {
        inner->literal.int_value = -inner->literal.int_value;
        inner->position = pos;
        return inner;
      }
      if (inner->kind == ExprKind::kLiteral && inner->literal.type == LiteralType::kDouble) {
        inner->literal.double_value = -inner->literal.double_value;
        inner->position = pos;
        return inner;
      }
      auto e = std::make_unique<Expr>();
      e->kind = ExprKind::kUnary;
      e->name = "-";
      e->position = pos;
      e->args.push_back(std::move(inner));
      return e;
    }
    if (PeekSymbol("+")) Next();
    return ParsePrimary();
  }

  absl::StatusOr<ExprPtr> ParsePrimary() {
    const Token& t = Peek();
    auto e = std::make_unique<Expr>();
    e->position = t.pos;
    if (t.type == Tok::kNumber) {
      std::string s = Next().text;
      e->kind = ExprKind::kLiteral;
      char* end = nullptr;
      if (s.find_first_of(".eE") == std::string::npos) {
        errno = 0;
        long long v = std::strtoll(s.c_str(), &end, 10);
        if (errno == ERANGE) return ErrorAt(e->position, "integer literal out of range");
        e->literal.type = LiteralType::kInt;
        e->literal.int_value = v;
      } else {
        e->literal.type = LiteralType::kDouble;
        e->literal.double_value = std::strtod(s.c_str(), &end);
        if (end == nullptr || *end != '\0') return ErrorAt(e->position, "malformed number");
      }
      return e;
    }
    if (t.type == Tok::kString) {
      e->kind = ExprKind::kLiteral;
      e->literal.type = LiteralType::kString;
      e->literal.string_value = Next().text;
      return e;
    }
    if (t.type == Tok::kKeyword && (t.text == "NULL" || t.text == "TRUE" || t.text == "FALSE")) {
      Token k = Next();
      e->kind = ExprKind::kLiteral;
      if (k.text == "NULL") {
        e->literal.type = LiteralType::kNull;
      } else {
        e->literal.type = LiteralType::kBool;
        e->literal.bool_value = k.text == "TRUE";
      }
      return e;
    }
    if (t.type == Tok::kSymbol && t.text == "(") {
      Next();
      DPKIT_ASSIGN_OR_RETURN(ExprPtr inner, ParseExpr());
      DPKIT_RETURN_IF_ERROR(ExpectSymbol(")"));
      return inner;
    }
    if (t.type == Tok::kSymbol && t.text == "*") {
      Next();
      e->kind = ExprKind::kStar;
      return e;
    }
    if (t.type == Tok::kIdent) {
      Token id = Next();
      if (!id.quoted && PeekSymbol("(")) {  // function call
        Next();
        e->kind = ExprKind::kFunction;
        e->name = Upper(id.text);
        if (AcceptKeyword("DISTINCT")) e->distinct = true;
        if (!PeekSymbol(")")) {
          do {
            DPKIT_ASSIGN_OR_RETURN(auto arg, ParseFunctionArg(e.get()));
            e->args.push_back(std::move(arg));
          } while (AcceptSymbol(","));
        }
        DPKIT_RETURN_IF_ERROR(ExpectSymbol(")"));
        return e;
      }
      e->kind = ExprKind::kColumn;
      if (PeekSymbol(".")) {
        Next();
        DPKIT_ASSIGN_OR_RETURN(std::string col, ExpectIdent("a column name after '.'"));
        e->table = id.text;
        e->name = col;
      } else {
        e->name = id.text;
      }
      return e;
    }
    return ErrorHere("expected an expression");
  }

  // A function argument; the first argument of an aggregate may carry inline bounds:
  // SUM(x BETWEEN 0 AND 100).
  absl::StatusOr<ExprPtr> ParseFunctionArg(Expr* fn) {
    if (PeekSymbol("*")) {
      auto e = std::make_unique<Expr>();
      e->kind = ExprKind::kStar;
      e->position = Next().pos;
      return e;
    }
    DPKIT_ASSIGN_OR_RETURN(ExprPtr arg, ParseAdditive());
    if (fn->args.empty() && PeekKeyword("BETWEEN")) {
      int pos = Next().pos;
      DPKIT_ASSIGN_OR_RETURN(double lo, ParseSignedNumber());
      DPKIT_RETURN_IF_ERROR(ExpectKeyword("AND"));
      DPKIT_ASSIGN_OR_RETURN(double hi, ParseSignedNumber());
      if (!(lo <= hi)) return ErrorAt(pos, "aggregate bounds need lower <= upper");
      fn->lower = lo;
      fn->upper = hi;
    }
    return arg;
  }

  absl::StatusOr<double> ParseSignedNumber() {
    bool neg = AcceptSymbol("-");
    if (Peek().type != Tok::kNumber) return ErrorHere("expected a number");
    double v = std::strtod(Next().text.c_str(), nullptr);
    return neg ? -v : v;
  }

  absl::StatusOr<TableRef> ParseTableRef() {
    TableRef ref;
    DPKIT_ASSIGN_OR_RETURN(ref.name, ExpectIdent("a table name"));
    if (AcceptKeyword("AS")) {
      DPKIT_ASSIGN_OR_RETURN(ref.alias, ExpectIdent("a table alias"));
    } else if (Peek().type == Tok::kIdent) {
      ref.alias = Next().text;
    }
    return ref;
  }

  // ---- token helpers ----
  const Token& Peek(int ahead = 0) const {
    size_t i = std::min(pos_ + ahead, tokens_.size() - 1);
    return tokens_[i];
  }
  Token Next() {
    Token t = tokens_[pos_];
    if (pos_ + 1 < tokens_.size()) ++pos_;
    return t;
  }
  bool PeekKeyword(const char* k, int ahead = 0) const {
    return Peek(ahead).type == Tok::kKeyword && Peek(ahead).text == k;
  }
  bool PeekSymbol(const char* s) const { return Peek().type == Tok::kSymbol && Peek().text == s; }
  bool AcceptKeyword(const char* k) {
    if (!PeekKeyword(k)) return false;
    Next();
    return true;
  }
  bool AcceptSymbol(const char* s) {
    if (!PeekSymbol(s)) return false;
    Next();
    return true;
  }
  absl::Status ExpectKeyword(const char* k) {
    if (AcceptKeyword(k)) return absl::OkStatus();
    return ErrorHere(absl::StrCat("expected ", k));
  }
  absl::Status ExpectSymbol(const char* s) {
    if (AcceptSymbol(s)) return absl::OkStatus();
    return ErrorHere(absl::StrCat("expected '", s, "'"));
  }
  absl::StatusOr<std::string> ExpectIdent(const char* what) {
    if (Peek().type == Tok::kIdent) return Next().text;
    return ErrorHere(absl::StrCat("expected ", what));
  }
  absl::Status ErrorHere(const std::string& msg) {
    const Token& t = Peek();
    std::string found = t.type == Tok::kEnd ? "end of query" : absl::StrCat("'", t.text, "'");
    return ErrorAt(t.pos, absl::StrCat(msg, ", found ", found));
  }
  absl::Status ErrorAt(int pos, const std::string& msg) {
    return absl::InvalidArgumentError(SqlErrorAt(text_, pos, msg));
  }
  ExprPtr MakeBinary(std::string op, ExprPtr l, ExprPtr r, int pos) {
    auto e = std::make_unique<Expr>();
    e->kind = ExprKind::kBinary;
    e->name = std::move(op);
    e->position = pos;
    e->args.push_back(std::move(l));
    e->args.push_back(std::move(r));
    return e;
  }

  const std::string& text_;
  std::vector<Token> tokens_;
  size_t pos_ = 0;
};

}  // namespace

std::string SqlErrorAt(const std::string& text, int position, const std::string& message) {
  int line = 1, col = 1;
  size_t line_start = 0;
  for (int i = 0; i < position && i < static_cast<int>(text.size()); ++i) {
    if (text[i] == '\n') {
      ++line;
      col = 1;
      line_start = i + 1;
    } else {
      ++col;
    }
  }
  size_t line_end = text.find('\n', line_start);
  std::string src = text.substr(line_start, line_end == std::string::npos ? std::string::npos
                                                                           : line_end - line_start);
  return absl::StrCat("SQL error at ", line, ":", col, ": ", message, "\n  ", src, "\n  ",
                      std::string(static_cast<size_t>(col - 1), ' '), "^");
}

std::string Expr::ToString() const {
  switch (kind) {
    case ExprKind::kColumn:
      return table.empty() ? name : absl::StrCat(table, ".", name);
    case ExprKind::kLiteral:
      switch (literal.type) {
        case LiteralType::kNull:
          return "NULL";
        case LiteralType::kInt:
          return std::to_string(literal.int_value);
        case LiteralType::kDouble: {
          std::ostringstream os;
          os << literal.double_value;
          return os.str();
        }
        case LiteralType::kString:
          return absl::StrCat("'", literal.string_value, "'");
        case LiteralType::kBool:
          return literal.bool_value ? "TRUE" : "FALSE";
      }
      return "?";
    case ExprKind::kStar:
      return "*";
    case ExprKind::kFunction: {
      std::string s = absl::StrCat(name, "(", distinct ? "DISTINCT " : "");
      for (size_t i = 0; i < args.size(); ++i) {
        if (i) s += ", ";
        s += args[i]->ToString();
      }
      return s + ")";
    }
    case ExprKind::kUnary:
      return absl::StrCat(name, name == "NOT" ? " " : "", args[0]->ToString());
    case ExprKind::kBinary:
      return absl::StrCat("(", args[0]->ToString(), " ", name, " ", args[1]->ToString(), ")");
    case ExprKind::kIn: {
      std::string s = absl::StrCat(args[0]->ToString(), negated ? " NOT IN (" : " IN (");
      for (size_t i = 1; i < args.size(); ++i) {
        if (i > 1) s += ", ";
        s += args[i]->ToString();
      }
      return s + ")";
    }
    case ExprKind::kBetween:
      return absl::StrCat(args[0]->ToString(), negated ? " NOT BETWEEN " : " BETWEEN ",
                          args[1]->ToString(), " AND ", args[2]->ToString());
    case ExprKind::kIsNull:
      return absl::StrCat(args[0]->ToString(), negated ? " IS NOT NULL" : " IS NULL");
  }
  return "?";
}

absl::StatusOr<SelectStatement> ParseSql(const std::string& text) {
  Lexer lexer(text);
  DPKIT_ASSIGN_OR_RETURN(auto tokens, lexer.Run());
  Parser parser(text, std::move(tokens));
  return parser.ParseStatement();
}

}  // namespace dpkit::analytics::sql
