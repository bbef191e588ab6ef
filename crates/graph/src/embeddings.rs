//! Node embeddings, the output of every graph embedder: one vector per node.

/// Node embeddings: row `i` is node `i`'s vector.
#[derive(Debug, Clone, PartialEq)]
pub struct Embeddings {
    /// Number of nodes (rows).
    pub n_nodes: usize,
    /// Dimension (columns).
    pub dim: usize,
    /// Row-major `n_nodes × dim` values.
    pub data: Vec<f64>,
}

impl Embeddings {
    /// The vector of node `i`.
    ///
    /// # Panics
    /// When `i >= n_nodes`.
    pub fn row(&self, i: usize) -> &[f64] {
        &self.data[i * self.dim..(i + 1) * self.dim]
    }

    /// Cosine similarity of nodes `a` and `b` (0 when either vector is zero).
    pub fn cosine(&self, a: usize, b: usize) -> f64 {
        zoorank_core::metrics::cosine(self.row(a), self.row(b))
    }
}
