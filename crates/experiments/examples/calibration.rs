//! How well a ranker's *predicted accuracy* (not only its order) matches the real fine-tuning
//! accuracy, leave-one-target-out on every target of the real TransferGraph image zoo: mean
//! absolute error over the target's models, and the error of the predicted mean (the part a
//! better per-dataset level would fix).
//!
//! `cargo run --release -p zoorank-experiments --example calibration [method ...]`
//! (default methods: pop+amazon-fm lr). Data from `$ZOORANK_DATA` (default `../shared/data`).

use zoorank_eval::leave_one_out;
use zoorank_predict::rank::MethodSpec;

use zoorank_experiments::common;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut methods: Vec<String> = std::env::args().skip(1).collect();
    if methods.is_empty() {
        methods = vec!["pop+amazon-fm".into(), "lr".into()];
    }
    let zoo = common::image_zoo()?;
    let targets: Vec<usize> = zoo
        .datasets_with_records(false)
        .into_iter()
        .filter(|&d| zoo.ground_truth(d, false).len() >= 2)
        .collect();
    for method in &methods {
        let ranker = method.parse::<MethodSpec>()?.ranker(&zoo.score_methods())?;
        println!("\n{method}:\n| target | models | true mean | predicted mean | MAE |\n|---|---|---|---|---|");
        let (mut all_mae, mut all_bias) = (0.0, 0.0);
        for &t in &targets {
            let view = leave_one_out(&zoo, t, false, 0);
            let truth: std::collections::BTreeMap<usize, f64> =
                zoo.ground_truth(t, false).into_iter().collect();
            let scores = ranker.rank(&view)?;
            let pairs: Vec<(f64, f64)> = scores
                .iter()
                .filter_map(|s| Some((s.predicted_accuracy?, *truth.get(&s.model)?)))
                .collect();
            if pairs.is_empty() {
                println!(
                    "| {} | no predicted accuracies | | | |",
                    zoo.datasets[t].name
                );
                continue;
            }
            let n = pairs.len() as f64;
            let mae = pairs.iter().map(|(p, y)| (p - y).abs()).sum::<f64>() / n;
            let pm = pairs.iter().map(|p| p.0).sum::<f64>() / n;
            let ym = pairs.iter().map(|p| p.1).sum::<f64>() / n;
            all_mae += mae;
            all_bias += (pm - ym).abs();
            println!(
                "| {} | {} | {ym:.3} | {pm:.3} | {mae:.3} |",
                zoo.datasets[t].name,
                pairs.len()
            );
        }
        let k = targets.len() as f64;
        println!(
            "| mean over {} targets | | | abs. error of the mean {:.3} | {:.3} |",
            targets.len(),
            all_bias / k,
            all_mae / k
        );
    }
    Ok(())
}
