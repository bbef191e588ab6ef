//! [`GnnParams`]: the parameters GraphSAGE and GAT share.

use crate::error::{check_counts, check_non_negative, check_positive, invalid, GraphError};

/// Parameters shared by [`crate::GraphSage`] and [`crate::Gat`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GnnParams {
    /// Output embedding dimension (≥ 1).
    pub dim: usize,
    /// Width of the hidden layer (≥ 1; for GAT a multiple of `heads`).
    pub hidden: usize,
    /// Attention heads of GAT's hidden layer (≥ 1; ignored by GraphSAGE).
    pub heads: usize,
    /// Full-batch training steps (≥ 1).
    pub epochs: usize,
    /// AdamW learning rate (> 0).
    pub learning_rate: f64,
    /// AdamW decoupled weight decay (≥ 0).
    pub weight_decay: f64,
    /// Negative pairs per positive edge and epoch (≥ 1).
    pub negatives: usize,
}

impl Default for GnnParams {
    /// 128 output dimensions, 128 hidden, 4 heads, 150 epochs, learning rate 0.01, weight
    /// decay 5·10⁻⁴, 2 negatives per edge.
    fn default() -> Self {
        GnnParams {
            dim: 128,
            hidden: 128,
            heads: 4,
            epochs: 150,
            learning_rate: 0.01,
            weight_decay: 5e-4,
            negatives: 2,
        }
    }
}

impl GnnParams {
    /// Checks every parameter; `needs_heads` (GAT) also checks `heads` and that `hidden`
    /// splits into them.
    pub(crate) fn validate(&self, needs_heads: bool) -> Result<(), GraphError> {
        check_counts(&[
            ("dim", self.dim),
            ("hidden", self.hidden),
            ("epochs", self.epochs),
            ("negatives", self.negatives),
        ])?;
        check_positive("learning_rate", self.learning_rate)?;
        check_non_negative("weight_decay", self.weight_decay)?;
        if needs_heads {
            check_counts(&[("heads", self.heads)])?;
            if !self.hidden.is_multiple_of(self.heads) {
                return Err(invalid(
                    "hidden",
                    self.hidden as f64,
                    "must be a multiple of heads",
                ));
            }
        }
        Ok(())
    }
}
