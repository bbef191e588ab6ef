//! Helpers shared by the CLI test binaries (each `tests/*.rs` includes this module with
//! `mod common;` and uses the parts it needs).
#![allow(dead_code)]

use assert_cmd::Command;
use std::path::{Path, PathBuf};

/// The published zoo data: `$ZOORANK_DATA`, default `../shared/data` beside the workspace.
pub fn data_dir() -> PathBuf {
    std::env::var_os("ZOORANK_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"))
}

/// The features crate's fixtures (tiny checkpoints, `digits` PNGs).
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../features/tests/fixtures")
}

/// The `zoorank` binary on the store `db` (never the caller's `$ZOORANK_DB`).
pub fn zoorank(db: &Path) -> Command {
    let mut c = Command::cargo_bin("zoorank").unwrap();
    c.arg("--db").arg(db).env_remove("ZOORANK_DB");
    c
}

/// Runs `c`, asserts success and parses its standard output as JSON.
pub fn json(c: &mut Command) -> serde_json::Value {
    let out = c.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Copies the directory tree `src` to `dst`.
pub fn copy_dir(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).unwrap();
    for e in std::fs::read_dir(src).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            copy_dir(&p, &dst.join(p.file_name().unwrap()));
        } else {
            std::fs::copy(&p, dst.join(p.file_name().unwrap())).unwrap();
        }
    }
}
