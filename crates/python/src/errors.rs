//! Errors as Python exceptions: the CLI's message (the error and its causes), in a class
//! that says what kind of failure it is.
//!
//! The classes live in `zoorank/_errors.py` (a Python module, so that `ZooValueError` can
//! derive from both `ZooError` and `ValueError`); they are looked up when an error is raised.

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use std::error::Error;
use std::panic::{catch_unwind, AssertUnwindSafe};
use zoorank_features::FeaturesError;
use zoorank_scores::ScoreError;
use zoorank_store::{ImportError, StoreError};

/// Which `zoorank` exception class an error becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `ZooError`: the store, a decomposition or the runtime failed.
    Base,
    /// `ZooValueError` (a `ValueError`): the input is wrong.
    Value,
    /// `ZooFileNotFoundError` (a `FileNotFoundError`): a file or directory is missing.
    NotFound,
}

impl Kind {
    fn class_name(self) -> &'static str {
        match self {
            Kind::Base => "ZooError",
            Kind::Value => "ZooValueError",
            Kind::NotFound => "ZooFileNotFoundError",
        }
    }
}

/// An error on its way to Python.
#[derive(Debug)]
pub struct ZooErr {
    /// Its class.
    pub kind: Kind,
    /// The message.
    pub message: String,
}

impl ZooErr {
    /// A `ZooValueError` with `message`.
    pub fn value(message: impl Into<String>) -> ZooErr {
        ZooErr {
            kind: Kind::Value,
            message: message.into(),
        }
    }

    /// From a Rust error: its class from the error and its causes, its message as the CLI
    /// prints it, after `context` when given.
    pub fn from_error(e: &(dyn Error + 'static), context: Option<&str>) -> ZooErr {
        ZooErr {
            kind: classify(e),
            message: zoorank_core::error_chain(e, context),
        }
    }
}

/// A missing file anywhere in the chain is `NotFound`; a failure of the machinery (SQLite,
/// a decomposition, the tensor library) is `Base`; anything else is wrong input.
fn classify(e: &(dyn Error + 'static)) -> Kind {
    let mut kind = Kind::Value;
    let mut cause = Some(e);
    while let Some(c) = cause {
        if let Some(io) = c.downcast_ref::<std::io::Error>() {
            if io.kind() == std::io::ErrorKind::NotFound {
                return Kind::NotFound;
            }
        }
        if let Some(s) = c.downcast_ref::<StoreError>() {
            match s {
                StoreError::NoStore { .. } => return Kind::NotFound,
                StoreError::NotAStore { .. } | StoreError::Invalid { .. } => {}
                _ => kind = Kind::Base,
            }
        }
        if let Some(ImportError::MissingFile { .. }) = c.downcast_ref::<ImportError>() {
            return Kind::NotFound;
        }
        match c.downcast_ref::<FeaturesError>() {
            Some(FeaturesError::MissingFile { .. }) => return Kind::NotFound,
            Some(FeaturesError::Candle(_)) => kind = Kind::Base,
            _ => {}
        }
        if let Some(ScoreError::Numerical { .. }) = c.downcast_ref::<ScoreError>() {
            kind = Kind::Base;
        }
        cause = c.source();
    }
    kind
}

static ERRORS_MODULE: PyOnceLock<Py<PyModule>> = PyOnceLock::new();

impl From<ZooErr> for PyErr {
    fn from(e: ZooErr) -> PyErr {
        Python::attach(|py| {
            let class = ERRORS_MODULE
                .get_or_try_init(py, || py.import("zoorank._errors").map(Bound::unbind))
                .and_then(|m| m.bind(py).getattr(e.kind.class_name()));
            match class {
                Ok(class) => match class.call1((e.message.clone(),)) {
                    Ok(instance) => PyErr::from_value(instance),
                    Err(err) => err,
                },
                // Only when the package's Python half is missing (a broken install).
                Err(_) => PyRuntimeError::new_err(e.message),
            }
        })
    }
}

/// `Result` with a [`ZooErr`].
pub type ZooResult<T> = Result<T, ZooErr>;

/// Wraps a Rust error with the CLI's context text (`context: cause: cause …`).
pub trait Context<T> {
    /// The error with `context` before its message.
    fn context(self, context: impl FnOnce() -> String) -> ZooResult<T>;
    /// The error's own message.
    fn plain(self) -> ZooResult<T>;
}

impl<T, E: Error + 'static> Context<T> for Result<T, E> {
    fn context(self, context: impl FnOnce() -> String) -> ZooResult<T> {
        self.map_err(|e| ZooErr::from_error(&e, Some(&context())))
    }

    fn plain(self) -> ZooResult<T> {
        self.map_err(|e| ZooErr::from_error(&e, None))
    }
}

/// Runs `f`, turning a panic (a bug, in zoorank or a library under it) into a `ZooError`
/// instead of letting it reach the interpreter.
pub fn guarded<T>(f: impl FnOnce() -> ZooResult<T>) -> ZooResult<T> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            Err(ZooErr {
                kind: Kind::Base,
                message: format!("internal error (a bug in zoorank; please report it): {what}"),
            })
        }
    }
}
