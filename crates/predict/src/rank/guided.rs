//! Guided recommendation (Li, Jia, Zhu, Ravichandran, Bhotika, Soatto et al., "Guided
//! Recommendation for Model Fine-Tuning", CVPR 2023): learn fine-tuning accuracy without a
//! graph, from one-hot model and dataset ids, meta features (task difficulty proxies: #samples,
//! #classes; model family, input size, capacity, pre-training domain distance) and the
//! feature-based scores present (LFC, LogME, PARC, … as stored), with
//! - `amazon-lr`: linear regression (ridge, α by leave-one-out), and
//! - `amazon-fm`: a second-order factorization machine (Rendle, ICDM 2010), whose pairwise
//!   factors let a model's id interact with the target's meta features — the target's own id
//!   column is never seen in training, so its prediction comes from the interactions.

use super::history::fit_and_rank;
use super::table::TableSpec;
use super::{ModelScore, PredictError, Ranker, TargetView};

/// A guided-recommendation ranker.
#[derive(Debug, Clone)]
pub struct Guided {
    id: &'static str,
    regressor: &'static str,
}

impl Guided {
    /// `amazon-lr`.
    pub fn linear() -> Guided {
        Guided {
            id: "amazon-lr",
            regressor: "lr",
        }
    }
    /// `amazon-fm`.
    pub fn factorization_machine() -> Guided {
        Guided {
            id: "amazon-fm",
            regressor: "fm",
        }
    }
}

impl Ranker for Guided {
    fn id(&self) -> String {
        self.id.to_string()
    }
    fn rank(&self, view: &TargetView) -> Result<Vec<ModelScore>, PredictError> {
        fit_and_rank(
            self.regressor,
            TableSpec {
                history: false,
                one_hot_ids: true,
            },
            view,
        )
    }
}
