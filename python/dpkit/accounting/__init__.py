"""Privacy accounting (dpkit/accounting in the C++ library).

:class:`Accountant` composes :class:`~dpkit.PrivacyMap` values ("basic", "zcdp", "rdp" or "pld");
:func:`composed_epsilon`/:func:`composed_delta` do it in one call; :func:`dpsgd_privacy_map` and
:func:`noise_multiplier` cover DP-SGD schedules; :class:`OpacusAccountant` lets Opacus use
dpkit's PLD accountant and charge a training run to a :class:`dpkit.Ledger`. Every answer is a
sound upper bound computed in C++; accountants never sample noise.
"""

from dpkit._dpkit import accounting as _a
from dpkit.accounting.opacus import OpacusAccountant

Accountant = _a.Accountant
composed_epsilon = _a.composed_epsilon
composed_delta = _a.composed_delta
dpsgd_privacy_map = _a.dpsgd_privacy_map
noise_multiplier = _a.noise_multiplier
NoiseMultiplierResult = _a.NoiseMultiplierResult
compose_sequential = _a.compose_sequential
compose_parallel = _a.compose_parallel
compose_advanced = _a.compose_advanced
optimal_composition_epsilon = _a.optimal_composition_epsilon
optimal_composition_delta = _a.optimal_composition_delta
gaussian_epsilon = _a.gaussian_epsilon
gaussian_delta = _a.gaussian_delta
zcdp_epsilon = _a.zcdp_epsilon
zcdp_delta = _a.zcdp_delta
default_rdp_orders = _a.default_rdp_orders
privacy_map_rdp = _a.privacy_map_rdp
rdp_to_epsilon = _a.rdp_to_epsilon
PldComposition = _a.PldComposition
PldBound = _a.PldBound

__all__ = [
    "Accountant",
    "composed_epsilon",
    "composed_delta",
    "dpsgd_privacy_map",
    "noise_multiplier",
    "NoiseMultiplierResult",
    "compose_sequential",
    "compose_parallel",
    "compose_advanced",
    "optimal_composition_epsilon",
    "optimal_composition_delta",
    "gaussian_epsilon",
    "gaussian_delta",
    "zcdp_epsilon",
    "zcdp_delta",
    "default_rdp_orders",
    "privacy_map_rdp",
    "rdp_to_epsilon",
    "PldComposition",
    "PldBound",
    "OpacusAccountant",
]
