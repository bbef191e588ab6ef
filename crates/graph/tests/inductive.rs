//! Inductive embedding through the public API: a node added after training is embedded from
//! its edges against the trained state of all four learners, without touching the old nodes.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use zoorank_core::{Dataset, Distance, Model, Record, Zoo};
use zoorank_graph::{
    build_graph, Embeddings, FittedEmbedder, Gat, GnnParams, Graph, GraphError, GraphParams,
    GraphSage, InductiveEmbedder, Node2Vec, Node2VecParams, NodeFeatures, NodeKind,
};

mod common;

/// Nodes per community.
const C: usize = 12;

/// Two `C`-cliques (nodes `0..C` and `C..2C`) joined by one weak edge; with `new_node`, node
/// `2C` is linked to the first five nodes of the first community.
fn communities(new_node: bool) -> Graph {
    let mut e = common::two_cliques(C, 0.2);
    let n = if new_node {
        e.extend((0..5).map(|i| (2 * C, i, 1.0)));
        2 * C + 1
    } else {
        2 * C
    };
    Graph::untyped(n, &e).unwrap()
}

/// Seeded random node features (8 columns); the first `n` rows are the same for any `n`, so
/// the old nodes of the extended graph keep theirs.
fn features(n: usize) -> NodeFeatures {
    let mut r = ChaCha8Rng::seed_from_u64(17);
    let data = (0..n * 8).map(|_| r.gen_range(-1.0..1.0)).collect();
    NodeFeatures::new(n, (0..8).map(|k| format!("f{k}")).collect(), data).unwrap()
}

fn gnn_params() -> GnnParams {
    GnnParams {
        dim: 16,
        hidden: 16,
        heads: 2,
        epochs: 120,
        ..GnnParams::default()
    }
}

fn n2v(plus: bool) -> Node2Vec {
    Node2Vec::new(Node2VecParams {
        dim: 32,
        plus,
        ..Node2VecParams::default()
    })
    .unwrap()
}

/// The four learners, GNNs on the random features of the training graph.
fn learners() -> Vec<(Box<dyn InductiveEmbedder>, bool)> {
    let f = features(2 * C);
    vec![
        (Box::new(n2v(false)), false),
        (Box::new(n2v(true)), false),
        (
            Box::new(
                GraphSage::new(gnn_params())
                    .unwrap()
                    .with_features(f.clone()),
            ),
            true,
        ),
        (
            Box::new(Gat::new(gnn_params()).unwrap().with_features(f)),
            true,
        ),
    ]
}

/// A learner, what it fitted on the training graph, and the node features of the extended
/// graph that the fitted model's `extend` takes (the GNNs'; `None` for Node2Vec).
type Fitted = (
    Box<dyn InductiveEmbedder>,
    Box<dyn FittedEmbedder>,
    Option<NodeFeatures>,
);

/// The four learners, each fitted on the training graph with `seed`.
fn fitted_learners(seed: u64) -> Vec<Fitted> {
    let (g0, f1) = (communities(false), features(2 * C + 1));
    learners()
        .into_iter()
        .map(|(learner, gnn)| {
            let fitted = learner.fit(&g0, seed).unwrap();
            (learner, fitted, gnn.then(|| f1.clone()))
        })
        .collect()
}

fn mean_cosine(e: &Embeddings, u: usize, others: std::ops::Range<usize>) -> f64 {
    let k = others.len() as f64;
    others.map(|v| e.cosine(u, v)).sum::<f64>() / k
}

#[test]
fn a_new_node_joins_the_community_it_is_linked_to_and_old_nodes_stay() {
    let (g0, g1) = (communities(false), communities(true));
    for (learner, fitted, f1) in fitted_learners(5) {
        let id = learner.id();
        assert_eq!(fitted.id(), id);
        // fit keeps what embed computes.
        assert_eq!(fitted.embeddings(), &learner.embed(&g0, 5).unwrap(), "{id}");
        let feats = f1.as_ref();
        let e = fitted.extend(&g1, feats, &[2 * C], 9).unwrap();
        assert_eq!((e.n_nodes, e.dim), (2 * C + 1, fitted.embeddings().dim));
        // Old nodes keep their trained vectors bit for bit.
        assert_eq!(
            &e.data[..2 * C * e.dim],
            &fitted.embeddings().data[..],
            "{id}"
        );
        // Deterministic for a seed.
        assert_eq!(e, fitted.extend(&g1, feats, &[2 * C], 9).unwrap(), "{id}");
        let (near, far) = (
            mean_cosine(&e, 2 * C, 0..C),
            mean_cosine(&e, 2 * C, C..2 * C),
        );
        assert!(
            near > far + 0.2,
            "{id}: cosine to its community {near:.3}, to the other {far:.3}"
        );
    }
}

#[test]
fn node2vec_extension_depends_on_the_seed_and_an_isolated_new_node_keeps_its_start() {
    let g0 = communities(false);
    let fitted = n2v(false).fitted(&g0, 1).unwrap();
    let g1 = communities(true);
    let a = fitted.extend(&g1, None, &[2 * C], 2).unwrap();
    assert_ne!(a, fitted.extend(&g1, None, &[2 * C], 3).unwrap());
    // The new node without edges: its seeded initial vector, within ±0.5 / dim.
    let mut kinds = g0.kinds().to_vec();
    kinds.push(NodeKind::Other);
    let lonely = Graph::from_edges(kinds, &common::edges_of(&g0)).unwrap();
    let e = fitted.extend(&lonely, None, &[2 * C], 2).unwrap();
    assert!(e.row(2 * C).iter().all(|x| x.abs() <= 0.5 / 32.0 + 1e-9));
    // The context vectors are kept and trained (non-zero for a node with edges).
    assert!(fitted.context(0).iter().any(|&x| x != 0.0));
}

#[test]
fn node2vec_re_embeds_an_old_node_near_its_trained_vector() {
    // Listing an old node as new re-learns it from its edges against the frozen rest.
    let g0 = communities(false);
    for plus in [false, true] {
        let fitted = n2v(plus).fitted(&g0, 4).unwrap();
        let e = fitted.extend(&g0, None, &[3], 8).unwrap();
        let mut re = e.clone();
        re.data.extend_from_slice(fitted.embeddings().row(3));
        re.n_nodes += 1;
        let own = re.cosine(3, 2 * C);
        let other = mean_cosine(&e, 3, C..2 * C);
        assert!(own > other + 0.2, "plus={plus}: {own:.3} vs {other:.3}");
        assert_eq!(e.row(4), fitted.embeddings().row(4));
    }
}

#[test]
fn gnn_inductive_embedding_equals_the_transductive_forward() {
    let (g0, g1) = (communities(false), communities(true));
    let (f0, f1) = (features(2 * C), features(2 * C + 1));
    let sage = GraphSage::new(gnn_params())
        .unwrap()
        .with_features(f0.clone());
    let gat = Gat::new(gnn_params()).unwrap().with_features(f0.clone());
    for fitted in [sage.fitted(&g0, 3).unwrap(), gat.fitted(&g0, 3).unwrap()] {
        let id = fitted.id();
        // Re-embedding training nodes on the training graph gives their trained vectors.
        let again = fitted.extend(&g0, Some(&f0), &[0, 7, C + 2], 0).unwrap();
        let forward = fitted.forward(&g0, Some(&f0)).unwrap();
        for (a, b) in again.data.iter().zip(&fitted.embeddings().data) {
            assert!((a - b).abs() <= 1e-6, "{id}: {a} vs {b}");
        }
        for (a, b) in forward.data.iter().zip(&fitted.embeddings().data) {
            assert!((a - b).abs() <= 1e-6, "{id}: {a} vs {b}");
        }
        // The new node of the larger graph gets the forward pass of the trained weights.
        let ext = fitted.extend(&g1, Some(&f1), &[2 * C], 0).unwrap();
        let fwd = fitted.forward(&g1, Some(&f1)).unwrap();
        for (a, b) in ext.row(2 * C).iter().zip(fwd.row(2 * C)) {
            assert!((a - b).abs() <= 1e-6, "{id}: {a} vs {b}");
        }
        // A fresh training on the larger graph is another model: not what extend returns.
        assert_ne!(
            ext.row(0),
            fwd.row(0),
            "{id}: old rows keep the trained vectors"
        );
    }
}

#[test]
fn structural_gnns_extend_without_explicit_features() {
    let (g0, g1) = (communities(false), communities(true));
    let fitted = GraphSage::new(gnn_params())
        .unwrap()
        .fitted(&g0, 1)
        .unwrap();
    let e = fitted.extend(&g1, None, &[2 * C], 0).unwrap();
    assert!(e.row(2 * C).iter().all(|x| x.is_finite()));
    // Explicit features with other columns than the structural ones are refused.
    assert!(matches!(
        fitted.extend(&g1, Some(&features(2 * C + 1)), &[2 * C], 0),
        Err(GraphError::FeatureColumns { column: 0, .. })
    ));
}

#[test]
fn mismatched_extensions_are_typed_errors() {
    let g1 = communities(true);
    for (_, fitted, f1) in fitted_learners(2) {
        let id = fitted.id();
        let feats = f1.as_ref();
        let small = Graph::untyped(3, &[(0, 1, 1.0)]).unwrap();
        assert_eq!(
            fitted.extend(&small, feats, &[], 0),
            Err(GraphError::GraphShrank {
                trained: 2 * C,
                got: 3
            }),
            "{id}"
        );
        let mut kinds = vec![NodeKind::Other; 2 * C + 1];
        kinds[5] = NodeKind::Model(0);
        let relabelled = Graph::from_edges(kinds, &[(0, 1, 1.0)]).unwrap();
        assert_eq!(
            fitted.extend(&relabelled, feats, &[2 * C], 0),
            Err(GraphError::NodeKindChanged { node: 5 }),
            "{id}"
        );
        assert_eq!(
            fitted.extend(&g1, feats, &[], 0),
            Err(GraphError::NewNodeNotListed {
                node: 2 * C,
                trained: 2 * C
            }),
            "{id}"
        );
        assert_eq!(
            fitted.extend(&g1, feats, &[2 * C, 2 * C], 0),
            Err(GraphError::DuplicateNewNode { node: 2 * C }),
            "{id}"
        );
        assert_eq!(
            fitted.extend(&g1, feats, &[2 * C, 99], 0),
            Err(GraphError::NewNodeOutOfRange {
                node: 99,
                n_nodes: 2 * C + 1
            }),
            "{id}"
        );
        if let Some(f1) = feats {
            assert_eq!(
                fitted.extend(&g1, None, &[2 * C], 0),
                Err(GraphError::MissingFeatures),
                "{id}"
            );
            assert_eq!(
                fitted.extend(&g1, Some(&features(2 * C)), &[2 * C], 0),
                Err(GraphError::FeatureRows {
                    expected: 2 * C + 1,
                    got: 2 * C
                }),
                "{id}"
            );
            let renamed = NodeFeatures::new(
                2 * C + 1,
                (0..8).map(|k| format!("g{k}")).collect(),
                f1.data.clone(),
            )
            .unwrap();
            assert!(
                matches!(
                    fitted.extend(&g1, Some(&renamed), &[2 * C], 0),
                    Err(GraphError::FeatureColumns { column: 0, .. })
                ),
                "{id}"
            );
        }
    }
}

/// A zoo of 10 models on 4 datasets, plus, with `target`, a fifth dataset with distances
/// only (no records): the new target of `zoorank recommend`.
fn zoo(target: bool) -> Zoo {
    let mut z = Zoo::default();
    for i in 0..10 {
        let mut m = Model::named(format!("m{i}"));
        m.num_parameters = Some(1e6 * (1 + i) as f64);
        z.add_model(m);
    }
    let nd = if target { 5 } else { 4 };
    for d in 0..nd {
        let mut ds = Dataset::named(format!("d{d}"));
        ds.num_classes = Some(10.0 + d as f64);
        z.add_dataset(ds);
    }
    for d in 0..4 {
        for m in 0..10 {
            let acc = 0.5 + 0.03 * m as f64 + 0.02 * ((m * 3 + d) % 4) as f64;
            z.records.push(Record::new(m, d, acc));
        }
    }
    for a in 0..nd {
        for b in a + 1..nd {
            z.distances.push(Distance {
                a,
                b,
                method: "ds".into(),
                value: 1.0 + ((a * b + 1) % 3) as f64,
            });
        }
    }
    z
}

#[test]
fn a_new_target_dataset_is_embedded_from_its_dataset_edges() {
    let (z0, z1) = (zoo(false), zoo(true));
    let g0 = build_graph(&z0, &GraphParams::default()).unwrap();
    let g1 = common::held_out_graph(&z1, 4);
    let target = g1.n_nodes() - 1;
    assert_eq!(g1.n_nodes(), g0.n_nodes() + 1);
    assert!(g1.degree(target) > 0);
    assert!(g1
        .neighbors(target)
        .iter()
        .all(|&v| matches!(g1.kind(v), NodeKind::Dataset(_))));
    let f0 = NodeFeatures::from_zoo(&z0, &g0).unwrap();
    let f1 = NodeFeatures::from_zoo(&z1, &g1).unwrap();
    let small = GnnParams {
        dim: 8,
        hidden: 8,
        heads: 2,
        epochs: 30,
        ..GnnParams::default()
    };
    let learners: Vec<Box<dyn InductiveEmbedder>> = vec![
        Box::new(n2v(false)),
        Box::new(GraphSage::new(small).unwrap().with_features(f0.clone())),
        Box::new(Gat::new(small).unwrap().with_features(f0)),
    ];
    for l in learners {
        let fitted = l.fit(&g0, 3).unwrap();
        let e = fitted.extend(&g1, Some(&f1), &[target], 3).unwrap();
        assert!(e.row(target).iter().all(|x| x.is_finite()), "{}", l.id());
        assert!(e.row(target).iter().any(|&x| x != 0.0), "{}", l.id());
    }
}

#[test]
fn several_new_nodes_are_embedded_together_whatever_their_listing_order() {
    // Nodes 2C and 2C + 1 arrive linked to each other, the first to community one, the
    // second to community two.
    let g0 = communities(false);
    let mut kinds = g0.kinds().to_vec();
    kinds.extend([NodeKind::Other; 2]);
    let mut edges = common::edges_of(&g0);
    edges.extend((0..4).map(|i| (2 * C, i, 1.0)));
    edges.extend((0..4).map(|i| (2 * C + 1, C + i, 1.0)));
    edges.push((2 * C, 2 * C + 1, 0.2));
    let g2 = Graph::from_edges(kinds, &edges).unwrap();
    let f = features(2 * C + 2);
    for (learner, gnn) in learners() {
        let id = learner.id();
        let fitted = learner.fit(&g0, 6).unwrap();
        let feats = gnn.then_some(&f);
        let e = fitted.extend(&g2, feats, &[2 * C, 2 * C + 1], 4).unwrap();
        assert_eq!(
            e,
            fitted.extend(&g2, feats, &[2 * C + 1, 2 * C], 4).unwrap(),
            "{id}"
        );
        for (u, own, other) in [(2 * C, 0..C, C..2 * C), (2 * C + 1, C..2 * C, 0..C)] {
            let (near, far) = (mean_cosine(&e, u, own), mean_cosine(&e, u, other));
            assert!(near > far + 0.2, "{id} node {u}: {near:.3} vs {far:.3}");
        }
    }
}

#[test]
fn a_saved_embedder_extends_exactly_like_the_one_that_was_trained() {
    let (g0, g1) = (communities(false), communities(true));
    let f1 = features(2 * C + 1);
    for (learner, gnn) in learners() {
        let id = learner.id();
        let fitted = learner.fit(&g0, 2).unwrap();
        let bytes = fitted.to_bytes();
        let loaded = zoorank_graph::fitted_from_bytes(&bytes).unwrap();
        assert_eq!(loaded.id(), id);
        assert_eq!(loaded.embeddings(), fitted.embeddings(), "{id}");
        let feats = gnn.then_some(&f1);
        assert_eq!(
            loaded.extend(&g1, feats, &[2 * C], 5).unwrap(),
            fitted.extend(&g1, feats, &[2 * C], 5).unwrap(),
            "{id}"
        );
        // Saving again gives the same bytes.
        assert_eq!(loaded.to_bytes(), bytes, "{id}");
    }
    // A GNN on the structural features (no explicit ones) round-trips too.
    let sage = GraphSage::new(GnnParams {
        epochs: 5,
        ..gnn_params()
    })
    .unwrap()
    .fitted(&g0, 1)
    .unwrap();
    let loaded = zoorank_graph::fitted_from_bytes(&sage.to_bytes()).unwrap();
    assert_eq!(
        loaded.extend(&g1, None, &[2 * C], 0).unwrap(),
        sage.extend(&g1, None, &[2 * C], 0).unwrap()
    );
}

#[test]
fn damaged_saved_embedders_are_refused_not_misread() {
    let g0 = communities(false);
    let small = |learner: &dyn InductiveEmbedder| learner.fit(&g0, 1).unwrap().to_bytes();
    let n2v_bytes = small(&n2v(false));
    let gat_bytes = small(
        &Gat::new(GnnParams {
            epochs: 2,
            ..gnn_params()
        })
        .unwrap(),
    );
    // Offset of the node-kind count: after the 9-byte header, Node2Vec's 6 counts, 3 reals and
    // a flag; GAT's architecture byte, 5 counts, 2 reals and the dtype byte.
    for (bytes, kinds_at) in [
        (&n2v_bytes, 9 + 48 + 24 + 1),
        (&gat_bytes, 9 + 1 + 40 + 16 + 1),
    ] {
        // Every truncation is an error (sampled: all prefixes would take a while).
        for cut in (0..bytes.len()).step_by(97).chain([bytes.len() - 1]) {
            assert!(
                matches!(
                    zoorank_graph::fitted_from_bytes(&bytes[..cut]),
                    Err(GraphError::Saved { .. })
                ),
                "cut at {cut}"
            );
        }
        let mut trailing = bytes.clone();
        trailing.push(0);
        assert!(zoorank_graph::fitted_from_bytes(&trailing).is_err());
        let mut magic = bytes.clone();
        magic[0] = b'X';
        let err = zoorank_graph::fitted_from_bytes(&magic).unwrap_err();
        assert!(err.to_string().contains("bad magic"), "{err}");
        let mut version = bytes.clone();
        version[4] = 9;
        let err = zoorank_graph::fitted_from_bytes(&version).unwrap_err();
        assert!(err.to_string().contains("version 9"), "{err}");
        // A huge length field is caught before any allocation.
        let mut huge = bytes.clone();
        huge[kinds_at..kinds_at + 8].copy_from_slice(&(u64::MAX / 16).to_le_bytes());
        let err = zoorank_graph::fitted_from_bytes(&huge).unwrap_err();
        assert!(err.to_string().contains("runs past the end"), "{err}");
    }
}
