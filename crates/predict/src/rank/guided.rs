//! Guided recommendation (Li, Jia, Zhu, Ravichandran, Bhotika, Soatto et al., "Guided
//! Recommendation for Model Fine-Tuning", CVPR 2023): learn fine-tuning accuracy without a
//! graph, from one-hot model and dataset ids, meta features (task difficulty proxies: #samples,
//! #classes; model family, input size, capacity, pre-training domain distance) and the
//! feature-based scores present (LFC, LogME, PARC, … as stored), with
//! - `amazon-lr`: linear regression (ridge, α by leave-one-out), and
//! - `amazon-fm`: a second-order factorization machine (Rendle, ICDM 2010), whose pairwise
//!   factors let a model's id interact with the target's meta features — the target's own id
//!   column is never seen in training, so its prediction comes from the interactions.

use super::error::PredictError;
use super::regressor::fit_and_rank;
use super::spec::GuidedKind;
use super::table::TableSpec;
use super::view::{ModelScore, Ranker, TargetView};

/// A guided-recommendation ranker.
#[derive(Debug, Clone)]
pub struct Guided {
    kind: GuidedKind,
}

impl Guided {
    /// The ranker of `kind` (`amazon-lr`, `amazon-fm`).
    pub fn new(kind: GuidedKind) -> Guided {
        Guided { kind }
    }
}

impl Ranker for Guided {
    fn id(&self) -> String {
        self.kind.id().to_string()
    }
    fn rank(&self, view: &TargetView) -> Result<Vec<ModelScore>, PredictError> {
        let spec = TableSpec {
            history: false,
            one_hot_ids: true,
        };
        let regressor = self.kind.regressor();
        if self.kind != GuidedKind::FactorizationMachine {
            return fit_and_rank(regressor, spec, view);
        }
        // The FM's fit depends on its seed (initial factors, the early-stopping split): average
        // FM_BAG fits with seeds seed, seed + 1, ….
        let mut runs = Vec::with_capacity(FM_BAG);
        for i in 0..FM_BAG as u64 {
            let v = TargetView {
                seed: view.seed.wrapping_add(i),
                ..view.clone()
            };
            runs.push(fit_and_rank(regressor, spec, &v)?);
        }
        Ok(average(runs))
    }
}

/// Fits averaged by `amazon-fm`.
pub const FM_BAG: usize = 5;

/// Mean score and mean predicted accuracy per model over runs that scored the same models in
/// the same order (the same view under different seeds).
fn average(runs: Vec<Vec<ModelScore>>) -> Vec<ModelScore> {
    let n = runs.len() as f64;
    let mut out = runs[0].clone();
    for (j, s) in out.iter_mut().enumerate() {
        s.score = runs.iter().map(|r| r[j].score).sum::<f64>() / n;
        s.predicted_accuracy = runs
            .iter()
            .map(|r| r[j].predicted_accuracy)
            .sum::<Option<f64>>()
            .map(|v| v / n);
    }
    out
}
