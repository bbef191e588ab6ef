//! Cached bytes: the one interface through which every stage keeps what it computed once and
//! may reuse (extracted features, trained graph embedders), and the one hash that names them.
//!
//! [`BlobCache`] is implemented by the zoo store (a table of blobs) and by a plain directory
//! (`zoorank_features::DirCache`); stages take `&mut dyn BlobCache` and never know which.
//! [`StableHash`] is the build- and platform-stable content hash (SHA-256 over length-prefixed
//! fields) that cache keys are made of, so the same input names the same blob in every run.

use sha2::{Digest, Sha256};

/// Why a cache could not read or write. The implementation's own error, kept whole (its
/// source chain included) so a caller can report or inspect it.
pub type BlobError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A key → bytes store.
pub trait BlobCache {
    /// The bytes stored under `key`, if any.
    fn get(&mut self, key: &str) -> Result<Option<Vec<u8>>, BlobError>;
    /// Stores `bytes` under `key`, replacing what was there; a rewritten key counts as the
    /// newest for [`BlobCache::keep_newest`].
    fn put(&mut self, key: &str, bytes: &[u8]) -> Result<(), BlobError>;
    /// Deletes all but the `n` most recently written entries whose key starts with `prefix`;
    /// returns how many it deleted.
    fn keep_newest(&mut self, prefix: &str, n: usize) -> Result<usize, BlobError>;
}

/// A [`BlobCache`] in memory, for callers without a store (and tests): entries by key with
/// the write count at which each was last written.
#[derive(Debug, Clone, Default)]
pub struct MemoryCache {
    /// Key → (write stamp, bytes).
    pub entries: std::collections::BTreeMap<String, (u64, Vec<u8>)>,
    /// How many writes were made.
    pub writes: u64,
}

impl BlobCache for MemoryCache {
    fn get(&mut self, key: &str) -> Result<Option<Vec<u8>>, BlobError> {
        Ok(self.entries.get(key).map(|e| e.1.clone()))
    }

    fn put(&mut self, key: &str, bytes: &[u8]) -> Result<(), BlobError> {
        self.writes += 1;
        self.entries
            .insert(key.to_string(), (self.writes, bytes.to_vec()));
        Ok(())
    }

    fn keep_newest(&mut self, prefix: &str, n: usize) -> Result<usize, BlobError> {
        let mut stamps: Vec<u64> = self
            .entries
            .iter()
            .filter(|(k, _)| k.starts_with(prefix))
            .map(|(_, e)| e.0)
            .collect();
        stamps.sort_unstable_by(|a, b| b.cmp(a));
        let Some(&oldest_kept) = stamps.get(n.saturating_sub(1)).filter(|_| n > 0) else {
            let before = self.entries.len();
            if n == 0 {
                self.entries.retain(|k, _| !k.starts_with(prefix));
            }
            return Ok(before - self.entries.len());
        };
        let before = self.entries.len();
        self.entries
            .retain(|k, e| !k.starts_with(prefix) || e.0 >= oldest_kept);
        Ok(before - self.entries.len())
    }
}

/// A build-stable 256-bit content hash: SHA-256 over fields, each written with its length
/// first, so that `("ab", "c")` and `("a", "bc")` hash differently.
#[derive(Clone, Default)]
pub struct StableHash(Sha256);

impl StableHash {
    /// An empty hash.
    pub fn new() -> StableHash {
        StableHash::default()
    }

    /// Adds a byte string as one field.
    pub fn bytes(&mut self, b: &[u8]) -> &mut Self {
        self.0.update((b.len() as u64).to_le_bytes());
        self.0.update(b);
        self
    }

    /// Adds a string as one field.
    pub fn str(&mut self, s: &str) -> &mut Self {
        self.bytes(s.as_bytes())
    }

    /// Adds a number as one field.
    pub fn u64(&mut self, v: u64) -> &mut Self {
        self.0.update(v.to_le_bytes());
        self
    }

    /// Adds raw bytes to the field being written, without a length: for streaming one large
    /// field whose length was added first with [`StableHash::u64`].
    pub fn raw(&mut self, b: &[u8]) -> &mut Self {
        self.0.update(b);
        self
    }

    /// The digest as 64 lower-case hex digits.
    pub fn hex(&self) -> String {
        hex(&self.0.clone().finalize())
    }
}

/// Lower-case hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_cache_keeps_the_newest_of_a_prefix() {
        let mut c = MemoryCache::default();
        for k in ["e:1", "e:2", "other", "e:3"] {
            c.put(k, k.as_bytes()).unwrap();
        }
        c.put("e:1", b"again").unwrap();
        assert_eq!(c.keep_newest("e:", 2).unwrap(), 1);
        assert_eq!(c.get("e:2").unwrap(), None, "the oldest e: entry goes");
        assert_eq!(c.get("e:1").unwrap().as_deref(), Some(&b"again"[..]));
        assert!(c.get("other").unwrap().is_some());
        assert_eq!(c.keep_newest("e:", 5).unwrap(), 0);
        assert_eq!(c.keep_newest("e:", 0).unwrap(), 2);
        assert_eq!(c.entries.len(), 1);
    }

    #[test]
    fn fields_are_length_prefixed_and_the_digest_is_sha256() {
        let h = |parts: &[&str]| {
            let mut s = StableHash::new();
            for p in parts {
                s.str(p);
            }
            s.hex()
        };
        assert_ne!(h(&["ab", "c"]), h(&["a", "bc"]));
        assert_eq!(h(&["x"]), h(&["x"]));
        // SHA-256 of the bytes 01 00 00 00 00 00 00 00 'x' (python3: hashlib.sha256(
        // (1).to_bytes(8, "little") + b"x").hexdigest()).
        assert_eq!(
            h(&["x"]),
            "f91b14e7bbea4c5bfa0e1a704017716659f4910e557b869f226a69652d2a6f12"
        );
    }
}
