# NOT PRIVATE: reproducible generators for tests (see testing.py).

class Generator:
    """A source of random bits for dpkit's samplers."""

    @property
    def is_secure(self) -> bool: ...

class SeededGenerator(Generator):
    """NOT PRIVATE: noise reproducible from `seed`; prints the CLI's --insecure-seed warning."""

    def __init__(self, seed: int) -> None: ...

INSECURE_SEED_WARNING: str

class ZeroNoise:
    """NOT PRIVATE: workloads run their mechanisms without noise; prints a warning."""

    def __init__(self) -> None: ...

ZERO_NOISE_WARNING: str
