//! Coarse recall: a cheap proxy score on one representative per model cluster, spread to
//! every model through similarity, keeps the top K models for fine selection.
//!
//! # The score (Cui et al., Sec. III-B)
//! Cluster the models ([`crate::cluster`]); in every non-singleton cluster the
//! **representative** is the member with the best mean benchmark accuracy `ā(m)`. The proxy
//! (LEEP by default, any transferability score, or a stored one) is computed on the
//! representatives `R` only. Then for every model `m`
//!
//! ```text
//! recall(m) = ā(m) · (1/|R|) Σ_{r ∈ R} max(0, sim(m, r)) · p̃(r)
//! ```
//!
//! where `p̃` is the proxy put on a positive, higher-is-better scale ([`ProxyScale`]).
//! Similarities are clamped at 0 so that a model very unlike a representative (distance > 1,
//! possible with signed metrics such as Matthews correlation) cannot gain from a bad one.
//!
//! # Why rescale the proxy
//! LEEP is an average log-likelihood, so it is negative; multiplied in as it is, a better
//! (less negative) LEEP would *lower* the product and the ranking would turn upside down.
//! [`ProxyScale::Exp`] maps LEEP to `exp(LEEP)` — the geometric mean of the probability the
//! source model's re-labelled predictions give the true label, in `(0, 1]` — which is what the
//! reference code does. Scores with no probabilistic reading (LogME, H-Score, ...) use
//! [`ProxyScale::MinMax`]: `(p − min) / (max − min)` over the proxies that were computed
//! (every proxy 1 when they are all equal), which is positive, higher-is-better and invariant
//! to the score's units.
//!
//! # The reference code's variant
//! The authors' code differs from the paper ([`RecallVariant::MemberProxy`]): members of a
//! non-singleton cluster are scored `ā(m) · p̃(m)` with **their own** proxy (so every such
//! member needs a proxy computation), and singletons `ā(m) · (1/|R|) Σ_r cos(acc_m, acc_r) ·
//! p̃(r)` with the cosine of the raw accuracy vectors instead of `sim`. It is kept as an option
//! for comparison.
//!
//! # Cost
//! [`RecallOutcome::proxy_computations`] counts the proxy calls made (one per representative
//! for the paper's score, plus fall-backs when a representative has no proxy: the next best
//! member of its cluster is tried); `proxy_computations_saved = n_models − calls`. The paper
//! charges a proxy computation as 0.5 epoch of fine-tuning.

use crate::cluster::Clustering;
use crate::error::{ensure_param, Result, SelectError};
use crate::matrix::PerformanceMatrix;
use crate::similarity::ModelDistances;
use serde::Serialize;
use zoorank_core::metrics::cosine;

/// How a proxy is put on a positive, higher-is-better scale before the product.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProxyScale {
    /// `exp(p)`: for average log-likelihoods (LEEP, NLEEP), giving a value in `(0, 1]`.
    Exp,
    /// `(p − min) / (max − min)` over the computed proxies; all 1 when they are equal.
    MinMax,
    /// The proxy as it is (it must already be positive and higher-is-better).
    Identity,
}

impl ProxyScale {
    /// The scale zoorank uses for a proxy method id: `exp` for `leep` and `nleep`, min–max
    /// for everything else.
    pub fn for_method(method: &str) -> ProxyScale {
        match method.to_ascii_lowercase().as_str() {
            "leep" | "nleep" | "n-leep" => ProxyScale::Exp,
            _ => ProxyScale::MinMax,
        }
    }

    /// Stable id.
    pub fn as_str(self) -> &'static str {
        match self {
            ProxyScale::Exp => "exp",
            ProxyScale::MinMax => "min-max",
            ProxyScale::Identity => "identity",
        }
    }

    fn apply(self, values: &[f64]) -> Vec<f64> {
        match self {
            ProxyScale::Exp => values.iter().map(|v| v.exp()).collect(),
            ProxyScale::Identity => values.to_vec(),
            ProxyScale::MinMax => {
                let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
                let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                if hi > lo {
                    values.iter().map(|v| (v - lo) / (hi - lo)).collect()
                } else {
                    vec![1.0; values.len()]
                }
            }
        }
    }
}

/// Which recall score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RecallVariant {
    /// The paper's: similarity-weighted mean of the representatives' proxies, for every model.
    Paper,
    /// The reference code's: each non-singleton member's own proxy; cosine-weighted mean for
    /// singletons.
    MemberProxy,
}

/// Parameters of [`recall`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RecallParams {
    /// How many models to keep.
    pub top: usize,
    /// Which score.
    pub variant: RecallVariant,
    /// How the proxy is rescaled.
    pub scale: ProxyScale,
}

impl Default for RecallParams {
    fn default() -> Self {
        RecallParams {
            top: 10,
            variant: RecallVariant::Paper,
            scale: ProxyScale::Exp,
        }
    }
}

/// One model's recall result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecalledModel {
    /// Row of the model in the performance matrix.
    pub model: usize,
    /// Its name.
    pub name: String,
    /// 1-based rank by recall score.
    pub rank: usize,
    /// The recall score.
    pub score: f64,
    /// Mean benchmark accuracy `ā(m)`.
    pub mean_accuracy: f64,
    /// Cluster id.
    pub cluster: usize,
    /// Whether it is its cluster's representative.
    pub representative: bool,
    /// Its raw proxy value, when one was computed.
    pub proxy: Option<f64>,
    /// Whether it is in the top K.
    pub recalled: bool,
}

/// The result of [`recall`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecallOutcome {
    /// Every model, best first.
    pub ranking: Vec<RecalledModel>,
    /// Representatives (matrix rows), in cluster order.
    pub representatives: Vec<usize>,
    /// Proxy computations made.
    pub proxy_computations: usize,
    /// `n_models − proxy_computations`.
    pub proxy_computations_saved: usize,
}

impl RecallOutcome {
    /// The recalled models (the top K), best first.
    pub fn recalled(&self) -> impl Iterator<Item = &RecalledModel> {
        self.ranking.iter().filter(|r| r.recalled)
    }

    /// 1-based rank of a model by name.
    pub fn rank_of(&self, name: &str) -> Option<usize> {
        self.ranking.iter().find(|r| r.name == name).map(|r| r.rank)
    }
}

/// Recall: ranks every model of `matrix` and keeps the top `params.top`.
///
/// `proxy(m)` computes (or looks up) the proxy score of matrix row `m` on the target;
/// `Ok(None)` means "not available" (the next best member of the cluster is tried), an error
/// aborts. It is called only for the models whose proxy is needed.
///
/// # Errors
/// [`SelectError::Shape`] when `dist` or `clustering` do not match `matrix`;
/// [`SelectError::InvalidParameter`] for `top == 0`; [`SelectError::NotEnoughData`] when no
/// non-singleton cluster has a proxy; a non-finite proxy is [`SelectError::NonFinite`];
/// errors of `proxy` are passed on.
pub fn recall<F>(
    matrix: &PerformanceMatrix,
    dist: &ModelDistances,
    clustering: &Clustering,
    params: RecallParams,
    mut proxy: F,
) -> Result<RecallOutcome>
where
    F: FnMut(usize) -> Result<Option<f64>>,
{
    let n = matrix.n_models();
    for (what, got) in [
        ("distance matrix", dist.len()),
        ("clustering", clustering.labels.len()),
    ] {
        if got != n {
            return Err(SelectError::Shape {
                what: format!("{what} vs performance matrix models"),
                expected: n,
                got,
            });
        }
    }
    ensure_param(
        params.top > 0,
        "top",
        params.top,
        "recall must keep at least one model",
    )?;
    let mean: Vec<f64> = (0..n)
        .map(|m| matrix.mean_accuracy(m).unwrap_or(0.0))
        .collect();
    let mut calls = 0usize;
    let mut raw: Vec<Option<f64>> = vec![None; n];
    let mut asked = vec![false; n];
    let mut ask = |m: usize, raw: &mut Vec<Option<f64>>| -> Result<Option<f64>> {
        if asked[m] {
            return Ok(raw[m]);
        }
        asked[m] = true;
        calls += 1;
        let v = proxy(m)?;
        if let Some(x) = v {
            if !x.is_finite() {
                return Err(SelectError::NonFinite {
                    what: "proxy score".into(),
                    location: matrix.models()[m].clone(),
                });
            }
        }
        raw[m] = v;
        Ok(v)
    };

    // Representatives: best mean accuracy first, falling back down the cluster when a proxy
    // is unavailable.
    let clusters = clustering.clusters();
    let mut rep_of_cluster: Vec<Option<usize>> = vec![None; clusters.len()];
    for (c, members) in clusters.iter().enumerate() {
        if members.len() < 2 {
            continue;
        }
        let mut order = members.clone();
        order.sort_by(|&a, &b| mean[b].total_cmp(&mean[a]).then(a.cmp(&b)));
        for m in order {
            if ask(m, &mut raw)?.is_some() {
                rep_of_cluster[c] = Some(m);
                break;
            }
        }
    }
    if params.variant == RecallVariant::MemberProxy {
        for members in clusters.iter().filter(|c| c.len() > 1) {
            for &m in members {
                ask(m, &mut raw)?;
            }
        }
    }
    let reps: Vec<usize> = rep_of_cluster.iter().flatten().copied().collect();
    if reps.is_empty() {
        return Err(SelectError::NotEnoughData(
            "no non-singleton cluster has a proxy score: lower the clustering threshold's \
             strictness or provide proxies"
                .into(),
        ));
    }
    // Scale every computed proxy together.
    let computed: Vec<usize> = (0..n).filter(|&m| raw[m].is_some()).collect();
    let scaled_values = params.scale.apply(
        &computed
            .iter()
            .map(|&m| raw[m].unwrap())
            .collect::<Vec<_>>(),
    );
    let mut scaled = vec![None; n];
    for (&m, v) in computed.iter().zip(scaled_values) {
        scaled[m] = Some(v);
    }

    let rows = matrix.imputed_rows();
    let score: Vec<f64> = (0..n)
        .map(|m| {
            let cluster = clustering.labels[m];
            let spread = |w: &dyn Fn(usize) -> f64| {
                reps.iter().map(|&r| w(r) * scaled[r].unwrap()).sum::<f64>() / reps.len() as f64
            };
            let factor = match params.variant {
                RecallVariant::Paper => spread(&|r| dist.similarity(m, r).max(0.0)),
                RecallVariant::MemberProxy => {
                    if clusters[cluster].len() > 1 {
                        scaled[m]
                            .or_else(|| rep_of_cluster[cluster].and_then(|r| scaled[r]))
                            .unwrap_or(0.0)
                    } else {
                        spread(&|r| cosine(&rows[m], &rows[r]))
                    }
                }
            };
            mean[m] * factor
        })
        .collect();

    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| {
        score[b]
            .total_cmp(&score[a])
            .then(mean[b].total_cmp(&mean[a]))
            .then(a.cmp(&b))
    });
    let ranking = order
        .iter()
        .enumerate()
        .map(|(i, &m)| RecalledModel {
            model: m,
            name: matrix.models()[m].clone(),
            rank: i + 1,
            score: score[m],
            mean_accuracy: mean[m],
            cluster: clustering.labels[m],
            representative: reps.contains(&m),
            proxy: raw[m],
            recalled: i < params.top,
        })
        .collect();
    Ok(RecallOutcome {
        ranking,
        representatives: reps,
        proxy_computations: calls,
        proxy_computations_saved: n - calls.min(n),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::hierarchical;
    use crate::similarity::model_distances;

    fn toy() -> PerformanceMatrix {
        PerformanceMatrix::from_dense(
            vec!["a".into(), "b".into(), "c".into(), "d".into(), "e".into()],
            vec!["x".into(), "y".into()],
            vec![
                vec![0.90, 0.80],
                vec![0.88, 0.79],
                vec![0.50, 0.40],
                vec![0.52, 0.41],
                vec![0.70, 0.10],
            ],
        )
        .unwrap()
    }

    #[test]
    fn proxies_are_computed_on_representatives_only() {
        let m = toy();
        let d = model_distances(&m, 5).unwrap();
        let c = hierarchical(&d, 0.05).unwrap();
        let mut asked = Vec::new();
        let out = recall(
            &m,
            &d,
            &c,
            RecallParams {
                top: 2,
                ..Default::default()
            },
            |i| {
                asked.push(i);
                Ok(Some(-0.5))
            },
        )
        .unwrap();
        assert_eq!(asked, vec![0, 3]);
        assert_eq!(out.proxy_computations, 2);
        assert_eq!(out.proxy_computations_saved, 3);
        assert_eq!(
            out.recalled().map(|r| r.name.as_str()).collect::<Vec<_>>(),
            ["a", "b"]
        );
    }

    #[test]
    fn negative_leep_does_not_invert_the_ranking() {
        // Two clusters; the one whose representative has the better (less negative) LEEP
        // must come first although its accuracy is equal.
        let m = PerformanceMatrix::from_dense(
            vec!["a".into(), "b".into(), "c".into(), "d".into()],
            vec!["x".into()],
            vec![vec![0.6], vec![0.6], vec![0.0], vec![0.0]],
        )
        .unwrap();
        let d = ModelDistances::from_square(
            4,
            vec![
                0.0, 0.01, 0.9, 0.9, 0.01, 0.0, 0.9, 0.9, 0.9, 0.9, 0.0, 0.01, 0.9, 0.9, 0.01, 0.0,
            ],
        )
        .unwrap();
        let c = Clustering::from_labels(&[0, 0, 1, 1]);
        let leep = [-3.0, -3.0, -0.1, -0.1];
        let out = recall(&m, &d, &c, RecallParams::default(), |i| Ok(Some(leep[i]))).unwrap();
        // a (LEEP -3) and b share accuracy; their score comes from both reps, weighted by sim.
        assert!(out.ranking[0].score > 0.0);
        let mm = recall(
            &m,
            &d,
            &c,
            RecallParams {
                variant: RecallVariant::MemberProxy,
                ..Default::default()
            },
            |i| Ok(Some(leep[i])),
        )
        .unwrap();
        assert_eq!(mm.proxy_computations, 4);
        assert!(mm.ranking.iter().all(|r| r.score >= 0.0));
    }

    #[test]
    fn falls_back_when_a_representative_has_no_proxy_and_errors_when_none_has() {
        let m = toy();
        let d = model_distances(&m, 5).unwrap();
        let c = hierarchical(&d, 0.05).unwrap();
        let out = recall(&m, &d, &c, RecallParams::default(), |i| {
            Ok(if i == 0 { None } else { Some(1.0) })
        })
        .unwrap();
        assert_eq!(out.representatives, vec![1, 3]);
        assert_eq!(out.proxy_computations, 3);
        let e = recall(&m, &d, &c, RecallParams::default(), |_| Ok(None)).unwrap_err();
        assert!(matches!(e, SelectError::NotEnoughData(_)));
        let e = recall(&m, &d, &c, RecallParams::default(), |_| Ok(Some(f64::NAN))).unwrap_err();
        assert!(matches!(e, SelectError::NonFinite { .. }));
        let e = recall(
            &m,
            &d,
            &c,
            RecallParams {
                top: 0,
                ..Default::default()
            },
            |_| Ok(Some(1.0)),
        );
        assert!(matches!(
            e,
            Err(SelectError::InvalidParameter { name: "top", .. })
        ));
    }

    #[test]
    fn min_max_scale_is_positive_and_handles_ties() {
        assert_eq!(ProxyScale::MinMax.apply(&[2.0, 2.0]), vec![1.0, 1.0]);
        assert_eq!(
            ProxyScale::MinMax.apply(&[-1.0, 1.0, 0.0]),
            vec![0.0, 1.0, 0.5]
        );
        assert_eq!(ProxyScale::for_method("LEEP"), ProxyScale::Exp);
        assert_eq!(ProxyScale::for_method("logme"), ProxyScale::MinMax);
    }
}
