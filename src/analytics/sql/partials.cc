#include "dpkit/analytics/sql_partials.h"

#include <algorithm>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "analytics/charging.h"
#include "analytics/sql/binder/binder.h"
#include "analytics/sql/executor/executor.h"
#include "analytics/sql/parser/parser.h"
#include "analytics/sql/planner/planner.h"
#include "dpkit/base/status.h"

namespace dpkit::analytics {
namespace {

// A statement bound against one table read from CSV text: a header line on the coordinator,
// a slice where the slices live.
struct Prepared {
  std::unique_ptr<sql::SelectStatement> stmt;  // `bound` points into it
  LoadedTables loaded;
  sql::BoundQuery bound;
};

absl::StatusOr<Prepared> Prepare(const std::string& text, const CsvTableSource& source,
                                 const SqlOptions& options, const io::CsvReadOptions& dialect) {
  Prepared p;
  DPKIT_ASSIGN_OR_RETURN(sql::SelectStatement stmt, sql::ParseSql(text));
  if (stmt.join) {
    return absl::InvalidArgumentError(
        "JOIN is not supported on a table held in slices: a statement over slices reads one "
        "table");
  }
  p.stmt = std::make_unique<sql::SelectStatement>(std::move(stmt));
  DPKIT_ASSIGN_OR_RETURN(p.loaded, LoadCsvTablesForQuery(text, {source}, dialect));
  DPKIT_ASSIGN_OR_RETURN(p.bound, sql::Bind(*p.stmt, text, p.loaded.catalog.entries(),
                                            sql::DefaultsOf(options)));
  return p;
}

std::string HeaderLine(const std::vector<std::string>& columns) {
  std::string line;
  for (size_t i = 0; i < columns.size(); ++i) {
    if (i > 0) line += ',';
    io::AppendCsvField(columns[i], ',', "", &line);
  }
  return line + '\n';
}

void CollectColumns(const sql::Expr& e, const sql::TableScope& scope, std::set<std::string>* out) {
  if (e.kind == sql::ExprKind::kColumn) {
    absl::StatusOr<int> index = scope.Resolve(e);
    if (index.ok()) out->insert(scope.names()[*index]);
  }
  for (const auto& arg : e.args) CollectColumns(*arg, scope, out);
}

// The columns the bound statement reads, in table order.
std::vector<std::string> ColumnsRead(const sql::BoundQuery& b,
                                     const std::vector<std::string>& header) {
  std::set<std::string> used(b.spec.group_by.begin(), b.spec.group_by.end());
  if (!b.shape.schema.privacy_unit.empty()) used.insert(b.shape.schema.privacy_unit);
  for (const AggregateSpec& a : b.spec.aggregates) {
    if (!a.column.empty()) used.insert(a.column);
  }
  if (b.where) CollectColumns(*b.where, *b.scope, &used);
  std::vector<std::string> out;
  for (const std::string& c : header) {
    if (used.count(c)) out.push_back(c);
  }
  return out;
}

std::optional<io::Schema> Restrict(const std::optional<io::Schema>& schema,
                                   const std::vector<std::string>& columns) {
  if (!schema) return std::nullopt;
  io::Schema out = *schema;
  std::erase_if(out.columns, [&](const io::ColumnSchema& c) {
    return std::find(columns.begin(), columns.end(), c.name) == columns.end();
  });
  return out;
}

}  // namespace

struct SqlOverPartials::Impl {
  std::string text;
  Prepared prepared;
  sql::SqlPlan plan;
  std::vector<TableCharge> charges;
  std::vector<std::string> slice_columns;
  std::optional<io::Schema> slice_schema;
  std::vector<ledger::Receipt> receipts;  // set by Charge()
  uint64_t salt = 0;
  bool released = false;

  const sql::BoundQuery& bound() const { return prepared.bound; }
  // The merged state of no slice with this query's salt: what every partial must merge into.
  absl::StatusOr<PartialAggregates> Empty(uint64_t with_salt) const {
    return PartialAggregates::Compute(bound().shape.table, bound().shape.schema, bound().spec,
                                      with_salt);
  }
  absl::StatusOr<SqlResult> ReleaseCharged(const PartialAggregates& merged,
                                           const ExecutionOptions& options) const;
};

SqlOverPartials::SqlOverPartials(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SqlOverPartials::SqlOverPartials(SqlOverPartials&&) noexcept = default;
SqlOverPartials& SqlOverPartials::operator=(SqlOverPartials&&) noexcept = default;
SqlOverPartials::~SqlOverPartials() = default;

absl::StatusOr<SqlOverPartials> SqlOverPartials::Plan(const std::string& text,
                                                      const SlicedTable& table,
                                                      const SqlOptions& options) {
  if (table.columns.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("table '", table.name, "' has no columns"));
  }
  auto impl = std::make_unique<Impl>();
  impl->text = text;
  const std::string header = HeaderLine(table.columns);
  CsvTableSource source{table.name, table.name, table.dataset, table.schema, header};
  io::CsvReadOptions dialect;
  dialect.num_threads = 1;
  DPKIT_ASSIGN_OR_RETURN(impl->prepared, Prepare(text, source, options, dialect));
  DPKIT_ASSIGN_OR_RETURN(impl->plan, sql::PlanSql(impl->prepared.bound));
  // What every slice will compute, checked now on the zero-row table (e.g. missing bounds).
  DPKIT_RETURN_IF_ERROR(impl->Empty(0).status());
  impl->charges = sql::TableCharges(impl->bound(), impl->plan.engine_plan, text);
  impl->slice_columns = ColumnsRead(impl->bound(), table.columns);
  impl->slice_schema = Restrict(table.schema, impl->slice_columns);
  return SqlOverPartials(std::move(impl));
}

bool SqlOverPartials::explain() const { return impl_->bound().explain; }
const QueryPlan& SqlOverPartials::plan() const { return impl_->plan.engine_plan; }
const release::ReleasePlan& SqlOverPartials::release_plan() const {
  return impl_->charges.front().plan;
}
const std::vector<std::string>& SqlOverPartials::notes() const {
  return impl_->prepared.loaded.notes;
}
const std::vector<std::string>& SqlOverPartials::slice_columns() const {
  return impl_->slice_columns;
}
const std::optional<io::Schema>& SqlOverPartials::slice_schema() const {
  return impl_->slice_schema;
}

std::string SqlOverPartials::ExplainText(release::Charger* charger) const {
  sql::BoundQuery bound = impl_->bound();
  bound.explain = true;
  // EXPLAIN reads no row and charges nothing: it cannot fail once planned.
  absl::StatusOr<SqlResult> r = sql::Execute(bound, impl_->plan, charger, {}, impl_->text);
  return r.ok() ? r->explain_text : std::string(r.status().message());
}

absl::StatusOr<uint64_t> SqlOverPartials::Charge(release::Charger& charger,
                                                 random::BitGenerator& rng) {
  if (explain()) {
    return absl::InvalidArgumentError("an EXPLAIN statement spends nothing: there is no charge");
  }
  if (!impl_->receipts.empty()) {
    return absl::FailedPreconditionError(
        "this statement was already charged: one charge pays for one release");
  }
  DPKIT_RETURN_IF_ERROR(sql::CheckPostProcessing(impl_->bound(), impl_->text));
  DPKIT_ASSIGN_OR_RETURN(impl_->receipts, ChargeTables(charger, impl_->charges));
  impl_->salt = rng.NextU64();  // as ExecuteSql: the generator's first draw after the charge
  return impl_->salt;
}

absl::StatusOr<SqlResult> SqlOverPartials::Impl::ReleaseCharged(
    const PartialAggregates& merged, const ExecutionOptions& options) const {
  DPKIT_ASSIGN_OR_RETURN(PartialAggregates all, Empty(salt));
  absl::Status same_query = all.Merge(merged);
  if (!same_query.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the partial aggregates are not this statement's, or not computed with the salt its "
        "charge drew: ", same_query.message()));
  }
  const sql::BoundQuery& b = bound();
  DPKIT_ASSIGN_OR_RETURN(QueryResult engine,
                         ReleaseChargedPartials(all, b.shape.table, b.shape.schema, b.spec,
                                                receipts.front(), options));
  SqlResult out = sql::ResultShell(b, plan, charges);
  out.receipts = receipts;
  DPKIT_RETURN_IF_ERROR(sql::PostProcess(b, engine, text, &out));
  return out;
}

absl::StatusOr<SqlResult> SqlOverPartials::Release(const PartialAggregates& merged,
                                                   const ExecutionOptions& options) {
  if (impl_->receipts.empty()) {
    return absl::FailedPreconditionError("not charged: Charge() comes before Release()");
  }
  if (impl_->released) {
    return absl::FailedPreconditionError(
        "already released: one charge pays for one release (plan the statement again)");
  }
  impl_->released = true;  // even a failed release used the charge: no second try on it
  absl::StatusOr<SqlResult> r = impl_->ReleaseCharged(merged, options);
  if (!r.ok()) return ChargedFailure(r.status());
  return r;
}

absl::Status SqlOverPartials::ChargedFailure(const absl::Status& cause) const {
  absl::Status status = cause;
  for (const ledger::Receipt& r : impl_->receipts) status = release::ChargedFailure(status, r);
  return status;
}

absl::StatusOr<PartialAggregates> ComputeSqlPartial(const std::string& text,
                                                    const CsvTableSource& slice,
                                                    const SqlOptions& options,
                                                    const io::CsvReadOptions& dialect,
                                                    uint64_t salt) {
  DPKIT_ASSIGN_OR_RETURN(Prepared p, Prepare(text, slice, options, dialect));
  sql::BoundQuery& b = p.bound;
  DPKIT_RETURN_IF_ERROR(sql::ApplyWhere(b.from->table, text, &b));
  return PartialAggregates::Compute(b.from->table, b.shape.schema, b.spec, salt);
}

}  // namespace dpkit::analytics
