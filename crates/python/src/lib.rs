//! # zoorank-python
//!
//! The native half of the `zoorank` Python package (`zoorank._zoorank`), built by maturin:
//! the engine (open a zoo, import, recommend, evaluate), the transferability scores on numpy
//! arrays, and forward passes of local model directories. The Python half
//! (`python/zoorank/__init__.py`) wraps these into the documented API; results cross as the
//! engine's serde values (the JSON the CLI prints), so new fields reach Python unchanged.
//!
//! Every call releases the GIL while it computes, and no Rust panic reaches the interpreter:
//! each is caught and raised as `zoorank.ZooError`.

mod arrays;
mod convert;
mod errors;
mod models;
mod scoring;
mod zoo;

use pyo3::prelude::*;

#[pymodule]
fn _zoorank(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<zoo::ZooHandle>()?;
    m.add_function(wrap_pyfunction!(scoring::score_arrays, m)?)?;
    m.add_function(wrap_pyfunction!(scoring::reads_in_place, m)?)?;
    m.add_function(wrap_pyfunction!(scoring::score_methods, m)?)?;
    m.add_function(wrap_pyfunction!(models::embed, m)?)?;
    m.add_function(wrap_pyfunction!(models::score_models, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
