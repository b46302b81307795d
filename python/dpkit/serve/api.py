"""The REST API under /api/: one route per operation, each with its access rule, documented in
the route table (``ROUTES``) from which the OpenAPI document is built (openapi.py).

Who sees what (docs/ui.md, "Security"):
- every route needs a token the operator created (``python -m dpkit.serve token create``);
- ``reader``: the dataset's owner or a user the owner granted access. Readers get releases only:
  public inputs (the header, the schema, the options), the ledger's records, and DP outputs
  computed after the ledger charged their budget. No count, size or value of the data;
- ``owner``: the user who uploaded the dataset. Only the owner opens the budget, edits the
  schema and PII roles, sees the PII scan and the data-owner outputs (clean.csv, the evaluation
  report: NOT DP) and grants access.
A dataset the caller cannot read is answered like one that does not exist (404).
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
import shutil
import tempfile

import dpkit
from dpkit import errors, pii
from dpkit.serve import datasets as ds
from dpkit.serve.jobs import JobRunner
from dpkit.serve.store import Store
from dpkit.serve.worker import OUTPUTS


class HttpError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclasses.dataclass
class Request:
    user: str
    params: dict          # path parameters
    query: dict           # query string (one value per name)
    body: object = None   # parsed JSON, or the path of an uploaded file
    dataset: dict | None = None
    job: dict | None = None
    is_owner: bool = False


@dataclasses.dataclass
class Route:
    method: str
    path: str
    handler: str            # Service method name
    summary: str
    access: str             # "user" | "reader" | "owner"
    body: str = "none"      # "none" | "json" | "csv"
    request_schema: dict | None = None
    query: tuple = ()       # documented query parameters
    status: int = 200

    def __post_init__(self) -> None:
        self.regex = re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", self.path) + "$")


USER_PATTERN = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
NUMBER = {"type": "number"}
STRING = {"type": "string"}
SYNTH_PARAMS = {"type": "object", "required": ["kind", "epsilon"], "properties": {
    "kind": {"enum": ["synthesize", "train"]}, "epsilon": NUMBER, "delta": NUMBER,
    "method": {"enum": ["aim", "mst"]}, "target": STRING, "rows": {"type": "integer"},
    "features": {"type": "array", "items": STRING}, "model": STRING,
    "epochs": {"type": "integer"}, "batch_size": {"type": "integer"}, "clip": NUMBER, "lr": NUMBER}}

ROUTES = [
    Route("GET", "/api/openapi.json", "openapi", "This document", "user"),
    Route("GET", "/api/me", "me", "The caller's user name", "user"),
    Route("GET", "/api/datasets", "list_datasets", "Datasets the caller owns or may read", "user"),
    Route("POST", "/api/datasets", "upload", "Upload a CSV (body: text/csv); the caller owns it",
          "user", body="csv", query=("name", "filename"), status=201),
    Route("POST", "/api/datasets/sample", "sample", "Create the generated sample customer table "
          "(fake people) with its public schema", "user", body="json", status=201,
          request_schema={"type": "object", "properties": {"name": STRING,
                                                          "rows": {"type": "integer"}}}),
    Route("GET", "/api/datasets/{dataset}", "get_dataset", "A dataset's public description",
          "reader"),
    Route("PUT", "/api/datasets/{dataset}/schema", "put_schema", "Set the public schema", "owner",
          body="json", request_schema={"type": "object"}),
    Route("GET", "/api/datasets/{dataset}/pii", "pii_scan", "PII scan per column with proposed "
          "actions (NOT DP: owner only)", "owner"),
    Route("PUT", "/api/datasets/{dataset}/pii", "put_pii", "Set the privacy unit and each "
          "column's action (model, fake, zip3, drop)", "owner", body="json",
          request_schema={"type": "object", "properties": {
              "privacy_unit": STRING, "actions": {"type": "object"}}}),
    Route("POST", "/api/datasets/{dataset}/budget", "open_budget", "Open the dataset's privacy "
          "budget (once; never extended)", "owner", body="json", status=201,
          request_schema={"type": "object", "required": ["epsilon"], "properties": {
              "unit": STRING, "epsilon": NUMBER, "delta": NUMBER}}),
    Route("GET", "/api/datasets/{dataset}/ledger", "get_ledger", "Budget, charges, remaining",
          "reader"),
    Route("POST", "/api/datasets/{dataset}/access", "grant", "Let a user read the dataset's "
          "releases", "owner", body="json", request_schema={
              "type": "object", "required": ["user"], "properties": {"user": STRING}}),
    Route("DELETE", "/api/datasets/{dataset}/access/{user}", "revoke", "Revoke a user's access",
          "owner"),
    Route("POST", "/api/datasets/{dataset}/jobs", "submit", "Start a synthesis (AIM/MST) or "
          "DP-SGD training job", "reader", body="json", request_schema=SYNTH_PARAMS, status=202),
    Route("GET", "/api/datasets/{dataset}/jobs", "list_jobs", "The dataset's jobs", "reader"),
    Route("POST", "/api/datasets/{dataset}/query", "query", "DP SQL with confidence intervals, "
          "charged to the dataset's budget", "reader", body="json", request_schema={
              "type": "object", "required": ["sql"], "properties": {
                  "sql": STRING, "confidence": NUMBER, "max_groups": {"type": "integer"},
                  "max_rows": {"type": "integer"}, "mechanism": {"enum": ["laplace", "gaussian"]},
                  "epsilon": NUMBER, "delta": NUMBER}}),
    Route("GET", "/api/jobs/{job}", "get_job", "A job's state, live progress and outputs", "reader"),
    Route("GET", "/api/jobs/{job}/files/{name}", "get_file", "Download an output file (DP "
          "outputs: readers; data-owner outputs: the owner)", "reader"),
    Route("POST", "/api/jobs/{job}/files/{name}/link", "file_link", "A one-time link (60 s) to "
          "an output file, for browsers", "reader"),
]


def _number(body: dict, name: str, default=None, *, integer=False):
    value = body.get(name, default)
    if value is None:
        return None
    kinds = (int,) if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds) or not math.isfinite(value):
        raise HttpError(400, f"{name} must be {'an integer' if integer else 'a number'}")
    return value


class Service:
    def __init__(self, data_dir: str, store: Store, runner: JobRunner, ledger_path: str,
                 tickets, dpkit_cli: str | None, max_upload: int) -> None:
        self.max_upload = max_upload
        self.data_dir = data_dir
        self.store = store
        self.runner = runner
        self.ledger_path = ledger_path
        self.tickets = tickets
        self.dpkit_cli = dpkit_cli

    def _ledger(self) -> dpkit.Ledger:
        return dpkit.Ledger(self.ledger_path)

    def _files(self, req: Request) -> ds.DatasetFiles:
        return ds.DatasetFiles(self.data_dir, req.dataset["id"])

    # ---- access: resolves {dataset}/{job} and applies the route's rule
    def authorize(self, route: Route, req: Request) -> None:
        if "job" in req.params:
            req.job = self.store.job(req.params["job"])
            req.dataset = self._readable(req.job["dataset"] if req.job else None, req.user)
            if req.dataset is None:
                raise HttpError(404, "no such job")
        elif "dataset" in req.params:
            req.dataset = self._readable(req.params["dataset"], req.user)
            if req.dataset is None:
                raise HttpError(404, f"no dataset '{req.params['dataset']}' that you may read")
        req.is_owner = req.dataset is not None and req.dataset["owner"] == req.user
        if route.access == "owner" and not req.is_owner:
            raise HttpError(403, "only the dataset's owner may do this")

    def _readable(self, dataset_id: str | None, user: str) -> dict | None:
        d = self.store.dataset(dataset_id) if dataset_id else None
        if d is None or not (d["owner"] == user or self.store.has_grant(d["id"], user)):
            return None
        return d

    def openapi(self, req: Request):
        from dpkit.serve.openapi import document

        return document(ROUTES)

    # ---- datasets
    def me(self, req: Request):
        return {"user": req.user, "train_available": self.dpkit_cli is not None,
                "max_upload_bytes": self.max_upload}

    def _view(self, d: dict, user: str) -> dict:
        owner = d["owner"] == user
        files = ds.DatasetFiles(self.data_dir, d["id"])
        view = {"id": d["id"], "owner": d["owner"], "role": "owner" if owner else "reader",
                "columns": d["columns"], "sample": d["sample"], "created": d["created"],
                "schema": files.read_json("schema"), "budgets": self._budgets(d["id"])}
        if owner:  # about the data itself: the owner's eyes only
            view.update(filename=d["filename"], bytes=d["bytes"], readers=self.store.grantees(d["id"]),
                        policy=files.read_json("policy"))
        return view

    def _budgets(self, dataset: str) -> list:
        try:
            budgets = self._ledger().budgets(dataset)
        except errors.NotFound:  # no budget for this dataset yet
            return []
        return [{"unit": b.unit, "accountant": b.accountant, "epsilon": b.budget.epsilon,
                 "delta": b.budget.delta, "spent_epsilon": b.spent.epsilon,
                 "spent_delta": b.spent.delta, "remaining_epsilon": b.remaining.epsilon,
                 "remaining_delta": b.remaining.delta, "charges": b.num_charges,
                 "refused": b.num_refused} for b in budgets]

    def list_datasets(self, req: Request):
        return {"datasets": [self._view(d, req.user) for d in self.store.datasets_for(req.user)]}

    def get_dataset(self, req: Request):
        return self._view(req.dataset, req.user)

    def _new_dataset_id(self, name) -> str:
        try:
            dataset_id = ds.check_id(name)
        except errors.InvalidArgument as e:
            raise HttpError(400, e.message) from None
        if self.store.dataset(dataset_id) is not None:
            raise HttpError(409, f"dataset '{dataset_id}' exists; choose another name")
        return dataset_id

    def add_dataset(self, dataset_id: str, owner: str, filename: str, fill, sample: bool) -> dict:
        """Claims the id for ``owner``, creates the folder and lets ``fill(files)`` write the
        data file; returns the dataset's record."""
        if not self.store.add_dataset(dataset_id, owner, filename, [], 0, sample):
            raise HttpError(409, f"dataset '{dataset_id}' exists; choose another name")
        files = ds.DatasetFiles(self.data_dir, dataset_id)
        try:
            files.create()
            fill(files)
        except BaseException:  # leave nothing half-made behind
            shutil.rmtree(files.dir, ignore_errors=True)
            self.store.delete_dataset(dataset_id)
            raise
        self.store.set_dataset_data(dataset_id, ds.header(files.data), os.path.getsize(files.data))
        return self.store.dataset(dataset_id)

    def check_upload(self, req: Request) -> tuple[str, str]:
        """The dataset id and file name of an upload, checked before its body is read."""
        dataset_id = self._new_dataset_id(req.query.get("name"))
        filename = os.path.basename(req.query.get("filename") or "upload.csv")[:200]
        if not filename.lower().endswith(".csv"):
            raise HttpError(415, f"{filename}: only .csv files are accepted")
        return dataset_id, filename

    def upload(self, req: Request):
        dataset_id, filename = self.check_upload(req)
        try:
            ds.check_csv(req.body, filename)
        except ds.UploadError as e:
            raise HttpError(422, str(e)) from None

        def fill(files: ds.DatasetFiles) -> None:
            shutil.move(req.body, files.data)  # mkstemp made it mode 600

        return self._view(self.add_dataset(dataset_id, req.user, filename, fill, False), req.user)

    def sample(self, req: Request):
        body = req.body or {}
        dataset_id = self._new_dataset_id(body.get("name", "customers"))
        rows = _number(body, "rows", 5000, integer=True)
        if not 100 <= rows <= 200000:
            raise HttpError(400, "rows must be between 100 and 200000")
        return self._view(self.add_dataset(dataset_id, req.user, "customers.csv",
                                           lambda files: ds.write_sample(files, rows), True),
                          req.user)

    def put_schema(self, req: Request):
        try:
            schema = ds.check_schema(req.body, req.dataset["columns"])
        except errors.DpkitError as e:
            raise HttpError(400, e.message) from None
        self._files(req).write_json("schema", schema)
        return self._view(req.dataset, req.user)

    # ---- PII (data-owner tools: NOT DP)
    def pii_scan(self, req: Request):
        scan = pii.scan(self._files(req).data).to_dict()
        proposed = ds.proposals(scan)
        schema = self._files(req).read_json("schema") or {}
        return {"dp": False, "note": pii.NOT_DP, "columns": scan["columns"],
                "proposed_unit": (scan.get("privacy_unit") or {}).get("column"),
                "privacy_unit": schema.get("privacy_unit"), "proposed": proposed,
                "current": _current_actions(schema), "actions": ds.ACTIONS}

    def put_pii(self, req: Request):
        body = req.body if isinstance(req.body, dict) else {}
        actions = body.get("actions") or {}
        if not isinstance(actions, dict):
            raise HttpError(400, "actions must be an object: column -> action")
        files = self._files(req)
        entities = {c["name"]: c.get("entity") for c in pii.scan(files.data).to_dict()["columns"]}
        try:
            schema, policy = ds.apply_pii(files.read_json("schema"), req.dataset["columns"],
                                          body.get("privacy_unit"), actions, entities)
        except errors.DpkitError as e:
            raise HttpError(400, e.message) from None
        files.write_json("schema", schema)
        files.write_json("policy", policy)
        return self._view(req.dataset, req.user)

    # ---- budget and ledger
    def open_budget(self, req: Request):
        body = req.body if isinstance(req.body, dict) else {}
        unit = body.get("unit") or None
        if unit is not None and unit not in req.dataset["columns"]:
            raise HttpError(400, f"unit '{unit}' is not a column of the data")
        epsilon = _number(body, "epsilon")
        delta = _number(body, "delta", 0.0)
        if epsilon is None:
            raise HttpError(400, "epsilon is required")
        try:
            self._ledger().init(req.dataset["id"], unit=unit, epsilon=epsilon, delta=delta)
        except errors.AlreadyExists:
            raise HttpError(409, "this dataset already has a budget for that unit; budgets are "
                                 "never extended") from None
        return self._view(req.dataset, req.user)

    def get_ledger(self, req: Request):
        ledger = self._ledger()
        budgets = self._budgets(req.dataset["id"])
        history = []
        for b in budgets:
            frame = ledger.history(req.dataset["id"], unit=b["unit"])
            for row in frame.drop(columns=["maps"]).to_dict("records"):
                row["time"] = row["time"].isoformat()
                row["operation"] = ds.hide_paths(row["operation"], self.data_dir)
                row["note"] = ds.hide_paths(row["note"], self.data_dir)
                history.append(row)
        return {"budgets": budgets, "history": history}

    # ---- access grants
    def grant(self, req: Request):
        user = (req.body or {}).get("user") if isinstance(req.body, dict) else None
        if not isinstance(user, str) or not self.store.user_exists(user):
            raise HttpError(400, "user must name an existing user (the operator creates users)")
        self.store.grant(req.dataset["id"], user)
        return self._view(req.dataset, req.user)

    def revoke(self, req: Request):
        self.store.revoke(req.dataset["id"], req.params["user"])
        return self._view(req.dataset, req.user)

    # ---- jobs
    def submit(self, req: Request):
        params = _job_params(req.body, req.dataset["columns"], self.dpkit_cli is not None)
        if not self._budgets(req.dataset["id"]):
            raise HttpError(409, f"dataset '{req.dataset['id']}' has no privacy budget yet: its "
                                 "owner opens one (step 3 of the UI, or dpkit budget init)")
        job_id = self.runner.submit(req.dataset["id"], req.user, params.pop("kind"), params)
        return self._job_view(self.store.job(job_id), req.is_owner)

    def list_jobs(self, req: Request):
        return {"jobs": [self._job_view(j, req.is_owner) for j in self.store.jobs(req.dataset["id"])]}

    def get_job(self, req: Request):
        return self._job_view(req.job, req.is_owner)

    def _job_view(self, job: dict, owner: bool) -> dict:
        view = {k: job[k] for k in ("id", "dataset", "user", "kind", "params", "state", "progress",
                                    "result", "error", "created", "started", "finished")}
        outputs = OUTPUTS.get(job["kind"], {}) if job["state"] == "done" else {}
        view["files"] = [{"name": n, "audience": a, "dp": a == "dp"}
                         for n, (_, a) in outputs.items() if owner or a == "dp"]
        if owner:
            view["owner_error"] = job["owner_error"]
        return view

    def _output(self, req: Request) -> str:
        found = self.runner.output(req.job, req.params["name"])
        if found is None:
            raise HttpError(404, "no such output file (yet)")
        path, audience = found
        if audience != "dp" and not req.is_owner:
            raise HttpError(403, "data-owner outputs (NOT DP) are for the dataset's owner only")
        return path

    def get_file(self, req: Request):
        return FileResponse(self._output(req), req.params["name"])

    def file_link(self, req: Request):
        return {"url": "/download/" + self.tickets.issue(self._output(req), req.params["name"]),
                "expires_in": self.tickets.ttl}

    # ---- DP SQL
    def query(self, req: Request):
        body = req.body if isinstance(req.body, dict) else {}
        sql = body.get("sql")
        if not isinstance(sql, str) or not sql.strip():
            raise HttpError(400, "sql is required")
        files = self._files(req)
        options = {k: _number(body, k, integer=k.startswith("max_"))
                   for k in ("confidence", "max_groups", "max_rows", "epsilon", "delta")}
        options = {k: v for k, v in options.items() if v is not None}
        if body.get("mechanism") in ("laplace", "gaussian"):
            options["mechanism"] = body["mechanism"]
        answer = dpkit.query(sql, {req.dataset["id"]: files.data}, schema=files.read_json("schema"),
                             ledger=self.ledger_path, dataset=req.dataset["id"], **options)
        if isinstance(answer, str):
            return {"explain": answer}
        return _query_view(answer)


class FileResponse:
    def __init__(self, path: str, name: str) -> None:
        self.path, self.name = path, name


def _current_actions(schema: dict) -> dict:
    back = {"none": "model", "zip_code": "zip3", "free_text": "drop"}
    return {c["name"]: back.get(c["pii"], "fake") for c in schema.get("columns", []) if c.get("pii")}


def _job_params(body, columns: list, train_available: bool) -> dict:
    if not isinstance(body, dict):
        raise HttpError(400, "the request body must be a JSON object")
    kind = body.get("kind")
    if kind not in ("synthesize", "train"):
        raise HttpError(400, "kind must be 'synthesize' or 'train'")
    if kind == "train" and not train_available:
        raise HttpError(501, "DP-SGD training needs the dpkit CLI with dpkit-train: start the "
                             "server with --dpkit PATH")
    params = {"kind": kind, "epsilon": _number(body, "epsilon"), "delta": _number(body, "delta", 1e-7)}
    if params["epsilon"] is None:
        raise HttpError(400, "epsilon is required")
    target = body.get("target") or None
    if target is not None and target not in columns:
        raise HttpError(400, f"target '{target}' is not a column of the data")
    params["target"] = target
    if kind == "synthesize":
        method = body.get("method", "aim")
        if method not in ("aim", "mst"):
            raise HttpError(400, "method must be 'aim' or 'mst'")
        params.update(method=method, rows=_number(body, "rows", integer=True))
        return params
    return _train_params(body, columns, params)


def _train_params(body: dict, columns: list, params: dict) -> dict:
    if params["target"] is None:
        raise HttpError(400, "training needs a target column")
    rows = _number(body, "rows", integer=True)
    if rows is None or rows <= 0:
        raise HttpError(400, "rows (the public planning size: a rough number of people) is "
                             "required for training")
    features = body.get("features") or []
    if not isinstance(features, list) or any(f not in columns for f in features):
        raise HttpError(400, "features must be a list of columns of the data")
    model = body.get("model", "mlp:32")
    if not isinstance(model, str) or not re.fullmatch(r"linear|mlp:[0-9,]+(:[a-z]+)?", model):
        raise HttpError(400, "model must be 'linear' or 'mlp:H1,H2,...'")
    params.update(rows=rows, features=features, model=model,
                  epochs=_number(body, "epochs", 3, integer=True),
                  batch_size=_number(body, "batch_size", 256, integer=True),
                  clip=_number(body, "clip", 1.0), lr=_number(body, "lr", 0.5))
    return params


def _query_view(frame) -> dict:
    """Keys and, per aggregate, value / noise scale / CI (the CLI's columns), as JSON."""
    names = list(frame.columns)
    aggregates = [n for n in names if f"{n}_noise_scale" in names]
    keys = [n for n in names if n not in aggregates and not re.search(
        r"_(noise_scale|ci_lower|ci_upper)$", n)]
    rows = []
    for record in frame.astype(object).where(frame.notna(), None).to_dict("records"):
        rows.append({"keys": {k: record[k] for k in keys},
                     "values": {a: {"value": record[a], "noise_scale": record[f"{a}_noise_scale"],
                                    "ci_lower": record[f"{a}_ci_lower"],
                                    "ci_upper": record[f"{a}_ci_upper"]} for a in aggregates}})
    attrs = {k: frame.attrs.get(k) for k in ("epsilon", "delta", "confidence", "privacy_unit",
                                              "neighbouring", "notes", "charge_ids", "secure")}
    return {"keys": keys, "aggregates": aggregates, "rows": rows, **attrs}


def new_upload_path(data_dir: str) -> str:
    """A private temporary file for an upload in progress (same file system as the datasets)."""
    folder = os.path.join(data_dir, "uploads")
    os.makedirs(folder, mode=0o700, exist_ok=True)
    fd, path = tempfile.mkstemp(prefix="upload-", suffix=".csv", dir=folder)
    os.close(fd)
    return path
