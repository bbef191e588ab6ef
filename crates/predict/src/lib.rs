//! # zoorank-predict
//!
//! The prediction stage of zoorank's pipeline (`store → features → scores → graph → predict →
//! evaluate`): regressors that learn a model's fine-tuning accuracy on a dataset from a feature
//! table of past (model, dataset) pairs. The evaluation harness picks one by its stable id with
//! [`regress::RegressorKind`] (`lr`, `rf`, `xgb`, `fm`), fits it on the training targets
//! and predicts the held-out one.
//!
//! ```
//! use zoorank_predict::regress::{Features, RegressorKind};
//! // y = 2·x₀ − x₁ + 1 on a small grid.
//! let rows: Vec<[f64; 2]> = (0..20).map(|i| [i as f64 / 10.0, ((i * 7) % 5) as f64]).collect();
//! let data: Vec<f64> = rows.iter().flatten().copied().collect();
//! let y: Vec<f64> = rows.iter().map(|r| 2.0 * r[0] - r[1] + 1.0).collect();
//! let x = Features { data: &data, n_rows: 20, n_cols: 2 };
//! let lr: RegressorKind = "lr".parse().unwrap();
//! let lr = lr.build();
//! let fitted = lr.fit(x, &y, 0).unwrap();
//! let pred = fitted.predict(Features { data: &[1.0, 2.0], n_rows: 1, n_cols: 2 }).unwrap();
//! assert!((pred[0] - 1.0).abs() < 0.05);
//! ```
#![warn(missing_docs)]

pub mod accuracy;
pub mod rank;
pub mod regress;
