//! One module per command.

pub mod cluster;
pub mod dataset;
pub mod embed;
pub mod eval;
pub mod import;
pub mod jobs;
pub mod next;
pub mod observed;
pub mod quickstart;
pub mod recall;
pub mod recommend;
pub mod score;
pub mod score_zoo;
pub mod select;
pub mod select_loop;
pub mod serve;
pub mod zoo;
