//! Fine selection: fine-tune the recalled models a few epochs at a time and stop the losers
//! early.
//!
//! # Successive halving (the baseline)
//! Every round, each surviving model trains `epochs_per_round` more epochs; then the better
//! half by validation accuracy survives (`⌊n/2⌋` of the `n` models that started the round,
//! at least one). When one model is left, or the epoch budget is reached (then the best by
//! validation accuracy wins), the winner is trained to `max_epochs`. Jamieson & Talwalkar,
//! "Non-stochastic best arm identification and hyperparameter optimization", AISTATS 2016.
//!
//! # Convergence-trend filtering (Cui et al.)
//! Before halving, every surviving model `a` gets a prediction `pred(a)` of its final
//! accuracy from its current validation accuracy ([`crate::trends`]); `a` is dropped when some
//! surviving `b` has a higher validation accuracy **and** a better prediction by more than the
//! relative threshold `τ` (0 by default, as in the paper):
//!
//! ```text
//! drop a  ⇔  ∃ b: val(b) > val(a)  ∧  pred(a) < (1 − τ) · pred(b)
//! ```
//!
//! (the reference code's `(pred(b) − pred(a)) / pred(b) ≥ τ`, made strict so that τ = 0 does
//! not drop ties). The model with the best validation accuracy is never dropped by the
//! filter. If more than `⌊n/2⌋` models are left, halving then removes the lowest by
//! [`HalvingKey`]. The reference code halves by validation accuracy; zoorank halves by the
//! **prediction** when trends are used ([`HalvingKey::Prediction`], validation accuracy for
//! models without a prediction), because halving by validation can drop the model that ends
//! best even when the trends are exact — exactly what the trends are there to prevent. The
//! reference behaviour remains available.
//!
//! # Cost
//! Counted in epochs (every epoch a trainer runs counts 1; the recall's proxy computations
//! count 0.5 epoch each, as in the paper — see [`SelectionOutcome::total_epochs`]) and in
//! seconds (as the trainer reports them).

use crate::error::{ensure_param, Result, SelectError};
use crate::trainer::{EpochRecord, Trainer};
use crate::trends::FinalPredictor;
use serde::Serialize;

/// What the paper charges for one proxy computation, in epochs of fine-tuning.
pub const PROXY_EPOCH_COST: f64 = 0.5;

/// How models are ordered when the better half is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum HalvingKey {
    /// Current validation accuracy (plain successive halving; the reference code).
    Validation,
    /// Predicted final accuracy, validation accuracy where there is no prediction.
    Prediction,
}

/// Parameters of [`select`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SelectParams {
    /// Epochs a full fine-tuning takes (the winner is trained to this).
    pub max_epochs: usize,
    /// Epochs per round.
    pub epochs_per_round: usize,
    /// Use convergence-trend filtering (needs a predictor).
    pub use_trends: bool,
    /// Relative threshold `τ` of the trend filter.
    pub threshold: f64,
    /// Order used when halving.
    pub halving_key: HalvingKey,
}

impl SelectParams {
    /// Plain successive halving, one epoch per round.
    pub fn successive_halving(max_epochs: usize) -> SelectParams {
        SelectParams {
            max_epochs,
            epochs_per_round: 1,
            use_trends: false,
            threshold: 0.0,
            halving_key: HalvingKey::Validation,
        }
    }

    /// Successive halving with convergence-trend filtering (threshold 0, halving by
    /// prediction), one epoch per round.
    pub fn convergence_trends(max_epochs: usize) -> SelectParams {
        SelectParams {
            use_trends: true,
            halving_key: HalvingKey::Prediction,
            ..SelectParams::successive_halving(max_epochs)
        }
    }

    fn validate(&self) -> Result<()> {
        ensure_param(
            self.max_epochs > 0,
            "max_epochs",
            self.max_epochs,
            "must be at least 1",
        )?;
        ensure_param(
            self.epochs_per_round > 0,
            "epochs_per_round",
            self.epochs_per_round,
            "must be at least 1",
        )?;
        ensure_param(
            self.threshold >= 0.0 && self.threshold < 1.0,
            "threshold",
            self.threshold,
            "the relative threshold must be in [0, 1)",
        )
    }
}

/// Why a model was stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reason {
    /// Dominated by a model with better validation accuracy and better prediction.
    Trend,
    /// In the worse half.
    Halving,
    /// Not the best when the epoch budget ran out.
    Budget,
}

/// One entry of the elimination log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Elimination {
    /// Epoch after which the model was stopped.
    pub epoch: usize,
    /// The model.
    pub model: String,
    /// Why.
    pub reason: Reason,
    /// Its validation accuracy then.
    pub val_accuracy: f64,
    /// Its predicted final accuracy then, if any.
    pub prediction: Option<f64>,
    /// The model that dominated it (trend eliminations).
    pub dominated_by: Option<String>,
}

/// The result of [`select`] or [`brute_force`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SelectionOutcome {
    /// The chosen model.
    pub selected: String,
    /// Its validation accuracy after `max_epochs`.
    pub selected_val_accuracy: f64,
    /// Its test accuracy after `max_epochs`, when the trainer measures it.
    pub selected_test_accuracy: Option<f64>,
    /// Training epochs spent (all models together).
    pub epochs: usize,
    /// Seconds spent, as reported by the trainer.
    pub seconds: f64,
    /// Rounds run.
    pub rounds: usize,
    /// Elimination log, in order.
    pub eliminations: Vec<Elimination>,
    /// Every epoch record seen (the learning curves, for the store).
    pub records: Vec<EpochRecord>,
}

impl SelectionOutcome {
    /// Training epochs plus `0.5` epoch per proxy computation of the recall that chose the
    /// candidates.
    pub fn total_epochs(&self, proxy_computations: usize) -> f64 {
        self.epochs as f64 + PROXY_EPOCH_COST * proxy_computations as f64
    }
}

struct State {
    epochs: usize,
    seconds: f64,
    records: Vec<EpochRecord>,
}

impl State {
    fn train(
        &mut self,
        t: &mut dyn Trainer,
        model: &str,
        dataset: &str,
        to: usize,
    ) -> Result<Option<EpochRecord>> {
        let new = t.train_to(model, dataset, to)?;
        self.epochs += new.len();
        self.seconds += new.iter().filter_map(|r| r.seconds).sum::<f64>();
        let last = new.last().cloned();
        self.records.extend(new);
        Ok(last.or_else(|| {
            self.records
                .iter()
                .rev()
                .find(|r| r.model == model && r.dataset == dataset && r.epoch == to)
                .cloned()
        }))
    }
}

fn check_candidates(candidates: &[String]) -> Result<()> {
    if candidates.is_empty() {
        return Err(SelectError::NotEnoughData(
            "no candidate model to select from".into(),
        ));
    }
    Ok(())
}

fn missing(model: &str, epoch: usize) -> SelectError {
    SelectError::CurveTooShort {
        model: model.into(),
        wanted: epoch,
        available: epoch.saturating_sub(1),
    }
}

/// Successive halving over `candidates` on `dataset`, with convergence-trend filtering when
/// `params.use_trends` (then `predictor` must be given).
///
/// # Errors
/// [`SelectError::InvalidParameter`] for invalid parameters or trends without predictor;
/// [`SelectError::NotEnoughData`] for no candidate; trainer errors are passed on.
pub fn select(
    trainer: &mut dyn Trainer,
    dataset: &str,
    candidates: &[String],
    params: SelectParams,
    predictor: Option<&dyn FinalPredictor>,
) -> Result<SelectionOutcome> {
    params.validate()?;
    check_candidates(candidates)?;
    let predictor = match (params.use_trends, predictor) {
        (true, None) => {
            return Err(SelectError::InvalidParameter {
                name: "use_trends",
                value: "true".into(),
                reason: "convergence-trend filtering needs a predictor",
            })
        }
        (true, p) => p,
        (false, _) => None,
    };
    let mut state = State {
        epochs: 0,
        seconds: 0.0,
        records: Vec::new(),
    };
    let mut alive: Vec<String> = candidates.to_vec();
    let mut log = Vec::new();
    let mut epoch = 0;
    let mut rounds = 0;
    let mut last_val: Vec<f64> = Vec::new();
    while alive.len() > 1 && epoch < params.max_epochs {
        let to = (epoch + params.epochs_per_round).min(params.max_epochs);
        let mut val = Vec::with_capacity(alive.len());
        for m in &alive {
            let r = state
                .train(trainer, m, dataset, to)?
                .ok_or_else(|| missing(m, to))?;
            val.push(r.val_accuracy);
        }
        epoch = to;
        rounds += 1;
        let pred: Vec<Option<f64>> = alive
            .iter()
            .zip(&val)
            .map(|(m, &v)| predictor.and_then(|p| p.predict(m, epoch, v)))
            .collect();
        let n_before = alive.len();
        let mut keep = vec![true; n_before];
        if predictor.is_some() {
            for a in 0..n_before {
                let Some(pa) = pred[a] else { continue };
                let dominator = (0..n_before).find(|&b| {
                    val[b] > val[a] && pred[b].is_some_and(|pb| pa < (1.0 - params.threshold) * pb)
                });
                if let Some(b) = dominator {
                    keep[a] = false;
                    log.push(Elimination {
                        epoch,
                        model: alive[a].clone(),
                        reason: Reason::Trend,
                        val_accuracy: val[a],
                        prediction: pred[a],
                        dominated_by: Some(alive[b].clone()),
                    });
                }
            }
        }
        let target = (n_before / 2).max(1);
        let key = |i: usize| match params.halving_key {
            HalvingKey::Validation => val[i],
            HalvingKey::Prediction => pred[i].unwrap_or(val[i]),
        };
        let mut survivors: Vec<usize> = (0..n_before).filter(|&i| keep[i]).collect();
        // Worst first; ties: lower validation, then later candidate, go first.
        survivors.sort_by(|&a, &b| {
            key(a)
                .total_cmp(&key(b))
                .then(val[a].total_cmp(&val[b]))
                .then(b.cmp(&a))
        });
        while survivors.len() > target {
            let i = survivors.remove(0);
            log.push(Elimination {
                epoch,
                model: alive[i].clone(),
                reason: Reason::Halving,
                val_accuracy: val[i],
                prediction: pred[i],
                dominated_by: None,
            });
        }
        survivors.sort_unstable();
        last_val = survivors.iter().map(|&i| val[i]).collect();
        alive = survivors.into_iter().map(|i| alive[i].clone()).collect();
    }
    // Budget exhausted with several survivors: the best by validation accuracy wins.
    if alive.len() > 1 {
        let best = (0..alive.len())
            .max_by(|&a, &b| last_val[a].total_cmp(&last_val[b]).then(b.cmp(&a)))
            .expect("non-empty");
        for (i, m) in alive.iter().enumerate() {
            if i != best {
                log.push(Elimination {
                    epoch,
                    model: m.clone(),
                    reason: Reason::Budget,
                    val_accuracy: last_val[i],
                    prediction: None,
                    dominated_by: None,
                });
            }
        }
        alive = vec![alive[best].clone()];
    }
    let winner = alive.remove(0);
    let last = state
        .train(trainer, &winner, dataset, params.max_epochs)?
        .ok_or_else(|| missing(&winner, params.max_epochs))?;
    Ok(SelectionOutcome {
        selected: winner,
        selected_val_accuracy: last.val_accuracy,
        selected_test_accuracy: last.test_accuracy,
        epochs: state.epochs,
        seconds: state.seconds,
        rounds,
        eliminations: log,
        records: state.records,
    })
}

/// Epochs plain successive halving spends on `n` candidates: its cost does not depend on the
/// accuracies (each round keeps `⌊n/2⌋`, the winner is then trained to `max_epochs`), so it
/// can be stated without training — what `zoorank select` compares against.
pub fn successive_halving_epochs(n: usize, epochs_per_round: usize, max_epochs: usize) -> usize {
    let (mut alive, mut epoch, mut total) = (n, 0usize, 0usize);
    if n == 0 || epochs_per_round == 0 {
        return 0;
    }
    while alive > 1 && epoch < max_epochs {
        let to = (epoch + epochs_per_round).min(max_epochs);
        total += alive * (to - epoch);
        epoch = to;
        alive = (alive / 2).max(1);
    }
    total + (max_epochs - epoch)
}

/// Brute force: fine-tune every candidate for `max_epochs` and take the best final
/// validation accuracy (the reference point of the selection bars).
///
/// # Errors
/// As [`select`].
pub fn brute_force(
    trainer: &mut dyn Trainer,
    dataset: &str,
    candidates: &[String],
    max_epochs: usize,
) -> Result<SelectionOutcome> {
    SelectParams::successive_halving(max_epochs).validate()?;
    check_candidates(candidates)?;
    let mut state = State {
        epochs: 0,
        seconds: 0.0,
        records: Vec::new(),
    };
    let mut finals = Vec::new();
    for m in candidates {
        finals.push(
            state
                .train(trainer, m, dataset, max_epochs)?
                .ok_or_else(|| missing(m, max_epochs))?,
        );
    }
    let best = (0..finals.len())
        .max_by(|&a, &b| {
            finals[a]
                .val_accuracy
                .total_cmp(&finals[b].val_accuracy)
                .then(b.cmp(&a))
        })
        .expect("non-empty");
    let eliminations = (0..finals.len())
        .filter(|&i| i != best)
        .map(|i| Elimination {
            epoch: max_epochs,
            model: candidates[i].clone(),
            reason: Reason::Budget,
            val_accuracy: finals[i].val_accuracy,
            prediction: None,
            dominated_by: None,
        })
        .collect();
    Ok(SelectionOutcome {
        selected: candidates[best].clone(),
        selected_val_accuracy: finals[best].val_accuracy,
        selected_test_accuracy: finals[best].test_accuracy,
        epochs: state.epochs,
        seconds: state.seconds,
        rounds: 1,
        eliminations,
        records: state.records,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trainer::ReplayTrainer;

    fn replay(curves: &[(&str, &[f64])]) -> ReplayTrainer {
        let mut recs = Vec::new();
        for (m, c) in curves {
            recs.extend(EpochRecord::of_curve(m, "t", c).map(|r| EpochRecord {
                test_accuracy: Some(r.val_accuracy),
                seconds: Some(1.0),
                ..r
            }));
        }
        ReplayTrainer::from_records(recs).unwrap()
    }

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn successive_halving_counts_epochs() {
        let mut t = replay(&[
            ("a", &[0.1, 0.2, 0.3, 0.4]),
            ("b", &[0.2, 0.3, 0.4, 0.5]),
            ("c", &[0.3, 0.4, 0.5, 0.6]),
            ("d", &[0.4, 0.5, 0.6, 0.9]),
        ]);
        let out = select(
            &mut t,
            "t",
            &names(&["a", "b", "c", "d"]),
            SelectParams::successive_halving(4),
            None,
        )
        .unwrap();
        // Round 1: 4 epochs, keep c, d; round 2: 2 epochs, keep d; finish d: 2 more.
        assert_eq!(out.selected, "d");
        assert_eq!(out.epochs, 8);
        assert_eq!(out.seconds, 8.0);
        assert_eq!(out.selected_test_accuracy, Some(0.9));
        assert_eq!(out.eliminations.len(), 3);
        assert_eq!(successive_halving_epochs(4, 1, 4), 8);
        assert_eq!(successive_halving_epochs(12, 1, 20), 38);
        assert_eq!(successive_halving_epochs(1, 1, 20), 20);
        t.reset();
        let bf = brute_force(&mut t, "t", &names(&["a", "b", "c", "d"]), 4).unwrap();
        assert_eq!((bf.selected.as_str(), bf.epochs), ("d", 16));
    }

    #[test]
    fn trend_filter_drops_dominated_models_and_keeps_a_late_bloomer() {
        // "late" starts worst but ends best; the oracle knows it.
        let mut t = replay(&[
            ("early", &[0.6, 0.65, 0.7]),
            ("mid", &[0.5, 0.55, 0.6]),
            ("late", &[0.3, 0.6, 0.9]),
            ("bad", &[0.2, 0.25, 0.3]),
        ]);
        let finals = |m: &str| match m {
            "early" => 0.7,
            "mid" => 0.6,
            "late" => 0.9,
            _ => 0.3,
        };
        let oracle = |m: &str, _e: usize, _v: f64| Some(finals(m));
        let cands = names(&["early", "mid", "late", "bad"]);
        let out = select(
            &mut t,
            "t",
            &cands,
            SelectParams::convergence_trends(3),
            Some(&oracle),
        )
        .unwrap();
        assert_eq!(out.selected, "late");
        let trend: Vec<&str> = out
            .eliminations
            .iter()
            .filter(|e| e.reason == Reason::Trend)
            .map(|e| e.model.as_str())
            .collect();
        assert_eq!(trend, ["mid", "bad"]);
        // Plain successive halving by validation loses the late bloomer.
        t.reset();
        let sh = select(
            &mut t,
            "t",
            &cands,
            SelectParams::successive_halving(3),
            None,
        )
        .unwrap();
        assert_eq!(sh.selected, "early");
    }

    #[test]
    fn invalid_parameters_are_rejected() {
        let mut t = replay(&[("a", &[0.1])]);
        let c = names(&["a"]);
        let mut p = SelectParams::successive_halving(0);
        assert!(select(&mut t, "t", &c, p, None).is_err());
        p = SelectParams::successive_halving(1);
        p.epochs_per_round = 0;
        assert!(select(&mut t, "t", &c, p, None).is_err());
        p = SelectParams::convergence_trends(1);
        assert!(select(&mut t, "t", &c, p, None).is_err());
        p.threshold = 1.5;
        let o = |_: &str, _: usize, _: f64| None;
        assert!(select(&mut t, "t", &c, p, Some(&o)).is_err());
        assert!(select(&mut t, "t", &[], SelectParams::successive_halving(1), None).is_err());
        let one = select(&mut t, "t", &c, SelectParams::successive_halving(1), None).unwrap();
        assert_eq!((one.selected.as_str(), one.epochs, one.rounds), ("a", 1, 0));
    }
}
