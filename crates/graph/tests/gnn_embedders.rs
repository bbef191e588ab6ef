//! GraphSAGE and GAT through the public API: they learn community structure for link
//! prediction, are deterministic for a seed, and run on the features of a real-looking zoo.

use zoorank_core::{Dataset, Model, Record, Zoo};
use zoorank_graph::{Gat, GnnParams, Graph, GraphEmbedder, GraphSage, NodeFeatures};

mod common;

/// Two 5-cliques joined by one weak edge, one-hot node features (so automorphic nodes can
/// still be told apart).
fn communities() -> (Graph, NodeFeatures) {
    let g = Graph::untyped(10, &common::two_cliques(5, 0.1)).unwrap();
    let mut data = vec![0.0; 100];
    for i in 0..10 {
        data[i * 10 + i] = 1.0;
    }
    let f = NodeFeatures::new(10, (0..10).map(|i| format!("id{i}")).collect(), data).unwrap();
    (g, f)
}

fn params() -> GnnParams {
    GnnParams {
        dim: 8,
        hidden: 16,
        heads: 2,
        epochs: 150,
        ..GnnParams::default()
    }
}

/// Checks that `embedder` (of id `id`) embeds [`communities`] so that they separate.
fn check_communities(embedder: &dyn GraphEmbedder, id: &str) {
    let (g, _) = communities();
    assert_eq!(embedder.id(), id);
    let e = embedder.embed(&g, 3).unwrap();
    // Mean dot product inside the communities beats the mean across (link prediction).
    let dot =
        |a: usize, b: usize| -> f64 { e.row(a).iter().zip(e.row(b)).map(|(x, y)| x * y).sum() };
    let (mut inside, mut ni, mut across, mut na) = (0.0, 0, 0.0, 0);
    for a in 0..10 {
        for b in a + 1..10 {
            if a / 5 == b / 5 {
                inside += dot(a, b);
                ni += 1;
            } else {
                across += dot(a, b);
                na += 1;
            }
        }
    }
    let (inside, across) = (inside / ni as f64, across / na as f64);
    assert!(inside > across + 1.0, "inside {inside}, across {across}");
}

#[test]
fn graphsage_separates_communities() {
    let f = communities().1;
    check_communities(
        &GraphSage::new(params()).unwrap().with_features(f),
        "graphsage",
    );
}

#[test]
fn gat_separates_communities() {
    let f = communities().1;
    check_communities(&Gat::new(params()).unwrap().with_features(f), "gat");
}

/// A small zoo with metadata on some models only, a held-out target with distances.
fn zoo(with_metadata: bool) -> Zoo {
    let mut z = Zoo::default();
    for i in 0..8 {
        let mut m = Model::named(format!("m{i}"));
        if with_metadata && i % 3 != 0 {
            m.num_parameters = Some(1e6 * (i + 1) as f64);
            m.model_type = Some(if i % 2 == 0 { "vit" } else { "resnet" }.into());
            m.upstream_accuracy = Some(0.5 + 0.05 * i as f64);
        }
        z.add_model(m);
    }
    for n in ["a", "b", "c", "t"] {
        let mut d = Dataset::named(n);
        if with_metadata {
            d.num_classes = Some(10.0);
            d.num_samples = Some(1000.0);
        }
        z.add_dataset(d);
    }
    for d in 0..4 {
        for m in 0..8 {
            z.records.push(Record::new(
                m,
                d,
                0.3 + 0.07 * m as f64 + 0.02 * ((m + d) % 3) as f64,
            ));
        }
    }
    z
}

#[test]
fn zoo_features_with_and_without_metadata_embed_deterministically() {
    for with in [true, false] {
        let z = zoo(with).without_target_history(3);
        let g = common::held_out_graph(&z, 3);
        let f = NodeFeatures::from_zoo(&z, &g).unwrap();
        assert_eq!(f.n_nodes, 12);
        let sage = GraphSage::new(params()).unwrap().with_features(f.clone());
        let gat = Gat::new(params()).unwrap().with_features(f);
        for e in [&sage as &dyn GraphEmbedder, &gat] {
            let a = e.embed(&g, 5).unwrap();
            assert_eq!(
                a,
                e.embed(&g, 5).unwrap(),
                "{} with metadata {with}",
                e.id()
            );
            assert!(a.data.iter().all(|v| v.is_finite()));
        }
    }
}
