//! `score_arrays`: feature-based transferability scores on numpy arrays, with the GIL
//! released while the arrays are converted and the scores computed.

use numpy::PyReadonlyArray1;
use std::time::Instant;

use pyo3::prelude::*;
use zoorank_scores::{
    by_id, canonical_id, LogMe, Matrix, Needs, ScoreInput, TransferabilityScore, IDS,
};

use crate::arrays::{Borrowed, View};
use crate::errors::{guarded, Context, ZooErr, ZooResult};

/// The methods asked for (`["all"]`: every method whose input is given, in the order of
/// [`IDS`]), deduplicated, checked against the inputs given.
fn choose(
    methods: &[String],
    logme_published: bool,
    has_features: bool,
    has_probs: bool,
) -> ZooResult<Vec<Box<dyn TransferabilityScore>>> {
    let make = |id: &str| -> ZooResult<Box<dyn TransferabilityScore>> {
        let id = canonical_id(id).plain()?;
        if logme_published && id == "logme" {
            Ok(Box::new(LogMe::published()))
        } else {
            by_id(id).plain()
        }
    };
    let have = |n: Needs| match n {
        Needs::Features => has_features,
        Needs::SourceProbs => has_probs,
    };
    if methods.len() == 1 && methods[0].trim().eq_ignore_ascii_case("all") {
        let mut chosen = Vec::new();
        for id in IDS {
            let m = make(id)?;
            if have(m.needs()) {
                chosen.push(m);
            }
        }
        if chosen.is_empty() {
            return Err(ZooErr::value(
                "no method can run: give features and/or source_probs",
            ));
        }
        return Ok(chosen);
    }
    let mut seen = Vec::new();
    let mut chosen = Vec::new();
    for m in methods {
        let id = canonical_id(m).plain()?;
        if seen.contains(&id) {
            continue;
        }
        seen.push(id);
        let method = make(id)?;
        if !have(method.needs()) {
            let arg = match method.needs() {
                Needs::Features => "features",
                Needs::SourceProbs => "source_probs",
            };
            return Err(ZooErr::value(format!("method {id} needs {arg}")));
        }
        chosen.push(method);
    }
    if chosen.is_empty() {
        return Err(ZooErr::value("methods is empty"));
    }
    Ok(chosen)
}

/// A matrix from a view, its values in `buf` when they had to be copied.
fn matrix<'a>(v: &'a View<'_>, buf: &'a mut Vec<f64>) -> ZooResult<Matrix<'a>> {
    let (rows, cols) = v.shape();
    Matrix::new(v.row_major(buf), rows, cols).plain()
}

/// Scores `features` and/or `source_probs` against `labels` with each of `methods`; returns
/// (method id, value, seconds the method's computation took) in the order computed, as
/// `zoorank score --json` reports them. `labels` must be a 1-D int64 array.
#[pyfunction]
#[pyo3(signature = (features, labels, methods, source_probs=None, logme_published=false))]
pub fn score_arrays(
    py: Python<'_>,
    features: Option<&Bound<'_, PyAny>>,
    labels: &Bound<'_, PyAny>,
    methods: Vec<String>,
    source_probs: Option<&Bound<'_, PyAny>>,
    logme_published: bool,
) -> PyResult<Vec<(&'static str, f64, f64)>> {
    let labels: PyReadonlyArray1<'_, i64> = labels
        .extract()
        .map_err(|_| ZooErr::value("labels must be a 1-D int64 numpy array"))?;
    let feats = features
        .filter(|f| !f.is_none())
        .map(|f| Borrowed::from_py(f, "features"))
        .transpose()?;
    let probs = source_probs
        .filter(|p| !p.is_none())
        .map(|p| Borrowed::from_py(p, "source_probs"))
        .transpose()?;
    let chosen = choose(&methods, logme_published, feats.is_some(), probs.is_some())?;
    let label_view = labels.as_array();
    let (fv, pv) = (
        feats.as_ref().map(Borrowed::view),
        probs.as_ref().map(Borrowed::view),
    );
    let out = py.detach(|| {
        guarded(|| {
            let owned_labels;
            let y: &[i64] = match label_view.as_slice() {
                Some(s) => s,
                None => {
                    owned_labels = label_view.to_vec();
                    &owned_labels
                }
            };
            // A layout that is not read in place goes to the methods that read row blocks
            // as it is; the others share one float64 row-major copy, made only if needed.
            let blocks = fv.as_ref().filter(|v| !v.is_zero_copy());
            let mut done: Vec<Option<(&'static str, f64, f64)>> = Vec::new();
            for m in &chosen {
                let started = Instant::now();
                let r = blocks.and_then(|v| m.score_row_blocks(v, y));
                done.push(match r {
                    Some(v) => {
                        let v = v.context(|| format!("computing {}", m.id()))?;
                        Some((m.id(), v, started.elapsed().as_secs_f64()))
                    }
                    None => None,
                });
            }
            if done.iter().all(Option::is_some) {
                return Ok(done.into_iter().flatten().collect());
            }
            let (mut fbuf, mut pbuf) = (Vec::new(), Vec::new());
            let input = ScoreInput {
                features: fv.as_ref().map(|v| matrix(v, &mut fbuf)).transpose()?,
                source_probs: pv.as_ref().map(|v| matrix(v, &mut pbuf)).transpose()?,
                labels: y,
            };
            chosen
                .iter()
                .zip(done)
                .map(|(m, done)| {
                    if let Some(d) = done {
                        return Ok(d);
                    }
                    let started = Instant::now();
                    let v = m
                        .score(&input)
                        .context(|| format!("computing {}", m.id()))?;
                    Ok((m.id(), v, started.elapsed().as_secs_f64()))
                })
                .collect::<ZooResult<Vec<_>>>()
        })
    })?;
    Ok(out)
}

/// Whether `features` would be read in place, without a float64 copy: by every method (a
/// C-contiguous float64 array) or, given `method`, by that method (LogME reads every layout
/// in place).
#[pyfunction]
#[pyo3(signature = (features, method=None))]
pub fn reads_in_place(features: &Bound<'_, PyAny>, method: Option<&str>) -> PyResult<bool> {
    let whole = Borrowed::from_py(features, "features")?
        .view()
        .is_zero_copy();
    Ok(match method {
        None => whole,
        Some(id) => whole || by_id(canonical_id(id).plain()?).plain()?.reads_row_blocks(),
    })
}

/// The ids of every score method, in their canonical order.
#[pyfunction]
pub fn score_methods() -> Vec<&'static str> {
    IDS.to_vec()
}
