//! Times every score on one data set; `bench/compare.py` runs it next to the numpy
//! references.
//!
//! ```text
//! cargo run --release -p zoorank-scores --example bench_scores -- \
//!     features.npy labels.npy [probs.npy] [--methods logme,reg-h-score] [--repeat 3]
//! ```
//! Prints `method,value,seconds` (best of `--repeat` runs) per method. The pseudo-method
//! `read-probs` is no score: it sums the probability matrix on every core, the floor of any
//! method that reads it once (NCE, LEEP). `gram` (the features' `FᵀF`) and `gram+eigh` (and
//! its eigendecomposition) are no scores either: they are the floor of H-Score and LogME.

use std::path::Path;
use std::time::Instant;
use zoorank_scores::io::{read_labels, read_matrix};
use zoorank_scores::{by_id, ScoreInput, IDS};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut files = Vec::new();
    let mut methods: Vec<String> = IDS.iter().map(|s| s.to_string()).collect();
    let mut repeat = 1usize;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--methods" => {
                methods = it
                    .next()
                    .ok_or("--methods needs a value")?
                    .split(',')
                    .map(str::to_string)
                    .collect()
            }
            "--repeat" => repeat = it.next().ok_or("--repeat needs a value")?.parse()?,
            _ => files.push(a.clone()),
        }
    }
    if files.len() < 2 {
        return Err(
            "usage: bench_scores FEATURES LABELS [PROBS] [--methods a,b] [--repeat N]".into(),
        );
    }
    let x = read_matrix(Path::new(&files[0]))?;
    let y = read_labels(Path::new(&files[1]))?;
    let p = match files.get(2) {
        Some(f) => Some(read_matrix(Path::new(f))?),
        None => None,
    };
    let mut input = ScoreInput::features(x.view()?, &y);
    if let Some(p) = &p {
        input = input.with_source_probs(p.view()?);
    }
    println!("method,value,seconds");
    for m in &methods {
        if m == "read-probs" {
            let p = input
                .source_probs
                .ok_or("read-probs needs the probabilities")?;
            let mut best = f64::INFINITY;
            let mut value = 0.0;
            for _ in 0..repeat.max(1) {
                let t = Instant::now();
                value = read_all(p.data());
                best = best.min(t.elapsed().as_secs_f64());
            }
            println!("read-probs,{value},{best}");
            continue;
        }
        if m == "gram" || m == "gram+eigh" {
            let f = input.features.ok_or("gram needs the features")?;
            let mut best = f64::INFINITY;
            let mut value = 0.0;
            for _ in 0..repeat.max(1) {
                let t = Instant::now();
                value = if m == "gram" {
                    zoorank_scores::floor::gram(&f)
                } else {
                    zoorank_scores::floor::gram_eigh(&f)?
                };
                best = best.min(t.elapsed().as_secs_f64());
            }
            println!("{m},{value},{best}");
            continue;
        }
        let method = by_id(m)?;
        if !input.has(method.needs()) {
            continue;
        }
        let mut best = f64::INFINITY;
        let mut value = f64::NAN;
        for _ in 0..repeat.max(1) {
            let t = Instant::now();
            value = method.score(&input)?;
            best = best.min(t.elapsed().as_secs_f64());
        }
        println!("{},{value},{best}", method.id());
    }
    Ok(())
}

/// The sum of `v`, parts on every core, eight lanes per part: a plain read of memory.
fn read_all(v: &[f64]) -> f64 {
    use rayon::prelude::*;
    v.par_chunks(1 << 16)
        .map(|part| {
            let mut acc = [0.0f64; 8];
            for ch in part.chunks_exact(8) {
                for l in 0..8 {
                    acc[l] += ch[l];
                }
            }
            acc.iter().sum::<f64>() + part.chunks_exact(8).remainder().iter().sum::<f64>()
        })
        .sum()
}
