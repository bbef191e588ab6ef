//! The byte format of a saved fitted embedder: a versioned header and length-checked fields.
//!
//! Format (little-endian; version 1): the magic `ZRFE`, a `u32` version, a tag byte naming the
//! kind of embedder ([`TAG_NODE2VEC`], [`TAG_GNN`]), then the fields of that kind in a fixed
//! order, written and read beside each fitted type ([`crate::FittedNode2Vec`],
//! [`crate::FittedGnn`]). Integers are `u64`, reals `f64` (f32 vectors as `f32`), strings and
//! vectors are length-prefixed. The crate has no serde: the format is small, fixed and
//! versioned here, and a reader that checks every length is shorter than the adaptor code
//! would be.
//!
//! Reading never panics: truncated, oversized or foreign input gives [`GraphError::Saved`]
//! naming what was wrong. This module knows the fields, not the embedders: it imports only
//! the value types it writes.

use crate::embeddings::Embeddings;
use crate::error::GraphError;
use crate::graph::NodeKind;

const MAGIC: &[u8; 4] = b"ZRFE";
const VERSION: u32 = 1;
/// Tag of a saved [`crate::FittedNode2Vec`].
pub(crate) const TAG_NODE2VEC: u8 = 1;
/// Tag of a saved [`crate::FittedGnn`].
pub(crate) const TAG_GNN: u8 = 2;

/// [`GraphError::Saved`] with `reason`.
pub(crate) fn saved(reason: impl Into<String>) -> GraphError {
    GraphError::Saved {
        reason: reason.into(),
    }
}

/// Appends fields (see the module docs).
pub(crate) struct Writer(Vec<u8>);

impl Writer {
    /// Starts a saved embedder of kind `tag`.
    pub(crate) fn new(tag: u8) -> Writer {
        let mut w = Writer(Vec::new());
        w.0.extend_from_slice(MAGIC);
        w.0.extend_from_slice(&VERSION.to_le_bytes());
        w.0.push(tag);
        w
    }
    pub(crate) fn into_bytes(self) -> Vec<u8> {
        self.0
    }
    pub(crate) fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    pub(crate) fn usize(&mut self, v: usize) {
        self.0.extend_from_slice(&(v as u64).to_le_bytes());
    }
    pub(crate) fn f64(&mut self, v: f64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    pub(crate) fn str(&mut self, s: &str) {
        self.usize(s.len());
        self.0.extend_from_slice(s.as_bytes());
    }
    pub(crate) fn f64s(&mut self, v: &[f64]) {
        self.usize(v.len());
        for x in v {
            self.f64(*x);
        }
    }
    pub(crate) fn f32s(&mut self, v: &[f32]) {
        self.usize(v.len());
        for x in v {
            self.0.extend_from_slice(&x.to_le_bytes());
        }
    }
    pub(crate) fn kinds(&mut self, kinds: &[NodeKind]) {
        self.usize(kinds.len());
        for k in kinds {
            match *k {
                NodeKind::Model(m) => {
                    self.u8(0);
                    self.usize(m);
                }
                NodeKind::Dataset(d) => {
                    self.u8(1);
                    self.usize(d);
                }
                NodeKind::Other => {
                    self.u8(2);
                    self.usize(0);
                }
            }
        }
    }
    pub(crate) fn embeddings(&mut self, e: &Embeddings) {
        self.usize(e.n_nodes);
        self.usize(e.dim);
        self.f64s(&e.data);
    }
}

/// Reads fields back, checking every length against what is left.
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// Checks the magic and the version of `bytes` and returns the reader, placed after the
    /// header, with the embedder's tag.
    pub(crate) fn open(bytes: &'a [u8]) -> Result<(Reader<'a>, u8), GraphError> {
        let mut r = Reader { bytes, pos: 0 };
        if r.take(4)? != MAGIC {
            return Err(saved("not a saved zoorank embedder (bad magic)"));
        }
        let version = r.u32()?;
        if version != VERSION {
            return Err(saved(format!(
                "saved with format version {version}, this build reads {VERSION}"
            )));
        }
        let tag = r.u8()?;
        Ok((r, tag))
    }
    /// Checks that every byte was read.
    pub(crate) fn finish(&self) -> Result<(), GraphError> {
        if self.pos == self.bytes.len() {
            Ok(())
        } else {
            Err(saved("trailing bytes after the embedder"))
        }
    }
    fn take(&mut self, n: usize) -> Result<&'a [u8], GraphError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.bytes.len())
            .ok_or_else(|| saved(format!("truncated at byte {}", self.pos)))?;
        let s = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    fn array<const N: usize>(&mut self) -> Result<[u8; N], GraphError> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }
    fn u32(&mut self) -> Result<u32, GraphError> {
        Ok(u32::from_le_bytes(self.array()?))
    }
    pub(crate) fn u8(&mut self) -> Result<u8, GraphError> {
        Ok(self.take(1)?[0])
    }
    pub(crate) fn usize(&mut self) -> Result<usize, GraphError> {
        let v = u64::from_le_bytes(self.array()?);
        usize::try_from(v).map_err(|_| saved(format!("count {v} too large")))
    }
    pub(crate) fn f64(&mut self) -> Result<f64, GraphError> {
        Ok(f64::from_le_bytes(self.array()?))
    }
    /// A count of items of `size` bytes each that must fit in what is left.
    fn count(&mut self, size: usize) -> Result<usize, GraphError> {
        let n = self.usize()?;
        if n.checked_mul(size)
            .is_none_or(|b| b > self.bytes.len() - self.pos)
        {
            return Err(saved(format!(
                "a length of {n} at byte {} runs past the end",
                self.pos
            )));
        }
        Ok(n)
    }
    pub(crate) fn str(&mut self) -> Result<String, GraphError> {
        let n = self.count(1)?;
        String::from_utf8(self.take(n)?.to_vec()).map_err(|_| saved("a name is not UTF-8"))
    }
    pub(crate) fn f64s(&mut self) -> Result<Vec<f64>, GraphError> {
        let n = self.count(8)?;
        (0..n).map(|_| self.f64()).collect()
    }
    pub(crate) fn f32s(&mut self) -> Result<Vec<f32>, GraphError> {
        let n = self.count(4)?;
        (0..n)
            .map(|_| Ok(f32::from_le_bytes(self.array()?)))
            .collect()
    }
    pub(crate) fn kinds(&mut self) -> Result<Vec<NodeKind>, GraphError> {
        let n = self.count(9)?;
        (0..n)
            .map(|_| {
                let tag = self.u8()?;
                let i = self.usize()?;
                match tag {
                    0 => Ok(NodeKind::Model(i)),
                    1 => Ok(NodeKind::Dataset(i)),
                    2 => Ok(NodeKind::Other),
                    t => Err(saved(format!("unknown node kind {t}"))),
                }
            })
            .collect()
    }
    pub(crate) fn embeddings(&mut self) -> Result<Embeddings, GraphError> {
        let n_nodes = self.usize()?;
        let dim = self.usize()?;
        let data = self.f64s()?;
        if n_nodes.checked_mul(dim) != Some(data.len()) {
            return Err(saved(format!(
                "embeddings of {n_nodes} × {dim} hold {} values",
                data.len()
            )));
        }
        Ok(Embeddings { n_nodes, dim, data })
    }
}
