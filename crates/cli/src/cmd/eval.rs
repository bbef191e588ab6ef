//! `zoorank eval`: print the engine's [`Evaluation`] of the zoo in the store.

use crate::global::Global;
use crate::output;
use anyhow::Context;
use clap::Args;
use zoorank_engine::{
    Engine, EvalProgress, EvalRequest, Evaluation, MethodSpec, Protocol, Strategy,
};

/// Arguments of `eval`.
///
/// Ranks the models of every target with each method, as if the target were new (its
/// fine-tuning records are hidden from everything learned), and compares with the real
/// results: Pearson, Spearman, Kendall τ, weighted τ, Rel@1..5, Top@1..5 per target and their
/// weighted average (weight = best − mean accuracy of the target).
///
/// Example: zoorank eval --targets stanfordcars,svhn,caltech101,pets,cifar100,flowers,smallnorb_label_elevation,dtd
#[derive(Debug, Args)]
pub struct EvalArgs {
    /// Methods to evaluate (comma-separated ids); default: every baseline, stored score,
    /// learned method and graph variant (random, popularity, trend, logme, ..., lr, rf, xgb,
    /// amazon-lr, amazon-fm, pop+amazon-fm, pop+lr, trend+lr, guard+lr, guard+pop+lr,
    /// guard+trend+lr, guard+lr+node2vec, guard+trend+lr+node2vec, lr+node2vec, ...,
    /// xgb+gat). `trend` is popularity moved along each model's slopes in the target's samples
    /// per class and distance from the models' pre-training data. `pop+<id>` and `trend+<id>`
    /// (averaged with popularity or the trend) and
    /// `guard+<id>` (the 10 most popular models kept on top) take any id. The
    /// cross-validated `auto` and `<graph id>@cv` run only when named: they refit every
    /// candidate once per training dataset (seconds per target). So do the `<graph id>@scores`
    /// variants (e.g.
    /// lr+node2vec@scores), whose graph also links each dataset, the target included, to the
    /// models with its best stored transferability scores (LogME first).
    #[arg(long, value_delimiter = ',')]
    pub methods: Option<Vec<MethodSpec>>,
    /// Targets (comma-separated dataset names); default: every dataset with records.
    #[arg(long, value_delimiter = ',')]
    pub targets: Option<Vec<String>>,
    /// Count parameter-efficient (LoRA) runs in the ground truth and the history.
    #[arg(long)]
    pub include_peft: bool,
    /// Which runs make each target's ground truth. `default`: each model's best full
    /// fine-tuning run (PEFT runs too with --include-peft). `published`: the rule of the
    /// TransferGraph authors' published text tables, for comparisons with them: per target,
    /// each model's best run is taken over full fine-tuning and PEFT (LoRA) runs together, and
    /// a model whose best run is a PEFT run is left out of that target (a tie keeps it); the
    /// models kept are judged by their best full fine-tuning run.
    #[arg(long, default_value_t = Protocol::Default, value_name = "default|published")]
    pub protocol: Protocol,
    /// Also evaluate on random subsets of the zoo's models of these fractions (0 < r ≤ 1).
    #[arg(long, value_delimiter = ',')]
    pub model_ratio: Option<Vec<f64>>,
    /// Number of random subsets per model ratio.
    #[arg(long, default_value_t = 3)]
    pub seeds: u64,
    /// Seed for the learners and the subsets.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Write figures into this directory (created if missing), each as SVG and PNG:
    /// score-vs-truth scatter per method and target, Rel@k and correlations per method,
    /// per-target bars.
    #[arg(long, value_name = "DIR")]
    pub plot: Option<std::path::PathBuf>,
    /// Also score each method's predicted accuracies: mean absolute error (`mae`) and
    /// intervals at this coverage (`coverage@80`: share of true accuracies inside,
    /// `width@80`: mean width). Intervals are calibrated per target on its view's training
    /// datasets, one more ranking per training dataset (graph methods: seconds each).
    #[arg(long, value_name = "COVERAGE", num_args = 0..=1, default_missing_value = "0.8",
          value_parser = parse_coverage)]
    pub intervals: Option<f64>,
    /// Also simulate the budgeted loop: on each target a strategy picks models one at a time,
    /// their recorded accuracy is revealed, the ranking is conditioned on the runs so far;
    /// reports Rel@1 (counting the best run seen), weighted τ, regret and MAE for K = 0..N.
    #[arg(long, value_name = "N")]
    pub reveal: Option<usize>,
    /// Strategies for --reveal (comma-separated): explore (predicted + expert disagreement),
    /// top (best predicted first), clusters (best of each cluster of similar models), survey
    /// (the best predicted, then runs spread over the ranking, for the most accurate
    /// predictions of the rest); after the first pick each runs the models already fine-tuned
    /// on the target first (their name or source dataset says so). Default: all four.
    #[arg(long, value_delimiter = ',', requires = "reveal")]
    pub strategy: Option<Vec<Strategy>>,
    /// JSON output: {"methods": {"<id>": {"per_target", "weighted_average", "seconds_per_target"}}, ...}.
    #[arg(long)]
    pub json: bool,
}

pub(crate) fn parse_coverage(s: &str) -> Result<f64, String> {
    let c: f64 = s
        .parse()
        .map_err(|_| format!("'{s}' is not a number (a coverage such as 0.8)"))?;
    if c > 0.0 && c < 1.0 {
        Ok(c)
    } else {
        Err(format!(
            "coverage {c} must be strictly between 0 and 1 (e.g. 0.8)"
        ))
    }
}

/// Runs `eval`.
pub fn run(a: EvalArgs, global: &Global) -> anyhow::Result<()> {
    let engine = Engine::open(&global.db)?;
    let req = EvalRequest {
        methods: a.methods,
        targets: a.targets,
        include_peft: a.include_peft,
        protocol: a.protocol,
        seed: a.seed,
        threads: a.threads,
        model_ratios: a.model_ratio.unwrap_or_default(),
        ratio_subsets: a.seeds,
        intervals: a.intervals,
        reveal: a.reveal,
        strategies: a.strategy,
    };
    let pb = output::spinner("evaluating leave-one-target-out");
    let ev = engine.evaluate(&req, &|p| match p {
        EvalProgress::Rankings { done, total } => pb.set_message(format!(
            "evaluating leave-one-target-out: {done}/{total} rankings"
        )),
        EvalProgress::Subset { ratio, subset } => {
            pb.set_message(format!("model ratio {ratio}, subset {subset}"))
        }
    })?;
    pb.finish_and_clear();
    for (method, target, why) in &ev.report.skipped {
        eprintln!("warning: {method} skipped {target}: {why}");
    }
    if let Some(dir) = &a.plot {
        let files = zoorank_eval::plot::write_plots(&ev.report, dir)
            .with_context(|| format!("writing figures into {}", dir.display()))?;
        eprintln!(
            "wrote {} files (SVG + PNG) into {}",
            files.len(),
            dir.display()
        );
    }
    if a.json {
        return output::print_json(&ev);
    }
    print_table(&ev, a.intervals)?;
    print_reveal(&ev)?;
    let methods: Vec<String> = ev.method_order.iter().map(|m| m.to_string()).collect();
    for (r, per) in &ev.model_ratio {
        output::println(format!(
            "\nmodel ratio {r} (mean over {} subsets):",
            req.ratio_subsets.max(1)
        ))?;
        let rows = methods
            .iter()
            .filter_map(|m| per.get(m).map(|w| (m, w)))
            .map(|(m, w)| {
                let mut row = vec![m.clone()];
                for k in ["pearson", "w-kendall", "rel@1", "rel@3"] {
                    row.push(w.get(k).map_or("-".into(), |v| format!("{v:.3}")));
                }
                row
            })
            .collect();
        output::println(output::table(
            &["method", "pearson", "w-kendall", "rel@1", "rel@3"],
            rows,
        ))?;
    }
    Ok(())
}

fn print_table(ev: &Evaluation, intervals: Option<f64>) -> anyhow::Result<()> {
    let report = &ev.report;
    let mut cols: Vec<String> = [
        "pearson",
        "spearman",
        "kendall",
        "w-kendall",
        "rel@1",
        "rel@3",
        "top@1",
    ]
    .map(String::from)
    .to_vec();
    if let Some(c) = intervals {
        cols.extend(zoorank_eval::accuracy_metric_names(c));
    }
    let mut rows = Vec::new();
    for m in ev.method_order.iter().map(|m| m.to_string()) {
        let Some(mr) = report.methods.get(&m) else {
            rows.push(vec![m.clone(), "(no target)".into()]);
            continue;
        };
        let mut row = vec![m.clone()];
        for c in &cols {
            row.push(
                mr.weighted_average
                    .get(c)
                    .map_or("-".into(), |v| format!("{v:.3}")),
            );
        }
        let secs: Vec<f64> = mr.seconds_per_target.values().copied().collect();
        row.push(format!(
            "{:.3}",
            secs.iter().sum::<f64>() / secs.len().max(1) as f64
        ));
        row.push(mr.per_target.len().to_string());
        rows.push(row);
    }
    let mut header = vec!["method"];
    header.extend(cols.iter().map(String::as_str));
    header.push("s/target");
    header.push("targets");
    output::println(format!(
        "weighted averages over {} target(s) (weight = best − mean accuracy):",
        report.targets.len()
    ))?;
    output::println(output::table(&header, rows))?;
    let partial: Vec<String> = report
        .targets
        .iter()
        .filter(|(_, i)| !i.scored.is_empty())
        .map(|(t, i)| {
            let s: Vec<String> = i.scored.iter().map(|(m, n)| format!("{m} {n}")).collect();
            format!("{t} ({} models): {}", i.models, s.join(", "))
        })
        .collect();
    if !partial.is_empty() {
        output::println("methods that scored only some models (metrics over those):")?;
        for p in partial {
            output::println(format!("  {p}"))?;
        }
    }
    Ok(())
}

/// One table per method: the reveal curves of each strategy, K = 0..N.
fn print_reveal(ev: &Evaluation) -> anyhow::Result<()> {
    for (method, by_strategy) in &ev.reveal {
        output::println(format!(
            "\nbudget loop, {method}: after K revealed runs (weighted averages)"
        ))?;
        // The interval metrics (`coverage@80`, `width@80`) when the evaluation has intervals.
        let mut metrics: Vec<String> = zoorank_eval::REVEAL_METRICS.map(String::from).to_vec();
        let extra: std::collections::BTreeSet<&String> = by_strategy
            .values()
            .flat_map(|c| c.weighted_average.iter().flat_map(|m| m.keys()))
            .filter(|k| !metrics.contains(k))
            .collect();
        metrics.extend(extra.into_iter().cloned());
        let mut rows = Vec::new();
        for (strategy, curve) in by_strategy {
            for (k, m) in curve.weighted_average.iter().enumerate() {
                let mut row = vec![strategy.clone(), k.to_string()];
                for metric in &metrics {
                    row.push(m.get(metric).map_or("-".into(), |v| format!("{v:.3}")));
                }
                rows.push(row);
            }
        }
        let mut header = vec!["strategy", "K"];
        header.extend(metrics.iter().map(String::as_str));
        output::println(output::table(&header, rows))?;
    }
    Ok(())
}
