"""dpkit.testing: seeded generators are reproducible and say loudly that they are not private."""

import numpy as np

from dpkit.mechanisms import Laplace
from dpkit.testing import INSECURE_SEED_WARNING, SeededGenerator

from conftest import run_cli


def test_seeded_generator_warns_like_the_cli(cli, capsys):
    SeededGenerator(1)
    assert capsys.readouterr().err == INSECURE_SEED_WARNING
    done = run_cli(cli, "--insecure-seed", "1", "noise", "laplace", "--epsilon", "1",
                   "--sensitivity", "1", "--value", "0")
    assert done.returncode == 0
    assert INSECURE_SEED_WARNING.strip() in done.stderr.splitlines()


def test_same_seed_same_noise_and_marked_insecure(capsys):
    m = Laplace(epsilon=1, sensitivity=1)
    a = m.release(np.zeros(100), generator=SeededGenerator(5))
    b = m.release(np.zeros(100), generator=SeededGenerator(5))
    assert np.array_equal(a.value, b.value)
    assert not a.secure and not SeededGenerator(5).is_secure
    assert "NOT PRIVATE" in repr(a)


def test_default_generator_is_secure_and_not_reproducible():
    m = Laplace(epsilon=1, sensitivity=1)
    a, b = m.release(np.zeros(100)), m.release(np.zeros(100))
    assert a.secure and not np.array_equal(a.value, b.value)
