//! The budgeted loop, simulated leave-one-dataset-out: on each target's held-out view a
//! [`Strategy`] picks models one at a time, the harness reveals each pick's recorded accuracy,
//! the ranking is conditioned on the runs revealed so far
//! ([`zoorank_predict::accuracy::Conditioner`]), and after every reveal the whole ranking is
//! scored:
//!
//! - `rel@1`: the better of the best revealed run and the ranking's top model, over the best
//!   model (the user keeps the best run seen);
//! - `regret`: the best accuracy minus that;
//! - `w-kendall`: weighted τ of the ranking (revealed models at their recorded value);
//! - `mae`: mean absolute error of the predicted accuracies of the models not revealed;
//! - with intervals, `coverage@80` and `width@80` (for 0.8) of those models' intervals,
//!   calibrated for as many runs as were revealed.
//!
//! The loop sees recorded accuracies only through the `reveal` callback, called once per
//! pick ([`simulate`]); the tests check that accuracies never revealed cannot change a pick.

use crate::accuracy::{accuracy_metric_names, accuracy_metrics};
use crate::metrics::{self, MetricError};
use std::collections::BTreeMap;
use zoorank_core::ModelIdx;
use zoorank_predict::accuracy::experts::expit;
use zoorank_predict::accuracy::strategy::Strategy;
use zoorank_predict::accuracy::{CalibrationFolds, Conditioned, Conditioner, Observation};

/// The metrics of a reveal curve, in table order.
pub const REVEAL_METRICS: [&str; 4] = ["rel@1", "w-kendall", "regret", "mae"];

/// The state after each reveal: `steps[k]` holds the first `k` runs and the ranking conditioned
/// on them, for k = 0..=`max_k` (fewer when the candidates run out).
///
/// `reveal(m)` is the only access to recorded accuracies; it is called once per picked model,
/// in pick order. A pick whose accuracy is unknown (`None`) is skipped and not picked again.
pub fn simulate(
    cond: &Conditioner,
    clusters: &[usize],
    strategy: Strategy,
    max_k: usize,
    reveal: &mut dyn FnMut(ModelIdx) -> Option<f64>,
) -> Vec<(Vec<Observation>, Conditioned)> {
    let mut observed: Vec<Observation> = Vec::new();
    let mut state = cond.condition(&observed);
    let mut steps = vec![(observed.clone(), state.clone())];
    let mut unknown: Vec<ModelIdx> = Vec::new();
    while observed.len() < max_k {
        // Models whose run is unknown count as seen for the strategy, not as observations.
        let mut view = state.clone();
        for (i, m) in view.models.iter().enumerate() {
            if unknown.contains(m) {
                view.observed[i] = true;
            }
        }
        let Some(m) = strategy.pick(&view, clusters) else {
            break;
        };
        match reveal(m) {
            Some(accuracy) => {
                observed.push(Observation { model: m, accuracy });
                state = cond.condition(&observed);
                steps.push((observed.clone(), state.clone()));
            }
            None => unknown.push(m),
        }
    }
    steps
}

/// The [`REVEAL_METRICS`] of one step against `truth` (models without a truth ignored).
///
/// # Errors
/// A metric that cannot be computed (fewer than two models with a truth).
pub fn step_metrics(
    observed: &[Observation],
    state: &Conditioned,
    truth: &BTreeMap<ModelIdx, f64>,
) -> Result<BTreeMap<String, f64>, MetricError> {
    let mut s = Vec::new();
    let mut t = Vec::new();
    let (mut err, mut n) = (0.0, 0usize);
    for (i, m) in state.models.iter().enumerate() {
        let Some(&v) = truth.get(m) else { continue };
        s.push(state.scores[i]);
        t.push(v);
        if !state.observed[i] {
            err += (expit(state.logits[i]) - v).abs();
            n += 1;
        }
    }
    let best = t.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let top = metrics::top_at_k(&s, &t, 1)?;
    let seen = observed
        .iter()
        .map(|o| o.accuracy)
        .fold(f64::NEG_INFINITY, f64::max);
    let pick = top.max(seen);
    let mut out = BTreeMap::new();
    out.insert(
        "rel@1".to_string(),
        if best > 0.0 { pick / best } else { 0.0 },
    );
    out.insert("regret".to_string(), best - pick);
    let wt = match metrics::weighted_tau(&s, &t) {
        Err(MetricError::Constant { .. }) => 0.0,
        other => other?,
    };
    out.insert("w-kendall".to_string(), wt);
    if n > 0 {
        out.insert("mae".to_string(), err / n as f64);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use zoorank_core::{Record, Zoo};
    use zoorank_predict::accuracy::strategy::clusters;
    use zoorank_predict::rank::{MethodSpec, TargetView};

    /// A zoo of 4 datasets × 12 models with structure (model quality + dataset level + a
    /// dataset-specific twist), the last dataset held out.
    fn zoo() -> (Zoo, Vec<f64>) {
        let mut z = Zoo::from_names(
            (0..12).map(|m| format!("m{m}")),
            (0..4).map(|d| format!("d{d}")),
        );
        let mut target = Vec::new();
        for d in 0..4 {
            for m in 0..12 {
                let q = (m as f64 * 0.37).sin() + 0.1 * m as f64 / 12.0;
                let twist = ((m * (d + 2)) as f64 * 0.91).cos() * 0.4;
                let acc = expit(0.5 + 0.3 * d as f64 + q + twist);
                if d == 3 {
                    target.push(acc);
                } else {
                    z.records.push(Record::new(m, d, acc));
                }
            }
        }
        (z, target)
    }

    fn run(truth: &[f64], strategy: Strategy, k: usize) -> Vec<ModelIdx> {
        let (z, _) = zoo();
        let view = TargetView {
            zoo: z,
            target: 3,
            candidates: (0..12).collect(),
            seed: 0,
        };
        let ranker = MethodSpec::Popularity.ranker(&[]).unwrap();
        let scores = ranker.rank(&view).unwrap();
        let cond = Conditioner::new(&view, &scores);
        let h = zoorank_predict::rank::history::History::new(&view.zoo);
        let cl = clusters(cond.models(), cond.experts(), &h.best);
        let mut revealed = Vec::new();
        let steps = simulate(&cond, &cl, strategy, k, &mut |m| {
            revealed.push(m);
            Some(truth[m])
        });
        assert_eq!(steps.len(), k + 1);
        for (k, (obs, st)) in steps.iter().enumerate() {
            assert_eq!(obs.len(), k);
            assert_eq!(st.observed.iter().filter(|&&o| o).count(), k);
        }
        revealed
    }

    #[test]
    fn picks_never_depend_on_accuracies_not_yet_revealed() {
        let (_, truth) = zoo();
        for strategy in Strategy::ALL {
            let picks = run(&truth, strategy, 5);
            let mut distinct = picks.clone();
            distinct.sort();
            distinct.dedup();
            assert_eq!(distinct.len(), 5, "{strategy}: no model is picked twice");
            // Change every accuracy not revealed before pick j: picks 0..=j stay the same.
            for j in 0..5 {
                let mut other = truth.clone();
                for (m, v) in other.iter_mut().enumerate() {
                    if !picks[..j].contains(&m) {
                        *v = 1.0 - *v;
                    }
                }
                let again = run(&other, strategy, 5);
                assert_eq!(&again[..=j], &picks[..=j], "{strategy} step {j}");
            }
        }
    }

    #[test]
    fn step_metrics_count_the_best_run_seen() {
        let state = Conditioned {
            models: vec![0, 1, 2],
            logits: vec![0.0, 1.0, 2.0],
            spread: vec![0.0; 3],
            observed: vec![true, false, false],
            scores: vec![0.0, 1.0, 2.0],
            trained_on_target: vec![false; 3],
        };
        let truth: BTreeMap<ModelIdx, f64> = [(0, 0.9), (1, 0.5), (2, 0.6)].into();
        let obs = [Observation {
            model: 0,
            accuracy: 0.9,
        }];
        let m = step_metrics(&obs, &state, &truth).unwrap();
        // The ranking's top (model 2, 0.6) is worse than the run seen (0.9 = the best).
        assert_eq!(m["rel@1"], 1.0);
        assert_eq!(m["regret"], 0.0);
        let mae = ((expit(1.0) - 0.5).abs() + (expit(2.0) - 0.6).abs()) / 2.0;
        assert!((m["mae"] - mae).abs() < 1e-12);
        let m = step_metrics(&[], &state, &truth).unwrap();
        assert!((m["rel@1"] - 0.6 / 0.9).abs() < 1e-12);
    }
}

/// Options of the simulated budget loop.
#[derive(Debug, Clone, PartialEq)]
pub struct RevealOptions {
    /// Runs revealed at most (the curve has K = 0..=max_k).
    pub max_k: usize,
    /// Strategies to simulate.
    pub strategies: Vec<Strategy>,
}

/// One (method, strategy) curve: the metrics after k reveals, k = 0..=max_k.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct RevealCurve {
    /// Per target, per k.
    pub per_target: BTreeMap<String, Vec<BTreeMap<String, f64>>>,
    /// Per k, the weighted average over targets (the evaluation's weights).
    pub weighted_average: Vec<BTreeMap<String, f64>>,
}

/// Per strategy, the metrics after each reveal (k = 0, 1, ...).
pub type StrategyCurves = Vec<(Strategy, Vec<BTreeMap<String, f64>>)>;

/// The curves of every strategy on one view: per strategy, the metrics after each reveal.
/// With `calibration` (the view's folds and a coverage) each step also carries the coverage
/// and mean width of the intervals calibrated for that many runs (`coverage@80`, `width@80`
/// for 0.8), over the models not revealed.
///
/// # Errors
/// As [`step_metrics`].
pub fn curves(
    cond: &Conditioner,
    clusters: &[usize],
    opts: &RevealOptions,
    truth: &BTreeMap<ModelIdx, f64>,
    calibration: Option<(&CalibrationFolds, f64)>,
) -> Result<StrategyCurves, MetricError> {
    opts.strategies
        .iter()
        .map(|&strategy| {
            let steps = simulate(cond, clusters, strategy, opts.max_k, &mut |m| {
                truth.get(&m).copied()
            });
            let per_k = steps
                .iter()
                .map(|(obs, st)| {
                    let mut out = step_metrics(obs, st, truth)?;
                    if let Some((folds, c)) = calibration {
                        let models: Vec<ModelIdx> = obs.iter().map(|o| o.model).collect();
                        let cal = folds.calibrate(&models, c);
                        let est = cond.estimates(obs, cal.as_ref());
                        let [_, cov, width] = accuracy_metric_names(c);
                        let acc = accuracy_metrics(&est, truth, c);
                        for name in [cov, width] {
                            if let Some(&v) = acc.get(&name) {
                                out.insert(name, v);
                            }
                        }
                    }
                    Ok(out)
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok((strategy, per_k))
        })
        .collect()
}
