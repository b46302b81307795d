"""dpkit.accounting: the C++ accountants, the same numbers as `dpkit privacy`."""

import math

import pytest

import dpkit
from dpkit import accounting
from dpkit.accounting import Accountant, PldComposition, composed_epsilon
from dpkit.mechanisms import Gaussian

from conftest import cli_json

DPSGD = dict(sampling_rate=256 / 60000, steps=14063, noise_multiplier=1.1, delta=1e-5)


def cli_dpsgd(cli, accountant, sampling_rate, steps, noise_multiplier, delta):
    return cli_json(cli, "privacy", "dpsgd", "--sampling-rate", repr(sampling_rate), "--steps",
                    str(steps), "--noise-multiplier", repr(noise_multiplier), "--delta",
                    repr(delta), "--accountant", accountant)["epsilon"]


@pytest.mark.parametrize("kind", ["rdp", "pld"])
def test_dpsgd_epsilon_matches_the_cli(cli, kind):
    m = dpkit.PrivacyMap.subsampled_gaussian(DPSGD["noise_multiplier"], DPSGD["sampling_rate"],
                                             DPSGD["steps"])
    ours = composed_epsilon([m], DPSGD["delta"], accountant=kind)
    theirs = cli_dpsgd(cli, kind, **DPSGD)
    if kind == "rdp":
        assert ours == theirs
    else:  # the PLD accountant answers min(PLD upper bound, RDP, basic)
        assert ours == min(theirs, cli_dpsgd(cli, "rdp", **DPSGD))


def test_dpsgd_privacy_map_follows_the_tf_privacy_schedule():
    m = accounting.dpsgd_privacy_map(examples=60000, batch_size=256, epochs=60,
                                     noise_multiplier=1.1)
    assert m.kind == "subsampled_gaussian"
    assert m.sampling_rate == 256 / 60000 and m.repetitions == math.ceil(60 * 60000 / 256)


def test_noise_multiplier_meets_its_target():
    r = accounting.noise_multiplier(target_epsilon=3, delta=1e-5, sampling_rate=0.01, steps=1000)
    assert r.epsilon <= 3
    m = dpkit.PrivacyMap.subsampled_gaussian(r.noise_multiplier, 0.01, 1000)
    assert composed_epsilon([m], 1e-5) <= 3
    looser = dpkit.PrivacyMap.subsampled_gaussian(r.noise_multiplier * 0.99, 0.01, 1000)
    assert composed_epsilon([looser], 1e-5) > 3 * 0.99  # the search is tight to its tolerance
    with pytest.raises(dpkit.InvalidArgument):
        accounting.noise_multiplier(target_epsilon=1e-9, delta=1e-12, sampling_rate=1, steps=10**9)


def test_accountant_kinds_agree_on_a_single_gaussian():
    """One Gaussian: RDP, zCDP and PLD are all upper bounds of the exact (Balle-Wang) epsilon."""
    m = dpkit.PrivacyMap.gaussian(2.0)
    exact = accounting.gaussian_epsilon(2.0, 1e-6)
    for kind in ("rdp", "zcdp", "pld"):
        acc = Accountant(kind)
        acc.add(m)
        assert acc.epsilon(1e-6) >= exact * (1 - 1e-9), kind
    pld = Accountant("pld")
    pld.add(m)
    assert pld.epsilon(1e-6) == pytest.approx(exact, abs=0.02)  # epsilon_error 0.01 each side


def test_zcdp_classic_conversion_is_bun_steinke():
    rho, delta = 0.5, 1e-6
    assert accounting.zcdp_epsilon(rho, delta, "classic") == pytest.approx(
        rho + 2 * math.sqrt(rho * math.log(1 / delta)), rel=1e-12)
    assert accounting.zcdp_epsilon(rho, delta) <= accounting.zcdp_epsilon(rho, delta, "classic")


def test_add_all_is_all_or_nothing():
    acc = Accountant("rdp")
    acc.add(dpkit.PrivacyMap.gaussian(3.0))
    before = acc.epsilon(1e-6)
    with pytest.raises(dpkit.InvalidArgument):
        acc.add_all([dpkit.PrivacyMap.gaussian(1.0), dpkit.PrivacyMap.approx_dp(1.0, 1e-7)])
    assert acc.epsilon(1e-6) == before


def test_mechanism_maps_compose_like_the_mechanism_says():
    g = Gaussian(sensitivity=1, rho=0.125)
    acc = Accountant("zcdp")
    acc.add(g.privacy_map_for(4))
    assert acc.epsilon(1e-6) == pytest.approx(accounting.zcdp_epsilon(4 * g.rho, 1e-6), rel=1e-9)


def test_pld_bounds_are_ordered():
    p = PldComposition([dpkit.PrivacyMap.subsampled_gaussian(1.0, 0.01, 1000)])
    b = p.epsilon(1e-5)
    assert b.lower <= b.estimate <= b.upper and p.grid_points > 0
    with pytest.raises(dpkit.InvalidArgument):
        p.epsilon(0.0)


def test_composition_theorems():
    assert accounting.compose_sequential([(1.0, 1e-6), (0.5, 0.0)]) == (1.5, 1e-6)
    assert accounting.compose_parallel([(1.0, 1e-6), (0.5, 0.0)]) == (1.0, 1e-6)
    eps, delta = accounting.compose_advanced((0.1, 0.0), 100, 1e-6)
    assert eps < 10 and delta == pytest.approx(1e-6)
    assert accounting.optimal_composition_epsilon((0.1, 0.0), 100, 1e-6) <= eps


def test_privacy_maps_round_trip_and_validate():
    m = dpkit.PrivacyMap("gaussian", noise_multiplier=2.0, repetitions=3)
    assert dpkit.PrivacyMap.from_json(m.to_json()) == m
    import pickle

    assert pickle.loads(pickle.dumps(m)) == m
    assert m.with_repetitions(5).repetitions == 5 and m.repetitions == 3
    with pytest.raises(dpkit.InvalidArgument, match="noise_multiplier"):
        dpkit.PrivacyMap("gaussian", noise_multiplier=-1.0)
    with pytest.raises(dpkit.InvalidArgument):
        dpkit.PrivacyMap("no_such_kind")
