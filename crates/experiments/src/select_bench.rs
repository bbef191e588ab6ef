//! Leave-one-target-out evaluation of fine selection on recorded curves: for every dataset
//! of a replay, run brute force, plain successive halving and successive halving with
//! convergence trends (benchmark trends from the *other* datasets only), and compare the
//! chosen models' final test accuracy and the epochs spent.

use serde::Serialize;
use zoorank_select::error::Result;
use zoorank_select::fine::{brute_force, select, HalvingKey, SelectParams, SelectionOutcome};
use zoorank_select::trainer::ReplayTrainer;
use zoorank_select::trends::ConvergenceTrends;

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
                with_trends.then_some(&trends as &dyn zoorank_select::trends::FinalPredictor),
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

/// Recall on one target of a zoo, evaluated against the target's ground truth.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TargetRecall {
    /// The target dataset.
    pub target: String,
    /// Models with a ground truth on the target (the ones ranked).
    pub models: usize,
    /// Benchmark datasets in the leave-one-target-out matrix.
    pub benchmark_datasets: usize,
    /// The model with the best ground truth (when several tie, the one recall ranks
    /// highest).
    pub best_model: String,
    /// How many models share the best ground truth.
    pub best_tied: usize,
    /// Its ground truth.
    pub best_accuracy: f64,
    /// Clusters / non-singleton clusters.
    pub clusters: usize,
    /// Non-singleton clusters.
    pub non_singleton_clusters: usize,
    /// Rank of the best model in the recall ranking (1-based; the highest-ranked of tied
    /// best models).
    pub rank_of_best: usize,
    /// Rank of the best model when every model is ranked by the stored proxy alone (models
    /// without a proxy last), for comparison.
    pub rank_of_best_by_proxy_alone: Option<usize>,
    /// Proxy computations the recall made.
    pub proxy_computations: usize,
    /// Models with a stored proxy value (what scoring every model would cost).
    pub proxy_available: usize,
}

impl TargetRecall {
    /// Whether the best model is among the top `k` recalled.
    pub fn survives(&self, k: usize) -> bool {
        self.rank_of_best <= k
    }
}

/// Recall on `target` of `zoo` with a stored proxy score `method`: builds the
/// leave-one-target-out performance matrix of the models that have a ground truth on the
/// target (datasets of the target's modality), clusters it, recalls with the stored proxy
/// (`None` where not stored), and reports where the truly best model landed.
///
/// # Errors
/// [`zoorank_select::SelectError::NotEnoughData`] when the target has no ground truth or no
/// non-singleton cluster has a proxy; errors of the clustering and recall.
pub fn recall_on_zoo(
    zoo: &zoorank_core::Zoo,
    target: zoorank_core::DatasetIdx,
    method: &str,
    threshold: f64,
    params: zoorank_select::recall::RecallParams,
) -> Result<TargetRecall> {
    use zoorank_select::error::SelectError;
    let truth = zoo.ground_truth(target, false);
    let best_acc = truth
        .iter()
        .map(|&(_, a)| a)
        .max_by(f64::total_cmp)
        .ok_or_else(|| {
            SelectError::NotEnoughData(format!("no ground truth on {}", zoo.datasets[target].name))
        })?;
    let best_set: Vec<String> = truth
        .iter()
        .filter(|&&(_, a)| a == best_acc)
        .map(|&(m, _)| zoo.models[m].name.clone())
        .collect();
    let full = zoorank_select::matrix::PerformanceMatrix::from_zoo(
        zoo,
        Some(target),
        zoo.datasets[target].modality,
    );
    let keep: Vec<usize> = truth
        .iter()
        .filter_map(|&(m, _)| full.model_index(&zoo.models[m].name))
        .collect();
    let matrix = full.select_models(&keep);
    let dist = zoorank_select::similarity::model_distances(
        &matrix,
        zoorank_select::similarity::DEFAULT_K,
    )?;
    let clustering = zoorank_select::cluster::hierarchical(&dist, threshold)?;
    let proxy_of = |name: &str| {
        zoo.model_index(name)
            .and_then(|m| zoo.score(m, target, method))
    };
    let out = zoorank_select::recall::recall(&matrix, &dist, &clustering, params, |m| {
        Ok(proxy_of(&matrix.models()[m]))
    })?;
    let (rank_of_best, best_name) = best_set
        .iter()
        .filter_map(|n| Some((out.rank_of(n)?, n.clone())))
        .min()
        .ok_or_else(|| {
            SelectError::NotEnoughData(format!("best models {best_set:?} have no benchmark record"))
        })?;
    let mut by_proxy: Vec<(String, Option<f64>)> = matrix
        .models()
        .iter()
        .map(|n| (n.clone(), proxy_of(n)))
        .collect();
    by_proxy.sort_by(|a, b| match (a.1, b.1) {
        (Some(x), Some(y)) => y.total_cmp(&x),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => std::cmp::Ordering::Equal,
    });
    let rank_of_best_by_proxy_alone = by_proxy
        .iter()
        .position(|(n, p)| best_set.contains(n) && p.is_some())
        .map(|i| i + 1);
    Ok(TargetRecall {
        target: zoo.datasets[target].name.clone(),
        models: matrix.n_models(),
        benchmark_datasets: matrix.n_datasets(),
        best_model: best_name,
        best_tied: best_set.len(),
        best_accuracy: best_acc,
        clusters: clustering.n_clusters(),
        non_singleton_clusters: clustering.non_singleton().len(),
        rank_of_best,
        rank_of_best_by_proxy_alone,
        proxy_computations: out.proxy_computations,
        proxy_available: matrix
            .models()
            .iter()
            .filter(|n| proxy_of(n).is_some())
            .count(),
    })
}
