"""DP SQL on Spark DataFrames: the semantics of ``dpkit query``, computed by Spark (docs/spark.md).

:func:`query` runs one statement of dpkit's SQL dialect (docs/sql.md; one table, no JOIN) over a
Spark DataFrame; :class:`Query` builds the same statements step by step. Both follow the release
protocol of :func:`dpkit.query`:

1. **Plan** on the driver from public inputs only: the SQL text, the table's schema (privacy
   unit, types, bounds, categories) and the DataFrame's column names. Errors and EXPLAIN come
   from here; no Spark job runs.
2. **Charge** the table's budget (dataset, the schema's privacy unit) in a dpkit ledger, with
   the plan's PrivacyMaps — the ReleasePlan :func:`dpkit.query` charges for the same statement.
   Only then is the salt of the contribution bounding drawn, once, on the driver, from dpkit's
   secure generator (never Spark's). A refused charge raises BudgetExhausted: no job runs.
3. **Execute** on the executors: a shuffle by privacy unit makes slices holding all rows of their
   units; each slice is filtered (WHERE), bounded (max groups per unit, max rows per group,
   clamping) and aggregated into exact partial sums by dpkit's C++ engine with the salt; a
   shuffle by group key merges them. The driver adds the noise once (dpkit's discrete Laplace or
   Gaussian, secure generator), selects private groups, and applies HAVING / ORDER BY / LIMIT.

Privacy claim: the result is (epsilon, delta)-DP with respect to adding or removing all rows of one
privacy unit (one row without a unit) — the guarantee of :func:`dpkit.query`, because the merged
partial aggregates are exactly those of one pass over the table (each unit's kept rows depend only
on its own rows and the salt, never on the DataFrame's row positions), released by the same code.
Every value comes with its noise scale and a confidence interval. With the same generator state the
result equals :func:`dpkit.query`'s on the same rows with each unit's rows in the order dpkit.spark
gives them (sorted by the columns the statement reads: docs/spark.md, "Row order"; tests: exact
equality under ``dpkit.testing``).

Executors must have dpkit installed (the wheel, with the apt libraries it links): see
docs/spark.md for spark-submit on a cluster. Importing this module does not import pyspark.
"""

from dpkit.spark._builder import Query
from dpkit.spark._query import explain, query

__all__ = ["query", "explain", "Query"]
