//! `zoorank select`: fine selection — train the candidate models a few epochs at a time,
//! stop the losers early (successive halving with convergence trends), report the winner —
//! or, with `--budget K`, the budget loop: K full runs, each proposed by `next` from the
//! results so far ([`crate::cmd::select_loop`]).

use crate::cmd::import::{open_existing_store, open_store};
use crate::cmd::observed::ObservedArgs;
use crate::cmd::recall::{recall_in_zoo, RecallOptions};
use crate::global::Global;
use crate::output;
use anyhow::Context;
use clap::{Args, ValueEnum};
use serde::Serialize;
use std::path::PathBuf;
use zoorank_core::Zoo;
use zoorank_engine::{MethodSpec, Strategy, DEFAULT_METHOD};
use zoorank_select::fine::{
    select, successive_halving_epochs, HalvingKey, SelectParams, SelectionOutcome, PROXY_EPOCH_COST,
};
use zoorank_select::trainer::{
    CommandTrainer, EpochRecord, LinearProbeParams, LinearProbeTrainer, ReplayTrainer, Trainer,
};
use zoorank_select::trends::ConvergenceTrends;

/// Which trainer runs the epochs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TrainerKind {
    /// Replay recorded curves (--curves, JSON lines).
    Replay,
    /// Run your fine-tuning command (--command, per-epoch JSON lines on stdout).
    Command,
    /// Linear probe on extracted features (--features DIR).
    LinearProbe,
}

/// Halving order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Halving {
    /// Predicted final accuracy (zoorank's default with trends).
    Prediction,
    /// Validation accuracy (plain successive halving; the reference code).
    Validation,
}

/// `zoorank select` arguments.
///
/// Without --budget: fine selection among the candidates by successive halving. With
/// --budget K: the budget loop — ask `next` for one model (--strategy, --method), run it to
/// completion (--max-epochs) with the trainer, take its best validation accuracy as the run's
/// result (a linear-probe trainer's runs are recorded as probes), add it to the observed runs
/// (--observed: earlier runs), ask again, K times; then print the recommendation conditioned on
/// every run. --runs-out appends each run as it ends, in the format --observed reads, so an
/// interrupted loop resumes with --observed FILE --runs-out FILE. A failed run (a command
/// exiting non-zero, a curve too short) is reported, spends its budget slot and is not
/// retried; the loop goes on, and exits 1 only when no run succeeded.
///
/// Example: zoorank select --target dtd --budget 5 --trainer command --command 'python
/// train.py --model {model} --data {dataset} --epochs {epochs}' --runs-out runs.csv
///
/// Epoch record (one JSON object per line, per epoch): {"model": .., "dataset": ..,
/// "epoch": 1, "val_accuracy": 0.81, "test_accuracy": 0.80, "seconds": 35.2}; test_accuracy
/// and seconds are optional; a training command may omit model and dataset.
#[derive(Debug, Args)]
pub struct SelectArgs {
    /// Target dataset.
    #[arg(long)]
    pub target: String,
    /// Trainer.
    #[arg(long, value_enum)]
    pub trainer: TrainerKind,
    /// Recorded curves (JSON lines) to replay; their other datasets also give convergence
    /// trends.
    #[arg(long)]
    pub curves: Option<PathBuf>,
    /// Training command template, run with `sh -c`; placeholders {model}, {dataset},
    /// {epochs} (to reach), {from_epoch} (already done). Example:
    /// 'python train.py --model {model} --data {dataset} --resume-from {from_epoch} --epochs {epochs}'
    #[arg(long)]
    pub command: Option<String>,
    /// State file of the command trainer (JSON lines; resuming reruns nothing recorded there).
    #[arg(long)]
    pub state: Option<PathBuf>,
    /// Feature directory of the linear probe: <dataset>/labels.npy and <dataset>/<model>.npy
    /// (model with / written --).
    #[arg(long)]
    pub features: Option<PathBuf>,
    /// Linear-probe learning rate.
    #[arg(long, default_value_t = 0.01)]
    pub lr: f64,
    /// Seed of the linear probe (and, with --budget, of the ranking's learner).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Benchmark curves (JSON lines) for convergence trends, besides --curves and the store's
    /// recorded curves.
    #[arg(long)]
    pub benchmark_curves: Option<PathBuf>,
    /// Candidates, comma-separated (default: recall from the store, or with --trainer replay
    /// and no store records, every model with a curve on the target).
    #[arg(long, value_delimiter = ',')]
    pub models: Option<Vec<String>>,
    /// Epochs of a full fine-tuning.
    #[arg(long, default_value_t = 20)]
    pub max_epochs: usize,
    /// Epochs per round.
    #[arg(long, default_value_t = 1)]
    pub epochs_per_round: usize,
    /// Relative threshold of the convergence-trend filter.
    #[arg(long, default_value_t = 0.0)]
    pub threshold: f64,
    /// Plain successive halving (no convergence trends).
    #[arg(long)]
    pub no_trends: bool,
    /// Halving order (default: prediction with trends, validation without).
    #[arg(long, value_enum)]
    pub halving: Option<Halving>,
    /// Store the selected model's completed run as a fine-tuning record with its curve.
    #[arg(long)]
    pub save: bool,
    #[command(flatten)]
    pub recall: RecallOptions,
    /// Budget loop: make this many full runs, each proposed from the results so far (see
    /// above); --top then is how many models of the final recommendation to show.
    #[arg(long, value_name = "K", value_parser = crate::cmd::next::parse_budget)]
    pub budget: Option<usize>,
    /// Budget loop: how to pick each run (explore, top, clusters, survey; see `zoorank next --help`).
    #[arg(long, default_value_t = Strategy::Explore)]
    pub strategy: Strategy,
    /// Budget loop: ranking method id (see `zoorank eval --help`).
    #[arg(long, default_value = DEFAULT_METHOD)]
    pub method: MethodSpec,
    #[command(flatten)]
    pub runs: ObservedArgs,
    /// Budget loop: CSV the runs made are appended to as they end (model, dataset, accuracy,
    /// kind; what --observed reads).
    #[arg(long, value_name = "CSV")]
    pub runs_out: Option<PathBuf>,
    /// Budget loop: no intervals on the final recommendation (faster).
    #[arg(long)]
    pub no_intervals: bool,
    /// JSON output (with --budget: the runs made and the final recommendation).
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Serialize)]
struct SelectReport {
    target: String,
    trainer: &'static str,
    candidates: Vec<String>,
    candidates_from: &'static str,
    proxy_computations: usize,
    trends: bool,
    benchmark_runs: usize,
    #[serde(flatten)]
    outcome: SelectionOutcome,
    total_epochs_with_proxy: f64,
    brute_force_epochs: usize,
    successive_halving_epochs: usize,
    speedup_vs_brute_force: f64,
    speedup_vs_successive_halving: f64,
}

fn curves_of_store(zoo: &Zoo) -> Vec<Vec<EpochRecord>> {
    zoo.records
        .iter()
        .filter_map(|r| {
            let c = r.curve.as_ref().filter(|c| !c.is_empty())?;
            let (model, dataset) = (&zoo.models[r.model].name, &zoo.datasets[r.dataset].name);
            let mut curve: Vec<EpochRecord> = EpochRecord::of_curve(model, dataset, c).collect();
            // The record's accuracy is the test accuracy after the curve's last epoch.
            if let Some(last) = curve.last_mut() {
                last.test_accuracy = Some(r.accuracy);
            }
            Some(curve)
        })
        .collect()
}

/// The trainer `args` ask for (`replay`: the curves read from --curves).
pub fn build_trainer(
    args: &SelectArgs,
    replay: Option<&ReplayTrainer>,
) -> anyhow::Result<Box<dyn Trainer>> {
    Ok(match args.trainer {
        TrainerKind::Replay => Box::new(
            replay
                .cloned()
                .context("--trainer replay needs --curves FILE")?,
        ),
        TrainerKind::Command => Box::new(CommandTrainer::new(
            args.command
                .clone()
                .context("--trainer command needs --command TEMPLATE")?,
            args.state.clone(),
        )?),
        TrainerKind::LinearProbe => Box::new(LinearProbeTrainer::new(
            args.features
                .clone()
                .context("--trainer linear-probe needs --features DIR")?,
            LinearProbeParams {
                learning_rate: args.lr,
                seed: args.seed,
                ..LinearProbeParams::default()
            },
        )?),
    })
}

/// Runs `zoorank select`'s fine selection (`--budget` runs [`crate::cmd::select_loop`]).
pub fn run(args: SelectArgs, global: &Global) -> anyhow::Result<()> {
    let replay = match &args.curves {
        Some(p) => Some(
            ReplayTrainer::from_path(p)
                .with_context(|| format!("reading curves {}", p.display()))?,
        ),
        None => None,
    };
    let need_store = args.models.is_none() && args.trainer != TrainerKind::Replay
        || args.save
        || global.db.exists();
    let zoo = if need_store {
        // Only --save writes; without it a missing store is an error, never created here.
        let store = if args.save {
            open_store(&global.db)?
        } else {
            open_existing_store(&global.db)?
        };
        Some(store.load_zoo()?)
    } else {
        None
    };

    // Candidates.
    let (candidates, from, proxy_computations) = if let Some(m) = &args.models {
        (m.clone(), "--models", 0)
    } else if let Some(z) = zoo
        .as_ref()
        .filter(|z| z.dataset_index(&args.target).is_some() && !z.records.is_empty())
    {
        let r = recall_in_zoo(z, &args.target, &args.recall)?;
        let c = r.outcome.recalled().map(|m| m.name.clone()).collect();
        (c, "recall", r.outcome.proxy_computations)
    } else if let Some(r) = &replay {
        (
            r.models_on(&args.target),
            "every model with a curve on the target",
            0,
        )
    } else {
        anyhow::bail!("no candidates: give --models, or import a zoo for recall")
    };
    anyhow::ensure!(
        !candidates.is_empty(),
        "no candidate model for '{}'",
        args.target
    );

    // Convergence trends from every benchmark curve known, the target left out.
    let mut bench: Vec<Vec<EpochRecord>> = Vec::new();
    if let Some(r) = &replay {
        bench.extend(r.curves().map(<[EpochRecord]>::to_vec));
    }
    if let Some(p) = &args.benchmark_curves {
        let r = ReplayTrainer::from_path(p).with_context(|| format!("reading {}", p.display()))?;
        bench.extend(r.curves().map(<[EpochRecord]>::to_vec));
    }
    if let Some(z) = &zoo {
        bench.extend(curves_of_store(z));
    }
    let trends = ConvergenceTrends::from_curves(bench.iter().map(Vec::as_slice), &args.target, 3);
    let benchmark_runs: usize = candidates.iter().map(|m| trends.n_runs(m)).sum();

    let mut trainer = build_trainer(&args, replay.as_ref())?;
    let mut params = if args.no_trends {
        SelectParams::successive_halving(args.max_epochs)
    } else {
        SelectParams::convergence_trends(args.max_epochs)
    };
    params.epochs_per_round = args.epochs_per_round;
    params.threshold = args.threshold;
    if let Some(h) = args.halving {
        params.halving_key = match h {
            Halving::Prediction => HalvingKey::Prediction,
            Halving::Validation => HalvingKey::Validation,
        };
    }
    let pb = output::spinner(format!("selecting among {} models", candidates.len()));
    let outcome = select(
        trainer.as_mut(),
        &args.target,
        &candidates,
        params,
        (!args.no_trends).then_some(&trends as &dyn zoorank_select::trends::FinalPredictor),
    );
    pb.finish_and_clear();
    let outcome = outcome.with_context(|| format!("fine selection on '{}'", args.target))?;

    if args.save {
        let mut store = open_store(&global.db)?;
        let curve: Vec<f64> = outcome
            .records
            .iter()
            .filter(|r| r.model == outcome.selected)
            .map(|r| r.val_accuracy)
            .collect();
        let mut row = zoorank_store::RecordRow::new(
            outcome.selected.clone(),
            args.target.clone(),
            outcome
                .selected_test_accuracy
                .unwrap_or(outcome.selected_val_accuracy),
            format!("zoorank select --trainer {}", trainer.name()),
        );
        row.run_key = format!(
            "zoorank-select;trainer={};epochs={}",
            trainer.name(),
            args.max_epochs
        );
        row.run.epochs = Some(args.max_epochs as f64);
        row.run.train_runtime = Some(
            outcome
                .records
                .iter()
                .filter(|r| r.model == outcome.selected)
                .filter_map(|r| r.seconds)
                .sum(),
        );
        row.run.curve = Some(curve);
        store.upsert_records(&[row])?;
    }

    let bf = candidates.len() * args.max_epochs;
    let sh = successive_halving_epochs(candidates.len(), args.epochs_per_round, args.max_epochs);
    let report = SelectReport {
        target: args.target.clone(),
        trainer: trainer.name(),
        candidates_from: from,
        proxy_computations,
        trends: !args.no_trends,
        benchmark_runs,
        total_epochs_with_proxy: outcome.total_epochs(proxy_computations),
        brute_force_epochs: bf,
        successive_halving_epochs: sh,
        speedup_vs_brute_force: bf as f64 / outcome.epochs.max(1) as f64,
        speedup_vs_successive_halving: sh as f64 / outcome.epochs.max(1) as f64,
        candidates,
        outcome,
    };
    if args.json {
        return output::print_json(&report);
    }
    let o = &report.outcome;
    output::println(format!(
        "selected {} for {}: val {:.4}{} after {} epochs",
        o.selected,
        report.target,
        o.selected_val_accuracy,
        o.selected_test_accuracy
            .map_or(String::new(), |t| format!(", test {t:.4}")),
        args.max_epochs
    ))?;
    output::println(format!(
        "{} candidates ({}), trainer {}, trends {} ({} benchmark runs)",
        report.candidates.len(),
        report.candidates_from,
        report.trainer,
        if report.trends { "on" } else { "off" },
        report.benchmark_runs
    ))?;
    output::println(format!(
        "epochs: {} (+{:.1} for {} proxy computations) vs brute force {} ({:.2}x) and plain successive halving {} ({:.2}x); {:.2} s",
        o.epochs,
        PROXY_EPOCH_COST * report.proxy_computations as f64,
        report.proxy_computations,
        report.brute_force_epochs,
        report.speedup_vs_brute_force,
        report.successive_halving_epochs,
        report.speedup_vs_successive_halving,
        o.seconds
    ))?;
    let header = [
        "epoch",
        "stopped",
        "why",
        "val acc",
        "predicted final",
        "dominated by",
    ];
    output::print_table(&header, &o.eliminations, |e| {
        vec![
            e.epoch.to_string(),
            e.model.clone(),
            format!("{:?}", e.reason).to_lowercase(),
            format!("{:.4}", e.val_accuracy),
            output::opt_num(e.prediction),
            e.dominated_by.clone().unwrap_or_default(),
        ]
    })
}
