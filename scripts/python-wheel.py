#!/usr/bin/env python3
"""Packs the zoorank Python package into a wheel from an extension module cargo has built.

Usage: scripts/python-wheel.py --lib target/release/deps/lib_zoorank.so [--out target/wheels]

Why not maturin here: `cargo test --release --workspace` (scripts/test.sh) already compiles
the extension module (`crates/python`, for its doc-tests) with the features the whole
workspace unifies to. `maturin build` compiles the crate on its own, where cargo unifies
features over that crate alone: on this workspace that changes the features of tempfile,
rustix and rand, and with them rebuilds candle and every crate above it, minutes on two
cores. This script only zips what is built: the module, the Python files of
crates/python/python/zoorank, and metadata from crates/python/pyproject.toml, as a
`cp39-abi3-<platform>` wheel (the module uses CPython's stable ABI, Python >= 3.9).

`pip install ./crates/python` (maturin, through pyproject.toml) remains the way to build and
install the package anywhere else; both give the same files.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import re
import sys
import sysconfig
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PKG = ROOT / "crates" / "python"


def workspace_version() -> str:
    text = (ROOT / "Cargo.toml").read_text()
    m = re.search(r'\[workspace\.package\][^\[]*?\bversion\s*=\s*"([^"]+)"', text, re.S)
    if not m:
        sys.exit("error: no [workspace.package] version in Cargo.toml")
    return m.group(1)


def metadata(version: str) -> str:
    import tomllib

    project = tomllib.loads((PKG / "pyproject.toml").read_text())["project"]
    lines = [
        "Metadata-Version: 2.1",
        f"Name: {project['name']}",
        f"Version: {version}",
        f"Summary: {project['description']}",
        f"License: {project['license']['text']}",
        f"Requires-Python: {project['requires-python']}",
    ]
    lines += [f"Classifier: {c}" for c in project.get("classifiers", [])]
    lines += [f"Requires-Dist: {d}" for d in project.get("dependencies", [])]
    for extra, deps in project.get("optional-dependencies", {}).items():
        lines.append(f"Provides-Extra: {extra}")
        lines += [f"Requires-Dist: {d}; extra == \"{extra}\"" for d in deps]
    return "\n".join(lines) + "\n"


def record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lib", type=Path, required=True, help="the built module (lib_zoorank.so)")
    ap.add_argument("--out", type=Path, default=ROOT / "target" / "wheels")
    a = ap.parse_args()
    if not a.lib.is_file():
        sys.exit(f"error: {a.lib} not found: build it first (cargo test --release --workspace, or "
                 "cargo build --release -p zoorank-python)")
    version = workspace_version()
    platform = sysconfig.get_platform().replace("-", "_").replace(".", "_")
    tag = f"cp39-abi3-{platform}"
    dist = f"zoorank-{version}.dist-info"
    files: list[tuple[str, bytes]] = []
    src = PKG / "python" / "zoorank"
    for f in sorted(src.iterdir()):
        if f.suffix in (".py", ".pyi") or f.name == "py.typed":
            files.append((f"zoorank/{f.name}", f.read_bytes()))
    files.append(("zoorank/_zoorank.abi3.so", a.lib.read_bytes()))
    files.append((f"{dist}/METADATA", metadata(version).encode()))
    wheel = f"Wheel-Version: 1.0\nGenerator: scripts/python-wheel.py\nRoot-Is-Purelib: false\nTag: {tag}\n"
    files.append((f"{dist}/WHEEL", wheel.encode()))
    record = "\n".join([record_line(n, d) for n, d in files] + [f"{dist}/RECORD,,"]) + "\n"
    files.append((f"{dist}/RECORD", record.encode()))
    a.out.mkdir(parents=True, exist_ok=True)
    out = a.out / f"zoorank-{version}-{tag}.whl"
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for name, data in files:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = (0o755 if name.endswith(".so") else 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data)
    print(out)


if __name__ == "__main__":
    main()
