//! What the cross-validated rankers (`auto`, `<graph id>@cv`; `zoorank_predict::rank::cv`)
//! choose for each held-out target of the real TransferGraph image zoo, and the criterion
//! (Pearson + weighted τ + Rel@1 over the training datasets left out one at a time) of every
//! candidate.
//!
//! `cargo run --release -p zoorank-experiments --example cv_choices [id ...] [-- targets,comma,separated]`
//! (default ids: auto lr+node2vec@cv; default targets: every dataset with records). Data from
//! `$ZOORANK_DATA` (default `../shared/data`).

use zoorank_eval::leave_one_out;
use zoorank_predict::rank::{all_methods, MethodSpec};

use zoorank_experiments::common;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let split = args.iter().position(|a| a == "--");
    let mut ids: Vec<MethodSpec> = args[..split.unwrap_or(args.len())]
        .iter()
        .map(|a| a.parse())
        .collect::<Result<_, _>>()?;
    if ids.is_empty() {
        ids = all_methods(&[])
            .into_iter()
            .filter(|m| m.cv_choice(&[]).is_ok_and(|c| c.is_some()))
            .collect();
    }
    let zoo = common::image_zoo()?;
    let targets: Vec<usize> = match split.and_then(|i| args.get(i + 1)) {
        Some(list) => list
            .split(',')
            .map(|n| zoo.dataset_index(n).ok_or(format!("no dataset {n}")))
            .collect::<Result<_, _>>()?,
        None => zoo
            .datasets_with_records(false)
            .into_iter()
            .filter(|&d| zoo.ground_truth(d, false).len() >= 2)
            .collect(),
    };
    for id in &ids {
        let ranker = id
            .cv_choice(&zoo.score_methods())?
            .ok_or_else(|| format!("{id} is not a cross-validated ranker (auto, <graph id>@cv)"))?;
        println!("\n{id}:\n| target | chosen | criteria (Pearson + wτ + Rel@1 over the folds) |\n|---|---|---|");
        for &t in &targets {
            let view = leave_one_out(&zoo, t, false, 0);
            let out = ranker.choose(&view)?;
            let crit: Vec<String> = out
                .criteria
                .iter()
                .map(|(l, c)| format!("{l} {c:.3}"))
                .collect();
            println!(
                "| {} | {} | {} |",
                zoo.datasets[t].name,
                out.criteria[out.chosen].0,
                crit.join(", ")
            );
        }
    }
    Ok(())
}
