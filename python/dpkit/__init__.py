"""dpkit: differential privacy with exact noise, tight accounting and a persistent budget ledger.

Python front end of dpkit's C++ library: every mechanism, accountant and ledger operation runs
in C++ (nothing privacy-relevant is re-implemented in Python). Noise always comes from the
secure generator; reproducible (NOT private) generators exist only in :mod:`dpkit.testing`.

Modules: :mod:`dpkit.mechanisms` (noise mechanisms, vectorised over numpy arrays),
:mod:`dpkit.accounting` (accountants, DP-SGD calibration, an Opacus accountant adapter),
:class:`dpkit.Ledger` (the privacy budget), :mod:`dpkit.errors`; the workloads, each a release
charged to the ledger before any result exists: :func:`dpkit.query` (DP SQL; partial
aggregates in :mod:`dpkit.analytics`), :mod:`dpkit.synth` (DP synthetic data),
:mod:`dpkit.pipeline` (PII -> synthesizer -> report); and the data-owner tools (NOT DP)
:mod:`dpkit.pii` and :mod:`dpkit.report`. See docs/python.md.
"""

from dpkit import errors
from dpkit._dpkit import PrivacyMap
from dpkit.errors import BudgetExhausted, DataError, DpkitError, InvalidArgument
from dpkit.ledger import Ledger

from dpkit._version import __version__

__all__ = [
    "PrivacyMap",
    "Ledger",
    "errors",
    "DpkitError",
    "InvalidArgument",
    "BudgetExhausted",
    "DataError",
    "mechanisms",
    "accounting",
    "testing",
    "query",
    "analytics",
    "synth",
    "pii",
    "report",
    "pipeline",
]

_LAZY = ("mechanisms", "accounting", "testing", "analytics", "synth", "pii", "report", "pipeline")

TYPE_CHECKING = False
if TYPE_CHECKING:
    from dpkit.analytics import query


def __getattr__(name):
    # Submodules load on first use so `import dpkit` stays fast (numpy and pandas are imported
    # only by the functions that return arrays or DataFrames).
    if name == "query":
        from dpkit.analytics import query

        return query
    if name in _LAZY:
        import importlib

        return importlib.import_module(f"dpkit.{name}")
    raise AttributeError(f"module 'dpkit' has no attribute {name!r}")
