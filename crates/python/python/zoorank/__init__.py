"""zoorank: which pre-trained models to fine-tune on your data, and how well they will do.

A zoo is a SQLite file of models, datasets, fine-tuning records, transferability scores and
dataset distances. ``Zoo`` opens one, imports into it, and ranks its models for a target
dataset by predicted fine-tuning accuracy; ``score``/``score_all`` compute transferability
scores (LogME, H-Score, LEEP, ...) on numpy arrays; ``embed`` and ``score_models`` run local
Hugging Face model directories on the CPU.

>>> import zoorank
>>> zoo = zoorank.Zoo.create("zoo.db")
>>> zoo.import_transfergraph("../shared/data/transfergraph-image", skip_bad_rows=True)
>>> rec = zoo.recommend("dtd", top=5)
>>> [m["model"] for m in rec.models]

Errors are ``ZooError`` subclasses: ``ZooValueError`` (also a ``ValueError``) for bad
input and ``ZooFileNotFoundError`` (also a ``FileNotFoundError``) for missing files, with
the messages the ``zoorank`` command prints. Every call releases the GIL while it computes.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Mapping, Optional, Union

import numpy as np

from . import _zoorank
from ._errors import ZooError, ZooFileNotFoundError, ZooValueError

if TYPE_CHECKING:
    import pandas  # type: ignore[import-untyped, unused-ignore]

__all__ = [
    "EvalReport",
    "ModelScores",
    "Recommendation",
    "Zoo",
    "ZooError",
    "ZooFileNotFoundError",
    "ZooValueError",
    "embed",
    "reads_in_place",
    "score",
    "score_all",
    "score_methods",
    "score_models",
]

__version__: str = _zoorank.__version__

PathLike = Union[str, "os.PathLike[str]"]


def _pandas() -> Any:
    try:
        import pandas
    except ImportError as e:  # pragma: no cover - exercised only without pandas
        raise ImportError(
            "to_pandas() needs pandas, which is optional: pip install pandas"
        ) from e
    return pandas


class Recommendation:
    """Every candidate model of the zoo ranked for a target, best first, and why.

    ``data`` is the engine's recommendation exactly as ``zoorank recommend --json`` prints
    it; the properties below read it.
    """

    def __init__(self, data: dict[str, Any], zoo: Optional[Zoo] = None, request: Optional[dict[str, Any]] = None) -> None:
        self.data = data
        self._zoo = zoo
        self._request = request or {}
        self._explained: Optional[dict[str, Any]] = None

    @property
    def target(self) -> str:
        """The target dataset."""
        return str(self.data["target"])

    @property
    def method(self) -> str:
        """The ranking method's id."""
        return str(self.data["method"])

    @property
    def candidates(self) -> int:
        """How many models were ranked (``models`` holds the top ones)."""
        return int(self.data["candidates"])

    @property
    def zoo_version(self) -> str:
        """Content version of the zoo the ranking was computed from."""
        return str(self.data["zoo_version"])

    @property
    def models(self) -> list[dict[str, Any]]:
        """The ranked models, best first: ``rank``, ``model``, ``score``,
        ``predicted_accuracy``, ``recorded_accuracy`` (the target's own record, hidden from
        the method), ``nearest_records``, ``scores`` and whatever else the engine reports."""
        return list(self.data["models"])

    @property
    def evidence(self) -> list[str]:
        """What the ranking drew on, one line each."""
        return list(self.data["evidence_used"])

    @property
    def warnings(self) -> list[str]:
        """Problems that did not spoil the ranking."""
        return list(self.data.get("warnings", []))

    def explain(self, model: str) -> dict[str, Any]:
        """Why ``model`` ranks where it does: the paths target —similarity— dataset
        —accuracy— model through the target's neighbours, its source dataset, its popularity
        and trend. Computed on first use when the recommendation was made without
        ``explain=True``."""
        entry = self._entry(model, self.data)
        if "explain" in entry:
            return dict(entry["explain"])
        if self._explained is None:
            if self._zoo is None:
                raise ZooValueError("this recommendation holds no explanations and no zoo to compute them")
            explained = self._zoo._handle.recommend(**{**self._request, "explain": True})
            if explained["zoo_version"] != self.zoo_version:
                raise ZooValueError(
                    "the zoo changed since this recommendation was made: recommend again (explain=True)"
                )
            self._explained = explained
        return dict(self._entry(model, self._explained)["explain"])

    def _entry(self, model: str, data: dict[str, Any]) -> dict[str, Any]:
        for m in data["models"]:
            if m["model"] == model:
                return dict(m)
        raise ZooValueError(
            f"model '{model}' is not among the {len(data['models'])} models of this recommendation for '{self.target}'"
        )

    def to_pandas(self) -> pandas.DataFrame:
        """One row per model, in rank order; every field the engine reports is a column
        (nested ones as Python objects)."""
        return _pandas().DataFrame(self.models)

    def __len__(self) -> int:
        return len(self.data["models"])

    def __repr__(self) -> str:
        top = ", ".join(m["model"] for m in self.data["models"][:3])
        return f"<Recommendation for '{self.target}' by {self.method}: {len(self)} of {self.candidates} models ({top}, ...)>"


class EvalReport:
    """The leave-one-dataset-out evaluation, as ``zoorank eval --json`` prints it (``data``)."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    @property
    def methods(self) -> dict[str, Any]:
        """Per method id: ``per_target`` metrics, ``weighted_average``, ``seconds_per_target``."""
        return dict(self.data["methods"])

    @property
    def targets(self) -> dict[str, Any]:
        """Per target: models, weight, best accuracy, coverage."""
        return dict(self.data["targets"])

    def weighted_average(self, method: str) -> dict[str, float]:
        """The weighted average of each metric for ``method``."""
        if method not in self.data["methods"]:
            raise ZooValueError(f"method '{method}' was not evaluated (evaluated: {', '.join(self.data['methods'])})")
        return dict(self.data["methods"][method]["weighted_average"])

    def to_pandas(self, averages: bool = False) -> pandas.DataFrame:
        """One row per (method, target) with a column per metric and ``seconds``; with
        ``averages=True`` one row per method with its weighted averages."""
        pd = _pandas()
        rows: list[dict[str, Any]] = []
        for method, rep in self.data["methods"].items():
            if averages:
                rows.append({"method": method, **rep["weighted_average"]})
                continue
            for target, metrics in rep["per_target"].items():
                seconds = rep.get("seconds_per_target", {}).get(target)
                rows.append({"method": method, "target": target, **metrics, "seconds": seconds})
        return pd.DataFrame(rows)

    def __repr__(self) -> str:
        return f"<EvalReport: {len(self.data['methods'])} method(s) on {len(self.data['targets'])} target(s)>"


class ModelScores(list):  # type: ignore[type-arg]
    """``score_models``' result: one dict per model (``model``, ``path``, ``scores`` by
    method, ``notes``, ``samples``, ``feature_dim``, ``cache``, ``seconds``), best first by
    the first method."""

    def to_pandas(self) -> pandas.DataFrame:
        """One row per model; a column per method's score, plus ``samples``,
        ``feature_dim``, ``seconds`` and a ``note`` column."""
        rows = []
        for line in self:
            row: dict[str, Any] = {"model": line["model"]}
            row.update(line["scores"])
            row.update({k: line[k] for k in ("samples", "feature_dim", "cache", "seconds")})
            row["note"] = "; ".join(f"{k}: {v}" for k, v in line["notes"].items()) or None
            rows.append(row)
        return _pandas().DataFrame(rows)


def _is_dataframe(obj: object) -> bool:
    return hasattr(obj, "to_csv") and hasattr(obj, "columns")


class Zoo:
    """A zoo store (SQLite file) and the engine over it."""

    def __init__(self, handle: _zoorank.ZooHandle) -> None:
        self._handle = handle

    @classmethod
    def open(cls, path: PathLike) -> Zoo:
        """Opens the existing store at ``path``; ``ZooFileNotFoundError`` when there is none."""
        return cls(_zoorank.ZooHandle.open(os.fspath(path)))

    @classmethod
    def create(cls, path: PathLike) -> Zoo:
        """Opens the store at ``path``, creating an empty one when there is none."""
        return cls(_zoorank.ZooHandle.create(os.fspath(path)))

    @property
    def path(self) -> str:
        """The store's path."""
        return str(self._handle.path)

    @property
    def zoo_version(self) -> str:
        """Content version of the zoo: equal for equal content, changed by every import
        that changes something."""
        return self._handle.zoo_version

    def import_transfergraph(self, dir: PathLike, skip_bad_rows: bool = False, dry_run: bool = False) -> dict[str, Any]:
        """Imports a TransferGraph directory (``records.csv``, ``model_config_dataset.csv``,
        ...) in one transaction; returns the import report. Any bad row refuses the whole
        import (``ZooValueError`` naming each one) unless ``skip_bad_rows``."""
        return self._handle.import_dir("transfergraph", os.fspath(dir), skip_bad_rows, dry_run)

    def import_two_phase(self, dir: PathLike, skip_bad_rows: bool = False, dry_run: bool = False) -> dict[str, Any]:
        """Imports the two-phase benchmark's performance matrices and LEEP tables."""
        return self._handle.import_dir("two-phase", os.fspath(dir), skip_bad_rows, dry_run)

    def import_records(
        self,
        path_or_dataframe: Any,
        model: str = "model",
        dataset: str = "dataset",
        accuracy: str = "accuracy",
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
    ) -> dict[str, Any]:
        """Imports fine-tuning results from a CSV file or a pandas DataFrame; the arguments
        name the columns (only model, dataset and accuracy are required). A DataFrame is
        written to a temporary CSV first, so errors cite its rows as CSV lines (line 1 is the
        header, the first row is line 2)."""
        kw = dict(
            model=model, dataset=dataset, accuracy=accuracy, lr=lr, epochs=epochs,
            batch_size=batch_size, runtime=runtime, peft=peft, seed=seed, curve=curve,
            modality=modality, keep_last=keep_last, skip_bad_rows=skip_bad_rows, dry_run=dry_run,
        )
        if _is_dataframe(path_or_dataframe):
            with tempfile.TemporaryDirectory(prefix="zoorank-") as tmp:
                csv = os.path.join(tmp, "dataframe.csv")
                path_or_dataframe.to_csv(csv, index=False)
                try:
                    return self._handle.import_records(csv, delimiter=",", display_name="<DataFrame>", **kw)  # type: ignore[arg-type]
                except ZooError as e:
                    # Name the frame, not the temporary file.
                    raise type(e)(str(e).replace(csv, "<DataFrame>")) from None
        return self._handle.import_records(os.fspath(path_or_dataframe), delimiter=delimiter, **kw)  # type: ignore[arg-type]

    def stats(self) -> dict[str, Any]:
        """Counts per table and modality, as ``zoorank zoo stats --json`` prints them."""
        return self._handle.stats()

    def recommend(
        self,
        target: str,
        method: Optional[str] = None,
        top: Optional[int] = None,
        seed: int = 0,
        explain: bool = False,
        observed: Optional[Mapping[str, float]] = None,
        coverage: Optional[float] = 0.8,
        observed_probes: Optional[Mapping[str, float]] = None,
    ) -> Recommendation:
        """Ranks every candidate model for the dataset ``target`` by predicted fine-tuning
        accuracy (``method``: a method id such as ``"trend+lr"``, the default, or
        ``"guard+trend+lr+node2vec"``; ``top``: keep the best ``top``). The target's own
        records are hidden from the method and shown beside its prediction. ``observed``
        maps models already fine-tuned on the target to their accuracy: they keep it and the
        rest of the ranking moves with them. ``observed_probes`` maps models linear-probed on
        the target to their probe accuracy: they move the ranking of the others but not the
        level, and a probed model keeps a predicted fine-tuning accuracy (its probe value is
        shown as ``probe_accuracy``). ``coverage``: of the intervals
        ``predicted_low``..``predicted_high`` (``None``: no intervals, faster). The values
        are those of ``zoorank recommend --json``."""
        runs = [(str(m), float(a)) for m, a in (observed or {}).items()]
        probes = [(str(m), float(a)) for m, a in (observed_probes or {}).items()]
        request = dict(
            target=target, method=method, top=top, seed=seed, observed=runs, coverage=coverage, observed_probes=probes
        )
        data = self._handle.recommend(target, method, top, seed, explain, runs, coverage, probes)
        return Recommendation(data, zoo=self, request=request)

    def next(
        self,
        target: str,
        budget: int = 3,
        strategy: Optional[str] = None,
        method: Optional[str] = None,
        seed: int = 0,
        observed: Optional[Mapping[str, float]] = None,
        observed_probes: Optional[Mapping[str, float]] = None,
        exclude: Sequence[str] = (),
    ) -> dict[str, Any]:
        """Which ``budget`` models to fine-tune next on ``target``, in order, and why: runs
        likely to be good that also tell the most about the rest (``strategy``: ``"explore"``,
        the default, ``"top"``, ``"clusters"`` or ``"survey"``, which spreads its runs over the
        ranking for the most accurate predictions of the rest rather than the best run; after
        the first pick, each proposes first the
        models whose name or source dataset says they were already fine-tuned on ``target``).
        ``observed`` / ``observed_probes``: runs
        already made, as in :meth:`recommend`; ``exclude``: models not to propose (the
        strategies count them as runs made: e.g. probes already run). Each pick
        assumes the earlier ones came out as predicted; after running them, pass their results
        as ``observed`` and ask again. The value is what ``zoorank next --json`` prints."""
        runs = [(str(m), float(a)) for m, a in (observed or {}).items()]
        probes = [(str(m), float(a)) for m, a in (observed_probes or {}).items()]
        plan: dict[str, Any] = self._handle.next(
            target, budget, strategy, method, seed, runs, probes, [str(m) for m in exclude]
        )
        return plan

    def evaluate(
        self,
        methods: Optional[Sequence[str]] = None,
        targets: Optional[Sequence[str]] = None,
        include_peft: bool = False,
        seed: int = 0,
        threads: Optional[int] = None,
        model_ratios: Sequence[float] = (),
        ratio_subsets: int = 3,
    ) -> EvalReport:
        """Leave-one-dataset-out evaluation of ranking methods (default: those ``zoorank
        eval`` runs) on the targets (default: every dataset with records of two models)."""
        data = self._handle.evaluate(
            None if methods is None else _strings(methods, "methods"),
            None if targets is None else _strings(targets, "targets"),
            include_peft,
            seed,
            threads,
            [float(r) for r in model_ratios],
            ratio_subsets,
        )
        return EvalReport(data)

    def __repr__(self) -> str:
        return repr(self._handle)


def _strings(values: Union[str, Iterable[Any]], what: str) -> list[str]:
    if isinstance(values, str):
        raise ZooValueError(f"{what} must be a list of strings, not one string ({values!r}); write [{values!r}]")
    return [os.fspath(v) if isinstance(v, os.PathLike) else str(v) for v in values]


_FLOATS = (np.dtype(np.float64), np.dtype(np.float32))


def _matrix(x: Any, what: str) -> Optional[np.ndarray]:
    """A float32/float64 array as is (read without copying where the layout allows); other
    numeric arrays and nested lists as float64."""
    if x is None:
        return None
    if isinstance(x, np.ndarray) and x.dtype in _FLOATS:
        return x
    arr = np.asarray(x)
    if arr.dtype.kind not in "biuf":
        raise ZooValueError(f"{what} must hold numbers, got dtype {arr.dtype}")
    return arr.astype(np.float64)


def _labels(labels: Any) -> np.ndarray:
    y = np.asarray(labels)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ZooValueError(f"labels must be 1-D (n_samples,), got shape {y.shape}")
    if y.dtype == np.int64:
        return y
    if y.dtype.kind in "bi":
        return y.astype(np.int64)
    if y.dtype.kind == "u":
        if y.size and int(y.max()) > np.iinfo(np.int64).max:
            i = int(np.argmax(y))
            raise ZooValueError(f"labels: value {y[i]} at index {i} does not fit in a signed 64-bit integer")
        return y.astype(np.int64)
    if y.dtype.kind == "f":
        bad = np.flatnonzero(~np.isfinite(y) | (y != np.round(y)))
        if bad.size:
            i = int(bad[0])
            raise ZooValueError(f"labels: label {y[i]} at index {i} is not an integer")
        return y.astype(np.int64)
    raise ZooValueError(f"labels must be integers, got dtype {y.dtype}")


def score(
    features: Any,
    labels: Any,
    method: str = "logme",
    source_probs: Any = None,
    logme_published: bool = False,
) -> float:
    """One transferability score of a model on a labelled target (higher = expected to
    transfer better).

    ``features``: the model's features on the target, ``(n_samples, n_features)``;
    ``labels``: ``(n_samples,)`` integers; ``source_probs``: the model's source-class
    probabilities ``(n_samples, n_source_classes)`` (LEEP and NCE read only these; pass
    ``features=None``). float64 C-contiguous arrays are read in place; so are float32,
    Fortran-order and strided arrays by LogME (a block of rows at a time); the other methods
    convert those once, with the GIL released. ``method``: one of
    ``score_methods()`` (case and hyphens optional). NaN, empty or mismatched inputs raise
    ``ZooValueError`` naming the row and column.
    """
    out = _zoorank.score_arrays(
        _matrix(features, "features"), _labels(labels), [method], _matrix(source_probs, "source_probs"), logme_published
    )
    return out[0][1]


def score_all(
    features: Any,
    labels: Any,
    methods: Optional[Sequence[str]] = None,
    source_probs: Any = None,
    logme_published: bool = False,
) -> dict[str, float]:
    """Several scores on the same arrays, by method id (default: every method whose input
    is given, as ``zoorank score --method all``). See ``score``."""
    ms = ["all"] if methods is None else _strings(methods, "methods")
    out = _zoorank.score_arrays(
        _matrix(features, "features"), _labels(labels), ms, _matrix(source_probs, "source_probs"), logme_published
    )
    return {m: v for m, v, _ in out}


def score_methods() -> list[str]:
    """The ids of every transferability score."""
    return _zoorank.score_methods()


def reads_in_place(features: Any, method: Optional[str] = None) -> bool:
    """Whether ``score`` reads ``features`` without a float64 copy: by every method (a
    C-contiguous float64 array) or, given ``method``, by that method (LogME reads float32,
    Fortran-order and strided arrays in place too, a block of rows at a time)."""
    x = _matrix(features, "features")
    if x is None:
        raise ZooValueError("features is None")
    return _zoorank.reads_in_place(x, method)


def embed(model_dir: PathLike, texts_or_image_paths: Iterable[Any], batch_size: int = 32) -> np.ndarray:
    """Features ``(n, dim)`` (float32) of texts (for a text model) or image files (for an
    image model) by the Hugging Face model directory ``model_dir`` (BERT, DistilBERT,
    RoBERTa, ViT, ResNet, ConvNeXt), on the CPU."""
    inputs = _strings(texts_or_image_paths, "texts_or_image_paths")
    return _zoorank.embed(os.fspath(model_dir), inputs, batch_size)


def score_models(
    model_dirs: Union[PathLike, Iterable[PathLike]],
    dataset: PathLike,
    methods: Sequence[str] = ("logme",),
    zoo: Optional[Zoo] = None,
    batch_size: int = 32,
    max_samples: Optional[int] = None,
    seed: int = 0,
    label_column: str = "label",
    text_column: Optional[str] = None,
    progress: Optional[bool] = None,
) -> ModelScores:
    """Ranks candidate models on a labelled dataset in one call: runs each model directory
    over ``dataset`` (class folders of images, a .csv/.tsv/.jsonl of texts with a label
    column, or .npy/.npz arrays) and scores its features with ``methods``; best first by the
    first method.

    ``model_dirs``: model directories, or a directory of them. Models that cannot read the
    dataset (an image model on texts) are kept, without scores, with a note. ``zoo``: cache
    the features in that zoo's store, so a second call runs no forward pass. ``progress``: a
    progress bar on stderr (default: when stderr is a terminal).
    """
    if isinstance(model_dirs, (str, os.PathLike)):
        dirs = [os.fspath(model_dirs)]
    else:
        dirs = _strings(model_dirs, "model_dirs")
    lines = _zoorank.score_models(
        dirs,
        os.fspath(dataset),
        _strings(methods, "methods"),
        None if zoo is None else zoo._handle,
        batch_size,
        max_samples,
        seed,
        label_column,
        text_column,
        progress,
    )
    return ModelScores(lines)
