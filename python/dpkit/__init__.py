"""dpkit: differential privacy with exact noise, tight accounting and a persistent budget ledger.

Python front end of dpkit's C++ library: every mechanism, accountant and ledger operation runs
in C++ (nothing privacy-relevant is re-implemented in Python). Noise always comes from the
secure generator; reproducible (NOT private) generators exist only in :mod:`dpkit.testing`.

Modules: :mod:`dpkit.mechanisms` (noise mechanisms, vectorised over numpy arrays),
:mod:`dpkit.accounting` (accountants, DP-SGD calibration, an Opacus accountant adapter),
:class:`dpkit.Ledger` (the privacy budget), :mod:`dpkit.errors`. See docs/python.md.
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
]


def __getattr__(name):
    # Submodules load on first use so `import dpkit` stays fast (numpy and pandas are imported
    # only by the functions that return arrays or DataFrames).
    if name in ("mechanisms", "accounting", "testing"):
        import importlib

        return importlib.import_module(f"dpkit.{name}")
    raise AttributeError(f"module 'dpkit' has no attribute {name!r}")
