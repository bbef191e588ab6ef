//! What the targets share: one scratch directory per process, and inputs split into files.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use zoorank_store::{ImportOptions, Store};

/// Separates the files packed into one input (seeds are written with it too).
pub const SEPARATOR: &[u8] = b"\n=====\n";

/// Splits `data` into at most `n` parts at [`SEPARATOR`]; missing parts are absent.
pub fn split(data: &[u8], n: usize) -> Vec<&[u8]> {
    let mut parts = Vec::with_capacity(n);
    let mut rest = data;
    while parts.len() + 1 < n {
        match rest
            .windows(SEPARATOR.len())
            .position(|w| w == SEPARATOR)
        {
            Some(i) => {
                parts.push(&rest[..i]);
                rest = &rest[i + SEPARATOR.len()..];
            }
            None => break,
        }
    }
    parts.push(rest);
    parts
}

/// This process's scratch directory, made (empty) on first use and kept: the inputs of one
/// process run one after another, and each rewrites the files it reads with
/// [`put`], so no input sees another's files.
pub fn scratch() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("zoorank-fuzz-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("a writable temporary directory");
        dir
    })
}

/// Writes `bytes` to `dir/name`, or removes that file when `bytes` is `None`.
pub fn put(dir: &Path, name: &str, bytes: Option<&[u8]>) -> PathBuf {
    let p = dir.join(name);
    match bytes {
        Some(b) => std::fs::write(&p, b).expect("a writable temporary directory"),
        None => match std::fs::remove_file(&p) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => panic!("cannot remove {}: {e}", p.display()),
        },
    }
    p
}

/// Writes the parts of a split input as `names`, in order; the names past the last part are
/// removed.
pub fn put_all(dir: &Path, names: &[&str], parts: &[&[u8]]) {
    for (i, name) in names.iter().enumerate() {
        put(dir, name, parts.get(i).copied());
    }
}

/// Unpacks the input of a directory importer: the first byte's lowest bit asks to skip bad
/// rows, the rest are the files `names` (see [`split`]), written to the scratch directory.
/// `None` for an empty input.
pub fn import_dir(data: &[u8], names: &[&str]) -> Option<(&'static Path, ImportOptions)> {
    let (&flags, rest) = data.split_first()?;
    let dir = scratch();
    put_all(dir, names, &split(rest, names.len()));
    let opts = ImportOptions {
        skip_bad_rows: flags & 1 != 0,
        dry_run: false,
    };
    Some((dir, opts))
}

/// Runs `import` on a fresh in-memory store with the directory and options that `data`
/// unpacks to (see [`import_dir`]); nothing for an empty input.
pub fn on_import_dir(
    data: &[u8],
    names: &[&str],
    import: impl FnOnce(&mut Store, &'static Path, ImportOptions),
) {
    if let Some((dir, opts)) = import_dir(data, names) {
        import(&mut Store::open_in_memory().unwrap(), dir, opts);
    }
}
