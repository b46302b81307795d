"""absl::Status codes become dpkit.errors exceptions with the library's own messages."""

import pytest

import dpkit
from dpkit import errors
from dpkit.mechanisms import Laplace


def test_invalid_argument_keeps_the_library_message_and_exit_code():
    with pytest.raises(dpkit.InvalidArgument) as e:
        Laplace(epsilon=-1, sensitivity=1)
    assert str(e.value) == "epsilon must be finite and > 0, got -1"
    assert e.value.code == "INVALID_ARGUMENT"
    assert e.value.exit_code == 2
    assert isinstance(e.value, ValueError)


def test_budget_exhausted(ledger_path):
    ledger = dpkit.Ledger(ledger_path)
    ledger.init("d", epsilon=1.0)
    with pytest.raises(dpkit.BudgetExhausted) as e:
        ledger.charge("d", dpkit.PrivacyMap.pure_dp(2.0))
    assert e.value.exit_code == 3
    assert e.value.code == "RESOURCE_EXHAUSTED"


def test_not_found_is_a_data_error(ledger_path):
    ledger = dpkit.Ledger(ledger_path)
    with pytest.raises(errors.NotFound) as e:
        ledger.status("missing")
    assert isinstance(e.value, dpkit.DataError)
    assert e.value.exit_code == 4
    assert "missing" in str(e.value)


def test_corrupted_ledger_file_is_a_data_error(tmp_path):
    path = tmp_path / "broken.db"
    path.write_bytes(b"this is not an SQLite database" * 100)
    with pytest.raises(dpkit.DataError) as e:
        dpkit.Ledger(path)
    assert e.value.exit_code == 4


def test_already_exists(ledger_path):
    ledger = dpkit.Ledger(ledger_path)
    ledger.init("d", epsilon=1.0)
    with pytest.raises(errors.AlreadyExists):
        ledger.init("d", epsilon=1.0)


@pytest.mark.parametrize(
    "code, cls",
    [
        ("OUT_OF_RANGE", errors.InvalidArgument),
        ("DATA_LOSS", errors.DataError),
        ("FAILED_PRECONDITION", errors.FailedPrecondition),
        ("UNAVAILABLE", errors.Unavailable),
        ("INTERNAL", errors.InternalError),
        ("UNKNOWN", errors.InternalError),
    ],
)
def test_every_code_has_a_class(code, cls):
    e = errors._from_status(code, "message", 9)
    assert type(e) is cls and e.code == code and e.exit_code == 9 and str(e) == "message"
