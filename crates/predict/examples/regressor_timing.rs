//! Fit and predict wall-clock time of every regressor on a table the size of one
//! leave-one-target-out fold of the image zoo.
//!
//! `cargo run --release -p zoorank-predict --example regressor_timing -- [n_rows] [n_cols]`
//! (defaults 1500 × 60). Single-threaded by construction of the regressors.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::time::Instant;
use zoorank_predict::regress::{Features, RegressorKind};

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse().expect("arguments: n_rows n_cols"))
        .collect();
    let n = args.first().copied().unwrap_or(1500);
    let p = args.get(1).copied().unwrap_or(60);
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    // Half the columns one-hot-like (0/1), half continuous; a nonlinear target.
    let x: Vec<f64> = (0..n * p)
        .map(|k| {
            if k % p < p / 2 {
                f64::from(u8::from(rng.gen_bool(0.1)))
            } else {
                rng.gen_range(-1.0..1.0)
            }
        })
        .collect();
    let y: Vec<f64> = (0..n)
        .map(|i| {
            let r = &x[i * p..(i + 1) * p];
            r.iter().take(5).sum::<f64>() + (3.0 * r[p - 1]).sin() + r[p - 2] * r[p - 3]
        })
        .collect();
    let feats = Features::new(&x, n, p);
    println!("table {n} × {p}");
    for kind in RegressorKind::ALL {
        let id = kind.id();
        let start = Instant::now();
        let fitted = kind.build().fit(feats, &y, 0).expect("fit");
        let fit_s = start.elapsed().as_secs_f64();
        let start = Instant::now();
        let pred = fitted.predict(feats).expect("predict");
        let pred_s = start.elapsed().as_secs_f64();
        let mse = pred
            .iter()
            .zip(&y)
            .map(|(a, b)| (a - b) * (a - b))
            .sum::<f64>()
            / n as f64;
        println!("{id:>4}: fit {fit_s:.3} s, predict {pred_s:.4} s, train MSE {mse:.4}");
    }
}
