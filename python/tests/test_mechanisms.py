"""dpkit.mechanisms: vectorised releases call the C++ mechanisms and agree with the CLI.

Statistical tests use a fixed seed (dpkit.testing) and state their false-positive rate.
"""

import math

import numpy as np
import pytest

import dpkit
from dpkit import errors
from dpkit.mechanisms import (
    DiscreteGaussian,
    DiscreteLaplace,
    Gaussian,
    Laplace,
    RandomizedResponse,
    Selection,
    SparseVector,
)
from dpkit.testing import SeededGenerator

from conftest import cli_json


@pytest.fixture
def gen(capsys):
    g = SeededGenerator(20240601)
    capsys.readouterr()  # the insecure-seed warning (tested in test_testing.py)
    return g


def test_scalar_in_scalar_out():
    r = Laplace(epsilon=1, sensitivity=1).release(10.0)
    assert isinstance(r.value, float) and isinstance(r.ci_low, float)
    assert r.ci_low < r.value < r.ci_high
    assert r.cells == 1 and r.privacy_map.repetitions == 1 and r.secure


def test_array_keeps_its_shape_and_composes_over_cells():
    x = np.arange(12.0).reshape(3, 4)
    m = Laplace(epsilon=0.5, sensitivity=2)
    r = m.release(x)
    assert r.value.shape == (3, 4) and r.ci_low.shape == (3, 4) and r.ci_high.shape == (3, 4)
    assert r.privacy_map.kind == "discrete_laplace"
    assert r.privacy_map.repetitions == 12
    assert r.privacy_map == m.privacy_map_for(12)
    assert "12-fold composition" in r.privacy_claim
    disjoint = m.release(x, disjoint=True)
    assert disjoint.privacy_map.repetitions == 1 and disjoint.privacy_map == m.privacy_map
    # The cost the ledger sees is the C++ accountant's: 12 cells of epsilon 0.5 = 6.
    eps = dpkit.accounting.composed_epsilon([r.privacy_map], 0.0, accountant="basic")
    assert eps == pytest.approx(12 * m.epsilon, rel=1e-12)


def test_same_seed_same_answer_as_the_cli(cli, gen):
    """One draw through Python and one through `dpkit noise`, same seed: the same numbers."""
    r = Laplace(epsilon=0.5, sensitivity=1).release(1234.0, generator=SeededGenerator(7))
    j = cli_json(cli, "--insecure-seed", "7", "noise", "laplace", "--epsilon", "0.5",
                 "--sensitivity", "1", "--value", "1234")
    assert r.value == j["noisy_value"]
    assert (r.ci_low, r.ci_high) == (j["interval"]["lower"], j["interval"]["upper"])
    assert r.noise_scale == j["noise_scale"] and r.privacy_claim == j["privacy_claim"]
    assert r.privacy_map == dpkit.PrivacyMap.from_json(
        '{"kind": "discrete_laplace", "mechanism": "laplace", "noise_multiplier": 2.0}')
    assert not r.secure


@pytest.mark.parametrize(
    "mech, values",
    [
        (Laplace(epsilon=1, sensitivity=1), np.full(20000, 100.0)),
        (Gaussian(sensitivity=1, epsilon=1, delta=1e-6), np.full(20000, 100.0)),
        (DiscreteLaplace(epsilon=1, sensitivity=1), np.full(20000, 100)),
        (DiscreteGaussian(sensitivity=1, epsilon=1, delta=1e-6), np.full(20000, 100)),
    ],
    ids=["laplace", "gaussian", "discrete_laplace", "discrete_gaussian"],
)
def test_noise_and_intervals_are_calibrated(mech, values, gen):
    """Mean, spread and 95% interval coverage over 20000 cells.

    False-positive rates (normal approximations): mean off by > 6 standard errors p < 2e-9;
    sample stddev off by > 6% of its value (> 6 standard errors of a Laplace sample stddev at
    n = 20000) p < 1e-8; coverage below 0.95 - 6 * sqrt(0.95 * 0.05 / n) p < 1e-9 (the exact
    intervals cover with probability >= 0.95).
    """
    r = mech.release(values, generator=gen)
    noise = r.value - values
    n = len(values)
    assert abs(noise.mean()) < 6 * r.noise_stddev / math.sqrt(n)
    assert noise.std() == pytest.approx(r.noise_stddev, rel=0.06)
    covered = np.mean((r.ci_low <= values) & (values <= r.ci_high))
    assert covered >= 0.95 - 6 * math.sqrt(0.95 * 0.05 / n)
    assert r.ci_exact and r.confidence == 0.95


def test_discrete_mechanisms_take_whole_numbers_only():
    m = DiscreteLaplace(epsilon=1)
    assert m.release(np.array([1.0, 2.0])).value.dtype == np.int64
    with pytest.raises(dpkit.InvalidArgument, match=r"values\[1\] \(flat index\) is not an integer"):
        m.release(np.array([1.0, 2.5, 3.0]))
    with pytest.raises(dpkit.InvalidArgument, match="must hold integers"):
        m.release(np.array(["a"]))


def test_bad_cell_names_its_index_and_releases_nothing():
    with pytest.raises(dpkit.InvalidArgument, match=r"^values\[2\] \(flat index\): "):
        Laplace(epsilon=1, sensitivity=1).release(np.array([1.0, 2.0, np.nan]))


def test_empty_input_and_bad_confidence_are_refused():
    m = Laplace(epsilon=1, sensitivity=1)
    with pytest.raises(dpkit.InvalidArgument, match="empty"):
        m.release(np.array([]))
    with pytest.raises(dpkit.InvalidArgument, match="confidence"):
        m.release(1.0, confidence=1.5)


def test_only_dpkit_generators_are_accepted():
    with pytest.raises(dpkit.InvalidArgument, match="generator must be None"):
        Laplace(epsilon=1, sensitivity=1).release(1.0, generator=np.random.default_rng(0))


def test_gaussian_targets_and_claims():
    g = Gaussian(sensitivity=2, epsilon=1, delta=1e-6)
    assert g.delta_for_epsilon(1.0) <= 1e-6
    assert "(epsilon=1, delta=1e-06)-DP for l2 sensitivity 2" in g.privacy_claim
    z = Gaussian(sensitivity=1, rho=0.5)
    assert z.rho == pytest.approx(0.5, rel=1e-6) and z.rho <= 0.5  # never more than asked
    assert z.privacy_claim.startswith("rho=")
    with pytest.raises(dpkit.InvalidArgument):
        Gaussian(sensitivity=1, epsilon=1, delta=1e-6, rho=0.5)
    with pytest.raises(dpkit.InvalidArgument):
        Gaussian(sensitivity=1, epsilon=2, delta=1e-6, calibration="classic")


def test_selection_finds_a_clear_winner(gen):
    """Winner 1000 sensitivity units ahead at epsilon 1: P(miss) < 3 exp(-500), never seen."""
    scores = np.array([[0.0, 1000.0, 0.0], [1000.0, 0.0, 0.0]])
    for kind in ("exponential", "permute_and_flip", "report_noisy_max_gumbel"):
        s = Selection(kind, epsilon=1, sensitivity=1)
        r = s.select(scores, generator=gen)
        assert list(r.value) == [1, 0] and r.privacy_map.repetitions == 2
        assert s.select(scores[0], generator=gen).value == 1
    assert "implemented as exponential" in Selection(
        "report_noisy_max_gumbel", epsilon=1, sensitivity=1).select(scores[0]).notes[0]
    with pytest.raises(dpkit.InvalidArgument):
        Selection("best", epsilon=1, sensitivity=1)


def test_sparse_vector_stops_after_max_above(gen):
    svt = SparseVector(epsilon=1, sensitivity=1, threshold=0, max_above=2, generator=gen)
    r = svt.run(np.array([-1e6, 1e6, -1e6, 1e6, 1e6]))
    assert list(r.value) == [False, True, False, True]
    assert svt.exhausted and r.privacy_map.kind == "pure_dp"
    assert r.privacy_map.epsilon == pytest.approx(svt.epsilon) and svt.epsilon <= 1
    with pytest.raises(errors.FailedPrecondition):
        svt.next(1e6)


def test_randomized_response_estimates_are_unbiased(gen):
    """20000 respondents, 30% ones, epsilon 1: estimate within 6 of its stddev (p < 2e-9)."""
    rr = RandomizedResponse(epsilon=1)
    truth = (np.arange(20000) % 10 < 3).astype(np.int64)
    r = rr.randomize(truth, generator=gen)
    assert r.privacy_map == rr.privacy_map and r.cells == 20000
    counts = np.bincount(r.value, minlength=2)
    est = rr.estimate_frequencies(counts)
    assert abs(est["count"][1] - 6000) < 6 * est["stddev"][1]
    with pytest.raises(dpkit.InvalidArgument):
        rr.randomize(np.array([0, 2]))


def test_every_mechanism_is_listed_with_its_claim():
    names = {m["name"] for m in dpkit.mechanisms.list_mechanisms()}
    assert {"laplace", "gaussian", "discrete_laplace", "discrete_gaussian", "exponential",
            "permute_and_flip", "sparse_vector", "randomized_response"} <= names
    assert all(m["privacy_claim"] and m["citation"] for m in dpkit.mechanisms.list_mechanisms())
