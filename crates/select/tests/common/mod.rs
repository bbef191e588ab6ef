//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

/// The shared data directory: `$ZOORANK_DATA`, else `../shared/data` next to the workspace.
pub fn data_dir() -> PathBuf {
    std::env::var_os("ZOORANK_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data")))
}

/// The two-phase directory.
pub fn two_phase_dir() -> PathBuf {
    data_dir().join("two-phase")
}

/// A file under tests/reference.
pub fn reference(name: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/reference")).join(name)
}
