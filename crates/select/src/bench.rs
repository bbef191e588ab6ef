//! Leave-one-target-out evaluation of fine selection on recorded curves: for every dataset
//! of a replay, run brute force, plain successive halving and successive halving with
//! convergence trends (benchmark trends from the *other* datasets only), and compare the
//! chosen models' final test accuracy and the epochs spent.

use crate::error::Result;
use crate::fine::{brute_force, select, HalvingKey, SelectParams, SelectionOutcome};
use crate::trainer::ReplayTrainer;
use crate::trends::ConvergenceTrends;
use serde::Serialize;

/// One target's comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TargetComparison {
    /// The target dataset.
    pub target: String,
    /// Candidates (models with a curve on the target).
    pub candidates: usize,
    /// The best final test accuracy of any candidate (what an oracle would pick).
    pub best_test: f64,
    /// Brute force (train all, pick by final validation accuracy).
    pub brute_force: SelectionOutcome,
    /// Plain successive halving.
    pub successive_halving: SelectionOutcome,
    /// Successive halving with convergence trends, halving by prediction (zoorank's default).
    pub trends: SelectionOutcome,
    /// Successive halving with convergence trends, halving by validation (reference code).
    pub trends_reference: SelectionOutcome,
}

/// Runs the comparison for every dataset of `replay` with curves of length `max_epochs` or
/// more (each strategy replays the same curves from epoch 0).
///
/// # Errors
/// Errors of the selection functions.
pub fn compare_on_replay(
    replay: &ReplayTrainer,
    max_epochs: usize,
    threshold: f64,
) -> Result<Vec<TargetComparison>> {
    let mut out = Vec::new();
    for target in replay.datasets() {
        let candidates = replay.models_on(&target);
        let best_test = candidates
            .iter()
            .filter_map(|m| replay.curve(m, &target)?.get(max_epochs - 1)?.test_accuracy)
            .fold(f64::NEG_INFINITY, f64::max);
        let trends = ConvergenceTrends::from_curves(replay.curves(), &target, 3);
        let run = |params: SelectParams, with_trends: bool| {
            let mut t = replay.clone();
            t.reset();
            select(
                &mut t,
                &target,
                &candidates,
                params,
                with_trends.then_some(&trends as &dyn crate::trends::FinalPredictor),
            )
        };
        let mut bf_trainer = replay.clone();
        bf_trainer.reset();
        let mut tp = SelectParams::convergence_trends(max_epochs);
        tp.threshold = threshold;
        let mut tr = tp;
        tr.halving_key = HalvingKey::Validation;
        out.push(TargetComparison {
            candidates: candidates.len(),
            best_test,
            brute_force: brute_force(&mut bf_trainer, &target, &candidates, max_epochs)?,
            successive_halving: run(SelectParams::successive_halving(max_epochs), false)?,
            trends: run(tp, true)?,
            trends_reference: run(tr, true)?,
            target,
        });
    }
    Ok(out)
}
