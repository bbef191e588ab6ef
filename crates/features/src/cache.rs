//! Content hashes and the feature cache.
//!
//! A cache key is `features/v2/<model hash>/<dataset hash>/<view hash>/<sampling>/<options>`,
//! where the first two are SHA-256 digests over file names, sizes and bytes (so a moved or
//! copied directory keeps its key, and any edited file changes it) and the view hash covers what
//! was read from the dataset (class names, labels, texts: another column is another entry). [`FeatureCache`] is a two-method trait so the
//! caller decides where blobs live: [`DirCache`] keeps them as files; the CLI stores them in the
//! zoo's SQLite store.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::error::{FeaturesError, Result};

/// A key → bytes store for extracted features.
pub trait FeatureCache {
    /// The bytes stored under `key`, if any.
    fn get(&mut self, key: &str) -> Result<Option<Vec<u8>>>;
    /// Stores `bytes` under `key` (replacing what was there).
    fn put(&mut self, key: &str, bytes: &[u8]) -> Result<()>;
}

/// A cache that keeps one file per key in a directory (file name = SHA-256 of the key).
#[derive(Debug, Clone)]
pub struct DirCache {
    root: PathBuf,
}

impl DirCache {
    /// A cache in `root` (created on first write).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    fn file(&self, key: &str) -> PathBuf {
        self.root
            .join(format!("{}.bin", hex(&Sha256::digest(key.as_bytes()))))
    }
}

impl FeatureCache for DirCache {
    fn get(&mut self, key: &str) -> Result<Option<Vec<u8>>> {
        let f = self.file(key);
        match std::fs::read(&f) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(FeaturesError::io(f, e)),
        }
    }

    fn put(&mut self, key: &str, bytes: &[u8]) -> Result<()> {
        std::fs::create_dir_all(&self.root).map_err(|e| FeaturesError::io(&self.root, e))?;
        let f = self.file(key);
        // Write then rename, so a crash never leaves a truncated entry under the final name.
        let tmp = f.with_extension(format!("tmp{}", std::process::id()));
        std::fs::write(&tmp, bytes).map_err(|e| FeaturesError::io(&tmp, e))?;
        std::fs::rename(&tmp, &f).map_err(|e| FeaturesError::io(&f, e))
    }
}

/// Lower-case hex of bytes.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256 over a file or a directory tree: relative path, size and bytes of every regular file,
/// in sorted path order. Hidden files (names starting with `.`) are skipped.
pub fn hash_path(path: &Path) -> Result<String> {
    let mut files = Vec::new();
    if path.is_dir() {
        collect_files(path, path, &mut files)?;
    } else if path.is_file() {
        files.push((
            path.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            path.to_path_buf(),
        ));
    } else {
        return Err(FeaturesError::io(
            path,
            std::io::Error::new(std::io::ErrorKind::NotFound, "no such file or directory"),
        ));
    }
    files.sort();
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    for (rel, full) in files {
        use std::io::Read;
        let mut f = std::fs::File::open(&full).map_err(|e| FeaturesError::io(&full, e))?;
        let len = f.metadata().map_err(|e| FeaturesError::io(&full, e))?.len();
        h.update(rel.as_bytes());
        h.update([0u8]);
        h.update(len.to_le_bytes());
        loop {
            let k = f.read(&mut buf).map_err(|e| FeaturesError::io(&full, e))?;
            if k == 0 {
                break;
            }
            h.update(&buf[..k]);
        }
    }
    Ok(hex(&h.finalize()))
}

/// [`hash_path`] of a model directory.
pub(crate) fn hash_dir(path: &Path) -> Result<String> {
    hash_path(path)
}

fn collect_files(root: &Path, dir: &Path, out: &mut Vec<(String, PathBuf)>) -> Result<()> {
    let rd = std::fs::read_dir(dir).map_err(|e| FeaturesError::io(dir, e))?;
    for entry in rd {
        let entry = entry.map_err(|e| FeaturesError::io(dir, e))?;
        let name = entry.file_name();
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        let p = entry.path();
        let ft = entry.file_type().map_err(|e| FeaturesError::io(&p, e))?;
        let ft_is_dir = ft.is_dir() || (ft.is_symlink() && p.is_dir());
        if ft_is_dir {
            collect_files(root, &p, out)?;
        } else if p.is_file() {
            let rel = p
                .strip_prefix(root)
                .unwrap_or(&p)
                .to_string_lossy()
                .replace('\\', "/");
            out.push((rel, p));
        }
    }
    Ok(())
}
