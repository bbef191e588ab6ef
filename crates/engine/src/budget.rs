//! The budget loop end to end: ask [`Engine::next`] for one model, run it with a
//! [`Trainer`] to the end, add its result to the observed runs, ask again, `budget` times;
//! then recommend on everything observed.
//!
//! A run's accuracy is the best validation accuracy over its epochs (the checkpoint a user
//! would keep). Runs of a linear-probe trainer are recorded as [`RunKind::LinearProbe`]: they
//! move the ranking, not the predicted level. A model is never run twice by the loop: the
//! models fine-tuned already are never proposed, and when the runs are probes neither are the
//! models already probed or fine-tuned.
//!
//! **A failed run** (the trainer's error: a command that exits non-zero, a curve too short)
//! is reported in [`LoopRun::error`], spends its budget slot (it took the user's time), and its
//! model is not proposed again; the loop goes on with the next proposal. The loop stops early
//! only when every candidate has a run. Each successful run is appended to
//! [`BudgetRequest::runs_out`] as soon as it is made, so an interrupted loop resumes from the
//! file with `observed` read back.

use crate::engine::Engine;
use crate::error::EngineError;
use crate::next::{NextRequest, ProposedRun};
use crate::recommend::{ObservedRun, RecommendRequest, Recommendation};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use zoorank_predict::accuracy::strategy::Strategy;
use zoorank_select::trainer::Trainer;
use zoorank_store::import::{append_runs, RunKind, RunRow};

/// What the loop runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BudgetRequest {
    /// Target, method, seed, the runs made before the loop (`observed`), and the final
    /// recommendation's `top` and `coverage`.
    pub recommend: RecommendRequest,
    /// How many runs to make.
    pub budget: usize,
    /// How to pick each run.
    pub strategy: Strategy,
    /// What the trainer's runs are.
    pub kind: RunKind,
    /// Epochs per run.
    pub epochs: usize,
    /// Runs file to append each successful run to (the format `--observed` reads).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runs_out: Option<PathBuf>,
}

/// One run the loop made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoopRun {
    /// What `next` proposed and why (its `order` is the run's, 1-based, in this loop).
    #[serde(flatten)]
    pub proposal: ProposedRun,
    /// What kind of run it was.
    pub kind: RunKind,
    /// The run's accuracy: its best validation accuracy (`None` when it failed).
    pub accuracy: Option<f64>,
    /// Epochs the trainer completed.
    pub epochs: usize,
    /// Seconds the trainer reported for the run, when it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seconds: Option<f64>,
    /// Why the run failed, when it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// What the loop did, and the recommendation on every run observed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BudgetOutcome {
    /// The target.
    pub target: String,
    /// The strategy.
    pub strategy: Strategy,
    /// The trainer's id.
    pub trainer: String,
    /// Runs given before the loop.
    pub earlier_runs: usize,
    /// The runs made, in order (failed ones included).
    pub runs: Vec<LoopRun>,
    /// Why the loop stopped before its budget, when it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped_early: Option<String>,
    /// The recommendation conditioned on the earlier runs and the successful runs made.
    pub recommendation: Recommendation,
}

impl BudgetOutcome {
    /// The successful runs made, as observed runs.
    pub fn observed_runs(&self) -> Vec<ObservedRun> {
        self.runs
            .iter()
            .filter_map(|r| Some(ObservedRun::new(&r.proposal.model, r.accuracy?, r.kind)))
            .collect()
    }
}

impl Engine {
    /// Runs the budget loop (module docs) with `trainer`; `progress` sees each run as it ends.
    ///
    /// # Errors
    /// As [`Engine::next`] and [`Engine::recommend`]; [`EngineError::RunsOut`] when the runs
    /// file cannot be written. A failed training run is not an error (module docs).
    pub fn run_budget(
        &mut self,
        req: &BudgetRequest,
        trainer: &mut dyn Trainer,
        progress: &mut dyn FnMut(&LoopRun),
    ) -> Result<BudgetOutcome, EngineError> {
        let target = req.recommend.target.clone();
        let mut observed = req.recommend.observed.clone();
        // Probes are not repeated, nor made of models already fine-tuned.
        let mut exclude: Vec<String> = match req.kind {
            RunKind::Finetune => Vec::new(),
            RunKind::LinearProbe => observed.iter().map(|r| r.model.clone()).collect(),
        };
        let mut runs = Vec::new();
        let mut stopped_early = None;
        for order in 1..=req.budget {
            let plan = self.next(&NextRequest {
                recommend: RecommendRequest {
                    observed: observed.clone(),
                    coverage: None,
                    top: None,
                    explain: false,
                    ..req.recommend.clone()
                },
                budget: 1,
                strategy: req.strategy,
                exclude: exclude.clone(),
            })?;
            let Some(mut proposal) = plan.runs.into_iter().next() else {
                stopped_early = Some(format!(
                    "every candidate has a run after {} run(s)",
                    order - 1
                ));
                break;
            };
            proposal.order = order;
            let model = proposal.model.clone();
            let run = match trainer.train_to(&model, &target, req.epochs) {
                Ok(records) if !records.is_empty() => LoopRun {
                    accuracy: records
                        .iter()
                        .map(|r| r.val_accuracy.clamp(0.0, 1.0))
                        .reduce(f64::max),
                    epochs: records.len(),
                    seconds: records.iter().map(|r| r.seconds).sum(),
                    error: None,
                    kind: req.kind,
                    proposal,
                },
                Ok(_) => failed(proposal, req.kind, "the trainer returned no epoch".into()),
                Err(e) => failed(proposal, req.kind, error_chain(&e)),
            };
            if let Some(acc) = run.accuracy {
                observed.push(ObservedRun::new(&model, acc, req.kind));
                if let Some(path) = &req.runs_out {
                    let row = RunRow {
                        model: model.clone(),
                        accuracy: acc,
                        kind: req.kind,
                    };
                    append_runs(path, &target, &[row]).map_err(|source| EngineError::RunsOut {
                        path: path.clone(),
                        source,
                    })?;
                }
            }
            if run.accuracy.is_none() || req.kind == RunKind::LinearProbe {
                exclude.push(model);
            }
            progress(&run);
            runs.push(run);
        }
        let recommendation = self.recommend(&RecommendRequest {
            observed,
            ..req.recommend.clone()
        })?;
        Ok(BudgetOutcome {
            target,
            strategy: req.strategy,
            trainer: trainer.name().to_string(),
            earlier_runs: req.recommend.observed.len(),
            runs,
            stopped_early,
            recommendation,
        })
    }
}

fn failed(proposal: ProposedRun, kind: RunKind, error: String) -> LoopRun {
    LoopRun {
        proposal,
        kind,
        accuracy: None,
        epochs: 0,
        seconds: None,
        error: Some(error),
    }
}

/// `e` and its causes, `: `-separated.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        s.push_str(&format!(": {c}"));
        cause = c.source();
    }
    s
}
