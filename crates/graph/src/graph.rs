//! An undirected, weighted graph in compressed sparse rows: node `i`'s neighbours are
//! `targets[offsets[i]..offsets[i + 1]]`, sorted by index, with their edge weights alongside.
//! Parallel edges are merged (largest weight kept) and self-loops dropped, so a walk's step
//! `i → j` exists exactly when `j` is in `i`'s list.

use crate::error::GraphError;
use zoorank_core::{DatasetIdx, ModelIdx};

/// What a node stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NodeKind {
    /// A model of the zoo.
    Model(ModelIdx),
    /// A dataset of the zoo (fine-tuning target or source dataset).
    Dataset(DatasetIdx),
    /// Anything else (tests, synthetic graphs).
    Other,
}

/// An undirected weighted graph (see the module docs).
#[derive(Debug, Clone, PartialEq)]
pub struct Graph {
    kinds: Vec<NodeKind>,
    offsets: Vec<usize>,
    targets: Vec<usize>,
    weights: Vec<f64>,
}

impl Graph {
    /// [`Graph::from_edges`] on `n` nodes of kind [`NodeKind::Other`] (a plain graph, as the
    /// walks and encoders see it).
    pub fn untyped(n: usize, edges: &[(usize, usize, f64)]) -> Result<Graph, GraphError> {
        Graph::from_edges(vec![NodeKind::Other; n], edges)
    }

    /// Builds the graph on `kinds.len()` nodes from undirected edges `(a, b, weight)`.
    ///
    /// # Errors
    /// [`GraphError::NodeOutOfRange`] for an end outside the nodes, [`GraphError::BadWeight`]
    /// for a weight that is not finite and positive.
    ///
    /// Complexity: O(E log E).
    pub fn from_edges(
        kinds: Vec<NodeKind>,
        edges: &[(usize, usize, f64)],
    ) -> Result<Graph, GraphError> {
        let n = kinds.len();
        let mut directed: Vec<(usize, usize, f64)> = Vec::with_capacity(2 * edges.len());
        for &(a, b, w) in edges {
            if a >= n || b >= n {
                return Err(GraphError::NodeOutOfRange { a, b, n_nodes: n });
            }
            if !(w.is_finite() && w > 0.0) {
                return Err(GraphError::BadWeight { a, b, weight: w });
            }
            if a != b {
                directed.push((a, b, w));
                directed.push((b, a, w));
            }
        }
        directed.sort_by(|x, y| (x.0, x.1).cmp(&(y.0, y.1)).then(y.2.total_cmp(&x.2)));
        directed.dedup_by(|later, first| later.0 == first.0 && later.1 == first.1);
        let mut offsets = vec![0usize; n + 1];
        for &(a, _, _) in &directed {
            offsets[a + 1] += 1;
        }
        for i in 0..n {
            offsets[i + 1] += offsets[i];
        }
        Ok(Graph {
            kinds,
            offsets,
            targets: directed.iter().map(|e| e.1).collect(),
            weights: directed.iter().map(|e| e.2).collect(),
        })
    }

    /// Number of nodes.
    pub fn n_nodes(&self) -> usize {
        self.kinds.len()
    }

    /// Number of undirected edges.
    pub fn n_edges(&self) -> usize {
        self.targets.len() / 2
    }

    /// What node `i` stands for.
    pub fn kind(&self, i: usize) -> NodeKind {
        self.kinds[i]
    }

    /// All node kinds, by node index.
    pub fn kinds(&self) -> &[NodeKind] {
        &self.kinds
    }

    /// Neighbours of `i`, sorted by index.
    pub fn neighbors(&self, i: usize) -> &[usize] {
        &self.targets[self.offsets[i]..self.offsets[i + 1]]
    }

    /// Weights of `i`'s edges, aligned with [`Graph::neighbors`].
    pub fn neighbor_weights(&self, i: usize) -> &[f64] {
        &self.weights[self.offsets[i]..self.offsets[i + 1]]
    }

    /// Degree of `i`.
    pub fn degree(&self, i: usize) -> usize {
        self.offsets[i + 1] - self.offsets[i]
    }

    /// Weight of edge (a, b), `None` without an edge. O(log degree).
    pub fn weight(&self, a: usize, b: usize) -> Option<f64> {
        let nb = self.neighbors(a);
        nb.binary_search(&b)
            .ok()
            .map(|k| self.neighbor_weights(a)[k])
    }

    /// The node of a kind, if present (linear scan).
    pub fn node_of(&self, kind: NodeKind) -> Option<usize> {
        self.kinds.iter().position(|&k| k == kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edges_are_symmetric_merged_and_sorted() {
        let g = Graph::untyped(4, &[(2, 0, 0.5), (0, 1, 1.0), (0, 2, 0.7), (3, 3, 1.0)]).unwrap();
        assert_eq!(g.n_edges(), 2);
        assert_eq!(g.neighbors(0), &[1, 2]);
        assert_eq!(g.weight(0, 2), Some(0.7));
        assert_eq!(g.weight(2, 0), Some(0.7));
        assert_eq!(g.weight(1, 2), None);
        assert_eq!(g.degree(3), 0);
    }

    #[test]
    fn bad_edges_are_rejected() {
        let k = vec![NodeKind::Other; 2];
        assert!(matches!(
            Graph::from_edges(k.clone(), &[(0, 2, 1.0)]),
            Err(GraphError::NodeOutOfRange {
                a: 0,
                b: 2,
                n_nodes: 2
            })
        ));
        for w in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert!(matches!(
                Graph::from_edges(k.clone(), &[(0, 1, w)]),
                Err(GraphError::BadWeight { .. })
            ));
        }
    }
}
