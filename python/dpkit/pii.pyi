# Type stub of dpkit.pii (data-owner tools, NOT differentially private).
import os
from typing import List, Optional, Union

import pandas

NOT_DP: str

class ScanReport:
    """A PII scan of the real data (NOT DP)."""

    dp: bool
    note: str
    @property
    def privacy_unit(self) -> Optional[str]: ...
    @property
    def columns(self) -> pandas.DataFrame: ...
    @property
    def text(self) -> str: ...
    def to_dict(self) -> dict: ...
    def to_json(self) -> str: ...

class Replaced:
    """A de-identified table (NOT DP)."""

    dp: bool
    note: str
    data: pandas.DataFrame
    privacy_unit: Optional[str]
    actions: List[dict]
    def to_dict(self) -> dict: ...

def scan(data: object, *, sample: int = 2000) -> ScanReport: ...
def replace(
    data: object,
    policy: Union[dict, str, os.PathLike, None] = None,
    key: Union[bytes, str, None] = None,
    *,
    key_file: Union[str, os.PathLike, None] = None,
    output: str = "pandas",
    generator: object = None,
) -> Replaced: ...
def keygen() -> str: ...
def generate_customers(rows: int = 10000, *, seed: int = ..., output: str = "pandas") -> pandas.DataFrame: ...
def customers_schema() -> dict: ...
