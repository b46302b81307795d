"""dpkit serve: the tutorial in a browser — an HTTP service with a web UI and a REST API.

Upload a CSV (or generate the sample customer table) -> PII scan with editable actions -> the
dataset's privacy budget -> a background job (DP synthetic data with AIM/MST through
:func:`dpkit.pipeline.run`, or DP-SGD training through ``dpkit train``) with live progress ->
the evaluation report -> downloads -> the ledger; and a DP SQL box charged to the same budget.

Start it with ``python -m dpkit.serve --data-dir DIR --login USER [--sample]`` (loopback, port
8765). Modules: :mod:`~dpkit.serve.server` (HTTP), :mod:`~dpkit.serve.api` (routes and access
rules), :mod:`~dpkit.serve.openapi`, :mod:`~dpkit.serve.store` (users, datasets, jobs),
:mod:`~dpkit.serve.datasets` (uploads, schema, PII roles), :mod:`~dpkit.serve.jobs` and
:mod:`~dpkit.serve.worker` (background jobs), :mod:`~dpkit.serve.tickets` (download links).
Docs: docs/ui.md.
"""
