//! History regressors (`lr`, `rf`, `xgb`): learn a model's z-scored accuracy on a dataset from
//! the [`table`](super::table) features of every visible (model, dataset) record, predict the
//! target's row for each candidate.

use super::table::{design, Design, FeatureTable, History, TableSpec};
use super::{ModelScore, PredictError, TargetView};
use crate::regress::{regressor_by_id, Features};
use zoorank_core::{DatasetIdx, ModelIdx};

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
    fit_and_rank_with(regressor, spec, view, None)
}

/// Extra columns appended to every row of a design: `(n_columns, push)` where
/// `push(model, dataset, row)` appends exactly `n_columns` values (e.g. graph embeddings).
pub(crate) type ExtraColumns<'a> = (usize, &'a dyn Fn(ModelIdx, DatasetIdx, &mut Vec<f64>));

/// [`fit_and_rank`] with optional extra columns after the table's; without them the design is
/// exactly [`design`]'s.
pub(crate) fn fit_and_rank_with(
    regressor: &str,
    spec: TableSpec,
    view: &TargetView,
    extra: Option<ExtraColumns<'_>>,
) -> Result<Vec<ModelScore>, PredictError> {
    let zoo = &view.zoo;
    let h = History::new(zoo);
    let table = FeatureTable::new(zoo, spec);
    let d = match extra {
        None => design(zoo, &h, &table, view.target, &view.candidates),
        Some((n_extra, push)) => design_with(zoo, &h, &table, view, n_extra, push),
    };
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

/// [`design`] with `n_extra` columns from `push` after each row's table columns (same rows,
/// same order).
fn design_with(
    zoo: &zoorank_core::Zoo,
    h: &History,
    table: &FeatureTable,
    view: &TargetView,
    n_extra: usize,
    push: &dyn Fn(ModelIdx, DatasetIdx, &mut Vec<f64>),
) -> Design {
    let mut x_train = Vec::new();
    let mut y_train = Vec::new();
    for &d in &h.train_datasets {
        if d == view.target {
            continue;
        }
        for m in 0..zoo.models.len() {
            if let Some(zv) = h.y[d][m] {
                table.push_row(zoo, h, m, d, &mut x_train);
                push(m, d, &mut x_train);
                y_train.push(zv);
            }
        }
    }
    let mut x_target = Vec::new();
    for &m in &view.candidates {
        table.push_row(zoo, h, m, view.target, &mut x_target);
        push(m, view.target, &mut x_target);
    }
    let n_cols = table.columns.len() + n_extra;
    debug_assert_eq!(x_train.len(), y_train.len() * n_cols);
    Design {
        x_train,
        y_train,
        x_target,
        n_cols,
    }
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
