//! One module per command.

pub mod import;
pub mod quickstart;
pub mod zoo;
pub mod cluster;
pub mod recall;
pub mod select;
pub mod dataset;
pub mod embed;
pub mod score;
pub mod score_zoo;
