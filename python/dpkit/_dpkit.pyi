# Type stub of the compiled module's top level (the public modules re-export from it).
from typing import List

class PrivacyMap:
    """What one release costs, as data: composed by accountants, stored by the ledger."""

    def __init__(
        self,
        kind: str,
        *,
        epsilon: float = 0.0,
        delta: float = 0.0,
        rho: float = 0.0,
        noise_multiplier: float = 0.0,
        sampling_rate: float = 1.0,
        repetitions: int = 1,
        rdp_orders: List[float] = ...,
        rdp_epsilons: List[float] = ...,
        mechanism: str = "",
    ) -> None: ...
    @staticmethod
    def pure_dp(epsilon: float, mechanism: str = "pure_dp") -> PrivacyMap:
        """An epsilon-DP (pure) release."""
    @staticmethod
    def approx_dp(epsilon: float, delta: float, mechanism: str = "approx_dp") -> PrivacyMap:
        """An (epsilon, delta)-DP release."""
    @staticmethod
    def zcdp(rho: float, mechanism: str = "zcdp") -> PrivacyMap:
        """A rho-zCDP release."""
    @staticmethod
    def laplace(noise_multiplier: float, mechanism: str = "laplace") -> PrivacyMap:
        """Laplace noise of scale noise_multiplier * Delta_1 (epsilon = 1/noise_multiplier)."""
    @staticmethod
    def gaussian(noise_multiplier: float, mechanism: str = "gaussian") -> PrivacyMap:
        """Gaussian noise of sigma = noise_multiplier * Delta_2."""
    @staticmethod
    def subsampled_gaussian(
        noise_multiplier: float, sampling_rate: float, steps: int, mechanism: str = "dp-sgd"
    ) -> PrivacyMap:
        """steps Poisson-subsampled Gaussian steps (DP-SGD), add/remove-one neighbours."""
    @staticmethod
    def from_json(json: str) -> PrivacyMap: ...
    def to_json(self) -> str: ...
    def with_repetitions(self, repetitions: int) -> PrivacyMap: ...
    @property
    def kind(self) -> str: ...
    @property
    def mechanism(self) -> str: ...
    @property
    def epsilon(self) -> float: ...
    @property
    def delta(self) -> float: ...
    @property
    def rho(self) -> float: ...
    @property
    def noise_multiplier(self) -> float: ...
    @property
    def sampling_rate(self) -> float: ...
    @property
    def repetitions(self) -> int: ...
    @property
    def rdp_orders(self) -> List[float]: ...
    @property
    def rdp_epsilons(self) -> List[float]: ...
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...
