//! What `recommend` and `next` both take: the target, the method, the seed and `--observed`,
//! the runs already made on the target (read from a CSV); and how their tables show them.

use anyhow::Context;
use clap::Args;
use zoorank_engine::{
    MethodSpec, ObservedRun, RecommendRequest, Recommendation, RecommendedModel, RunKind,
    DEFAULT_METHOD,
};

/// The ranking a command asks the engine for, shared by `recommend` and `next`.
#[derive(Debug, Args)]
pub struct RankingArgs {
    /// The target dataset (as `zoorank zoo datasets` lists it).
    #[arg(long)]
    pub target: String,
    /// Ranking method id (see `zoorank eval --help`).
    #[arg(long, default_value = DEFAULT_METHOD)]
    pub method: MethodSpec,
    /// Seed for the learner.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    #[command(flatten)]
    pub runs: ObservedArgs,
}

impl RankingArgs {
    /// The engine's request for this target, method, seed and observed runs (the other fields
    /// at their defaults).
    pub fn request(&self) -> anyhow::Result<RecommendRequest> {
        Ok(RecommendRequest {
            method: self.method.clone(),
            seed: self.seed,
            observed: self.runs.read(&self.target)?,
            ..RecommendRequest::new(&self.target)
        })
    }
}

/// Runs already made on the target (`--observed`), shared by `recommend`, `next` and
/// `select --budget`.
#[derive(Debug, Args)]
pub struct ObservedArgs {
    /// CSV of runs already made on the target, with the columns of `import records`: the
    /// model and accuracy columns, the dataset column when the file holds other datasets too
    /// (only the target's rows are read), and optionally a kind column (--kind-col).
    /// Fine-tuned models take their value; every other prediction moves with what they
    /// reveal. Linear-probe runs move the ranking but not the level: a probed model keeps a
    /// predicted fine-tuning accuracy. `select --budget --runs-out` writes this format.
    #[arg(long, value_name = "CSV")]
    pub observed: Option<std::path::PathBuf>,
    /// Model column of --observed.
    #[arg(long, default_value = "model")]
    pub model_col: String,
    /// Dataset column of --observed (ignored when the file has no such column).
    #[arg(long, default_value = "dataset")]
    pub dataset_col: String,
    /// Accuracy column of --observed (values in [0, 1]).
    #[arg(long, default_value = "accuracy")]
    pub accuracy_col: String,
    /// Run-kind column of --observed: finetune (also fine-tune, ft) or linear-probe (also
    /// probe, lp); an empty cell, or a file without the column, is --observed-kind. Any
    /// other value is refused, naming its row.
    #[arg(long, default_value = "kind")]
    pub kind_col: String,
    /// Kind of the --observed runs whose row does not say (finetune or linear-probe).
    #[arg(long, default_value_t = RunKind::Finetune)]
    pub observed_kind: RunKind,
}

impl ObservedArgs {
    /// The runs on `target` in the file, if one was given.
    pub fn read(&self, target: &str) -> anyhow::Result<Vec<ObservedRun>> {
        let Some(path) = &self.observed else {
            return Ok(Vec::new());
        };
        let spec = zoorank_store::import::RecordsCsvSpec {
            model_col: self.model_col.clone(),
            dataset_col: self.dataset_col.clone(),
            accuracy_col: self.accuracy_col.clone(),
            ..Default::default()
        };
        let runs = zoorank_store::import::read_observed_runs(
            path,
            &spec,
            target,
            &self.kind_col,
            self.observed_kind,
        )
        .with_context(|| format!("reading observed runs from {}", path.display()))?;
        Ok(runs
            .into_iter()
            .map(|r| ObservedRun::new(r.model, r.accuracy, r.kind))
            .collect())
    }
}

/// "N observed run(s)", with " and M probe(s)" when the recommendation had probes.
pub fn runs_summary(rec: &Recommendation) -> String {
    match rec.probe_runs {
        0 => format!("{} observed run(s)", rec.observed_runs),
        p => format!("{} observed run(s) and {p} probe(s)", rec.observed_runs),
    }
}

/// A model's interval cell: `observed` for a fine-tuned one, else its interval, followed by
/// its probe accuracy when it was probed.
pub fn interval_cell(r: &RecommendedModel) -> String {
    let probe = r
        .probe_accuracy
        .map_or(String::new(), |p| format!(" (probe {p:.3})"));
    match (r.observed, r.predicted_low, r.predicted_high) {
        (true, ..) => format!("observed{probe}"),
        (false, Some(lo), Some(hi)) => format!("[{lo:.3}, {hi:.3}]{probe}"),
        _ => format!("-{probe}"),
    }
}
