//! The error type of the graph stage, and the helpers that build its most common variants.

/// Errors of the graph stage.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum GraphError {
    /// A parameter is out of its valid range.
    #[error("invalid parameter {name} = {value}: {reason}")]
    InvalidParam {
        /// Parameter name.
        name: &'static str,
        /// The value given.
        value: f64,
        /// What is expected.
        reason: &'static str,
    },
    /// An edge refers to a node that does not exist.
    #[error("edge ({a}, {b}) refers to a node outside 0..{n_nodes}")]
    NodeOutOfRange {
        /// First end.
        a: usize,
        /// Second end.
        b: usize,
        /// Number of nodes.
        n_nodes: usize,
    },
    /// An edge weight is not a finite positive number.
    #[error("edge ({a}, {b}) has weight {weight}; weights must be finite and > 0")]
    BadWeight {
        /// First end.
        a: usize,
        /// Second end.
        b: usize,
        /// The weight.
        weight: f64,
    },
    /// Node features have a different number of rows than the graph has nodes.
    #[error("node features have {got} rows, the graph has {expected} nodes")]
    FeatureRows {
        /// Nodes of the graph.
        expected: usize,
        /// Rows of the features.
        got: usize,
    },
    /// Explicit node features whose length is not `n_nodes × n_columns`.
    #[error("node features hold {got} values, expected {expected}")]
    FeatureShape {
        /// `n_nodes × n_columns`.
        expected: usize,
        /// Values given.
        got: usize,
    },
    /// A node feature is NaN or infinite.
    #[error("node feature {column} of node {node} is not finite")]
    NonFiniteFeature {
        /// The node.
        node: usize,
        /// The column name.
        column: String,
    },
    /// A node refers to a model or dataset that the zoo does not have.
    #[error("node {node} refers to a model or dataset outside the zoo")]
    UnknownNode {
        /// The node.
        node: usize,
    },
    /// GNN training produced a non-finite loss or embedding (learning rate too large).
    #[error("GNN training diverged at epoch {epoch} (value {loss}); lower the learning rate")]
    Diverged {
        /// The epoch (the number of epochs for the final embeddings).
        epoch: usize,
        /// The non-finite value.
        loss: f64,
    },
    /// The graph to extend has fewer nodes than the graph the embedder was trained on.
    #[error("the graph to extend has {got} nodes, fewer than the {trained} it was trained on")]
    GraphShrank {
        /// Nodes of the training graph.
        trained: usize,
        /// Nodes of the graph given.
        got: usize,
    },
    /// A node of the training graph stands for another model or dataset in the graph to
    /// extend (old node ids must keep their meaning).
    #[error("node {node} stands for something else than in the training graph")]
    NodeKindChanged {
        /// The node.
        node: usize,
    },
    /// A new node outside the graph to extend.
    #[error("new node {node} is outside 0..{n_nodes}")]
    NewNodeOutOfRange {
        /// The node.
        node: usize,
        /// Nodes of the graph to extend.
        n_nodes: usize,
    },
    /// A new node listed twice.
    #[error("new node {node} is listed twice")]
    DuplicateNewNode {
        /// The node.
        node: usize,
    },
    /// A node beyond the training graph that is not listed as new (it would have no vector).
    #[error("node {node} is beyond the {trained} trained nodes but not listed as new")]
    NewNodeNotListed {
        /// The node.
        node: usize,
        /// Nodes of the training graph.
        trained: usize,
    },
    /// A GNN trained on explicit node features was extended without features for the new
    /// graph.
    #[error("the embedder was trained on explicit node features; give the new graph's")]
    MissingFeatures,
    /// Node features whose columns differ from the ones the GNN was trained on.
    #[error("node feature column {column} is {got:?}, the embedder was trained with {expected:?}")]
    FeatureColumns {
        /// Column index.
        column: usize,
        /// The trained column's name (empty past the last one).
        expected: String,
        /// The given column's name (empty past the last one).
        got: String,
    },
    /// Embeddings with another number of rows than the graph they should describe has nodes.
    #[error("embeddings have {got} rows, the graph has {expected} nodes")]
    EmbeddingRows {
        /// Nodes of the graph.
        expected: usize,
        /// Rows of the embeddings.
        got: usize,
    },
    /// Bytes that are not a fitted embedder saved by this version
    /// ([`crate::fitted_from_bytes`]).
    #[error("saved embedder unreadable: {reason}")]
    Saved {
        /// What was wrong, and where.
        reason: String,
    },
    /// A tensor operation failed (candle's message).
    #[error("tensor operation failed: {message}")]
    Tensor {
        /// candle's error, as text.
        message: String,
    },
}

/// [`GraphError::InvalidParam`] for `name = value`.
pub(crate) fn invalid(name: &'static str, value: f64, reason: &'static str) -> GraphError {
    GraphError::InvalidParam {
        name,
        value,
        reason,
    }
}

/// Checks that every count is ≥ 1; the first zero is [`GraphError::InvalidParam`].
pub(crate) fn check_counts(counts: &[(&'static str, usize)]) -> Result<(), GraphError> {
    match counts.iter().find(|c| c.1 == 0) {
        Some(&(name, _)) => Err(invalid(name, 0.0, "must be ≥ 1")),
        None => Ok(()),
    }
}

/// Checks that `value` is finite and > 0.
pub(crate) fn check_positive(name: &'static str, value: f64) -> Result<(), GraphError> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(invalid(name, value, "must be finite and > 0"))
    }
}

/// Checks that `value` is finite and ≥ 0.
pub(crate) fn check_non_negative(name: &'static str, value: f64) -> Result<(), GraphError> {
    if value.is_finite() && value >= 0.0 {
        Ok(())
    } else {
        Err(invalid(name, value, "must be finite and ≥ 0"))
    }
}

/// Wraps a candle error as a [`GraphError::Tensor`].
pub(crate) fn tensor_err(e: candle_core::Error) -> GraphError {
    GraphError::Tensor {
        message: e.to_string(),
    }
}
