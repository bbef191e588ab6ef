//! The two GNN architectures, so a trained encoder can be rebuilt on another graph (and named
//! in a saved embedder) without the fitted model knowing either layer type.

use super::gat::GatEncoder;
use super::layers::Encoder;
use super::params::GnnParams;
use super::sage::SageEncoder;
use crate::graph::Graph;
use candle_core::Tensor;
use rand_chacha::ChaCha8Rng;

/// GraphSAGE or GAT.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Arch {
    /// [`crate::GraphSage`].
    Sage,
    /// [`crate::Gat`].
    Gat,
}

impl Arch {
    /// The embedder's stable id.
    pub(crate) fn id(self) -> &'static str {
        match self {
            Arch::Sage => "graphsage",
            Arch::Gat => "gat",
        }
    }

    /// Whether [`GnnParams::heads`] applies (GAT's hidden layer splits into heads).
    pub(crate) fn needs_heads(self) -> bool {
        self == Arch::Gat
    }

    /// The byte naming the architecture in a saved embedder.
    pub(crate) fn code(self) -> u8 {
        match self {
            Arch::Sage => 0,
            Arch::Gat => 1,
        }
    }

    /// The architecture of a saved embedder's byte.
    pub(crate) fn from_code(code: u8) -> Option<Arch> {
        match code {
            0 => Some(Arch::Sage),
            1 => Some(Arch::Gat),
            _ => None,
        }
    }

    /// A freshly initialised encoder of this architecture on `graph` with inputs `x`.
    pub(crate) fn encoder(
        self,
        graph: &Graph,
        x: Tensor,
        params: &GnnParams,
        rng: &mut ChaCha8Rng,
    ) -> candle_core::Result<Box<dyn Encoder>> {
        Ok(match self {
            Arch::Sage => Box::new(SageEncoder::new(graph, x, params, rng)?),
            Arch::Gat => Box::new(GatEncoder::new(graph, x, params, rng)?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gnn::train::rng;
    use crate::gnn::train::tests_support::{check_gradients, tiny_graph};

    #[test]
    fn gradients_match_finite_differences() {
        let p = GnnParams {
            dim: 3,
            hidden: 4,
            heads: 2, // GAT's; GraphSAGE has no heads
            ..GnnParams::default()
        };
        for (arch, seed) in [(Arch::Sage, 5), (Arch::Gat, 4)] {
            let (g, x) = tiny_graph();
            let enc = arch.encoder(&g, x, &p, &mut rng(seed)).unwrap();
            check_gradients(enc.as_ref(), &g);
        }
    }
}
