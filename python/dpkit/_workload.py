"""What the workload modules share: the ledger a release is charged to."""

from __future__ import annotations

import os


def ledger_path(ledger) -> str:
    """The file of a dpkit.Ledger or a path (the ledger must exist and hold the budget: a
    release never creates or extends a named ledger)."""
    path = getattr(ledger, "path", ledger)
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"ledger must be a dpkit.Ledger or a path, got {type(ledger).__name__}")
    return os.fspath(path)
