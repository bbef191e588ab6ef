//! The TransferGraph graph of a zoo (Li et al., ICDE 2024, §III; details in the TU Delft thesis).
//!
//! Nodes: every model (`0..n_models`, node `m` = model `m`) and every dataset (node
//! `n_models + d` = dataset `d`). Edges, all undirected with a positive weight:
//!
//! - **dataset–dataset, Domain Similarity.** With the zoo's first distance method and `x_de` the
//!   distance of d to e, `s_de = exp(−(x_de − min_e x_de) / σ_d)` where σ_d is the standard
//!   deviation of d's distances (the nearest dataset gets 1, one σ farther ≈ 0.37). Each
//!   dataset keeps its `similarity_top_k` most similar datasets with `s ≥ similarity_threshold`.
//! - **dataset–dataset, history** (for zoos without distances, and on top of them): the
//!   Pearson correlation of two datasets' min-max normalised best accuracies over the models
//!   fine-tuned on both (at least `history_min_shared`); each dataset keeps its
//!   `similarity_top_k` best with `r ≥ history_threshold`, weight r. Where both kinds exist
//!   the larger weight is kept.
//! - **model–dataset**, from fine-tuning accuracy: ground truth is the best non-PEFT accuracy
//!   `a_md`; normalised within d, `ã_md = (a_md − min) / (max − min)`. A positive link is kept
//!   when `ã_md ≥ q_d`, the `link_quantile` quantile of d's `ã` (so each dataset links its
//!   better models), with weight `max(a_md, 10⁻³)` (accuracy; metrics like Matthews correlation
//!   may be ≤ 0).
//! - A dataset whose runs mostly collapsed to one chance-level accuracy
//!   ([`zoorank_core::collapse`]) gets neither accuracy links nor history edges: its ties carry
//!   no ranking.
//! - **model–source dataset**: `model.source_dataset` resolved by name, weight `source_weight`.
//! - **model–dataset, transferability scores** (optional, `score_weight > 0`; TransferGraph's
//!   "with transfer" graph): the stored scores of one method — `logme` when the zoo has it,
//!   else the first stored method by name — min-max normalised within each dataset to `s̃_md`;
//!   a link is kept when `s̃_md` reaches the dataset's `link_quantile` quantile, with weight
//!   `score_weight · max(s̃_md, 10⁻³)`. Scores are computed from the pre-trained model's
//!   features on the dataset, not from fine-tuning, so the held-out target keeps these links:
//!   they are the one model edge a new dataset can have. Where an accuracy link joins the
//!   same pair, the larger weight is kept.
//!
//! The zoo handed in is the held-out view (the target's records already removed), so the target
//! gets no accuracy link; `GraphParams::hold_out` additionally keeps **every** model edge
//! (source links and any stray record) off that dataset, leaving it only its dataset–dataset
//! edges, as TransferGraph prescribes.
//!
//! Complexity: O(D² · M) for the history correlations (D datasets, M models), O(R) for the
//! records; a few milliseconds on the image zoo (≈ 185 models, ≈ 70 datasets).

use crate::error::{check_counts, check_non_negative, invalid, GraphError};
use crate::graph::{Graph, NodeKind};
use zoorank_core::{DatasetIdx, Zoo};

/// Graph construction parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GraphParams {
    /// Most similar datasets kept per dataset (each kind of similarity). ≥ 1.
    pub similarity_top_k: usize,
    /// Minimum Domain-Similarity similarity `s` ∈ (0, 1] of a kept edge.
    pub similarity_threshold: f64,
    /// Minimum correlation of a kept history edge, in (0, 1].
    pub history_threshold: f64,
    /// Minimum number of shared models for a history correlation. ≥ 3.
    pub history_min_shared: usize,
    /// Per-dataset quantile of normalised accuracy above which a model–dataset link is kept,
    /// in [0, 1] (0 keeps every record).
    pub link_quantile: f64,
    /// Weight of model–source-dataset edges (> 0); 0 disables them.
    pub source_weight: f64,
    /// Weight scale of model–dataset transferability-score edges; 0 (the default) disables
    /// them.
    pub score_weight: f64,
    /// A dataset that gets no model edge at all (the held-out target).
    pub hold_out: Option<DatasetIdx>,
}

impl Default for GraphParams {
    fn default() -> Self {
        GraphParams {
            similarity_top_k: 5,
            similarity_threshold: 0.2,
            history_threshold: 0.3,
            history_min_shared: 5,
            link_quantile: 0.5,
            source_weight: 1.0,
            score_weight: 0.0,
            hold_out: None,
        }
    }
}

impl GraphParams {
    fn validate(&self) -> Result<(), GraphError> {
        check_counts(&[("similarity_top_k", self.similarity_top_k)])?;
        for (name, v) in [
            ("similarity_threshold", self.similarity_threshold),
            ("history_threshold", self.history_threshold),
        ] {
            if !(v > 0.0 && v <= 1.0) {
                return Err(invalid(name, v, "must be in (0, 1]"));
            }
        }
        if self.history_min_shared < 3 {
            return Err(invalid(
                "history_min_shared",
                self.history_min_shared as f64,
                "must be ≥ 3",
            ));
        }
        if !(0.0..=1.0).contains(&self.link_quantile) {
            return Err(invalid(
                "link_quantile",
                self.link_quantile,
                "must be in [0, 1]",
            ));
        }
        check_non_negative("source_weight", self.source_weight)?;
        check_non_negative("score_weight", self.score_weight)
    }
}

/// Node of model `m` in a graph built by [`build_graph`].
pub fn model_node(m: usize) -> usize {
    m
}

/// Node of dataset `d` in a graph built by [`build_graph`] on `zoo`.
pub fn dataset_node(zoo: &Zoo, d: DatasetIdx) -> usize {
    zoo.models.len() + d
}

/// Builds the TransferGraph graph of `zoo` (see the module docs for every edge).
///
/// # Errors
/// [`GraphError::InvalidParam`] for parameters out of range.
pub fn build_graph(zoo: &Zoo, params: &GraphParams) -> Result<Graph, GraphError> {
    params.validate()?;
    let nm = zoo.models.len();
    let nd = zoo.datasets.len();
    let mut kinds: Vec<NodeKind> = (0..nm).map(NodeKind::Model).collect();
    kinds.extend((0..nd).map(NodeKind::Dataset));
    let held = |d: DatasetIdx| params.hold_out == Some(d);

    // Best non-PEFT accuracy per (dataset, model); collapsed datasets give no links.
    let best = zoo.best_accuracies();
    // Min-max normalised accuracies.
    let mut norm: Vec<Vec<Option<f64>>> = vec![vec![None; nm]; nd];
    for d in 0..nd {
        let vals: Vec<f64> = best[d].iter().flatten().copied().collect();
        if vals.is_empty() || zoorank_core::collapse(&vals).is_some() {
            continue;
        }
        let lo = vals.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = vals.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        for m in 0..nm {
            norm[d][m] = best[d][m].map(|v| if hi > lo { (v - lo) / (hi - lo) } else { 1.0 });
        }
    }

    let mut edges: Vec<(usize, usize, f64)> = Vec::new();
    // Model–dataset accuracy links.
    for d in 0..nd {
        if held(d) {
            continue;
        }
        let mut vals: Vec<f64> = norm[d].iter().flatten().copied().collect();
        if vals.is_empty() {
            continue;
        }
        vals.sort_by(f64::total_cmp);
        let q = quantile_sorted(&vals, params.link_quantile);
        for m in 0..nm {
            if let (Some(a), Some(t)) = (best[d][m], norm[d][m]) {
                if t >= q {
                    edges.push((model_node(m), nm + d, a.max(1e-3)));
                }
            }
        }
    }
    // Model–source-dataset links.
    if params.source_weight > 0.0 {
        for (m, model) in zoo.models.iter().enumerate() {
            if let Some(s) = model
                .source_dataset
                .as_deref()
                .and_then(|s| zoo.dataset_index(s))
            {
                if !held(s) {
                    edges.push((model_node(m), nm + s, params.source_weight));
                }
            }
        }
    }
    if params.score_weight > 0.0 {
        score_links(zoo, params, &mut edges);
    }
    // Dataset–dataset: Domain Similarity and history, larger weight wins (Graph merges).
    if let Some(method) = zoo.distance_methods().first() {
        let dist = zoo.distance_matrix(method);
        for (d, dist_d) in dist.iter().enumerate() {
            let row: Vec<(usize, f64)> = (0..nd)
                .filter(|&e| e != d)
                .filter_map(|e| dist_d[e].filter(|x| x.is_finite()).map(|x| (e, x)))
                .collect();
            if row.is_empty() {
                continue;
            }
            let mean = row.iter().map(|x| x.1).sum::<f64>() / row.len() as f64;
            let sd =
                (row.iter().map(|x| (x.1 - mean).powi(2)).sum::<f64>() / row.len() as f64).sqrt();
            let scale = if sd > 0.0 { sd } else { 1.0 };
            let lo = row.iter().map(|x| x.1).fold(f64::INFINITY, f64::min);
            let sims: Vec<(usize, f64)> = row
                .iter()
                .map(|&(e, x)| (e, (-(x - lo) / scale).exp()))
                .collect();
            for (e, s) in top_k(sims, params.similarity_top_k, params.similarity_threshold) {
                edges.push((nm + d, nm + e, s));
            }
        }
    }
    for d in 0..nd {
        let sims: Vec<(usize, f64)> = (0..nd)
            .filter(|&e| e != d)
            .filter_map(|e| {
                correlation(&norm[d], &norm[e], params.history_min_shared).map(|r| (e, r))
            })
            .collect();
        for (e, r) in top_k(sims, params.similarity_top_k, params.history_threshold) {
            edges.push((nm + d, nm + e, r));
        }
    }
    Graph::from_edges(kinds, &edges)
}

/// The method whose scores become edges: `logme` when stored, else the first by name.
pub fn score_edge_method(zoo: &Zoo) -> Option<String> {
    let methods = zoo.score_methods();
    methods
        .iter()
        .find(|m| m.as_str() == "logme")
        .or(methods.first())
        .cloned()
}

/// Model–dataset links from transferability scores (module docs), the held-out dataset
/// included. Non-finite scores are skipped; a model scored twice keeps its larger score.
fn score_links(zoo: &Zoo, params: &GraphParams, edges: &mut Vec<(usize, usize, f64)>) {
    let Some(method) = score_edge_method(zoo) else {
        return;
    };
    let nm = zoo.models.len();
    let mut by_dataset: Vec<Vec<Option<f64>>> = vec![vec![None; nm]; zoo.datasets.len()];
    for s in zoo
        .scores
        .iter()
        .filter(|s| s.method == method && s.value.is_finite())
    {
        let cell = &mut by_dataset[s.dataset][s.model];
        *cell = Some(cell.map_or(s.value, |v: f64| v.max(s.value)));
    }
    for (d, row) in by_dataset.iter().enumerate() {
        let mut vals: Vec<f64> = row.iter().flatten().copied().collect();
        if vals.len() < 2 {
            continue;
        }
        vals.sort_by(f64::total_cmp);
        let (lo, hi) = (vals[0], vals[vals.len() - 1]);
        if hi <= lo {
            continue;
        }
        let norm = |v: f64| (v - lo) / (hi - lo);
        let q = norm(quantile_sorted(&vals, params.link_quantile));
        for (m, v) in row.iter().enumerate() {
            if let Some(v) = v.map(norm).filter(|&v| v >= q) {
                edges.push((model_node(m), nm + d, params.score_weight * v.max(1e-3)));
            }
        }
    }
}

/// The `k` largest similarities ≥ `threshold`, ties broken by dataset index.
fn top_k(mut sims: Vec<(usize, f64)>, k: usize, threshold: f64) -> Vec<(usize, f64)> {
    sims.retain(|x| x.1 >= threshold);
    sims.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    sims.truncate(k);
    sims
}

/// Linear-interpolation quantile of sorted values (NumPy's default).
fn quantile_sorted(v: &[f64], q: f64) -> f64 {
    let pos = q * (v.len() - 1) as f64;
    let (i, f) = (pos.floor() as usize, pos - pos.floor());
    if i + 1 < v.len() {
        v[i] + f * (v[i + 1] - v[i])
    } else {
        v[i]
    }
}

/// Pearson correlation over the entries present in both, `None` with fewer than `min_shared`
/// or a constant side.
fn correlation(a: &[Option<f64>], b: &[Option<f64>], min_shared: usize) -> Option<f64> {
    let pairs: Vec<(f64, f64)> = a
        .iter()
        .zip(b)
        .filter_map(|(x, y)| Some(((*x)?, (*y)?)))
        .collect();
    if pairs.len() < min_shared {
        return None;
    }
    let n = pairs.len() as f64;
    let mx = pairs.iter().map(|p| p.0).sum::<f64>() / n;
    let my = pairs.iter().map(|p| p.1).sum::<f64>() / n;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for &(x, y) in &pairs {
        sxy += (x - mx) * (y - my);
        sxx += (x - mx).powi(2);
        syy += (y - my).powi(2);
    }
    (sxx > 0.0 && syy > 0.0).then(|| sxy / (sxx * syy).sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;
    use zoorank_core::{Dataset, Distance, Model, Record};

    /// The default parameters with dataset `t` held out.
    fn held_out(t: DatasetIdx) -> GraphParams {
        GraphParams {
            hold_out: Some(t),
            ..GraphParams::default()
        }
    }

    /// 6 models, datasets a, b, c (records) and t (target: distances only), source dataset s.
    fn zoo() -> Zoo {
        let mut z = Zoo::default();
        for i in 0..6 {
            let mut m = Model::named(format!("m{i}"));
            if i == 0 {
                m.source_dataset = Some("s".into());
            }
            if i == 1 {
                m.source_dataset = Some("t".into());
            }
            z.add_model(m);
        }
        for n in ["a", "b", "c", "t", "s"] {
            z.add_dataset(Dataset::named(n));
        }
        for m in 0..6 {
            let x = m as f64 / 10.0;
            z.records.push(Record::new(m, 0, 0.3 + x));
            z.records
                .push(Record::new(m, 1, 0.2 + x * 0.9 + 0.01 * (m % 2) as f64));
            z.records.push(Record::new(m, 2, 0.9 - x));
        }
        let mut lora = Record::new(5, 2, 0.99);
        lora.peft_method = Some("lora".into());
        z.records.push(lora);
        for (a, b, v) in [
            (3, 0, 1.0),
            (3, 1, 2.0),
            (3, 2, 5.0),
            (0, 1, 1.0),
            (0, 2, 4.0),
            (1, 2, 4.5),
        ] {
            z.distances.push(Distance {
                a,
                b,
                method: "ds".into(),
                value: v,
            });
        }
        z
    }

    #[test]
    fn the_held_out_target_has_only_dataset_edges() {
        let z = zoo();
        let t = 3;
        let g = build_graph(&z, &held_out(t)).unwrap();
        let tn = dataset_node(&z, t);
        assert!(g.degree(tn) > 0, "the target keeps its distance edges");
        for &n in g.neighbors(tn) {
            assert!(
                matches!(g.kind(n), NodeKind::Dataset(_)),
                "target linked to {:?}",
                g.kind(n)
            );
        }
        // Without hold_out, model 1's source link reaches the target; with it, nothing does.
        let open = build_graph(&z, &GraphParams::default()).unwrap();
        assert!(open.weight(model_node(1), tn).is_some());
        // Even a stray record of the target stays out when it is held out.
        let mut leaky = z.clone();
        leaky.records.push(Record::new(2, t, 0.8));
        let g2 = build_graph(&leaky, &held_out(t)).unwrap();
        assert_eq!(g, g2);
    }

    #[test]
    fn accuracy_links_follow_the_per_dataset_quantile() {
        let z = zoo();
        let g = build_graph(&z, &GraphParams::default()).unwrap();
        let a = dataset_node(&z, 0);
        let c = dataset_node(&z, 2);
        // On a (accuracy rises with m) the top half m3..m5 link; on c (falls) m0..m2.
        let models_of = |n: usize| -> Vec<usize> {
            g.neighbors(n).iter().copied().filter(|&x| x < 6).collect()
        };
        assert_eq!(models_of(a), vec![3, 4, 5]);
        assert_eq!(models_of(c), vec![0, 1, 2]); // the LoRA 0.99 of m5 does not count
        assert!((g.weight(5, a).unwrap() - 0.8).abs() < 1e-12);
        // Source link.
        assert_eq!(g.weight(0, dataset_node(&z, 4)), Some(1.0));
        // link_quantile 0 keeps every record.
        let all = build_graph(
            &z,
            &GraphParams {
                link_quantile: 0.0,
                ..GraphParams::default()
            },
        )
        .unwrap();
        assert_eq!(all.neighbors(a).iter().filter(|&&x| x < 6).count(), 6);
    }

    #[test]
    fn history_similarity_links_correlated_datasets_without_distances() {
        let mut z = zoo();
        z.distances.clear();
        let g = build_graph(&z, &held_out(3)).unwrap();
        let (a, b, c) = (
            dataset_node(&z, 0),
            dataset_node(&z, 1),
            dataset_node(&z, 2),
        );
        assert!(g.weight(a, b).unwrap() > 0.9);
        assert_eq!(
            g.weight(a, c),
            None,
            "anti-correlated datasets are not linked"
        );
        assert_eq!(
            g.degree(dataset_node(&z, 3)),
            0,
            "no distances, no records: isolated target"
        );
    }

    #[test]
    fn domain_similarity_keeps_the_top_k() {
        let z = zoo();
        let g = build_graph(
            &z,
            &GraphParams {
                similarity_top_k: 1,
                hold_out: Some(3),
                ..GraphParams::default()
            },
        )
        .unwrap();
        let t = dataset_node(&z, 3);
        // t's nearest is a (distance 1); b and c may link to t only from their own top-1.
        assert!(g.weight(t, dataset_node(&z, 0)).is_some());
        assert_eq!(g.weight(t, dataset_node(&z, 2)), None);
    }

    #[test]
    fn invalid_parameters_are_rejected() {
        let z = zoo();
        let d = GraphParams::default();
        for p in [
            GraphParams {
                similarity_top_k: 0,
                ..d
            },
            GraphParams {
                similarity_threshold: 0.0,
                ..d
            },
            GraphParams {
                history_threshold: f64::NAN,
                ..d
            },
            GraphParams {
                history_min_shared: 2,
                ..d
            },
            GraphParams {
                link_quantile: 1.5,
                ..d
            },
            GraphParams {
                source_weight: -1.0,
                ..d
            },
            GraphParams {
                score_weight: f64::NAN,
                ..d
            },
        ] {
            assert!(
                matches!(build_graph(&z, &p), Err(GraphError::InvalidParam { .. })),
                "{p:?}"
            );
        }
    }

    #[test]
    fn quantile_matches_numpy_linear() {
        // numpy.quantile([0, 1, 2, 10], [0, 0.5, 0.9, 1]) = [0, 1.5, 7.6, 10]
        let v = [0.0, 1.0, 2.0, 10.0];
        for (q, want) in [(0.0, 0.0), (0.5, 1.5), (0.9, 7.6), (1.0, 10.0)] {
            assert!((quantile_sorted(&v, q) - want).abs() < 1e-12);
        }
    }

    /// `zoo()` with `method` scores of models 0..6 on the target t (model m scores `m`) and
    /// on dataset a (reversed), plus an unusable NaN.
    fn scored(method: &str) -> Zoo {
        let mut z = zoo();
        for m in 0..6 {
            for (d, v) in [(3, m as f64), (0, 5.0 - m as f64)] {
                z.scores.push(zoorank_core::ScoreRecord {
                    model: m,
                    dataset: d,
                    method: method.into(),
                    value: v,
                    runtime: None,
                });
            }
        }
        z.scores.push(zoorank_core::ScoreRecord {
            model: 0,
            dataset: 2,
            method: method.into(),
            value: f64::NAN,
            runtime: None,
        });
        z
    }

    #[test]
    fn score_edges_link_the_held_out_target_to_its_best_scored_models_only() {
        let z = scored("logme");
        let t = 3;
        let params = GraphParams {
            hold_out: Some(t),
            score_weight: 2.0,
            ..GraphParams::default()
        };
        let g = build_graph(&z, &params).unwrap();
        let tn = dataset_node(&z, t);
        // Normalised scores m/5; the median (link_quantile 0.5) is 0.5: models 3, 4, 5 link,
        // with weight 2 · m/5.
        for m in 0..6 {
            let w = g.weight(model_node(m), tn);
            if m >= 3 {
                let want = 2.0 * m as f64 / 5.0;
                assert!((w.unwrap() - want).abs() < 1e-12, "model {m}: {w:?}");
            } else {
                assert_eq!(w, None, "model {m}");
            }
        }
        // On a dataset with records, the larger of the accuracy and score weights stays:
        // model 0 scores best on a (weight 2) and its accuracy link there is 0.3.
        assert_eq!(g.weight(model_node(0), dataset_node(&z, 0)), Some(2.0));
        // c's only score is NaN: skipped, not an error; model 0 keeps its accuracy link (0.9).
        assert_eq!(g.weight(model_node(0), dataset_node(&z, 2)), Some(0.9));
        // Off by default: the same zoo without score_weight is the zoo without scores.
        let off = held_out(t);
        assert_eq!(
            build_graph(&z, &off).unwrap(),
            build_graph(&zoo(), &off).unwrap()
        );
        // The target's accuracy records still stay out with score edges on.
        let mut leaky = z.clone();
        leaky.records.push(Record::new(0, t, 0.99));
        assert_eq!(build_graph(&leaky, &params).unwrap(), g);
    }

    #[test]
    fn score_edges_prefer_logme_then_the_first_method_by_name() {
        let mut z = scored("reg-h-score");
        assert_eq!(score_edge_method(&z).as_deref(), Some("reg-h-score"));
        z.scores.extend(scored("logme").scores);
        assert_eq!(score_edge_method(&z).as_deref(), Some("logme"));
        assert_eq!(score_edge_method(&zoo()), None);
        // Without stored scores, score_weight changes nothing.
        let p = GraphParams {
            score_weight: 1.0,
            ..GraphParams::default()
        };
        assert_eq!(
            build_graph(&zoo(), &p).unwrap(),
            build_graph(&zoo(), &GraphParams::default()).unwrap()
        );
    }
}
