//! Linear-probe runs and the budget loop on the shipped TransferGraph image zoo: probes move
//! the ranking but never stand for a model's fine-tuned accuracy, and the loop's runs are
//! those `recommend` would be given by hand.

#[path = "../../experiments/src/common.rs"]
mod common;

use common::PUBLISHED as TARGETS;
use rand::{Rng, SeedableRng};
use zoorank_core::metrics::weighted_tau;
use zoorank_engine::{
    BudgetOutcome, BudgetRequest, Engine, LoopRun, ObservedRun, RecommendRequest, Recommendation,
    RunKind, Strategy,
};
use zoorank_select::trainer::{EpochRecord, ReplayTrainer, Trainer};
use zoorank_select::SelectError;
use zoorank_store::import::{read_observed_runs, RecordsCsvSpec};

fn engine() -> Engine {
    Engine::from_store(common::image_store().unwrap()).unwrap()
}

/// Every candidate, no intervals.
fn request(target: &str, observed: Vec<ObservedRun>) -> RecommendRequest {
    RecommendRequest {
        coverage: None,
        observed,
        ..RecommendRequest::new(target)
    }
}

fn logit(p: f64) -> f64 {
    let p = p.clamp(1e-3, 1.0 - 1e-3);
    (p / (1.0 - p)).ln()
}

fn expit(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// Weighted τ of the ranking's scores against the recorded accuracies, over the models with
/// a record that `keep` keeps.
fn tau(rec: &Recommendation, keep: impl Fn(&str) -> bool) -> f64 {
    let (s, t): (Vec<f64>, Vec<f64>) = rec
        .models
        .iter()
        .filter(|m| keep(&m.model))
        .filter_map(|m| Some((m.score, m.recorded_accuracy?)))
        .unzip();
    weighted_tau(&s, &t).unwrap()
}

#[test]
fn informative_probes_reorder_the_rest_without_lowering_the_level() {
    let mut engine = engine();
    let mut rng = rand::rngs::StdRng::seed_from_u64(15);
    let mut gains = Vec::new();
    for target in TARGETS {
        let cold = engine.recommend(&request(target, Vec::new())).unwrap();
        // Ten probes spread over the cold ranking: the recorded accuracy 1.5 logit lower,
        // with noise (a probe orders the models as fine-tunes do, on a lower level).
        let recorded: Vec<(&str, f64)> = cold
            .models
            .iter()
            .filter_map(|m| Some((m.model.as_str(), m.recorded_accuracy?)))
            .collect();
        let np = 10;
        let probes: Vec<ObservedRun> = (0..np)
            .map(|k| {
                let (m, acc) = recorded[k * (recorded.len() - 1) / (np - 1)];
                let z = logit(acc) - 1.5 + 0.1 * (rng.gen::<f64>() - 0.5);
                ObservedRun::new(m, expit(z), RunKind::LinearProbe)
            })
            .collect();
        let warm = engine.recommend(&request(target, probes.clone())).unwrap();
        assert_eq!((warm.observed_runs, warm.probe_runs), (0, np));
        for p in &probes {
            let m = warm.model(&p.model).unwrap();
            assert!(!m.observed, "{target} {}", p.model);
            assert_eq!(m.probe_accuracy, Some(p.accuracy));
            let pred = m.predicted_accuracy.unwrap();
            assert!(
                (pred - p.accuracy).abs() > 1e-6,
                "{target} {}: predicted {pred} is its probe {}",
                p.model,
                p.accuracy
            );
        }
        // The level stays the cold one, far above the probes'.
        let mean = |r: &Recommendation| {
            let v: Vec<f64> = r
                .models
                .iter()
                .filter_map(|m| m.predicted_accuracy)
                .collect();
            v.iter().sum::<f64>() / v.len() as f64
        };
        let probe_mean = probes.iter().map(|p| p.accuracy).sum::<f64>() / np as f64;
        assert!(
            (mean(&warm) - mean(&cold)).abs() < 0.03,
            "{target}: level {} vs cold {}",
            mean(&warm),
            mean(&cold)
        );
        // The probes lie well below it, and the level did not go half way to them.
        let gap = mean(&cold) - probe_mean;
        assert!(
            gap > 0.05,
            "{target}: cold level {} vs probes {probe_mean}",
            mean(&cold)
        );
        assert!((mean(&warm) - mean(&cold)).abs() < gap / 2.0, "{target}");
        // The order they reveal is used as fully as the same runs' as fine-tunes would be.
        let finetunes: Vec<ObservedRun> = probes
            .iter()
            .map(|p| {
                let acc = cold.model(&p.model).unwrap().recorded_accuracy.unwrap();
                ObservedRun::new(&p.model, acc, RunKind::Finetune)
            })
            .collect();
        let as_finetunes = engine.recommend(&request(target, finetunes)).unwrap();
        let rest = |m: &str| probes.iter().all(|p| p.model != m);
        let (t_cold, t_warm) = (tau(&cold, rest), tau(&warm, rest));
        let t_ft = tau(&as_finetunes, rest);
        println!(
            "{target}: weighted tau of the rest {t_cold:.3} cold, {t_warm:.3} with {np} probes, \
             {t_ft:.3} with them as fine-tunes"
        );
        assert!((t_warm - t_ft).abs() < 0.03, "{target}: {t_warm} vs {t_ft}");
        // Conditioning can cost a target some τ (the same runs as fine-tunes cost as much);
        // never much.
        assert!(t_warm >= t_cold - 0.1, "{target}: {t_warm} vs {t_cold}");
        gains.push(t_warm - t_cold);
    }
    let mean_gain = gains.iter().sum::<f64>() / gains.len() as f64;
    println!("mean weighted tau gain of the rest: {mean_gain:+.4}");
    assert!(mean_gain > 0.01, "{gains:?}");
}

/// Replay curves on `target`: five epochs rising to each candidate's recorded accuracy (the
/// run's best), times `scale` (a probe-like lower level when below 1).
fn replay_of_records(engine: &mut Engine, target: &str, scale: f64) -> ReplayTrainer {
    let cold = engine.recommend(&request(target, Vec::new())).unwrap();
    let records = cold
        .models
        .iter()
        .filter_map(|m| Some((m.model.clone(), m.recorded_accuracy? * scale)))
        .flat_map(|(model, acc)| {
            (1..=5).map(move |e| EpochRecord {
                model: model.clone(),
                dataset: target.to_string(),
                epoch: e,
                val_accuracy: acc * (0.8 + 0.04 * e as f64),
                test_accuracy: None,
                seconds: Some(1.0),
            })
        })
        .collect();
    ReplayTrainer::from_records(records).unwrap()
}

fn budget(target: &str, k: usize, observed: Vec<ObservedRun>) -> BudgetRequest {
    BudgetRequest {
        recommend: request(target, observed),
        budget: k,
        strategy: Strategy::Explore,
        kind: RunKind::Finetune,
        epochs: 5,
        runs_out: None,
    }
}

/// Runs the loop of `req` without watching its progress.
fn run_loop(engine: &mut Engine, req: &BudgetRequest, trainer: &mut dyn Trainer) -> BudgetOutcome {
    engine.run_budget(req, trainer, &mut |_| {}).unwrap()
}

#[test]
fn replayed_runs_give_the_ranking_of_the_same_runs_given_by_hand() {
    let mut engine = engine();
    let mut replay = replay_of_records(&mut engine, "dtd", 1.0);
    let mut seen = Vec::new();
    let out = engine
        .run_budget(
            &budget("dtd", 4, Vec::new()),
            &mut replay,
            &mut |r: &LoopRun| seen.push(r.proposal.model.clone()),
        )
        .unwrap();
    assert_eq!(out.runs.len(), 4);
    let models: Vec<&str> = out.runs.iter().map(|r| r.proposal.model.as_str()).collect();
    assert_eq!(seen, models, "progress saw every run in order");
    let mut distinct = models.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 4, "a model is never run twice: {models:?}");
    for r in &out.runs {
        // The run's result is its best validation accuracy: the recorded one.
        let rec = out.recommendation.model(&r.proposal.model).unwrap();
        assert_eq!(r.accuracy, rec.recorded_accuracy);
        assert!(rec.observed && rec.predicted_accuracy == r.accuracy);
        assert_eq!(r.epochs, 5);
    }
    let by_hand = engine
        .recommend(&request("dtd", out.observed_runs()))
        .unwrap();
    assert_eq!(out.recommendation, by_hand);
}

#[test]
fn a_loop_resumed_from_its_runs_file_continues_where_it_stopped() {
    let mut engine = engine();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("runs.csv");
    let replay = replay_of_records(&mut engine, "pets", 1.0);
    let straight = run_loop(
        &mut engine,
        &budget("pets", 4, Vec::new()),
        &mut replay.clone(),
    );
    let with_file = |k: usize, observed: Vec<ObservedRun>| BudgetRequest {
        runs_out: Some(file.clone()),
        ..budget("pets", k, observed)
    };
    let first = run_loop(&mut engine, &with_file(2, Vec::new()), &mut replay.clone());
    let spec = RecordsCsvSpec {
        model_col: "model".into(),
        dataset_col: "dataset".into(),
        accuracy_col: "accuracy".into(),
        ..Default::default()
    };
    let read = || -> Vec<ObservedRun> {
        read_observed_runs(&file, &spec, "pets", "kind", RunKind::Finetune)
            .unwrap()
            .into_iter()
            .map(|r| ObservedRun::new(r.model, r.accuracy, r.kind))
            .collect()
    };
    assert_eq!(
        read(),
        first.observed_runs(),
        "the file holds the runs made"
    );
    let second = run_loop(&mut engine, &with_file(2, read()), &mut replay.clone());
    assert_eq!(second.earlier_runs, 2);
    assert_eq!(read(), straight.observed_runs());
    assert_eq!(second.recommendation, straight.recommendation);
}

/// Fails every run of one model, replays the others.
struct FailingFor(String, ReplayTrainer);

impl Trainer for FailingFor {
    fn name(&self) -> &'static str {
        "failing"
    }
    fn train_to(
        &mut self,
        model: &str,
        dataset: &str,
        epochs: usize,
    ) -> Result<Vec<EpochRecord>, SelectError> {
        if model == self.0 {
            return Err(SelectError::Command {
                model: model.into(),
                message: "out of memory".into(),
            });
        }
        self.1.train_to(model, dataset, epochs)
    }
}

#[test]
fn a_failed_run_is_reported_spends_its_slot_and_is_not_retried() {
    let mut engine = engine();
    let replay = replay_of_records(&mut engine, "dtd", 1.0);
    let straight = run_loop(
        &mut engine,
        &budget("dtd", 1, Vec::new()),
        &mut replay.clone(),
    );
    let first = straight.runs[0].proposal.model.clone();
    let mut failing = FailingFor(first.clone(), replay);
    let out = run_loop(&mut engine, &budget("dtd", 3, Vec::new()), &mut failing);
    assert_eq!(out.runs.len(), 3);
    assert_eq!(out.runs[0].proposal.model, first);
    let e = out.runs[0].error.as_deref().unwrap();
    assert!(e.contains("out of memory"), "{e}");
    assert_eq!(out.runs[0].accuracy, None);
    assert!(out.runs[1..]
        .iter()
        .all(|r| r.error.is_none() && r.proposal.model != first));
    assert_eq!(out.recommendation.observed_runs, 2);
    assert!(!out.recommendation.model(&first).unwrap().observed);
}

#[test]
fn probe_runs_of_the_loop_are_recorded_as_probes_and_never_repeated() {
    let mut engine = engine();
    let mut probes = replay_of_records(&mut engine, "flowers", 0.7);
    let earlier = vec![ObservedRun::new(
        probes.models_on("flowers")[0].clone(),
        0.5,
        RunKind::LinearProbe,
    )];
    let out = run_loop(
        &mut engine,
        &BudgetRequest {
            kind: RunKind::LinearProbe,
            ..budget("flowers", 4, earlier.clone())
        },
        &mut probes,
    );
    let rec = &out.recommendation;
    assert_eq!((rec.observed_runs, rec.probe_runs), (0, 5));
    let mut models: Vec<&str> = out.runs.iter().map(|r| r.proposal.model.as_str()).collect();
    models.push(&earlier[0].model);
    models.sort();
    models.dedup();
    assert_eq!(models.len(), 5, "no model probed twice");
    for r in &out.runs {
        let m = rec.model(&r.proposal.model).unwrap();
        assert_eq!(r.kind, RunKind::LinearProbe);
        assert!(!m.observed && m.probe_accuracy == r.accuracy);
        assert_ne!(m.predicted_accuracy, r.accuracy);
    }
}
