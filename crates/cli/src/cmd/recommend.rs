//! `zoorank recommend`: print the engine's [`Recommendation`] for a target.

use crate::cmd::observed::{self, RankingArgs};
use crate::global::Global;
use crate::output;
use clap::Args;
use zoorank_engine::{Engine, RecommendRequest, Recommendation};

/// Arguments of `recommend`.
///
/// Predicts, for every model of the zoo, its fine-tuning accuracy on the target and ranks the
/// models by it. The target's own fine-tuning records (if any) are hidden from the method — the
/// prediction is what zoorank would say for a new dataset — and shown beside the prediction
/// for comparison. Works for a target without any record as long as the store has its
/// metadata, distances or scores. For such a new dataset a method built on a graph (e.g.
/// lr+node2vec, guard+trend+lr+node2vec) embeds it into the zoo's trained graph; the trained
/// embedder is kept in the store (the newest 16; `zoorank zoo clear-cache --what embedders`
/// drops them), so the next new dataset of the same zoo is ranked without training the graph
/// again.
///
/// Example: zoorank recommend --target cifar100 --top 10
#[derive(Debug, Args)]
pub struct RecommendArgs {
    #[command(flatten)]
    pub ranking: RankingArgs,
    /// How many models to show.
    #[arg(long, default_value_t = 10)]
    pub top: usize,
    /// For each recommended model, show the graph neighbourhood that carries its evidence:
    /// the target's most similar datasets (TransferGraph dataset–dataset edges: Domain
    /// Similarity or shared-history correlation) joined to the model by its accuracy links,
    /// its source-dataset link, its popularity over the other datasets and its trend (that
    /// popularity moved along the model's slopes to the target's size and domain).
    #[arg(long)]
    pub explain: bool,
    /// Coverage of the predicted-accuracy intervals, calibrated by hiding each of the zoo's
    /// other datasets in turn and ranking it (one more ranking per dataset).
    #[arg(long, default_value_t = 0.8, value_parser = crate::cmd::eval::parse_coverage)]
    pub coverage: f64,
    /// No intervals (faster: no calibration rankings).
    #[arg(long)]
    pub no_intervals: bool,
    /// JSON output: the engine's Recommendation (target, method, zoo_version, evidence_used,
    /// candidates, coverage, models[rank, model, score, predicted_accuracy, predicted_low,
    /// predicted_high, observed, recorded_accuracy, nearest_records, scores, explain]).
    #[arg(long)]
    pub json: bool,
}

/// Runs `recommend`.
pub fn run(a: RecommendArgs, global: &Global) -> anyhow::Result<()> {
    let mut engine = Engine::open(&global.db)?;
    let rec = engine.recommend(&RecommendRequest {
        top: Some(a.top),
        explain: a.explain,
        coverage: (!a.no_intervals).then_some(a.coverage),
        ..a.ranking.request()?
    })?;
    rec.warnings.iter().for_each(|w| eprintln!("warning: {w}"));
    if a.json {
        return output::print_json(&rec);
    }
    print_human(&rec)
}

/// The table, the explanations when asked for, and the evidence.
fn print_human(rec: &Recommendation) -> anyhow::Result<()> {
    let num = |v: Option<f64>| v.map_or("-".into(), |v| format!("{v:.3}"));
    let observed = (rec.observed_runs + rec.probe_runs > 0)
        .then(|| format!("; conditioned on {}", observed::runs_summary(rec)));
    output::println(format!(
        "top {} of {} models for '{}' by {} (the target's own records are hidden from the method{}):",
        rec.models.len(),
        rec.candidates,
        rec.target,
        rec.method,
        observed.unwrap_or_default()
    ))?;
    let cov = rec
        .coverage
        .map_or(String::new(), |c| format!("{:.0} % ", c * 100.0));
    let cov = format!("{cov}interval");
    let header = [
        "#",
        "model",
        "predicted",
        cov.as_str(),
        "recorded",
        "its accuracy on the nearest datasets",
    ];
    output::print_table(&header, &rec.models, |r| {
        let near = r.nearest_records.iter();
        let near = near.map(|n| format!("{} {:.3}", n.dataset, n.accuracy));
        vec![
            r.rank.to_string(),
            r.model.clone(),
            num(r.predicted_accuracy),
            observed::interval_cell(r),
            num(r.recorded_accuracy),
            output::join_or(near, "-"),
        ]
    })?;
    if rec.models.iter().any(|r| r.explain.is_some()) {
        output::println("why (target —similarity— dataset —accuracy— model; strongest first):")?;
    }
    for r in &rec.models {
        let Some(e) = &r.explain else { continue };
        let paths = e.paths.iter();
        let paths =
            paths.map(|p| format!("{} (sim {:.2}, acc {:.3})", p.via, p.similarity, p.accuracy));
        let mut parts = vec![output::join_or(
            paths,
            "no path through the target's neighbours",
        )];
        if let Some(src) = &e.source {
            parts.push(format!("source {} (sim {:.2})", src.via, src.similarity));
        }
        if let Some(w) = e.score_link {
            parts.push(format!("score link to the target ({w:.2})"));
        }
        output::println(format!(
            "  {:>2}. {}: {}; popularity {} over {} linked dataset(s), trend {}",
            r.rank,
            r.model,
            parts.join(", "),
            num(e.popularity),
            e.linked_datasets,
            num(e.trend)
        ))?;
    }
    output::println("evidence used:")?;
    for e in &rec.evidence_used {
        output::println(format!("  - {e}"))?;
    }
    Ok(())
}
