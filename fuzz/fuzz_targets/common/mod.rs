//! What the targets share: one scratch directory per process, and inputs split into files.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

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

/// A fresh, empty directory for this process's current input (the inputs of one process run
/// one after another, so it is reused).
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("zoorank-fuzz-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a writable temporary directory");
    dir
}

/// Writes `bytes` to `dir/name`.
pub fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).expect("a writable temporary directory");
    p
}
