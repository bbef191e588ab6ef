//! Can the zoo's metadata place a new dataset's level of accuracy? A bound on the cold-start
//! MAE of predicted accuracies, measured on the real TransferGraph image zoo.
//!
//! A cold prediction has a level (how good the target's models are on average) and a shape
//! (how they differ). This experiment gives every predictor the **true shape**: the target's
//! own recorded accuracies, moved together in logit space until their mean is the predicted
//! level. What error is left is the level's alone, so it bounds from below the MAE of any
//! method whose level comes from that predictor.
//!
//! Level predictors, each from the leave-one-out view of the target (its records hidden):
//! - the estimators of [`LevelEstimator::ALL`]: the similarity-weighted mean of the other
//!   datasets' means, their median, and the least squares on log #classes and log #samples;
//! - `cross-validated`: [`History::expected_moments`], the one of those that best predicts the
//!   training datasets, each left out in turn (the level of `lr`'s own predictions);
//! - `cross-validated with descriptors`: the same rule with [`LevelEstimator::Descriptors`]
//!   among the candidates;
//! - `descriptors alone`: the least squares on the trend's dataset descriptors (log samples
//!   per class and the distance from the models' pre-training), kept inside the training
//!   datasets' means;
//! - `descriptors and #classes (engine)`: [`History::descriptors_level`], the same with log
//!   #classes as a third column: the level the engine gives its cold predicted accuracies
//!   wherever the descriptors are known ([`zoorank_predict::accuracy::cold_logits`]);
//! - `in-sample …`: the same two least squares fitted with the target's own mean among the
//!   points (a deliberate cheat). They show how much of the level the features could explain
//!   if the fit did not have to generalise from the other datasets (11 on the image zoo): not
//!   a bound for an honest predictor, but the room there is.
//!
//! `cargo run --release -p zoorank-experiments --example levels`. Data from `$ZOORANK_DATA`
//! (default `../shared/data`).

use zoorank_core::metrics::{target_weight, weighted_average};
use zoorank_core::DatasetIdx;
use zoorank_eval::leave_one_out;
use zoorank_experiments::common;
use zoorank_predict::accuracy::at_mean_accuracy;
use zoorank_predict::accuracy::experts::{expit, logit};
use zoorank_predict::rank::history::{History, LevelEstimator};
use zoorank_predict::regress::{Features, Ridge, RidgeParams};

/// The image zoo's validation targets (where the engine's choices were made).
const VALIDATION: [&str; 4] = [
    "eurosat",
    "kitti",
    "diabetic_retinopathy_detection",
    "smallnorb_label_azimuth",
];

/// Column names of the table, in the order of [`predictions`].
const PREDICTORS: [&str; 9] = [
    "weighted-mean",
    "median",
    "size",
    "cross-validated",
    "cross-validated with descriptors",
    "descriptors alone",
    "descriptors and #classes (engine)",
    "in-sample descriptors (cheat)",
    "in-sample descriptors and #classes (cheat)",
];

/// Every predictor's level for `d` (in [`PREDICTORS`] order): `h` summarises the view without
/// `d`'s records, `full` the whole zoo (for the in-sample fits, which see `d`'s own mean).
fn predictions(h: &History, full: &History, d: DatasetIdx) -> Vec<Option<f64>> {
    let pool: Vec<DatasetIdx> = h
        .train_datasets
        .iter()
        .copied()
        .filter(|&e| e != d && h.moments[e].is_some())
        .collect();
    let mut out: Vec<Option<f64>> = LevelEstimator::ALL
        .iter()
        .map(|&e| h.level(e, d, &pool).map(|m| m.0))
        .collect();
    out.push(h.expected_moments(d).map(|m| m.0));
    let mut with_descriptors = LevelEstimator::ALL.to_vec();
    with_descriptors.push(LevelEstimator::Descriptors);
    out.push(h.cross_validated_moments(d, &with_descriptors).map(|m| m.0));
    let descriptors = |e: DatasetIdx| match full.descriptors(e) {
        [Some(a), Some(b)] => Some(vec![a, b]),
        _ => None,
    };
    let with_classes = |e: DatasetIdx| {
        let mut x = descriptors(e)?;
        x.push(full.size[e]?[0]);
        Some(x)
    };
    out.push(fitted_level(h, d, false, descriptors));
    out.push(h.descriptors_level(d));
    out.push(fitted_level(full, d, true, descriptors));
    out.push(fitted_level(full, d, true, with_classes));
    out
}

/// The least-squares fit of the training datasets' mean accuracies on `features`, evaluated at
/// `d`. With `in_sample`, `d`'s own mean is among the fitted points: a deliberate cheat, which
/// shows how well the features could place the means if the fit did not have to generalise.
/// Without, `d` is left out (as its records are from `h`) and the level is kept inside the
/// fitted means, as the engine keeps its own.
fn fitted_level(
    h: &History,
    d: DatasetIdx,
    in_sample: bool,
    features: impl Fn(DatasetIdx) -> Option<Vec<f64>>,
) -> Option<f64> {
    let x0 = features(d)?;
    let rows: Vec<(Vec<f64>, f64)> = h
        .train_datasets
        .iter()
        .filter(|&&e| in_sample || e != d)
        .filter_map(|&e| Some((features(e)?, h.moments[e]?.0)))
        .collect();
    let width = x0.len();
    if rows.len() <= width + 1 {
        return None;
    }
    let x: Vec<f64> = rows.iter().flat_map(|r| r.0.iter().copied()).collect();
    let y: Vec<f64> = rows.iter().map(|r| r.1).collect();
    let fitted = Ridge::new(RidgeParams { alphas: vec![1e-8] })
        .fit_ridge(Features::new(&x, rows.len(), width), &y)
        .ok()?;
    let level = fitted.intercept + x0.iter().zip(&fitted.coef).map(|(a, b)| a * b).sum::<f64>();
    if in_sample {
        return Some(level);
    }
    let (lo, hi) = y
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
            (a.min(v), b.max(v))
        });
    Some(level.clamp(lo, hi))
}

/// MAE of `truth` moved by one logit offset until its mean is `level` (the true shape at the
/// predicted level; [`at_mean_accuracy`], as the engine moves its cold predictions).
fn shape_mae(truth: &[f64], level: f64) -> f64 {
    let logits: Vec<f64> = truth.iter().map(|&a| logit(a)).collect();
    at_mean_accuracy(&logits, level)
        .iter()
        .zip(truth)
        .map(|(&x, &a)| (expit(x) - a).abs())
        .sum::<f64>()
        / truth.len() as f64
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let zoo = common::image_zoo()?;
    let full = History::new(&zoo);
    println!(
        "{} training datasets, {} with both descriptors",
        full.train_datasets.len(),
        full.train_datasets
            .iter()
            .filter(|&&e| full.descriptors(e).iter().all(Option::is_some))
            .count()
    );
    for (title, targets) in [
        ("8 published targets", &common::PUBLISHED[..]),
        ("4 validation targets", &VALIDATION[..]),
    ] {
        println!("\n{title}: predicted level (true-shape MAE)\n");
        println!("| target | true mean | {} |", PREDICTORS.join(" | "));
        println!("|---|---|{}", "---|".repeat(PREDICTORS.len()));
        let mut maes: Vec<Vec<f64>> = vec![Vec::new(); PREDICTORS.len()];
        let mut weights = Vec::new();
        for name in targets {
            let t = zoo
                .dataset_index(name)
                .ok_or_else(|| format!("no dataset '{name}' in the image zoo"))?;
            let truth: Vec<f64> = zoo
                .ground_truth(t, false)
                .into_iter()
                .map(|x| x.1)
                .collect();
            let mean = truth.iter().sum::<f64>() / truth.len() as f64;
            let h = History::new(&leave_one_out(&zoo, t, false, 0).zoo);
            let cells: Vec<String> = predictions(&h, &full, t)
                .into_iter()
                .zip(&mut maes)
                .map(|(p, col)| match p {
                    Some(mu) => {
                        let e = shape_mae(&truth, mu);
                        col.push(e);
                        format!("{mu:.3} ({e:.3})")
                    }
                    None => {
                        col.push(f64::NAN);
                        "–".to_string()
                    }
                })
                .collect();
            weights.push(target_weight(&truth)?);
            println!("| {name} | {mean:.3} | {} |", cells.join(" | "));
        }
        let avg: Vec<String> = maes
            .iter()
            .map(|col| match weighted_average(col, &weights) {
                Ok(v) if v.is_finite() => format!("{v:.3}"),
                _ => "–".to_string(),
            })
            .collect();
        println!("| weighted MAE | | {} |", avg.join(" | "));
    }
    Ok(())
}
