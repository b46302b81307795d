"""Exceptions raised by dpkit, one per family of absl::Status codes of the C++ library.

Every error carries the library's message unchanged (it names the parameter, file or column and
says what to do), the status code name (``code``, e.g. ``"RESOURCE_EXHAUSTED"``) and the exit
code the ``dpkit`` CLI would give for the same failure (``exit_code``: 2 usage, 3 budget, 4 data,
1 internal).

=====================  =================================================  =========
exception              status codes                                       exit code
=====================  =================================================  =========
InvalidArgument        INVALID_ARGUMENT, OUT_OF_RANGE                     2
BudgetExhausted        RESOURCE_EXHAUSTED (nothing was charged/released)  3
DataError              DATA_LOSS                                          4
NotFound               NOT_FOUND (a DataError)                            4
FailedPrecondition     FAILED_PRECONDITION (a DataError)                  4
Unavailable            UNAVAILABLE: busy or locked, retry (a DataError)   4
AlreadyExists          ALREADY_EXISTS                                     1
InternalError          anything else                                      1
=====================  =================================================  =========
"""

from __future__ import annotations


class DpkitError(Exception):
    """Base class of every dpkit error."""

    default_code = "UNKNOWN"
    default_exit_code = 1

    def __init__(self, message: str, code: str | None = None, exit_code: int | None = None):
        super().__init__(message)
        self.message = message
        self.code = self.default_code if code is None else code
        self.exit_code = self.default_exit_code if exit_code is None else exit_code


class InvalidArgument(DpkitError, ValueError):
    """A bad parameter or usage; the message names the parameter and the bad value."""

    default_code = "INVALID_ARGUMENT"
    default_exit_code = 2


class BudgetExhausted(DpkitError):
    """The ledger refused a charge: nothing was charged and nothing may be released."""

    default_code = "RESOURCE_EXHAUSTED"
    default_exit_code = 3


class DataError(DpkitError):
    """Missing, malformed or corrupted input data (or ledger file)."""

    default_code = "DATA_LOSS"
    default_exit_code = 4


class NotFound(DataError):
    """A missing file, dataset, budget or column."""

    default_code = "NOT_FOUND"
    default_exit_code = 4


class FailedPrecondition(DataError):
    """The data or file cannot support the request (e.g. not a dpkit ledger)."""

    default_code = "FAILED_PRECONDITION"
    default_exit_code = 4


class Unavailable(DataError):
    """A resource is busy or locked (e.g. another process holds the ledger); retry later."""

    default_code = "UNAVAILABLE"
    default_exit_code = 4


class AlreadyExists(DpkitError):
    """The thing to create exists already (e.g. a budget for the same dataset and unit)."""

    default_code = "ALREADY_EXISTS"


class InternalError(DpkitError):
    """A failure that is dpkit's fault; please report it."""

    default_code = "INTERNAL"


_BY_CODE = {
    "INVALID_ARGUMENT": InvalidArgument,
    "OUT_OF_RANGE": InvalidArgument,
    "RESOURCE_EXHAUSTED": BudgetExhausted,
    "DATA_LOSS": DataError,
    "NOT_FOUND": NotFound,
    "FAILED_PRECONDITION": FailedPrecondition,
    "UNAVAILABLE": Unavailable,
    "ALREADY_EXISTS": AlreadyExists,
}


def _from_status(code: str, message: str, exit_code: int) -> DpkitError:
    """The exception for an absl::Status (called by the extension's exception translator)."""
    return _BY_CODE.get(code, InternalError)(message, code, exit_code)


__all__ = [
    "DpkitError",
    "InvalidArgument",
    "BudgetExhausted",
    "DataError",
    "NotFound",
    "FailedPrecondition",
    "Unavailable",
    "AlreadyExists",
    "InternalError",
]
