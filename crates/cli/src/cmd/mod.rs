//! One module per command.

pub mod import;
pub mod quickstart;
pub mod zoo;
