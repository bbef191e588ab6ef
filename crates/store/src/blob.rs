//! The store's blob table as the pipeline's [`BlobCache`]: extracted features and trained
//! graph embedders live in the zoo file beside the data they were computed from.

use crate::store::Store;
use zoorank_core::{BlobCache, BlobError};

impl BlobCache for Store {
    fn get(&mut self, key: &str) -> Result<Option<Vec<u8>>, BlobError> {
        Ok(self.get_blob(key)?)
    }

    fn put(&mut self, key: &str, bytes: &[u8]) -> Result<(), BlobError> {
        Ok(self.put_blob(key, bytes)?)
    }

    fn keep_newest(&mut self, prefix: &str, n: usize) -> Result<usize, BlobError> {
        Ok(self.keep_newest_blobs(prefix, n)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_store_is_a_blob_cache_that_keeps_the_newest() {
        let mut s = Store::open_in_memory().unwrap();
        let c: &mut dyn BlobCache = &mut s;
        for k in ["e:a", "e:b", "f:x", "e:c"] {
            c.put(k, k.as_bytes()).unwrap();
        }
        c.put("e:a", b"rewritten").unwrap();
        assert_eq!(c.keep_newest("e:", 2).unwrap(), 1);
        assert_eq!(c.get("e:b").unwrap(), None);
        assert_eq!(c.get("e:a").unwrap().as_deref(), Some(&b"rewritten"[..]));
        assert!(c.get("f:x").unwrap().is_some());
    }
}
