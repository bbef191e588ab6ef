//! Helpers shared by the CLI test binaries (each `tests/*.rs` includes this module with
//! `mod common;` and uses the parts it needs).
#![allow(dead_code, unused_imports)]

use assert_cmd::Command;
use std::path::{Path, PathBuf};

#[path = "../../../features/tests/common/test_data.rs"]
mod test_data;
pub use test_data::{copy_dir, minilm_dir, temp_file, write_file};

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

/// A zoo directory `dir/zoo` of the features crate's fixture models, each `(fixture, name)`
/// copied to `zoo/<name>`; its path.
pub fn fixture_zoo(dir: &Path, models: &[(&str, &str)]) -> PathBuf {
    let zoo = dir.join("zoo");
    for (fixture, name) in models {
        copy_dir(&fixtures().join(fixture), &zoo.join(name));
    }
    zoo
}

/// Copies the `digits` fixture's `classes` (one folder of PNGs each) into `dst/<class>`: a
/// small labelled image dataset.
pub fn copy_digit_classes(classes: impl IntoIterator<Item = usize>, dst: &Path) {
    for c in classes {
        copy_dir(
            &fixtures().join("digits").join(c.to_string()),
            &dst.join(c.to_string()),
        );
    }
}

/// A new temporary directory (removed when dropped) and the path of a store `zoo.db` in it,
/// not yet created.
pub fn temp_store() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("zoo.db");
    (tmp, db)
}

/// The `zoorank` binary on the store `db` (never the caller's `$ZOORANK_DB`).
pub fn zoorank(db: &Path) -> Command {
    let mut c = Command::cargo_bin("zoorank").unwrap();
    c.arg("--db").arg(db).env_remove("ZOORANK_DB");
    c
}

/// Imports the published `two-phase` data into the store `db`; the import must succeed.
pub fn import_two_phase(db: &Path) {
    zoorank(db)
        .args(["import", "two-phase"])
        .arg(data_dir().join("two-phase"))
        .assert()
        .success();
}

/// Imports the published TransferGraph image zoo into the store `db` (its two bad rows
/// skipped); the import must succeed.
pub fn import_image_zoo(db: &Path) {
    zoorank(db)
        .args(["import", "transfergraph", "--skip-bad-rows"])
        .arg(data_dir().join("transfergraph-image"))
        .assert()
        .success();
}

/// `zoorank score-zoo --models <zoo> --dataset <dataset> --methods <methods>` on the store
/// `db`, for the caller to add flags to and run.
pub fn score_zoo(db: &Path, zoo: &Path, dataset: &Path, methods: &str) -> Command {
    let mut c = zoorank(db);
    c.args(["score-zoo", "--methods", methods, "--models"])
        .arg(zoo)
        .arg("--dataset")
        .arg(dataset);
    c
}

/// Runs `c`, asserts that it exits with `code` and returns its standard error.
pub fn stderr_of_failure(c: &mut Command, code: i32) -> String {
    let out = c.output().unwrap();
    assert_eq!(out.status.code(), Some(code), "{c:?}");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Runs `c` and asserts success (showing its standard error if not); returns its output.
pub fn succeeds(c: &mut Command) -> std::process::Output {
    let out = c.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Runs `c`, asserts success and parses its standard output as JSON.
pub fn json(c: &mut Command) -> serde_json::Value {
    serde_json::from_slice(&succeeds(c).stdout).unwrap()
}
