//! History regressors (`lr`, `rf`, `xgb`): learn a model's z-scored accuracy on a dataset from
//! the [`table`](super::table) features of every visible (model, dataset) record, predict the
//! target's row for each candidate.

use super::table::{design, FeatureTable, History, TableSpec};
use super::{ModelScore, PredictError, Ranker, TargetView};
use crate::regress::{regressor_by_id, Features};

/// A history regressor by regressor id (`lr` ridge, `rf` random forest, `xgb` gradient
/// boosting).
#[derive(Debug, Clone)]
pub struct HistoryRegressor {
    regressor: String,
}

impl HistoryRegressor {
    /// `regressor` is an id of [`crate::regress::regressor_by_id`].
    pub fn new(regressor: &str) -> HistoryRegressor {
        HistoryRegressor {
            regressor: regressor.to_string(),
        }
    }
}

/// Fits `regressor` on the design of `view` built with `spec` and returns the candidates'
/// scores, with predicted accuracy = expected target mean + expected spread × predicted z.
pub(crate) fn fit_and_rank(
    regressor: &str,
    spec: TableSpec,
    view: &TargetView,
) -> Result<Vec<ModelScore>, PredictError> {
    let zoo = &view.zoo;
    let h = History::new(zoo);
    let table = FeatureTable::new(zoo, spec);
    let d = design(zoo, &h, &table, view.target, &view.candidates);
    if d.y_train.len() < 2 {
        return Err(PredictError::NoTrainingData {
            target: zoo.datasets[view.target].name.clone(),
        });
    }
    let reg = regressor_by_id(regressor).expect("regressor ids are checked by ranker_by_id");
    let fitted = reg.fit(
        Features {
            data: &d.x_train,
            n_rows: d.y_train.len(),
            n_cols: d.n_cols,
        },
        &d.y_train,
        view.seed,
    )?;
    let z = fitted.predict(Features {
        data: &d.x_target,
        n_rows: view.candidates.len(),
        n_cols: d.n_cols,
    })?;
    let moments = h.expected_moments(view.target);
    Ok(view
        .candidates
        .iter()
        .zip(z)
        .map(|(&m, zv)| ModelScore {
            model: m,
            score: zv,
            predicted_accuracy: moments.map(|(mu, sd)| mu + sd * zv),
        })
        .collect())
}

impl super::Ranker for HistoryRegressor {
    fn id(&self) -> String {
        self.regressor.clone()
    }
    fn rank(&self, view: &TargetView) -> Result<Vec<ModelScore>, PredictError> {
        fit_and_rank(
            &self.regressor,
            TableSpec {
                history: true,
                one_hot_ids: false,
            },
            view,
        )
    }
}

#[allow(unused)]
fn _assert_object_safe(_: &dyn Ranker) {}
