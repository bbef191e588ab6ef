//! `zoorank next`: which models to fine-tune next on a target, and why.

use crate::cmd::observed::RankingArgs;
use crate::global::Global;
use crate::output;
use clap::Args;
use zoorank_engine::{Engine, NextPlan, NextRequest, RecommendRequest, Strategy};

/// Arguments of `next`.
///
/// Proposes the models to fine-tune (or linear-probe) first on the target: runs likely to be
/// good that also tell the most about the rest. Make them, add the results to the
/// --observed file, and ask again: every run re-ranks the others (`recommend --observed`).
///
/// Example: zoorank next --target dtd --budget 3 --observed runs.csv
#[derive(Debug, Args)]
pub struct NextArgs {
    #[command(flatten)]
    pub ranking: RankingArgs,
    /// How many runs to propose (at least 1).
    #[arg(long, default_value_t = 3, value_parser = parse_budget)]
    pub budget: usize,
    /// How to pick: explore (predicted accuracy + how much the zoo's datasets disagree about
    /// the model), top (best predicted first), clusters (best predicted of each cluster of
    /// models that behave alike), survey (the best predicted, then models spread over the
    /// ranking, at ½, ¼, ¾, … of it: these runs place the predictions of the rest best, at the
    /// cost of runs on models not expected to win). After the first pick, every strategy first
    /// proposes the models already fine-tuned on the target (their name or source dataset
    /// says so).
    #[arg(long, default_value_t = Strategy::Explore)]
    pub strategy: Strategy,
    /// Models not to propose, comma-separated (e.g. those already probed, when the next runs
    /// are linear probes). The strategies count them as runs made: their cluster counts as
    /// visited, and a survey counts them among its runs. Fine-tuned models in --observed are
    /// never proposed.
    #[arg(long, value_delimiter = ',')]
    pub exclude: Vec<String>,
    /// JSON output: {target, method, strategy, observed_runs, runs[order, model,
    /// predicted_accuracy, rank, uncertainty, cluster_size, why]}.
    #[arg(long)]
    pub json: bool,
}

/// A budget of runs: a whole number, at least 1.
pub(crate) fn parse_budget(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(0) => Err("a budget of 0 runs does nothing: give at least 1".into()),
        Ok(k) => Ok(k),
        Err(_) => Err(format!("'{s}' is not a whole number of runs (e.g. 3)")),
    }
}

/// Runs `next`.
pub fn run(a: NextArgs, global: &Global) -> anyhow::Result<()> {
    let mut engine = Engine::open(&global.db)?;
    let plan = engine.next(&NextRequest {
        recommend: RecommendRequest {
            coverage: None,
            ..a.ranking.request()?
        },
        budget: a.budget,
        strategy: a.strategy,
        exclude: a.exclude,
    })?;
    if a.json {
        return output::print_json(&plan);
    }
    print_human(&plan)
}

fn print_human(plan: &NextPlan) -> anyhow::Result<()> {
    output::println(format!(
        "next {} run(s) on '{}' ({} by {}, {} run(s) observed so far{}):",
        plan.runs.len(),
        plan.target,
        plan.strategy,
        plan.method,
        plan.observed_runs,
        match plan.probe_runs {
            0 => String::new(),
            n => format!(", {n} probe(s)"),
        }
    ))?;
    let header = ["#", "model", "predicted", "rank", "why"];
    output::print_table(&header, &plan.runs, |r| {
        vec![
            r.order.to_string(),
            r.model.clone(),
            format!("{:.3}", r.predicted_accuracy),
            r.rank.to_string(),
            r.why.clone(),
        ]
    })?;
    output::println(
        "after the runs: add model,accuracy rows to the --observed CSV and ask again (zoorank recommend --observed re-ranks the rest)",
    )
}
