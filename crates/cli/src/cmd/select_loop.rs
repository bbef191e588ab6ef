//! `zoorank select --budget K`: print the engine's budget loop ([`BudgetOutcome`]) run with
//! the trainer the arguments build.

use crate::cmd::observed;
use crate::cmd::select::{build_trainer, SelectArgs, TrainerKind};
use crate::global::Global;
use crate::output;
use anyhow::Context;
use zoorank_engine::{
    BudgetOutcome, BudgetRequest, Engine, LoopRun, RecommendRequest, RunKind, DEFAULT_COVERAGE,
};
use zoorank_select::trainer::ReplayTrainer;

/// Runs the budget loop of `args` (`args.budget` is set).
pub fn run(args: SelectArgs, global: &Global) -> anyhow::Result<()> {
    let budget = args.budget.context("the budget loop needs --budget K")?;
    anyhow::ensure!(
        args.models.is_none(),
        "--models is for fine selection; the budget loop proposes its models from the zoo"
    );
    let replay = match &args.curves {
        Some(p) => Some(
            ReplayTrainer::from_path(p)
                .with_context(|| format!("reading curves {}", p.display()))?,
        ),
        None => None,
    };
    let mut trainer = build_trainer(&args, replay.as_ref())?;
    let mut engine = Engine::open(&global.db)?;
    let req = BudgetRequest {
        recommend: RecommendRequest {
            method: args.method.clone(),
            seed: args.seed,
            top: Some(args.recall.top),
            observed: args.runs.read(&args.target)?,
            coverage: (!args.no_intervals).then_some(DEFAULT_COVERAGE),
            ..RecommendRequest::new(&args.target)
        },
        budget,
        strategy: args.strategy,
        kind: match args.trainer {
            TrainerKind::LinearProbe => RunKind::LinearProbe,
            TrainerKind::Replay | TrainerKind::Command => RunKind::Finetune,
        },
        epochs: args.max_epochs,
        runs_out: args.runs_out.clone(),
    };
    let pb = (!args.json).then(|| output::spinner(format!("run 1 of {budget}")));
    let outcome = engine.run_budget(&req, trainer.as_mut(), &mut |r: &LoopRun| {
        if let Some(pb) = &pb {
            pb.set_message(format!("run {} of {budget}", r.proposal.order + 1));
            pb.suspend(|| eprintln!("{}", run_line(r)));
        }
    });
    if let Some(pb) = pb {
        pb.finish_and_clear();
    }
    let outcome = outcome.with_context(|| format!("budget loop on '{}'", args.target))?;
    for w in &outcome.recommendation.warnings {
        eprintln!("warning: {w}");
    }
    if args.json {
        output::print_json(&outcome)?;
    } else {
        print_human(&outcome)?;
    }
    let failed = outcome.runs.iter().filter(|r| r.error.is_some()).count();
    anyhow::ensure!(
        outcome.runs.is_empty() || failed < outcome.runs.len(),
        "every run of the budget loop failed (first: {})",
        outcome.runs[0].error.as_deref().unwrap_or_default()
    );
    Ok(())
}

/// One run as a progress line.
fn run_line(r: &LoopRun) -> String {
    match (&r.error, r.accuracy) {
        (Some(e), _) => format!("run {} {} failed: {e}", r.proposal.order, r.proposal.model),
        (None, acc) => format!(
            "run {} {} ({}): {} (predicted {:.3})",
            r.proposal.order,
            r.proposal.model,
            r.kind,
            output::opt_num(acc),
            r.proposal.predicted_accuracy
        ),
    }
}

fn print_human(o: &BudgetOutcome) -> anyhow::Result<()> {
    output::println(format!(
        "{} run(s) on '{}' by {} with the {} trainer ({} earlier run(s)):",
        o.runs.len(),
        o.target,
        o.strategy,
        o.trainer,
        o.earlier_runs
    ))?;
    let header = [
        "#",
        "model",
        "kind",
        "predicted",
        "result",
        "why it was run",
    ];
    output::print_table(&header, &o.runs, |r| {
        vec![
            r.proposal.order.to_string(),
            r.proposal.model.clone(),
            r.kind.to_string(),
            format!("{:.3}", r.proposal.predicted_accuracy),
            r.error
                .as_ref()
                .map_or_else(|| output::opt_num(r.accuracy), |e| format!("failed: {e}")),
            r.proposal.why.clone(),
        ]
    })?;
    if let Some(why) = &o.stopped_early {
        output::println(format!("stopped early: {why}"))?;
    }
    let rec = &o.recommendation;
    output::println(format!(
        "top {} of {} models for '{}' conditioned on {}:",
        rec.models.len(),
        rec.candidates,
        rec.target,
        observed::runs_summary(rec)
    ))?;
    output::print_table(&["#", "model", "predicted", "interval"], &rec.models, |m| {
        vec![
            m.rank.to_string(),
            m.model.clone(),
            output::opt_num(m.predicted_accuracy),
            observed::interval_cell(m),
        ]
    })
}
