//! Typed errors of the store and its importers.

use std::path::PathBuf;

/// Where in an input file a problem is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file.
    pub file: PathBuf,
    /// 1-based line number (the header is line 1).
    pub line: u64,
    /// Column name, when the problem is in one cell.
    pub column: Option<String>,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file.display(), self.line)?;
        if let Some(c) = &self.column {
            write!(f, ", column '{c}'")?;
        }
        Ok(())
    }
}

/// A problem with one row of an input file.
#[derive(Debug, Clone, PartialEq)]
pub struct RowProblem {
    /// Where.
    pub location: Location,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for RowProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.location, self.message)
    }
}

/// Errors of the zoo store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// SQLite failed.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// PostgreSQL failed (the server's own message).
    #[error("database error: {}", crate::pg::pg_message(.0))]
    Postgres(#[from] postgres::Error),
    /// The PostgreSQL server could not be reached or refused the connection.
    #[error("cannot connect to {url}: {message}")]
    Connect {
        /// The URL, password hidden.
        url: String,
        /// The server's or the network's reason.
        message: String,
    },
    /// A job's worker no longer holds it (its lease expired and another worker claimed it);
    /// nothing of it was written.
    #[error(
        "job {job} is held by another worker now (its lease expired); its results were not written"
    )]
    LeaseLost {
        /// The job.
        job: i64,
    },
    /// The database was written by a newer zoorank.
    #[error("the database schema version {found} is newer than this zoorank supports ({supported}); upgrade zoorank")]
    SchemaTooNew {
        /// Version found in the file.
        found: i64,
        /// Newest version this build knows.
        supported: i64,
    },
    /// The file exists but is not a zoorank store; it was not written to.
    #[error("{path} is not a zoorank store: found {found}; nothing was written to it")]
    NotAStore {
        /// The file.
        path: PathBuf,
        /// What is there instead.
        found: String,
    },
    /// There is no store at the path (or an empty file), and the command only reads.
    #[error("no zoo store at {path} (a store is created by an import)")]
    NoStore {
        /// The path.
        path: PathBuf,
    },
    /// A stored JSON value could not be read back.
    #[error("corrupt stored value in {table}.{column}: {message}")]
    Corrupt {
        /// Table.
        table: &'static str,
        /// Column.
        column: &'static str,
        /// Details.
        message: String,
    },
    /// A value to be stored is not valid (e.g. a non-finite accuracy).
    #[error("invalid {what}: {message}")]
    Invalid {
        /// What was being stored.
        what: &'static str,
        /// Details.
        message: String,
    },
}

/// Errors of an import. Nothing is written when an import fails.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    /// A file could not be opened or read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// A required file is missing from an import directory.
    #[error("{dir}: missing {what} (expected {expected})")]
    MissingFile {
        /// Directory searched.
        dir: PathBuf,
        /// What it should contain.
        what: &'static str,
        /// The file name(s) looked for.
        expected: String,
    },
    /// A required column is missing from a header.
    #[error("{path}:1: missing column '{column}' (header has: {header})")]
    MissingColumn {
        /// The file.
        path: PathBuf,
        /// The column looked for (or its aliases).
        column: String,
        /// The columns that are there.
        header: String,
    },
    /// The file's layout is not one this importer knows.
    #[error("{path}: unrecognised layout: {message}")]
    UnknownLayout {
        /// The file.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// One or more rows are bad; the import was refused (use `--skip-bad-rows` to import the
    /// rest).
    #[error("{} bad row(s), nothing imported (use --skip-bad-rows to import the rest):\n  {}", .problems.len(), format_problems(.problems))]
    BadRows {
        /// Every bad row found.
        problems: Vec<RowProblem>,
    },
    /// The file cannot be parsed as CSV/TSV at all (or its header is not UTF-8).
    #[error("{problem}")]
    Unreadable {
        /// Where and why.
        problem: RowProblem,
    },
    /// A header names one column twice, so which one holds the values is ambiguous.
    #[error("{path}:1: column '{name}' appears twice (columns {first} and {second}); rename one")]
    DuplicateColumn {
        /// The file.
        path: PathBuf,
        /// The repeated name.
        name: String,
        /// 1-based position of its first occurrence.
        first: usize,
        /// 1-based position of the second.
        second: usize,
    },
    /// A matrix lists one model twice.
    #[error("{path}:1: model '{model}' is listed twice (columns {first} and {second})")]
    DuplicateModel {
        /// The file.
        path: PathBuf,
        /// The model.
        model: String,
        /// 1-based position of its first occurrence.
        first: usize,
        /// 1-based position of the second.
        second: usize,
    },
    /// Nothing importable was found.
    #[error("{path}: no rows to import")]
    Empty {
        /// The file.
        path: PathBuf,
    },
    /// A file of runs holds none of the dataset asked for.
    #[error("{file}: no run on '{dataset}' (check the dataset column and the target's name)")]
    NoRuns {
        /// The file.
        file: String,
        /// The dataset.
        dataset: String,
    },
    /// Writing to the store failed (the transaction was rolled back).
    #[error("writing to the store: {0}")]
    Store(#[from] StoreError),
}

fn format_problems(p: &[RowProblem]) -> String {
    const SHOW: usize = 20;
    let mut lines: Vec<String> = p.iter().take(SHOW).map(|x| x.to_string()).collect();
    if p.len() > SHOW {
        lines.push(format!("... and {} more", p.len() - SHOW));
    }
    lines.join("\n  ")
}

impl From<rusqlite::Error> for ImportError {
    fn from(e: rusqlite::Error) -> Self {
        ImportError::Store(StoreError::Sqlite(e))
    }
}
