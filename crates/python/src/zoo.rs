//! `ZooHandle`: a zoo store opened by the engine, with its imports, statistics,
//! recommendations and evaluations. `zoorank.Zoo` (Python) wraps it.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use pyo3::prelude::*;
use zoorank_core::Modality;
use zoorank_engine::{
    Engine, EvalRequest, MethodSpec, NextRequest, ObservedRun, RecommendRequest, RunKind, Strategy,
};
use zoorank_store::import::{self, RecordsCsvSpec};
use zoorank_store::{ImportOptions, ImportReport, Store};

use crate::convert::to_python;
use crate::errors::{guarded, Context, ZooErr, ZooResult};

/// A zoo store and the engine over it. Calls release the GIL while they work; calls from
/// several threads on one zoo run one after the other.
#[pyclass(module = "zoorank._zoorank", frozen)]
pub struct ZooHandle {
    engine: Mutex<Engine>,
    path: PathBuf,
}

impl ZooHandle {
    /// The engine, also after a caught panic in an earlier call (the engine's zoo is only
    /// replaced whole, so it is never half-written).
    pub fn engine(&self) -> MutexGuard<'_, Engine> {
        self.engine.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn opts(skip_bad_rows: bool, dry_run: bool) -> ImportOptions {
    ImportOptions {
        skip_bad_rows,
        dry_run,
    }
}

fn method_spec(id: &str) -> ZooResult<MethodSpec> {
    id.parse::<MethodSpec>().plain()
}

impl ZooHandle {
    /// Runs an import on the store, then reloads the engine's zoo; errors as the CLI words
    /// them.
    fn import(
        &self,
        py: Python<'_>,
        what: &Path,
        run: impl FnOnce(&mut Store) -> Result<ImportReport, zoorank_store::ImportError> + Send,
    ) -> PyResult<Py<PyAny>> {
        let report = py.detach(|| {
            guarded(|| {
                let mut engine = self.engine();
                let report = run(engine.store_mut())
                    .context(|| format!("importing {} (nothing was written)", what.display()))?;
                engine.reload().plain()?;
                Ok(report)
            })
        })?;
        Ok(to_python(py, &report)?.unbind())
    }
}

#[pymethods]
impl ZooHandle {
    /// Opens the existing store at `path`; never creates one.
    #[staticmethod]
    fn open(py: Python<'_>, path: PathBuf) -> PyResult<ZooHandle> {
        let engine = py.detach(|| guarded(|| Engine::open(&path).plain()))?;
        Ok(ZooHandle {
            engine: Mutex::new(engine),
            path,
        })
    }

    /// Opens the store at `path`, creating an empty one when there is none.
    #[staticmethod]
    fn create(py: Python<'_>, path: PathBuf) -> PyResult<ZooHandle> {
        let engine = py.detach(|| {
            guarded(|| {
                let store = Store::open(&path)
                    .context(|| format!("opening the zoo store {}", path.display()))?;
                Engine::from_store(store).plain()
            })
        })?;
        Ok(ZooHandle {
            engine: Mutex::new(engine),
            path,
        })
    }

    /// The store's path.
    #[getter]
    fn path(&self) -> PathBuf {
        self.path.clone()
    }

    /// The content version of the zoo as read.
    #[getter]
    fn zoo_version(&self) -> String {
        self.engine().zoo_version().to_string()
    }

    /// Imports the directory `dir` of the layout `transfergraph` or `two-phase`.
    #[pyo3(signature = (layout, dir, skip_bad_rows=false, dry_run=false))]
    fn import_dir(
        &self,
        py: Python<'_>,
        layout: &str,
        dir: PathBuf,
        skip_bad_rows: bool,
        dry_run: bool,
    ) -> PyResult<Py<PyAny>> {
        let importer = match layout {
            "transfergraph" => import::import_transfergraph,
            "two-phase" => import::import_two_phase,
            _ => {
                return Err(pyo3::exceptions::PyValueError::new_err(format!(
                    "unknown layout '{layout}' (transfergraph or two-phase)"
                )))
            }
        };
        let o = opts(skip_bad_rows, dry_run);
        self.import(py, &dir, |s| importer(s, &dir, o))
    }

    #[pyo3(signature = (
        path, model, dataset, accuracy, lr=None, epochs=None, batch_size=None, runtime=None,
        peft=None, seed=None, curve=None, modality=None, delimiter=",", keep_last=false,
        skip_bad_rows=false, dry_run=false, display_name=None,
    ))]
    #[allow(clippy::too_many_arguments)]
    fn import_records(
        &self,
        py: Python<'_>,
        path: PathBuf,
        model: String,
        dataset: String,
        accuracy: String,
        lr: Option<String>,
        epochs: Option<String>,
        batch_size: Option<String>,
        runtime: Option<String>,
        peft: Option<String>,
        seed: Option<String>,
        curve: Option<String>,
        modality: Option<String>,
        delimiter: &str,
        keep_last: bool,
        skip_bad_rows: bool,
        dry_run: bool,
        display_name: Option<String>,
    ) -> PyResult<Py<PyAny>> {
        let modality = modality
            .map(|m| {
                Modality::parse(&m).ok_or_else(|| {
                    ZooErr::value(format!("unknown modality '{m}' (expected image or text)"))
                })
            })
            .transpose()?;
        let delimiter = match delimiter {
            "tab" | "\t" => b'\t',
            d if d.len() == 1 => d.as_bytes()[0],
            d => {
                return Err(ZooErr::value(format!(
                    "delimiter '{d}': expected one ASCII character or 'tab'"
                ))
                .into())
            }
        };
        let spec = RecordsCsvSpec {
            model_col: model,
            dataset_col: dataset,
            accuracy_col: accuracy,
            lr_col: lr,
            epochs_col: epochs,
            batch_size_col: batch_size,
            runtime_col: runtime,
            peft_col: peft,
            seed_col: seed,
            curve_col: curve,
            modality,
            delimiter: Some(delimiter),
            keep_last,
        };
        let shown = display_name.map(PathBuf::from).unwrap_or(path.clone());
        let o = opts(skip_bad_rows, dry_run);
        self.import(py, &shown, |s| import::import_records(s, &path, &spec, o))
    }

    /// Counts per table and modality (`zoorank zoo stats --json`).
    fn stats(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let stats = py.detach(|| guarded(|| self.engine().store().stats().plain()))?;
        Ok(to_python(py, &stats)?.unbind())
    }

    /// The engine's Recommendation as `recommend --json` prints it.
    #[pyo3(signature = (target, method=None, top=None, seed=0, explain=false, observed=Vec::new(), coverage=Some(0.8), observed_probes=Vec::new()))]
    #[allow(clippy::too_many_arguments)]
    fn recommend(
        &self,
        py: Python<'_>,
        target: String,
        method: Option<String>,
        top: Option<usize>,
        seed: u64,
        explain: bool,
        observed: Vec<(String, f64)>,
        coverage: Option<f64>,
        observed_probes: Vec<(String, f64)>,
    ) -> PyResult<Py<PyAny>> {
        let probe = |(m, a): (String, f64)| ObservedRun::new(m, a, RunKind::LinearProbe);
        let mut observed = zoorank_engine::observed_runs(observed);
        observed.extend(observed_probes.into_iter().map(probe));
        let mut req = RecommendRequest {
            top,
            seed,
            explain,
            observed,
            coverage,
            ..RecommendRequest::new(target)
        };
        if let Some(m) = method {
            req.method = method_spec(&m)?;
        }
        let rec = py.detach(|| guarded(|| self.engine().recommend(&req).plain()))?;
        Ok(to_python(py, &rec)?.unbind())
    }

    /// The engine's NextPlan as `next --json` prints it: which `budget` models to run next.
    #[pyo3(signature = (target, budget=3, strategy=None, method=None, seed=0, observed=Vec::new(), observed_probes=Vec::new(), exclude=Vec::new()))]
    #[allow(clippy::too_many_arguments)]
    fn next(
        &self,
        py: Python<'_>,
        target: String,
        budget: usize,
        strategy: Option<String>,
        method: Option<String>,
        seed: u64,
        observed: Vec<(String, f64)>,
        observed_probes: Vec<(String, f64)>,
        exclude: Vec<String>,
    ) -> PyResult<Py<PyAny>> {
        let probe = |(m, a): (String, f64)| ObservedRun::new(m, a, RunKind::LinearProbe);
        let mut req = NextRequest::new(target, budget);
        req.recommend.seed = seed;
        req.recommend.observed = zoorank_engine::observed_runs(observed);
        req.recommend
            .observed
            .extend(observed_probes.into_iter().map(probe));
        req.exclude = exclude;
        if let Some(m) = method {
            req.recommend.method = method_spec(&m)?;
        }
        if let Some(s) = strategy {
            req.strategy = s.parse::<Strategy>().map_err(ZooErr::value)?;
        }
        let plan = py.detach(|| guarded(|| self.engine().next(&req).plain()))?;
        Ok(to_python(py, &plan)?.unbind())
    }

    /// The engine's Evaluation as `eval --json` prints it.
    #[pyo3(signature = (
        methods=None, targets=None, include_peft=false, seed=0, threads=None,
        model_ratios=Vec::new(), ratio_subsets=3,
    ))]
    #[allow(clippy::too_many_arguments)]
    fn evaluate(
        &self,
        py: Python<'_>,
        methods: Option<Vec<String>>,
        targets: Option<Vec<String>>,
        include_peft: bool,
        seed: u64,
        threads: Option<usize>,
        model_ratios: Vec<f64>,
        ratio_subsets: u64,
    ) -> PyResult<Py<PyAny>> {
        let methods = methods
            .map(|ms| {
                ms.iter()
                    .map(|m| method_spec(m))
                    .collect::<ZooResult<Vec<_>>>()
            })
            .transpose()?;
        if let Some(ms) = &methods {
            if ms.is_empty() {
                return Err(ZooErr::value("methods is empty").into());
            }
        }
        // Fields the engine adds later keep their defaults.
        #[allow(clippy::needless_update)]
        let req = EvalRequest {
            methods,
            targets,
            include_peft,
            seed,
            threads,
            model_ratios,
            ratio_subsets,
            ..EvalRequest::default()
        };
        let ev = py.detach(|| guarded(|| self.engine().evaluate(&req, &|_| {}).plain()))?;
        Ok(to_python(py, &ev)?.unbind())
    }

    fn __repr__(&self) -> String {
        let e = self.engine();
        let z = e.zoo();
        format!(
            "Zoo({:?}: {} models, {} datasets, {} records)",
            self.path.display().to_string(),
            z.models.len(),
            z.datasets.len(),
            z.records.len()
        )
    }
}
