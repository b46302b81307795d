# Type stub of dpkit.pipeline (dpkit pipeline from Python).
import os
from typing import Any, Callable, List, Optional, Tuple, Union

from dpkit.synth import ReleasePlan

OPTION_NAMES: Tuple[str, ...]

class PipelineResult:
    synthetic_csv: str
    privacy_json: str
    summary_json: str
    ledger: str
    owner_dir: str
    clean_csv: str
    pii_json: str
    report_html: str
    report_json: str
    plan: ReleasePlan
    privacy_unit: str
    synthetic_rows: int
    epsilon_charged: float
    delta_charged: float
    epsilon_remaining: float
    synthesized_columns: List[str]
    faked_columns: List[str]
    dropped_columns: List[str]
    notes: List[str]

def run(
    data: object,
    out: Union[str, os.PathLike],
    *,
    config: Union[str, os.PathLike, None] = None,
    schema: Union[dict, str, os.PathLike, None] = None,
    policy: Union[dict, str, os.PathLike, None] = None,
    ledger: object = None,
    noise: object = None,
    generator: object = None,
    progress: Optional[Callable[[str], None]] = None,
    **options: Any,
) -> PipelineResult: ...
