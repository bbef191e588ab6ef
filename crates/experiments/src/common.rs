//! What the experiments (and `crates/eval/tests/protocol_real.rs` and
//! `crates/engine/tests/budget_real.rs`, which include this file) share: the real TransferGraph image zoo, read from `$ZOORANK_DATA` (default
//! `../shared/data` beside the workspace), and the published targets.

// The eval tests include this file and use part of it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use zoorank_core::Zoo;
use zoorank_store::{import, ImportOptions, Store};

/// The 8 image targets of the published tables.
pub const PUBLISHED: [&str; 8] = [
    "stanfordcars",
    "svhn",
    "caltech101",
    "pets",
    "cifar100",
    "flowers",
    "smallnorb_label_elevation",
    "dtd",
];

/// `$ZOORANK_DATA`, or `../shared/data` beside the workspace.
pub fn data_dir() -> PathBuf {
    std::env::var_os("ZOORANK_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"))
}

/// An in-memory store holding the image zoo (bad rows skipped, as the README does).
pub fn image_store() -> Result<Store, Box<dyn std::error::Error>> {
    let mut store = Store::open_in_memory()?;
    import::import_transfergraph(
        &mut store,
        &data_dir().join("transfergraph-image"),
        ImportOptions {
            skip_bad_rows: true,
            dry_run: false,
        },
    )?;
    Ok(store)
}

/// The image zoo of [`image_store`].
pub fn image_zoo() -> Result<Zoo, Box<dyn std::error::Error>> {
    Ok(image_store()?.load_zoo()?)
}
