//! serde values → Python objects through their JSON text, so that Python sees exactly what
//! the CLI's `--json` prints (same fields, same order, same numbers), including fields the
//! engine adds later, without a binding per field.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use serde::Serialize;

use crate::errors::Context;

static LOADS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// `value` serialised to JSON and read back by Python's `json.loads`: objects become dicts,
/// arrays lists, numbers int or float, null None.
pub fn to_python<'py>(py: Python<'py>, value: &impl Serialize) -> PyResult<Bound<'py, PyAny>> {
    let text = serde_json::to_string(value).context(|| "serialising the result".into())?;
    let loads = LOADS.get_or_try_init(py, || {
        py.import("json")?.getattr("loads").map(Bound::unbind)
    })?;
    loads.bind(py).call1((text,))
}
