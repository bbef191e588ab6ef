//! Fine selection on real recorded linear-probe curves, leave-one-target-out.
//!
//! `cargo run --release -p zoorank-experiments --example select_benchmark [-- CURVES.jsonl [EPOCHS]]`
//! (default: the committed fixture `crates/select/tests/reference/probe_curves.jsonl`, 20 epochs).

use zoorank_experiments::select_bench::compare_on_replay;
use zoorank_select::trainer::ReplayTrainer;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let path = args.first().cloned().unwrap_or_else(|| {
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../select/tests/reference/probe_curves.jsonl"
        )
        .to_string()
    });
    let epochs: usize = args.get(1).map_or(Ok(20), |s| s.parse())?;
    let replay = ReplayTrainer::from_path(std::path::Path::new(&path))?;
    let rows = compare_on_replay(&replay, epochs, 0.0)?;
    println!("| target | models | best test | brute force: test / epochs | SH: test / epochs | trends: test / epochs | trends (ref. halving): test / epochs |");
    println!("|---|---|---|---|---|---|---|");
    let t =
        |o: &zoorank_select::fine::SelectionOutcome| o.selected_test_accuracy.unwrap_or(f64::NAN);
    let mut sums = [0.0f64; 8];
    for r in &rows {
        let mut line = format!("| {} | {} | {:.3} |", r.target, r.candidates, r.best_test);
        for (i, o) in [
            &r.brute_force,
            &r.successive_halving,
            &r.trends,
            &r.trends_reference,
        ]
        .iter()
        .enumerate()
        {
            line += &format!(" {:.3} ({}) / {} |", t(o), o.selected, o.epochs);
            sums[2 * i] += r.best_test - t(o);
            sums[2 * i + 1] += o.epochs as f64;
        }
        println!("{line}");
    }
    let n = rows.len() as f64;
    println!(
        "\nmean regret vs best test (accuracy points): brute force {:.4}, SH {:.4}, trends {:.4}, trends-ref {:.4}",
        sums[0] / n, sums[2] / n, sums[4] / n, sums[6] / n
    );
    println!(
        "mean epochs: brute force {:.1}, SH {:.1}, trends {:.1}, trends-ref {:.1}; speed-up of trends vs brute force {:.2}x, vs SH {:.2}x",
        sums[1] / n, sums[3] / n, sums[5] / n, sums[7] / n, sums[1] / sums[5], sums[3] / sums[5]
    );
    Ok(())
}
