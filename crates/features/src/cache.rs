//! Content hashes of model and dataset files, and [`DirCache`], a [`BlobCache`] in a
//! directory.
//!
//! A feature cache key is `features/v3/<model hash>/<dataset hash>/<view hash>/<sampling>/<options>`
//! ([`crate::extract::cache_key`]), where the first two are [`StableHash`]es over file
//! names, sizes and bytes (so a moved or copied directory keeps its key, and any edited file
//! changes it) and the view hash covers what was read from the dataset (class names, labels,
//! texts: another column is another entry). Extraction takes any [`BlobCache`]: the zoo
//! store's blob table (what the CLI uses) or a [`DirCache`].

use std::path::{Path, PathBuf};

use zoorank_core::{BlobCache, BlobError, StableHash};

use crate::error::{FeaturesError, Result};

/// A cache that keeps one file per key in a directory. The file is named by the key's
/// [`StableHash`] and starts with the key itself (its length as 8 little-endian bytes, then
/// its UTF-8 bytes), so [`BlobCache::keep_newest`] can tell which entries a prefix covers;
/// the newest are those written last (file modification time).
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
            .join(format!("{}.bin", StableHash::new().str(key).hex()))
    }

    /// The key and payload of a cache file, `None` when it is not one.
    fn split(bytes: &[u8]) -> Option<(&str, &[u8])> {
        let n = u64::from_le_bytes(bytes.get(..8)?.try_into().ok()?);
        let n = usize::try_from(n).ok()?;
        let key = std::str::from_utf8(bytes.get(8..8usize.checked_add(n)?)?).ok()?;
        Some((key, &bytes[8 + n..]))
    }
}

impl BlobCache for DirCache {
    fn get(&mut self, key: &str) -> std::result::Result<Option<Vec<u8>>, BlobError> {
        let f = self.file(key);
        match std::fs::read(&f) {
            Ok(b) => Ok(Self::split(&b)
                .filter(|(k, _)| *k == key)
                .map(|(_, payload)| payload.to_vec())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(FeaturesError::io(f, e).into()),
        }
    }

    fn put(&mut self, key: &str, bytes: &[u8]) -> std::result::Result<(), BlobError> {
        std::fs::create_dir_all(&self.root).map_err(|e| FeaturesError::io(&self.root, e))?;
        let f = self.file(key);
        let mut content = Vec::with_capacity(8 + key.len() + bytes.len());
        content.extend_from_slice(&(key.len() as u64).to_le_bytes());
        content.extend_from_slice(key.as_bytes());
        content.extend_from_slice(bytes);
        // Write then rename, so a crash never leaves a truncated entry under the final name.
        let tmp = f.with_extension(format!("tmp{}", std::process::id()));
        std::fs::write(&tmp, content).map_err(|e| FeaturesError::io(&tmp, e))?;
        std::fs::rename(&tmp, &f).map_err(|e| FeaturesError::io(&f, e))?;
        Ok(())
    }

    fn keep_newest(&mut self, prefix: &str, n: usize) -> std::result::Result<usize, BlobError> {
        let rd = match std::fs::read_dir(&self.root) {
            Ok(rd) => rd,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(FeaturesError::io(&self.root, e).into()),
        };
        let mut entries = Vec::new();
        for entry in rd {
            let p = entry.map_err(|e| FeaturesError::io(&self.root, e))?.path();
            if p.extension().is_none_or(|x| x != "bin") {
                continue;
            }
            let bytes = std::fs::read(&p).map_err(|e| FeaturesError::io(&p, e))?;
            if Self::split(&bytes).is_some_and(|(k, _)| k.starts_with(prefix)) {
                let modified = std::fs::metadata(&p)
                    .and_then(|m| m.modified())
                    .map_err(|e| FeaturesError::io(&p, e))?;
                entries.push((modified, p));
            }
        }
        entries.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        let old = entries.split_off(n.min(entries.len()));
        for (_, p) in &old {
            std::fs::remove_file(p).map_err(|e| FeaturesError::io(p, e))?;
        }
        Ok(old.len())
    }
}

/// [`StableHash`] over a file or a directory tree: relative path, size and bytes of every
/// regular file, in sorted path order. Hidden files (names starting with `.`) are skipped.
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
    let mut h = StableHash::new();
    let mut buf = vec![0u8; 1 << 20];
    for (rel, full) in files {
        use std::io::Read;
        let mut f = std::fs::File::open(&full).map_err(|e| FeaturesError::io(&full, e))?;
        let len = f.metadata().map_err(|e| FeaturesError::io(&full, e))?.len();
        h.str(&rel).u64(len);
        loop {
            let k = f.read(&mut buf).map_err(|e| FeaturesError::io(&full, e))?;
            if k == 0 {
                break;
            }
            h.raw(&buf[..k]);
        }
    }
    Ok(h.hex())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dir_cache_round_trips_and_keeps_the_newest_of_a_prefix() {
        let tmp = tempfile::tempdir().unwrap();
        let mut c = DirCache::new(tmp.path().join("c"));
        assert_eq!(c.get("a:1").unwrap(), None);
        assert_eq!(c.keep_newest("a:", 1).unwrap(), 0, "no directory yet");
        for k in ["a:1", "b:1", "a:2"] {
            c.put(k, k.as_bytes()).unwrap();
            // Modification times must differ for the order to be defined.
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        assert_eq!(c.get("a:2").unwrap().as_deref(), Some(&b"a:2"[..]));
        assert_eq!(c.keep_newest("a:", 1).unwrap(), 1);
        assert_eq!(c.get("a:1").unwrap(), None);
        assert!(c.get("a:2").unwrap().is_some() && c.get("b:1").unwrap().is_some());
        // A file that is not an entry of this key is no hit.
        let f = c.file("b:1");
        std::fs::write(&f, b"garbage").unwrap();
        assert_eq!(c.get("b:1").unwrap(), None);
    }
}
