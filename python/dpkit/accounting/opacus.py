"""An accountant that Opacus accepts, backed by dpkit's accountants (PLD by default).

Opacus calls an accountant through the methods of ``opacus.accountants.IAccountant``:
``step(noise_multiplier=..., sample_rate=...)`` after every optimizer step (through the hook
from ``get_optimizer_hook_fn``), ``get_epsilon(delta)``, ``len()``, ``mechanism()``,
``state_dict()``/``load_state_dict()`` for checkpoints, and ``history`` (a list of
``(noise_multiplier, sample_rate, steps)``, which ``opacus.accountants.utils.get_noise_multiplier``
also assigns directly). :class:`OpacusAccountant` provides exactly these, duck-typed: importing it
imports neither torch nor opacus.

Privacy claim: each recorded step is one Poisson-subsampled Gaussian mechanism (add/remove-one-
example neighbours, sampling rate ``sample_rate``, noise ``noise_multiplier`` times the clipping
norm); ``get_epsilon(delta)`` is a rigorous upper bound on the epsilon of all recorded steps,
composed in C++ by dpkit's accountant (``"pld"``: the smallest of the PLD upper bound of Gopi,
Lee & Wutschitz 2021, the RDP bound and basic composition). It holds only if Opacus really samples
batches by Poisson sampling (its default) and adds the noise it reports.
"""

from __future__ import annotations

import copy
from collections import OrderedDict
from typing import Any, Callable, List, Optional, Tuple

from dpkit._dpkit import PrivacyMap
from dpkit.errors import InvalidArgument

HistoryEntry = Tuple[float, float, int]


class OpacusAccountant:
    """Opacus accountant (IAccountant duck type) composing DP-SGD steps with dpkit.

    Use it with Opacus either by assigning it before ``make_private``::

        engine = opacus.PrivacyEngine()
        engine.accountant = dpkit.accounting.OpacusAccountant()

    or by registering the class once (``OpacusAccountant.register()``) and creating
    ``opacus.PrivacyEngine(accountant="dpkit")``. After training, :meth:`charge` records the run
    in a :class:`dpkit.Ledger` (do that before publishing the model).
    """

    MECHANISM = "dpkit"

    def __init__(self, accountant: str = "pld", epsilon_error: float = 0.01) -> None:
        self.history: List[HistoryEntry] = []
        self.accountant = accountant
        self.epsilon_error = epsilon_error
        self._charged_steps = 0

    # ---- opacus.accountants.IAccountant ----

    def step(self, *, noise_multiplier: float, sample_rate: float) -> None:
        """Records one DP-SGD step (InvalidArgument for a non-positive noise multiplier or a
        sampling rate outside (0, 1])."""
        PrivacyMap.subsampled_gaussian(noise_multiplier, sample_rate, 1)  # validates in C++
        if self.history and self.history[-1][:2] == (noise_multiplier, sample_rate):
            nm, q, steps = self.history[-1]
            self.history[-1] = (nm, q, steps + 1)
        else:
            self.history.append((noise_multiplier, sample_rate, 1))

    def get_epsilon(self, delta: float, *args: Any, **kwargs: Any) -> float:
        """Epsilon spent by every recorded step at ``delta`` (0 before the first step)."""
        if not self.history:
            return 0.0
        from dpkit.accounting import composed_epsilon  # not at import: dpkit.accounting imports us

        return composed_epsilon(
            self.privacy_maps(), delta, accountant=self.accountant, epsilon_error=self.epsilon_error
        )

    def __len__(self) -> int:
        """Number of optimizer steps recorded."""
        return sum(int(steps) for _, _, steps in self.history)

    @classmethod
    def mechanism(cls) -> str:
        return cls.MECHANISM

    def get_optimizer_hook_fn(self, sample_rate: float) -> Callable[[Any], None]:
        """The callback Opacus attaches to its DPOptimizer: one step per optimizer step, at the
        optimizer's noise multiplier and ``sample_rate`` times its accumulated iterations."""

        def hook(optimizer: Any) -> None:
            self.step(
                noise_multiplier=optimizer.noise_multiplier,
                sample_rate=sample_rate * optimizer.accumulated_iterations,
            )

        return hook

    def state_dict(self, destination: Optional[dict] = None) -> dict:
        state = OrderedDict() if destination is None else destination
        state["history"] = copy.deepcopy(self.history)
        state["mechanism"] = self.mechanism()
        state["charged_steps"] = self._charged_steps
        return state

    def load_state_dict(self, state_dict: dict) -> None:
        if not state_dict or "history" not in state_dict or "mechanism" not in state_dict:
            raise ValueError("state_dict needs 'history' and 'mechanism' to load an accountant")
        if state_dict["mechanism"] != self.mechanism():
            raise ValueError(
                f"state_dict of {state_dict['mechanism']} cannot be loaded into {self.mechanism()}"
            )
        self.history = [(float(nm), float(q), int(n)) for nm, q, n in state_dict["history"]]
        self._charged_steps = int(state_dict.get("charged_steps", 0))

    # ---- dpkit ----

    def privacy_maps(self, skip_steps: int = 0) -> List[PrivacyMap]:
        """The recorded steps as PrivacyMaps (one per history entry), without the first
        ``skip_steps`` steps."""
        maps = []
        for nm, q, steps in self.history:
            kept = steps - min(skip_steps, steps)
            skip_steps -= steps - kept
            if kept:
                maps.append(PrivacyMap.subsampled_gaussian(float(nm), float(q), int(kept), "opacus dp-sgd"))
        return maps

    def charge(
        self,
        ledger: Any,
        dataset: str,
        *,
        unit: Optional[str] = None,
        operation: str = "opacus DP-SGD training",
        caller: str = "",
    ) -> Any:
        """Charges the steps not charged yet to ``ledger`` (a :class:`dpkit.Ledger`) and returns
        its Receipt. Raises BudgetExhausted (nothing charged: do not publish the model) if the
        budget cannot cover them. DP-SGD protects one example: ``unit=None`` (row level) is right
        unless every privacy unit owns exactly one training example."""
        if self._charged_steps > len(self):
            raise InvalidArgument(
                f"history holds {len(self)} steps but {self._charged_steps} were charged already"
            )
        maps = self.privacy_maps(skip_steps=self._charged_steps)
        if not maps:
            raise InvalidArgument("no uncharged steps to charge")
        receipt = ledger.charge(dataset, maps, unit=unit, operation=operation, caller=caller)
        self._charged_steps = len(self)
        return receipt

    @classmethod
    def register(cls) -> None:
        """Registers this class with Opacus as ``"dpkit"``, so ``PrivacyEngine(accountant="dpkit")``
        and ``make_private_with_epsilon`` use it (imports opacus)."""
        from opacus.accountants.registry import register_accountant

        register_accountant(cls.MECHANISM, cls, force=True)


__all__ = ["OpacusAccountant"]
