"""PII detection and replacement (C++: dpkit/pii) — data-owner tools, NOT differential privacy.

:func:`scan` classifies each column (identifier, quasi-identifier, safe) from its header, a
sample of its cells and its uniqueness, and proposes a privacy unit. :func:`replace` removes
direct identifiers by a policy (keyed pseudonyms, fakes, hashes, masks, drops). Both read every
cell of the real data: their results describe or transform it and are as sensitive as the data
(``ScanReport.dp`` and ``Replaced.dp`` are False). De-identification does not protect against
linkage through quasi-identifiers: use a DP release (:mod:`dpkit.synth`, :func:`dpkit.query`)
on the replaced table for a formal guarantee.

Also the generated customer table of ``dpkit sample customers`` (fake people, reproducible from a
seed) and its public schema, for tutorials and tests.
"""

from __future__ import annotations

import json
import os

from dpkit import _tables
from dpkit._dpkit import pii as _p

TYPE_CHECKING = False
if TYPE_CHECKING:
    import pandas

NOT_DP = "NOT differentially private: describes the real data; keep it inside the trust boundary"


class ScanReport:
    """A PII scan (NOT DP): ``columns`` (a DataFrame, one row per column), ``privacy_unit``
    (the proposed unit column or None), ``to_dict()``, ``to_json()``, ``text``."""

    dp = False
    note = NOT_DP

    def __init__(self, result) -> None:
        self._result = result
        self._json = json.loads(result.to_json())

    @property
    def privacy_unit(self) -> str | None:
        unit = self._json.get("privacy_unit")
        return unit.get("column") if unit else None

    @property
    def columns(self) -> pandas.DataFrame:
        import pandas as pd

        return pd.DataFrame(self._json["columns"])

    @property
    def text(self) -> str:
        """The fixed-width report ``dpkit pii scan`` prints."""
        return self._result.to_text()

    def to_dict(self) -> dict:
        return self._json

    def to_json(self) -> str:
        return self._result.to_json()

    def __repr__(self) -> str:
        return f"ScanReport({len(self._json['columns'])} columns, NOT DP)"


class Replaced:
    """A de-identified table (NOT DP): ``data`` (DataFrame), ``actions`` (what was done per
    column), ``privacy_unit`` (the unit column if it survived consistently), ``scan``,
    ``to_dict()``."""

    dp = False
    note = "de-identified, " + NOT_DP

    def __init__(self, result, data) -> None:
        self._json = json.loads(result.to_json())
        self.data = data
        self.privacy_unit: str | None = result.privacy_unit
        self.actions: list = self._json.get("actions", [])

    def to_dict(self) -> dict:
        return self._json

    def __repr__(self) -> str:
        return f"Replaced({len(self.data)} rows, privacy_unit={self.privacy_unit!r}, NOT DP)"


def scan(data, *, sample: int = 2000) -> ScanReport:
    """Scans a DataFrame (or pyarrow Table / CSV path), every column read as text, as ``dpkit
    pii scan`` does; ``sample`` cells per column are examined. NOT DP."""
    return ScanReport(_p.scan(_tables.read(data, mode="text"), sample))


def replace(
    data,
    policy=None,
    key=None,
    *,
    key_file: str | os.PathLike | None = None,
    output: str = "pandas",
    generator=None,
) -> Replaced:
    """Replaces PII in ``data`` by ``policy`` (a dict, JSON text or path; default policy of
    docs/pii.md: identifiers pseudonymised, quasi-identifiers kept). ``key``: the secret for
    hash/pseudonym (bytes or hex text, >= 32 bytes; :func:`keygen` makes one) or ``key_file``;
    the same key gives the same pseudonyms across tables. Replaced columns become text; kept
    columns keep their values and, for DataFrames, their dtypes. NOT DP."""
    if key is not None and key_file is not None:
        from dpkit.errors import InvalidArgument

        raise InvalidArgument("give key or key_file, not both")
    if isinstance(key, bytearray):
        key = bytes(key)
    source = os.fspath(key_file) if key_file is not None else key
    result = _p.replace(
        _tables.read(data, mode="text"), _tables.json_text(policy, "policy"), source,
        key_is_path=key_file is not None, generator=generator,
    )
    frame = _tables.to_frame(result.table, output)
    if output == "pandas" and not isinstance(data, (str, os.PathLike)) and hasattr(data, "iloc"):
        kept = [a["column"] for a in json.loads(result.to_json()).get("actions", [])
                if a.get("action") == "keep"]
        for column in kept:
            frame[column] = data[column].to_numpy()
    return Replaced(result, frame)


def keygen() -> str:
    """A fresh 256-bit key (64 hex digits) from the secure generator, like ``dpkit pii keygen``.
    Keep it secret: it links pseudonyms to their inputs for anyone who can guess inputs."""
    return _p.keygen()


def generate_customers(rows: int = 10000, *, seed: int = _p.DEFAULT_SAMPLE_SEED, output="pandas"):
    """The generated customer table of ``dpkit sample customers`` (fake people with realistic
    PII and built-in dependencies; NOT real data, reproducible from ``seed``)."""
    return _tables.to_frame(_p.generate_customers(rows, seed), output)


def customers_schema() -> dict:
    """The public schema of that table (types, bounds, categories, pii roles, privacy unit
    customer_id): what a data owner writes for a real table."""
    return json.loads(_p.customers_schema().to_json())


__all__ = ["scan", "replace", "keygen", "generate_customers", "customers_schema", "ScanReport",
           "Replaced", "NOT_DP"]
