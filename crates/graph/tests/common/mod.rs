//! Graphs the integration tests share. Each test crate uses a part of them.
#![allow(dead_code)]

use zoorank_core::Zoo;
use zoorank_graph::{build_graph, Graph, GraphParams};

/// Two `size`-cliques (nodes `0..size` and `size..2·size`, weight 1) joined by one edge
/// `(size − 1, size)` of weight `bridge`.
pub fn two_cliques(size: usize, bridge: f64) -> Vec<(usize, usize, f64)> {
    let mut edges = Vec::new();
    for c in 0..2 {
        for a in 0..size {
            for b in a + 1..size {
                edges.push((c * size + a, c * size + b, 1.0));
            }
        }
    }
    edges.push((size - 1, size, bridge));
    edges
}

/// Every edge of `graph` (each undirected edge from both ends), to build a larger graph on.
pub fn edges_of(graph: &Graph) -> Vec<(usize, usize, f64)> {
    let mut edges = Vec::new();
    for a in 0..graph.n_nodes() {
        for (&b, &w) in graph.neighbors(a).iter().zip(graph.neighbor_weights(a)) {
            edges.push((a, b, w));
        }
    }
    edges
}

/// The graph of `zoo` with dataset `target` held out, default parameters otherwise.
pub fn held_out_graph(zoo: &Zoo, target: usize) -> Graph {
    build_graph(
        zoo,
        &GraphParams {
            hold_out: Some(target),
            ..GraphParams::default()
        },
    )
    .unwrap()
}
