# Type stub of dpkit.report (evaluation of synthetic data, NOT differentially private).
import os
from typing import List, Optional, Sequence, Union

NOT_DP: str

class Evaluation:
    """Fidelity, utility and privacy-risk metrics (NOT DP)."""

    dp: bool
    note: str
    metrics: dict
    @property
    def verdicts(self) -> List[dict]: ...
    def to_html(self, path: Union[str, os.PathLike, None] = None) -> str: ...
    def to_json(self, path: Union[str, os.PathLike, None] = None) -> str: ...

def evaluate(
    real: object,
    synthetic: object,
    holdout: object = None,
    *,
    target: Optional[str] = None,
    sensitive: Optional[str] = None,
    quasi_identifiers: Sequence[str] = (),
    identifiers: Sequence[str] = (),
    categorical: Sequence[str] = (),
    numeric: Sequence[str] = (),
    pii_detection: bool = True,
    kmarginal_k: int = 3,
    kmarginal_max: int = 300,
    privacy_sample: int = 500,
    privacy: object = None,
    generator: object = None,
) -> Evaluation: ...
