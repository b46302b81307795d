"""NOT PRIVATE: reproducible randomness and zero noise for tests and examples.

A :class:`SeededGenerator` makes every noise draw reproducible from its seed, so results drawn
from it provide no privacy at all. Creating one prints the same warning as the CLI's
``--insecure-seed`` to stderr, and every :class:`~dpkit.mechanisms.Release` drawn from it has
``secure == False``. :class:`ZeroNoise` (``noise=`` of the workloads: synth, pipeline, query)
runs the same mechanisms, calibration and privacy maps without adding noise, so tests can check
exact pre-noise values; creating one prints a warning of the same kind. Charges made with either
are recorded in the ledger as not private (``insecure_seed``) and still count in full.
Production code never needs this module: releases use the secure generator (ChaCha20 keyed from
OS entropy) and secure noise unless told otherwise.
"""

from dpkit._dpkit import testing as _t

SeededGenerator = _t.SeededGenerator
INSECURE_SEED_WARNING: str = _t.INSECURE_SEED_WARNING
ZeroNoise = _t.ZeroNoise
ZERO_NOISE_WARNING: str = _t.ZERO_NOISE_WARNING

__all__ = ["SeededGenerator", "INSECURE_SEED_WARNING", "ZeroNoise", "ZERO_NOISE_WARNING"]
