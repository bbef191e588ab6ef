//! Conditioning on linear-probe runs besides fine-tunes.
//!
//! A linear probe (a classifier on the model's frozen features) is cheap and orders the models
//! much as fine-tuning does, but on a lower level: its accuracy is not the model's fine-tuned
//! accuracy and must not stand for it. Each expert's line through the runs (module docs of
//! [`super`], step 2) therefore gets a separate intercept for the probes: in logit space,
//! for expert `j` with row `x`,
//!
//! ```text
//! fine-tune runs:  y_i ≈ a_j     + s_j · x_i
//! probe runs:      z_i ≈ a_j + δ_j + s_j · x_i
//! ```
//!
//! with one slope `s_j` shared by both kinds (fitted on the deviations of each kind from its
//! own mean, shrunk toward 1 as [`super::condition`] does) and `δ_j` the probes' offset, free.
//! The probes thus weigh experts by how well their order fits and set the slope, but never the
//! level: `a_j` comes from the fine-tunes alone, and without any fine-tune it is the level
//! that keeps the expert's mean over the candidates at the cold prediction's mean, so probes
//! alone move the order and leave the level (and the intervals' calibration) as it was cold.
//! A probed model is not observed: it keeps a prediction, never its probe value.

use super::{Calibration, Conditioned, Conditioner, Estimate, Observation, SCALE_PRIOR};
use zoorank_core::ModelIdx;

/// The mixture's conditioned logits with probe runs (module docs).
#[derive(Debug, Clone, PartialEq)]
pub struct ProbeFit {
    /// Conditioned logit accuracy per candidate (a fine-tuned candidate's observed value).
    pub mean: Vec<f64>,
    /// Disagreement of the experts per candidate (0 for a fine-tuned one).
    pub spread: Vec<f64>,
    /// The experts' weighted offset `δ` of the probes from the fine-tune level (logit; from
    /// the cold level when there is no fine-tune); `None` without probe runs.
    pub probe_offset: Option<f64>,
}

/// [`super::condition`] with probe runs: `observed` and `probes` hold (candidate position,
/// logit) of fine-tunes and of linear probes. With fine-tunes and no probe the result is that
/// of [`super::condition`] up to rounding (use that one then).
pub fn condition_with_probes(
    cold: &[f64],
    candidates: &[ModelIdx],
    experts: &super::experts::Experts,
    prior: &[f64],
    observed: &[(usize, f64)],
    probes: &[(usize, f64)],
) -> ProbeFit {
    let row = super::expert_row(cold, candidates, experts);
    let n_experts = experts.rows.len() + 1;
    let n = cold.len();
    let s2 = 2.0 * experts.sigma * experts.sigma;
    let cold_mean = cold.iter().sum::<f64>() / n.max(1) as f64;
    let mut lines = Vec::with_capacity(n_experts);
    let mut log_w = Vec::with_capacity(n_experts);
    for (j, &pj) in prior.iter().enumerate().take(n_experts) {
        // Per kind: mean of the expert's row and of the runs, and the within-kind sums.
        let group = |runs: &[(usize, f64)]| -> Option<(f64, f64, f64, f64)> {
            if runs.is_empty() {
                return None;
            }
            let k = runs.len() as f64;
            let mx = runs.iter().map(|&(i, _)| row(j, i)).sum::<f64>() / k;
            let my = runs.iter().map(|&(_, y)| y).sum::<f64>() / k;
            let sxx: f64 = runs.iter().map(|&(i, _)| (row(j, i) - mx).powi(2)).sum();
            let sxy: f64 = runs.iter().map(|&(i, y)| (row(j, i) - mx) * (y - my)).sum();
            Some((mx, my, sxx, sxy))
        };
        let (ft, pr) = (group(observed), group(probes));
        let sums = |g: Option<(f64, f64, f64, f64)>| g.map_or((0.0, 0.0), |g| (g.2, g.3));
        let (sxx, sxy) = (sums(ft).0 + sums(pr).0, sums(ft).1 + sums(pr).1);
        let slope = ((sxy + SCALE_PRIOR) / (sxx + SCALE_PRIOR)).max(0.0);
        let sse = |runs: &[(usize, f64)], g: Option<(f64, f64, f64, f64)>| -> f64 {
            g.map_or(0.0, |(mx, my, ..)| {
                runs.iter()
                    .map(|&(i, y)| (y - my - slope * (row(j, i) - mx)).powi(2))
                    .sum()
            })
        };
        let intercept = match ft {
            Some((mx, my, ..)) => my - slope * mx,
            None => {
                let mean_row = (0..n).map(|i| row(j, i)).sum::<f64>() / n.max(1) as f64;
                cold_mean - slope * mean_row
            }
        };
        let offset = pr.map(|(mx, my, ..)| my - slope * mx - intercept);
        lines.push((intercept, slope, offset));
        log_w.push(pj.max(1e-300).ln() - (sse(observed, ft) + sse(probes, pr)) / s2);
    }
    let mix = super::Mixture::new(&log_w, n, |j, i| lines[j].0 + lines[j].1 * row(j, i));
    let (mut mean, mut spread) = (mix.mean, mix.spread);
    for &(i, y) in observed {
        mean[i] = y;
        spread[i] = 0.0;
    }
    let probe_offset = (!probes.is_empty()).then(|| {
        (0..n_experts)
            .map(|j| mix.w[j] * lines[j].2.unwrap_or(0.0))
            .sum::<f64>()
            / mix.total
    });
    ProbeFit {
        mean,
        spread,
        probe_offset,
    }
}

impl Conditioner {
    /// [`Conditioner::condition`] on fine-tunes `observed` and linear probes `probes` (module
    /// docs). Only the fine-tuned candidates are marked observed; without a probe of a
    /// candidate this is [`Conditioner::condition`].
    pub fn condition_with_probes(
        &self,
        observed: &[Observation],
        probes: &[Observation],
    ) -> Conditioned {
        self.fit_with_probes(observed, probes).0
    }

    /// The conditioned state and the fitted offset of the probes from the fine-tune level
    /// ([`ProbeFit::probe_offset`], `None` without a probe of a candidate).
    fn fit_with_probes(
        &self,
        observed: &[Observation],
        probes: &[Observation],
    ) -> (Conditioned, Option<f64>) {
        let pr = self.positions(probes);
        if pr.is_empty() {
            return (self.condition(observed), None);
        }
        let obs = self.positions(observed);
        let fit = condition_with_probes(
            &self.cold,
            &self.models,
            &self.experts,
            &self.prior,
            &obs,
            &pr,
        );
        let state = self.state(&obs, fit.mean, fit.spread, None);
        (state, fit.probe_offset)
    }

    /// [`Conditioner::estimates`] on fine-tunes `observed` and linear probes `probes`: a
    /// probed candidate keeps a predicted accuracy and interval. Also returns the fitted
    /// offset of the probes from the fine-tune level (logit; `None` without a probe of a
    /// candidate).
    pub fn estimates_with_probes(
        &self,
        observed: &[Observation],
        probes: &[Observation],
        calibration: Option<&Calibration>,
    ) -> (Vec<Estimate>, Option<f64>) {
        let (state, offset) = self.fit_with_probes(observed, probes);
        (self.estimates_of(state, observed, calibration), offset)
    }
}

#[cfg(test)]
mod tests {
    use super::super::experts::{additive_zoo, expit, Experts};
    use super::super::{condition, priors};
    use super::*;
    use crate::rank::history::History;
    use zoorank_core::{Record, Zoo};

    /// Three training datasets with their own level and model order, and an empty target
    /// (dataset 3).
    fn history() -> Zoo {
        let a = [0.5, 2.0, -0.3];
        // Each dataset orders the models differently, so that runs single one out.
        let rows: Vec<[f64; 3]> = (0..8)
            .map(|m| {
                let x = m as f64;
                [0.3 * x, 1.2 - 0.25 * x, ((x * 1.3).sin())]
            })
            .collect();
        let mut z = Zoo::from_names(
            (0..8).map(|m| format!("m{m}")),
            (0..4).map(|d| format!("d{d}")),
        );
        for (m, r) in rows.iter().enumerate() {
            for d in 0..3 {
                z.records.push(Record::new(m, d, expit(a[d] + r[d])));
            }
        }
        z
    }

    #[test]
    fn the_probe_offset_is_recovered_and_probes_never_set_a_prediction() {
        // An exactly additive history, logit acc(m, d) = a_d + b_m: every dataset fits the
        // runs exactly, so the fit must recover the target and the probes' offset exactly.
        let (a, b) = ([0.5, 2.0, -0.3], [0.0, 1.0, -1.0, 0.4, 1.8, -0.6]);
        let z = additive_zoo(&a, &b, 4);
        let h = History::new(&z);
        let experts = Experts::new(&h, Some(3));
        let prior = priors(&experts, &h, 3);
        let models: Vec<ModelIdx> = (0..6).collect();
        // A flat cold prediction, which fits no run.
        let cold = vec![0.0; 6];
        // The target is one logit above the models' quality; probes 1.5 below the target.
        let truth = |m: usize| b[m] + 1.0;
        let ft: Vec<(usize, f64)> = [0, 4].iter().map(|&m| (m, truth(m))).collect();
        let pr: Vec<(usize, f64)> = [1, 3, 5].iter().map(|&m| (m, truth(m) - 1.5)).collect();
        let fit = condition_with_probes(&cold, &models, &experts, &prior, &ft, &pr);
        let offset = fit.probe_offset.unwrap();
        assert!((offset + 1.5).abs() < 1e-9, "offset {offset}");
        for (m, &u) in fit.mean.iter().enumerate() {
            // Probed models get their fine-tune level, not their probe value.
            assert!((u - truth(m)).abs() < 1e-9, "m{m}: {u} vs {}", truth(m));
        }
        assert_eq!(fit.spread[0], 0.0);
        // With probes alone the level is the cold mean (0): the fitted target is b_m − mean b,
        // and the probes, at b_m + 1 − 1.5, sit mean b − 0.5 from it.
        let alone = condition_with_probes(&cold, &models, &experts, &prior, &[], &pr);
        let mean_b = b.iter().sum::<f64>() / 6.0;
        for (m, &u) in alone.mean.iter().enumerate() {
            assert!((u - (b[m] - mean_b)).abs() < 1e-9, "m{m}: {u}");
        }
        let want = mean_b - 0.5;
        let got = alone.probe_offset.unwrap();
        assert!((got - want).abs() < 1e-9, "{got} vs {want}");
        // Without probes the fit is the plain conditioning's.
        let plain = condition(&cold, &models, &experts, &prior, &ft);
        let again = condition_with_probes(&cold, &models, &experts, &prior, &ft, &[]);
        for i in 0..6 {
            assert!((plain.0[i] - again.mean[i]).abs() < 1e-12);
            assert!((plain.1[i] - again.spread[i]).abs() < 1e-12);
        }
        assert_eq!(again.probe_offset, None);
    }

    #[test]
    fn probes_alone_reorder_but_keep_the_cold_level() {
        let z = history();
        let h = History::new(&z);
        let experts = Experts::new(&h, Some(3));
        let prior = priors(&experts, &h, 3);
        let models: Vec<ModelIdx> = (0..8).collect();
        // A cold prediction in d0's order; the probes follow d1's (the reverse order).
        let d0 = experts.datasets.iter().position(|&d| d == 0).unwrap();
        let d1 = experts.datasets.iter().position(|&d| d == 1).unwrap();
        let cold: Vec<f64> = (0..8).map(|m| experts.rows[d0][m] + 0.4).collect();
        let pr: Vec<(usize, f64)> = [0, 4, 7]
            .iter()
            .map(|&m| (m, experts.rows[d1][m] - 3.0))
            .collect();
        let fit = condition_with_probes(&cold, &models, &experts, &prior, &[], &pr);
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
        assert!(
            (mean(&fit.mean) - mean(&cold)).abs() < 1e-9,
            "the cold level"
        );
        assert!(
            fit.mean.windows(2).all(|w| w[0] > w[1]),
            "d1's order: {:?}",
            fit.mean
        );
        for &(i, z) in &pr {
            assert!((fit.mean[i] - z).abs() > 1.0, "m{i} pinned to its probe");
        }
    }
}
