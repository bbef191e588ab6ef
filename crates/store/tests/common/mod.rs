//! Helpers shared by the store's test binaries (each includes this module with `mod common;`).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use zoorank_store::{import, ImportOptions, Store};

/// The published zoo data: `$ZOORANK_DATA`, default `../shared/data` beside the workspace.
pub fn data_dir() -> PathBuf {
    std::env::var_os("ZOORANK_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"))
}

/// Any bad row refuses the import.
pub const STRICT: ImportOptions = ImportOptions {
    skip_bad_rows: false,
    dry_run: false,
};

/// Bad rows are skipped and reported.
pub const LENIENT: ImportOptions = ImportOptions {
    skip_bad_rows: true,
    dry_run: false,
};

/// Copies the files (not sub-directories) of `from` into `to`.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        if p.is_file() {
            std::fs::copy(&p, to.join(p.file_name().unwrap())).unwrap();
        }
    }
}

/// A copy of the published TransferGraph image zoo in `tmp/zoo`, for a test to spoil.
pub fn transfergraph_copy(tmp: &Path) -> PathBuf {
    let dir = tmp.join("zoo");
    copy_dir(&data_dir().join("transfergraph-image"), &dir);
    dir
}

/// [`transfergraph_copy`] with the text of its file `name` rewritten by `edit`.
pub fn transfergraph_edited(
    tmp: &Path,
    name: &str,
    edit: impl FnOnce(String) -> String,
) -> PathBuf {
    let dir = transfergraph_copy(tmp);
    let path = dir.join(name);
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, edit(text)).unwrap();
    dir
}

/// Imports the published TransferGraph image zoo into `store` with `opts`.
pub fn import_image_zoo(
    store: &mut Store,
    opts: ImportOptions,
) -> Result<import::ImportReport, zoorank_store::ImportError> {
    import::import_transfergraph(store, &data_dir().join("transfergraph-image"), opts)
}

/// The error of importing the TransferGraph zoo `dir` into `store` with `opts`, which must
/// fail, as text.
pub fn transfergraph_refusal(store: &mut Store, dir: &Path, opts: ImportOptions) -> String {
    import::import_transfergraph(store, dir, opts)
        .unwrap_err()
        .to_string()
}

/// Asserts that `text` contains `part`, showing `text` when it does not.
#[track_caller]
pub fn assert_contains(text: &str, part: &str) {
    assert!(text.contains(part), "{text}");
}

#[allow(unused_imports)]
pub use zoorank_store::testing::PgDb;

/// Runs `f` with the location of a fresh store on each backend (see
/// [`zoorank_store::testing::each_location`]).
pub fn each_location(f: impl FnMut(&str)) -> Vec<&'static str> {
    let dir = tempfile::tempdir().unwrap();
    zoorank_store::testing::each_location(dir.path(), f)
}

/// Runs `f` with a fresh, empty store on each backend (see [`each_location`]).
pub fn each_backend(mut f: impl FnMut(zoorank_store::Store)) {
    each_location(|loc| f(zoorank_store::Store::open(loc).unwrap()));
}
