//! `zoorank eval`: the leave-one-dataset-out protocol on the zoo in the store.

use crate::cmd::import::open_store;
use crate::output;
use crate::Global;
use anyhow::Context;
use clap::Args;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use serde::Serialize;
use std::collections::BTreeMap;
use zoorank_core::Zoo;
use zoorank_eval::{evaluate, evaluate_with_progress, EvalOptions, EvalReport, MethodReport};
use zoorank_predict::rank::default_eval_ids;

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
    pub methods: Option<Vec<String>>,
    /// Targets (comma-separated dataset names); default: every dataset with records.
    #[arg(long, value_delimiter = ',')]
    pub targets: Option<Vec<String>>,
    /// Count parameter-efficient (LoRA) runs in the ground truth and the history.
    #[arg(long)]
    pub include_peft: bool,
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
    /// JSON output: {"methods": {"<id>": {"per_target", "weighted_average", "seconds_per_target"}}, ...}.
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct JsonOut<'a> {
    methods: &'a BTreeMap<String, MethodReport>,
    targets: &'a BTreeMap<String, zoorank_eval::harness::TargetInfo>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    model_ratio: BTreeMap<String, BTreeMap<String, BTreeMap<String, f64>>>,
}

/// A copy of `zoo` keeping only the models in `keep` (their records and scores).
fn subset(zoo: &Zoo, keep: &[bool]) -> Zoo {
    let mut z = zoo.clone();
    z.records.retain(|r| keep[r.model]);
    z.scores.retain(|s| keep[s.model]);
    z
}

/// Runs `eval`.
pub fn run(a: EvalArgs, global: &Global) -> anyhow::Result<()> {
    let store = open_store(&global.db)?;
    let zoo = store.load_zoo()?;
    anyhow::ensure!(
        !zoo.records.is_empty(),
        "the store {} has no fine-tuning records: import a zoo first (zoorank import --help)",
        global.db.display()
    );
    let methods = a
        .methods
        .clone()
        .unwrap_or_else(|| default_eval_ids(&zoo.score_methods()));
    let mut opts = EvalOptions {
        targets: a.targets.clone(),
        include_peft: a.include_peft,
        seed: a.seed,
        ..EvalOptions::default()
    };
    if let Some(t) = a.threads {
        opts.threads = t.max(1);
    }
    let pb = output::spinner(format!(
        "evaluating {} method(s) leave-one-target-out",
        methods.len()
    ));
    let report = evaluate_with_progress(&zoo, &methods, &opts, &|done, total| {
        pb.set_message(format!(
            "evaluating {} method(s) leave-one-target-out: {done}/{total} rankings",
            methods.len()
        ))
    })
    .context("evaluating")?;
    for (method, target, why) in &report.skipped {
        eprintln!("warning: {method} skipped {target}: {why}");
    }
    let mut ratios: BTreeMap<String, BTreeMap<String, BTreeMap<String, f64>>> = BTreeMap::new();
    for &r in a.model_ratio.as_deref().unwrap_or(&[]) {
        anyhow::ensure!(r > 0.0 && r <= 1.0, "--model-ratio {r}: must be in (0, 1]");
        let mut sums: BTreeMap<String, BTreeMap<String, (f64, usize)>> = BTreeMap::new();
        for s in 0..a.seeds.max(1) {
            pb.set_message(format!("model ratio {r}, subset {}", s + 1));
            let mut rng = rand::rngs::StdRng::seed_from_u64(a.seed ^ (s + 1).wrapping_mul(0x9E37));
            let mut idx: Vec<usize> = (0..zoo.models.len()).collect();
            idx.shuffle(&mut rng);
            let n = ((zoo.models.len() as f64) * r).round().max(2.0) as usize;
            let mut keep = vec![false; zoo.models.len()];
            for &i in idx.iter().take(n) {
                keep[i] = true;
            }
            let sub = subset(&zoo, &keep);
            let rep = match evaluate(&sub, &methods, &opts) {
                Ok(rep) => rep,
                Err(zoorank_eval::EvalError::UnknownTarget(_))
                | Err(zoorank_eval::EvalError::NoTargets) => continue,
                Err(e) => return Err(e).context(format!("evaluating at model ratio {r}")),
            };
            for (m, mr) in rep.methods {
                for (k, v) in mr.weighted_average {
                    let e = sums
                        .entry(m.clone())
                        .or_default()
                        .entry(k)
                        .or_insert((0.0, 0));
                    e.0 += v;
                    e.1 += 1;
                }
            }
        }
        ratios.insert(
            format!("{r}"),
            sums.into_iter()
                .map(|(m, ks)| {
                    (
                        m,
                        ks.into_iter()
                            .map(|(k, (s, n))| (k, s / n as f64))
                            .collect(),
                    )
                })
                .collect(),
        );
    }
    pb.finish_and_clear();
    if let Some(dir) = &a.plot {
        let files = zoorank_eval::plot::write_plots(&report, dir)
            .with_context(|| format!("writing figures into {}", dir.display()))?;
        eprintln!(
            "wrote {} files (SVG + PNG) into {}",
            files.len(),
            dir.display()
        );
    }
    if a.json {
        return output::print_json(&JsonOut {
            methods: &report.methods,
            targets: &report.targets,
            model_ratio: ratios,
        });
    }
    print_table(&report, &methods)?;
    for (r, per) in &ratios {
        output::println(format!(
            "\nmodel ratio {r} (mean over {} subsets):",
            a.seeds.max(1)
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

fn print_table(report: &EvalReport, methods: &[String]) -> anyhow::Result<()> {
    let cols = [
        "pearson",
        "spearman",
        "kendall",
        "w-kendall",
        "rel@1",
        "rel@3",
        "top@1",
    ];
    let mut rows = Vec::new();
    for m in methods {
        let Some(mr) = report.methods.get(m) else {
            rows.push(vec![m.clone(), "(no target)".into()]);
            continue;
        };
        let mut row = vec![m.clone()];
        for c in cols {
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
    header.extend(cols);
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
