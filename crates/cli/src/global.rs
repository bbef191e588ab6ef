//! Options every command may read.

use std::path::PathBuf;

/// Options every command may read.
#[derive(Debug, Clone)]
pub struct Global {
    /// Path of the zoo store.
    pub db: PathBuf,
}
