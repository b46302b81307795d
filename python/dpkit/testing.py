"""NOT PRIVATE: reproducible randomness for tests and examples.

A :class:`SeededGenerator` makes every noise draw reproducible from its seed, so results drawn
from it provide no privacy at all. Creating one prints the same warning as the CLI's
``--insecure-seed`` to stderr, and every :class:`~dpkit.mechanisms.Release` drawn from it has
``secure == False``. Production code never needs this module: releases use the secure generator
(ChaCha20 keyed from OS entropy) unless a generator is passed explicitly.
"""

from dpkit._dpkit import testing as _t

SeededGenerator = _t.SeededGenerator
INSECURE_SEED_WARNING: str = _t.INSECURE_SEED_WARNING

__all__ = ["SeededGenerator", "INSECURE_SEED_WARNING"]
