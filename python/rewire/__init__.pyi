# Type stub of the package rewire: the compiled names and the Python ones.
from os import PathLike
from typing import Any, Callable, Optional, Union

import pandas

from ._rewire import *  # noqa: F401,F403
from ._rewire import __version__ as __version__

class StudyResult:
    summary: dict[str, Any]
    seeds: list[dict[str, Any]]
    config_toml: str
    config_hash: str
    computed: int
    reused: int
    out: Optional[str]
    def results_csv(self) -> str: ...
    def to_dataframe(self) -> pandas.DataFrame: ...

def run_study(config: Union[None, str, PathLike[str], dict[str, Any]] = None, seeds: int = 10, first_seed: int = 0,
              threads: Optional[int] = None, epoch_scale: float = 1.0, out: Union[None, str, PathLike[str]] = None,
              progress: Union[bool, Callable[[str, str], None]] = True, report: bool = True) -> StudyResult: ...
