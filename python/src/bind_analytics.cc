// dpkit._dpkit.analytics: DP SQL (dpkit/analytics/sql.h) and mergeable partial aggregates
// (dpkit/analytics/query.h) through the release protocol. query() is `dpkit query` without the
// printing: the tables the statement reads are loaded by analytics::LoadCsvTablesForQuery (files,
// or CSV text written from DataFrames: the same typing rule for undeclared columns, private-data
// reading), then analytics::ExecuteSql plans, charges the budget of every table read through the
// named ledger and only then runs. The partial-aggregate functions wrap PartialAggregates and
// ReleasePartials for engines that compute per-unit slices elsewhere.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "analytics.h"
#include "bindings.h"
#include "dpkit/analytics/query.h"
#include "dpkit/analytics/sql.h"
#include "dpkit/analytics/sql_tables.h"
#include "dpkit/base/status.h"
#include "dpkit/io/csv.h"
#include "dpkit/random/secure_rng.h"
#include "status.h"
#include "workload.h"

namespace py = pybind11;

namespace dpkit::python {

analytics::NoiseKind ParseNoise(const std::string& name) {
  using analytics::NoiseKind;
  for (NoiseKind k : {NoiseKind::kLaplace, NoiseKind::kGaussian}) {
    if (name == analytics::NoiseKindName(k)) return k;
  }
  ThrowInvalidArgument("mechanism must be laplace or gaussian, got '" + name + "'");
}

namespace {

using namespace dpkit::analytics;  // NOLINT: this file binds that namespace

// One table: (name, path, dataset, schema, text) with text a buffer of CSV text or None.
struct Source {
  std::string name, path, dataset;
  std::optional<io::Schema> schema;
  py::object text;
};

// Released values as columns: keys as lists of str, each value as value/noise_scale/ci_lower/
// ci_upper float64 arrays.
struct Columns {
  py::list out;
  void Key(const std::string& name, std::vector<std::string> keys) {
    py::dict d;
    d["name"] = name;
    d["is_key"] = true;
    d["keys"] = std::move(keys);
    out.append(d);
  }
  void Value(const std::string& name, const std::vector<ReleasedValue>& v) {
    py::array_t<double> value(v.size()), scale(v.size()), low(v.size()), high(v.size());
    for (size_t i = 0; i < v.size(); ++i) {
      value.mutable_data()[i] = v[i].value;
      scale.mutable_data()[i] = v[i].noise_scale;
      low.mutable_data()[i] = v[i].ci_lower;
      high.mutable_data()[i] = v[i].ci_upper;
    }
    py::dict d;
    d["name"] = name;
    d["is_key"] = false;
    d["value"] = value;
    d["noise_scale"] = scale;
    d["ci_lower"] = low;
    d["ci_upper"] = high;
    out.append(d);
  }
};

py::list SqlColumns(const SqlResult& r) {
  Columns c;
  for (size_t col = 0; col < r.column_names.size(); ++col) {
    std::vector<std::string> keys;
    std::vector<ReleasedValue> values;
    for (const auto& row : r.rows) {
      if (r.column_is_key[col]) keys.push_back(row[col].key);
      else values.push_back(row[col].value);
    }
    if (r.column_is_key[col]) c.Key(r.column_names[col], std::move(keys));
    else c.Value(r.column_names[col], values);
  }
  return c.out;
}

py::list QueryColumns(const QueryResult& r) {
  Columns c;
  for (size_t k = 0; k < r.key_names.size(); ++k) {
    std::vector<std::string> keys;
    for (const ResultRow& row : r.rows) keys.push_back(row.keys[k]);
    c.Key(r.key_names[k], std::move(keys));
  }
  for (size_t v = 0; v < r.value_names.size(); ++v) {
    std::vector<ReleasedValue> values;
    for (const ResultRow& row : r.rows) values.push_back(row.values[v]);
    c.Value(r.value_names[v], values);
  }
  return c.out;
}

using Answer = SqlAnswer;

Answer Query(const std::string& sql, const std::vector<Source>& sources,
             std::optional<std::string> ledger_path, std::optional<double> epsilon,
             std::optional<double> delta, int64_t max_groups, int64_t max_rows,
             double confidence, const std::string& mechanism, const py::object& noise,
             const py::object& generator) {
  SqlOptions options{.epsilon = epsilon, .delta = delta, .max_groups_per_unit = max_groups,
                     .max_rows_per_group = max_rows, .confidence = confidence,
                     .noise = ParseNoise(mechanism)};
  const SqlStatementInfo info = OrThrow(InspectSql(sql));
  Answer a;
  a.not_private = NotPrivate(noise, generator);
  // A query is always charged; EXPLAIN previews the budgets when a ledger is given.
  std::unique_ptr<release::LedgerCharger> charger;
  if (!info.explain || ledger_path) {
    if (!ledger_path) {
      ThrowInvalidArgument(
          "ledger= is required: a query is charged to the budget of every table it reads "
          "(open one with dpkit.Ledger(path).init(...) or 'dpkit budget init')");
    }
    charger = OpenCharger(*ledger_path, a.not_private);
  }
  std::vector<CsvTableSource> csv;
  std::vector<py::buffer_info> held;  // the DataFrames' CSV text, alive until the query ends
  held.reserve(sources.size());
  for (const Source& s : sources) {
    CsvTableSource c{s.name, s.path, s.dataset, s.schema};
    if (!s.text.is_none()) {
      held.push_back(py::reinterpret_borrow<py::buffer>(s.text).request());
      c.text = std::string_view(static_cast<const char*>(held.back().ptr),
                                static_cast<size_t>(held.back().size * held.back().itemsize));
    }
    csv.push_back(std::move(c));
  }
  ExecutionOptions exec;
  exec.rng = &GeneratorOr(generator);
  exec.noise = &NoiseOr(noise);
  io::CsvReadOptions dialect;
  dialect.num_threads = 2;
  absl::StatusOr<SqlResult> r = WithoutGil([&]() -> absl::StatusOr<SqlResult> {
    DPKIT_ASSIGN_OR_RETURN(LoadedTables tables, LoadCsvTablesForQuery(sql, csv, dialect));
    a.load_notes = std::move(tables.notes);
    return ExecuteSql(sql, tables.catalog, options, charger.get(), exec);
  });
  a.result = OrThrow(std::move(r));
  return a;
}

void BindQuery(py::module_& m) {
  py::class_<Source>(m, "Source", "A table a query may read.")
      .def(py::init([](std::string name, std::string path, std::string dataset,
                       std::optional<io::Schema> schema, py::object text) {
             return Source{std::move(name), std::move(path), std::move(dataset),
                           std::move(schema), std::move(text)};
           }),
           py::arg("name"), py::arg("path"), py::arg("dataset"), py::arg("schema"),
           py::arg("text"));
  py::class_<Answer>(m, "SqlAnswer", "A DP SQL statement's result (charged) or its EXPLAIN.")
      .def_property_readonly("explain", [](const Answer& a) { return a.result.explain; })
      .def_property_readonly("explain_text", [](const Answer& a) { return a.result.explain_text; })
      .def_property_readonly("releases", [](const Answer& a) { return a.result.releases; })
      .def_property_readonly("receipts", [](const Answer& a) { return a.result.receipts; })
      .def_property_readonly("not_private", [](const Answer& a) { return a.not_private; })
      .def_property_readonly("notes",
                             [](const Answer& a) {
                               std::vector<std::string> n = a.load_notes;
                               n.insert(n.end(), a.result.notes.begin(), a.result.notes.end());
                               return n;
                             })
      .def_property_readonly("confidence", [](const Answer& a) { return a.result.plan.confidence; })
      .def_property_readonly("epsilon", [](const Answer& a) { return a.result.plan.epsilon; })
      .def_property_readonly("delta", [](const Answer& a) { return a.result.plan.delta; })
      .def_property_readonly("privacy_unit",
                             [](const Answer& a) { return a.result.plan.privacy_unit; })
      .def_property_readonly("neighbouring",
                             [](const Answer& a) { return a.result.plan.neighbouring; })
      .def("columns", [](const Answer& a) { return SqlColumns(a.result); });
  m.def("query", &Query, py::arg("sql"), py::arg("sources"), py::arg("ledger"),
        py::arg("epsilon"), py::arg("delta"), py::arg("max_groups"), py::arg("max_rows"),
        py::arg("confidence"), py::arg("mechanism"), py::arg("noise") = py::none(),
        py::arg("generator") = py::none());
}

AggregateFunction ParseFunction(const std::string& name) {
  for (AggregateFunction f :
       {AggregateFunction::kCount, AggregateFunction::kCountDistinctUnits, AggregateFunction::kSum,
        AggregateFunction::kMean, AggregateFunction::kVariance, AggregateFunction::kStddev,
        AggregateFunction::kQuantile}) {
    if (name == AggregateFunctionName(f)) return f;
  }
  ThrowInvalidArgument("unknown aggregate function '" + name + "'");
}

QuerySpec MakeSpec(const std::string& table, std::vector<std::string> group_by,
                   const std::vector<py::dict>& aggregates, double epsilon, double delta,
                   int64_t max_groups, int64_t max_rows, const std::string& mechanism,
                   double confidence, std::map<std::string, std::vector<std::string>> keys) {
  QuerySpec spec;
  spec.table_name = table;
  spec.group_by = std::move(group_by);
  for (const py::dict& d : aggregates) {
    AggregateSpec a;
    a.function = ParseFunction(d["function"].cast<std::string>());
    if (d.contains("column")) a.column = d["column"].cast<std::string>();
    if (d.contains("lower")) a.lower = d["lower"].cast<double>();
    if (d.contains("upper")) a.upper = d["upper"].cast<double>();
    if (d.contains("quantile")) a.quantile = d["quantile"].cast<double>();
    if (d.contains("name")) a.output_name = d["name"].cast<std::string>();
    spec.aggregates.push_back(std::move(a));
  }
  spec.epsilon = epsilon;
  spec.delta = delta;
  spec.max_groups_per_unit = max_groups;
  spec.max_rows_per_group = max_rows;
  spec.noise = ParseNoise(mechanism);
  spec.confidence = confidence;
  spec.public_keys = std::move(keys);
  spec.allow_auto_bounds = false;  // partials need public bounds (a global pass otherwise)
  return spec;
}

struct Released {
  QueryResult result;
  bool not_private = false;
};

void BindPartials(py::module_& m) {
  py::class_<QuerySpec>(m, "QuerySpec", "An aggregate query as data (dpkit/analytics/query.h).")
      .def(py::init(&MakeSpec), py::kw_only(), py::arg("table"), py::arg("group_by"),
           py::arg("aggregates"), py::arg("epsilon"), py::arg("delta"), py::arg("max_groups"),
           py::arg("max_rows"), py::arg("mechanism"), py::arg("confidence"),
           py::arg("public_keys"));
  py::class_<PartialAggregates>(m, "PartialAggregates", R"doc(
The pre-noise state of a query over a slice of the table that holds ALL rows of its privacy
units: merge the partials of all slices, then release once (charged). Not a release: it holds
exact statistics of private data, so it must stay inside the trust boundary.)doc")
      .def("merge", [](PartialAggregates& self, const PartialAggregates& other) {
        ThrowIfError(self.Merge(other));
      })
      .def("serialize", [](const PartialAggregates& p) { return py::bytes(p.Serialize()); })
      .def_static("deserialize",
                  [](const py::bytes& b) {
                    return OrThrow(PartialAggregates::Deserialize(std::string(b)));
                  })
      .def(py::pickle(
          [](const PartialAggregates& p) { return py::bytes(p.Serialize()); },
          [](const py::bytes& b) { return OrThrow(PartialAggregates::Deserialize(std::string(b))); }));
  m.def(
      "compute_partial",
      [](const io::Table& slice, const io::Schema& schema, const QuerySpec& spec, uint64_t salt) {
        return OrThrow(
            WithoutGil([&] { return PartialAggregates::Compute(slice, schema, spec, salt); }));
      },
      py::arg("slice"), py::arg("schema"), py::arg("spec"), py::arg("salt"));
  m.def("new_salt", [] {
    random::SecureRng rng;
    uint64_t salt = 0;
    rng.Fill(&salt, sizeof(salt));
    return salt;
  });
  py::class_<Released>(m, "Released", "Released partial aggregates (charged).")
      .def_property_readonly("plan_text", [](const Released& r) { return r.result.plan.ToText(); })
      .def_property_readonly("notes", [](const Released& r) { return r.result.notes; })
      .def_property_readonly("receipts", [](const Released& r) { return r.result.receipts; })
      .def_property_readonly("not_private", [](const Released& r) { return r.not_private; })
      .def_property_readonly("confidence", [](const Released& r) { return r.result.plan.confidence; })
      .def("columns", [](const Released& r) { return QueryColumns(r.result); });
  m.def(
      "release_partials",
      [](const PartialAggregates& partials, const io::Table& header, const io::Schema& schema,
         const QuerySpec& spec, const std::string& dataset, const std::string& ledger_path,
         const py::object& noise, const py::object& generator) {
        Released out;
        out.not_private = NotPrivate(noise, generator);
        std::unique_ptr<release::LedgerCharger> charger = OpenCharger(ledger_path, out.not_private);
        ExecutionOptions exec;
        exec.rng = &GeneratorOr(generator);
        exec.noise = &NoiseOr(noise);
        out.result = OrThrow(WithoutGil([&] {
          return ReleasePartials(partials, header, schema, spec, dataset, *charger, exec);
        }));
        return out;
      },
      py::arg("partials"), py::arg("header"), py::arg("schema"), py::arg("spec"),
      py::arg("dataset"), py::arg("ledger"), py::arg("noise") = py::none(),
      py::arg("generator") = py::none());
}

}  // namespace

void BindAnalytics(py::module_& parent) {
  py::module_ m = parent.def_submodule("analytics", "DP SQL and partial aggregates");
  BindQuery(m);
  BindPartials(m);
}

}  // namespace dpkit::python
