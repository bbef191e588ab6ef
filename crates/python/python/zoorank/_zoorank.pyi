"""Type stubs of the native module (built from crates/python/src by maturin)."""

from os import PathLike
from pathlib import Path
from collections.abc import Sequence
from typing import Any, Optional, Union, final

import numpy as np
import numpy.typing as npt

_Path = Union[str, PathLike[str]]

__version__: str

@final
class ZooHandle:
    @staticmethod
    def open(path: _Path) -> ZooHandle: ...
    @staticmethod
    def create(path: _Path) -> ZooHandle: ...
    @property
    def path(self) -> Path: ...
    @property
    def zoo_version(self) -> str: ...
    def import_dir(
        self, layout: str, dir: _Path, skip_bad_rows: bool = False, dry_run: bool = False
    ) -> dict[str, Any]: ...
    def import_records(
        self,
        path: _Path,
        model: str,
        dataset: str,
        accuracy: str,
        lr: Optional[str] = None,
        epochs: Optional[str] = None,
        batch_size: Optional[str] = None,
        runtime: Optional[str] = None,
        peft: Optional[str] = None,
        seed: Optional[str] = None,
        curve: Optional[str] = None,
        modality: Optional[str] = None,
        delimiter: str = ",",
        keep_last: bool = False,
        skip_bad_rows: bool = False,
        dry_run: bool = False,
        display_name: Optional[str] = None,
    ) -> dict[str, Any]: ...
    def stats(self) -> dict[str, Any]: ...
    def recommend(
        self,
        target: str,
        method: Optional[str] = None,
        top: Optional[int] = None,
        seed: int = 0,
        explain: bool = False,
        observed: list[tuple[str, float]] = ...,
        coverage: Optional[float] = ...,
        observed_probes: list[tuple[str, float]] = ...,
    ) -> dict[str, Any]: ...
    def next(
        self,
        target: str,
        budget: int = 3,
        strategy: Optional[str] = None,
        method: Optional[str] = None,
        seed: int = 0,
        observed: list[tuple[str, float]] = ...,
        observed_probes: list[tuple[str, float]] = ...,
        exclude: list[str] = ...,
    ) -> dict[str, Any]: ...
    def evaluate(
        self,
        methods: Optional[list[str]] = None,
        targets: Optional[list[str]] = None,
        include_peft: bool = False,
        seed: int = 0,
        threads: Optional[int] = None,
        model_ratios: list[float] = ...,
        ratio_subsets: int = 3,
    ) -> dict[str, Any]: ...

def score_arrays(
    features: Optional[npt.NDArray[Any]],
    labels: npt.NDArray[np.int64],
    methods: Sequence[str],
    source_probs: Optional[npt.NDArray[Any]] = None,
    logme_published: bool = False,
) -> list[tuple[str, float, float]]: ...
def reads_in_place(features: npt.NDArray[Any], method: str | None = None) -> bool: ...
def score_methods() -> list[str]: ...
def embed(
    model_dir: _Path, inputs: Sequence[str], batch_size: int = 32
) -> npt.NDArray[np.float32]: ...
def score_models(
    model_dirs: Sequence[_Path],
    dataset: _Path,
    methods: Sequence[str],
    zoo: Optional[ZooHandle] = None,
    batch_size: int = 32,
    max_samples: Optional[int] = None,
    seed: int = 0,
    label_column: str = ...,
    text_column: Optional[str] = None,
    progress: Optional[bool] = None,
) -> list[dict[str, Any]]: ...
