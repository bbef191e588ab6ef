//! One file per method.

pub mod gbc;
pub mod h_score;
pub mod knn;
pub mod leep;
pub mod lfc;
pub mod logistic;
pub mod logme;
pub mod nce;
pub mod nleep;
pub mod parc;
pub mod reg_h_score;
pub mod sfda;
pub mod transrate;
