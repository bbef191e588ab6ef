//! # zoorank-select
//!
//! WIP
#![warn(missing_docs)]

pub mod cluster;
pub mod error;
pub mod matrix;
pub mod similarity;
pub mod twophase;

pub use error::{Result, SelectError};
pub use matrix::PerformanceMatrix;
pub mod bench;
pub mod fine;
pub mod recall;
pub mod trainer;
pub mod trends;
