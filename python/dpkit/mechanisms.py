"""Noise mechanisms (dpkit/mechanisms in the C++ library), vectorised over numpy arrays.

Build a mechanism once (parameters are validated by the C++ factory), then release any number
of values: the loop over cells runs in C++, one exact draw per cell, and returns a
:class:`Release` with the noisy values, exact confidence intervals, the noise scale and the
:class:`~dpkit.PrivacyMap` of the whole release (charge it to a :class:`dpkit.Ledger` before
showing the values to anyone).

Every class states its privacy claim in its docstring; ``privacy_claim`` gives it with the
numbers achieved, and :func:`list_mechanisms` lists every mechanism with its citation.
"""

from dpkit._dpkit import mechanisms as _m

Release = _m.Release
Laplace = _m.Laplace
DiscreteLaplace = _m.DiscreteLaplace
Gaussian = _m.Gaussian
DiscreteGaussian = _m.DiscreteGaussian
Selection = _m.Selection
SparseVector = _m.SparseVector
RandomizedResponse = _m.RandomizedResponse
laplace_scale = _m.laplace_scale
gaussian_sigma = _m.gaussian_sigma
gaussian_delta = _m.gaussian_delta
gaussian_rho = _m.gaussian_rho
list_mechanisms = _m.list_mechanisms

__all__ = [
    "Release",
    "Laplace",
    "DiscreteLaplace",
    "Gaussian",
    "DiscreteGaussian",
    "Selection",
    "SparseVector",
    "RandomizedResponse",
    "laplace_scale",
    "gaussian_sigma",
    "gaussian_delta",
    "gaussian_rho",
    "list_mechanisms",
]
