//! Embedding speed on a graph the size of the image zoo's (250 nodes, ≈ 3 000 edges: a
//! seeded random bipartite "model–dataset" part plus dataset–dataset edges): Node2Vec and
//! Node2Vec+ at 128 dimensions, one thread; GraphSAGE and GAT (structural features) at the
//! default 128 dimensions and at the rankers' setting (32 out, 100 epochs, 64 hidden units for
//! GraphSAGE and 4 × 8 for GAT).
//!
//! `CARGO_TARGET_DIR=/work/target-graph cargo run --release -p zoorank-graph --example embed_speed`

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::time::Instant;
use zoorank_graph::{
    Gat, GnnParams, Graph, GraphEmbedder, GraphSage, Node2Vec, Node2VecParams, NodeKind,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (n_models, n_datasets) = (185, 65);
    let mut rng = ChaCha8Rng::seed_from_u64(42);
    let mut edges = Vec::new();
    for m in 0..n_models {
        for d in 0..n_datasets {
            if rng.gen::<f64>() < 0.22 {
                edges.push((m, n_models + d, rng.gen_range(0.3..1.0)));
            }
        }
    }
    for d in 0..n_datasets {
        for _ in 0..5 {
            let e = rng.gen_range(0..n_datasets);
            edges.push((n_models + d, n_models + e, rng.gen_range(0.2..1.0)));
        }
    }
    let kinds = (0..n_models)
        .map(NodeKind::Model)
        .chain((0..n_datasets).map(NodeKind::Dataset))
        .collect();
    let g = Graph::from_edges(kinds, &edges)?;
    println!("graph: {} nodes, {} edges", g.n_nodes(), g.n_edges());
    for plus in [false, true] {
        let n2v = Node2Vec::new(Node2VecParams {
            plus,
            ..Node2VecParams::default()
        })?;
        let t0 = Instant::now();
        let walks = n2v.walks(&g, 0);
        let tw = t0.elapsed().as_secs_f64();
        let t1 = Instant::now();
        let e = n2v.embed(&g, 0)?;
        let te = t1.elapsed().as_secs_f64();
        println!(
            "{:>9}: walks {:.3} s ({} walks), walks + skip-gram {:.3} s, {}×{}",
            n2v.id(),
            tw,
            walks.len(),
            te,
            e.n_nodes,
            e.dim
        );
    }
    for (label, p) in [
        ("default", GnnParams::default()),
        (
            "ranker",
            GnnParams {
                dim: 32,
                hidden: 64,
                heads: 4,
                epochs: 100,
                ..GnnParams::default()
            },
        ),
    ] {
        // The rankers' GAT uses 32 hidden units (4 heads of 8).
        let gat_hidden = if label == "ranker" { 32 } else { p.hidden };
        let gnns: [Box<dyn GraphEmbedder>; 2] = [
            Box::new(GraphSage::new(p)?),
            Box::new(Gat::new(GnnParams {
                hidden: gat_hidden,
                ..p
            })?),
        ];
        for e in gnns {
            let t = Instant::now();
            let emb = e.embed(&g, 0)?;
            println!(
                "{:>9} ({label}: {} epochs): {:.3} s, {}×{}",
                e.id(),
                p.epochs,
                t.elapsed().as_secs_f64(),
                emb.n_nodes,
                emb.dim
            );
        }
    }
    Ok(())
}
