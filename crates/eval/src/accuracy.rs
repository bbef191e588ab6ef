//! How good predicted accuracies and their intervals are, against recorded ones: the mean
//! absolute error, and the intervals' coverage and mean width.

use std::collections::BTreeMap;
use zoorank_predict::accuracy::Estimate;

/// The names of the accuracy metrics at interval coverage `c` (`mae`, `coverage@80`,
/// `width@80` for 0.8).
pub fn accuracy_metric_names(c: f64) -> [String; 3] {
    let pct = (c * 100.0).round();
    [
        "mae".to_string(),
        format!("coverage@{pct}"),
        format!("width@{pct}"),
    ]
}

/// Mean absolute error of the predicted accuracies, and the share of true accuracies inside
/// the intervals and their mean width (when the estimates have intervals), over the models
/// with a ground truth that were not observed.
pub fn accuracy_metrics(
    estimates: &[Estimate],
    truth: &BTreeMap<usize, f64>,
    c: f64,
) -> BTreeMap<String, f64> {
    let [mae, cov, width] = accuracy_metric_names(c);
    let (mut n, mut err, mut inside, mut wsum, mut nint) = (0usize, 0.0, 0usize, 0.0, 0usize);
    for e in estimates.iter().filter(|e| !e.observed) {
        let Some(&t) = truth.get(&e.model) else {
            continue;
        };
        n += 1;
        err += (e.predicted - t).abs();
        if let (Some(lo), Some(hi)) = (e.low, e.high) {
            nint += 1;
            wsum += hi - lo;
            if lo <= t && t <= hi {
                inside += 1;
            }
        }
    }
    let mut out = BTreeMap::new();
    if n > 0 {
        out.insert(mae, err / n as f64);
    }
    if nint > 0 {
        out.insert(cov, inside as f64 / nint as f64);
        out.insert(width, wsum / nint as f64);
    }
    out
}
