"""Datasets on disk: uploads checked and stored, the generated sample table, and the owner's
public inputs (schema, PII roles and policy).

Layout under ``<data-dir>/datasets/<id>/`` (folders mode 700, files mode 600):
``data.csv`` (the private upload), ``schema.json`` (public: types, bounds, categories, ``pii``
roles, ``privacy_unit``), ``policy.json`` (the owner's PII replacement policy for clean.csv),
``pii.key`` (the owner's pseudonymisation key: consistent pseudonyms across runs; never served).

Ids are the only names taken from a request that reach a path, and they match ``ID_PATTERN``
(also a valid SQL table name: the DP SQL box queries the dataset by its id).
"""

from __future__ import annotations

import json
import os
import re

from dpkit import _tables, errors, pii

ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,47}$")
# The synthetic-data role of a column, chosen by the owner after the PII scan, and what it means
# for the schema's "pii" key (the pipeline's column roles) and for the owner's clean.csv.
ACTIONS = {
    "model": "modelled by the synthesizer; kept in clean.csv",
    "fake": "identifier: fresh fake values in synthetic.csv; keyed pseudonym in clean.csv",
    "zip3": "postal code: modelled at 3 digits; kept in clean.csv",
    "drop": "left out of synthetic.csv and clean.csv",
}
# Entity types whose schema "pii" name the pipeline knows (pii::ParseEntityType).
_ENTITY_NAMES = {"PERSON", "EMAIL", "PHONE", "STREET_ADDRESS", "CREDIT_CARD", "US_SSN", "IBAN",
                 "IP_ADDRESS", "URL", "DATE_OF_BIRTH", "ZIP_CODE", "DATE"}


class UploadError(Exception):
    """A rejected upload; the message is for the uploader (who becomes the data's owner)."""


def check_id(dataset_id: str) -> str:
    if not isinstance(dataset_id, str) or not ID_PATTERN.match(dataset_id):
        raise errors.InvalidArgument(
            "dataset name must be 1-48 characters: a lower-case letter, then lower-case letters, "
            "digits or '_' (it is also the table name in SQL)")
    return dataset_id


class DatasetFiles:
    """Paths of one dataset's files (the id is checked before any path is built)."""

    def __init__(self, data_dir: str, dataset_id: str) -> None:
        self.dir = os.path.join(data_dir, "datasets", check_id(dataset_id))
        self.data = os.path.join(self.dir, "data.csv")
        self.schema = os.path.join(self.dir, "schema.json")
        self.policy = os.path.join(self.dir, "policy.json")
        self.key = os.path.join(self.dir, "pii.key")

    def create(self) -> None:
        os.makedirs(os.path.dirname(self.dir), mode=0o700, exist_ok=True)
        os.mkdir(self.dir, 0o700)
        write_private(self.key, pii.keygen() + "\n")

    def read_json(self, which: str) -> dict | None:
        path = getattr(self, which)
        if not os.path.exists(path):
            return None
        with open(path, encoding="utf-8") as f:
            return json.load(f)

    def write_json(self, which: str, value: dict) -> None:
        write_private(getattr(self, which), json.dumps(value, indent=1) + "\n")


def hide_paths(text: str, data_dir: str) -> str:
    """``text`` with the server's folders left out ("<data-dir>/ledger.db" -> "ledger.db"):
    messages from the library name files by path, and readers need not learn the layout."""
    return text.replace(data_dir.rstrip("/") + "/", "") if data_dir.strip("/") else text


def write_private(path: str, text: str) -> None:
    """Writes ``text`` atomically, readable by the service's user only."""
    tmp = f"{path}.tmp.{os.getpid()}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def check_csv(path: str, filename: str) -> list[str]:
    """The header of a well-formed CSV upload, or UploadError saying what is wrong. Every row is
    read by dpkit's CSV reader (as text, the rule of the PII tools): empty files, files without
    rows, binary or non-UTF-8 content, ragged rows and broken quoting are refused."""
    with open(path, "rb") as f:
        head = f.read(65536)
    if not head:
        raise UploadError(f"{filename}: the file is empty; upload a CSV file with a header line")
    if b"\x00" in head:
        raise UploadError(f"{filename}: binary content (NUL bytes); upload a CSV text file")
    try:
        table = _tables.read(path, mode="text")
    except errors.DpkitError as e:
        raise UploadError(str(e.message).replace(path, filename)) from None
    if table.num_rows == 0:
        raise UploadError(f"{filename}: the file has a header but no rows")
    columns = header(path)
    if len(set(columns)) != len(columns) or any(not c.strip() for c in columns):
        raise UploadError(f"{filename}: column names must be unique and non-empty")
    return columns


def header(path: str) -> list[str]:
    return _tables.column_names(path)


def write_sample(files: DatasetFiles, rows: int) -> None:
    """The generated customer table (fake people, ``dpkit sample customers``) and its public
    schema."""
    frame = pii.generate_customers(rows)
    tmp = files.data + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(_tables.csv_buffer(frame).to_pybytes())
    os.replace(tmp, files.data)
    files.write_json("schema", pii.customers_schema())


def check_schema(schema: dict, columns: list[str]) -> dict:
    """A schema the owner gives: validated by dpkit's schema parser; its privacy unit must be
    a column of the data."""
    if not isinstance(schema, dict):
        raise errors.InvalidArgument("schema must be a JSON object (docs/io.md)")
    _tables.schema(schema)
    unit = schema.get("privacy_unit")
    if unit and unit not in columns:
        raise errors.InvalidArgument(f"schema privacy_unit '{unit}' is not a column of the data")
    return schema


def proposals(scan: dict) -> dict:
    """The synthetic-data action proposed for each column from a PII scan (NOT DP)."""
    unit = (scan.get("privacy_unit") or {}).get("column")
    out = {}
    for c in scan["columns"]:
        if c["name"] == unit:
            continue
        if c.get("free_text"):
            out[c["name"]] = "drop"
        elif c.get("entity") == "ZIP_CODE":
            out[c["name"]] = "zip3"
        elif c.get("class") == "identifier":
            out[c["name"]] = "fake"
        else:
            out[c["name"]] = "model"
    return out


def apply_pii(schema: dict | None, columns: list[str], unit: str | None, actions: dict,
              entities: dict) -> tuple[dict, dict]:
    """The schema and policy the owner's choices make: each column's ``pii`` role in the schema
    (what the pipeline synthesises) and its operator in the policy (what clean.csv holds).
    ``entities``: column -> entity type from the scan (for fakes of the right kind)."""
    for name, action in actions.items():
        if name not in columns:
            raise errors.InvalidArgument(f"column '{name}' is not in the data")
        if action not in ACTIONS:
            raise errors.InvalidArgument(
                f"column '{name}': unknown action '{action}' (use {', '.join(ACTIONS)})")
    if unit is not None and unit not in columns:
        raise errors.InvalidArgument(f"privacy unit '{unit}' is not a column of the data")
    schema = dict(schema or {"columns": []})
    declared = {c["name"]: dict(c) for c in schema.get("columns", [])}
    policy_columns = {}
    for name, action in actions.items():
        entity = entities.get(name) or "NONE"
        col = declared.get(name, {"name": name, "type": "string"})
        col["pii"] = _role(action, entity)
        declared[name] = col
        policy_columns[name] = _operator(action, entity)
    _drop_unusable_derivations(declared, actions)
    schema["columns"] = [declared[c] for c in columns if c in declared]
    if unit:
        schema["privacy_unit"] = unit
    return check_schema(schema, columns), {"columns": policy_columns}


def _drop_unusable_derivations(declared: dict, actions: dict) -> None:
    """A derived column (schema "derived": computed from synthetic dates) that the owner fakes
    or drops, or whose date column the owner fakes or drops, is no longer derived: its rule is
    removed and the column is handled as the owner chose (or modelled from the data)."""
    not_modelled = {name for name, action in actions.items() if action != "model"}
    for col in declared.values():
        rule = col.get("derived")
        if rule and {col["name"], rule["from"], rule["to"]} & not_modelled:
            del col["derived"]


def _role(action: str, entity: str) -> str:
    if action == "fake":
        return entity.lower() if entity in _ENTITY_NAMES - {"DATE", "ZIP_CODE"} else "identifier"
    return {"model": "none", "zip3": "zip_code", "drop": "free_text"}[action]


def _operator(action: str, entity: str) -> str:
    if action == "fake":
        return "pseudonym" if entity in _ENTITY_NAMES else "hash"
    return "drop" if action == "drop" else "keep"
