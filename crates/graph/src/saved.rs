//! A fitted embedder as bytes, so a trained graph can be kept (e.g. in the zoo store) and a
//! later process can embed new nodes with [`FittedEmbedder::extend`] without training again.
//!
//! [`FittedEmbedder::to_bytes`] writes the format of [`crate::codec`] (a versioned header,
//! then the fitted type's fields); [`fitted_from_bytes`] reads the header and hands the rest
//! to the type its tag names. The result's embeddings and extensions are bit for bit those
//! of the original.

use crate::codec::{saved, Reader, TAG_GNN, TAG_NODE2VEC};
use crate::error::GraphError;
use crate::gnn::fitted::FittedGnn;
use crate::inductive::FittedEmbedder;
use crate::node2vec::FittedNode2Vec;

/// Rebuilds a fitted embedder saved with [`FittedEmbedder::to_bytes`].
///
/// # Errors
/// [`GraphError::Saved`] for bytes that are not a saved embedder of this version, or are
/// truncated or inconsistent.
pub fn fitted_from_bytes(bytes: &[u8]) -> Result<Box<dyn FittedEmbedder>, GraphError> {
    let (mut r, tag) = Reader::open(bytes)?;
    let out: Box<dyn FittedEmbedder> = match tag {
        TAG_NODE2VEC => Box::new(FittedNode2Vec::read(&mut r)?),
        TAG_GNN => Box::new(FittedGnn::read(&mut r)?),
        t => return Err(saved(format!("unknown embedder tag {t}"))),
    };
    r.finish()?;
    Ok(out)
}
