//! Reader for the benchmark files of Cui et al.'s two-phase recall-and-select artefact.
//!
//! Layout (`nlp_*` for the 39 language models × 21 datasets, `cv_*` for 30 vision models × 6
//! datasets):
//! - `*_performance_matrix.tsv`: first line, tab-separated model names (Hugging Face ids with
//!   `/` written `--` in the NLP file); then one line per benchmark dataset, in the order of
//!   `*_benchmark_datasets.txt`, holding each model's accuracy (or the dataset's metric, which
//!   may be negative, e.g. Matthews correlation on CoLA).
//! - `*_benchmark_datasets.txt`: one dataset name per line (the last line may lack a newline).
//! - `nlp_leep_multirc.tsv`, `cv_leep_xray.tsv`: a header of model names, then one row of LEEP
//!   scores of each model on the target (MultiRC; chest X-ray).

use crate::error::{Result, SelectError};
use crate::matrix::PerformanceMatrix;
use std::path::Path;
use zoorank_core::Modality;

/// Undoes the `--` escaping of `/` in Hugging Face ids.
pub fn model_name(raw: &str) -> String {
    raw.trim().replace("--", "/")
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| SelectError::io(path, e))
}

/// Parses a benchmark dataset list (one name per line, blank lines ignored).
pub fn parse_dataset_list(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect()
}

/// Parses a performance matrix TSV given its dataset list; `what` names the source in errors.
///
/// # Errors
/// [`SelectError::Parse`] for a bad number, [`SelectError::Shape`] when a row's width differs
/// from the header's or the number of rows from the number of datasets.
pub fn parse_performance_matrix(
    what: &str,
    matrix_tsv: &str,
    datasets: Vec<String>,
) -> Result<PerformanceMatrix> {
    let mut lines = matrix_tsv
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let (_, header) = lines.next().ok_or_else(|| SelectError::Parse {
        what: what.into(),
        line: 1,
        message: "empty file".into(),
    })?;
    let models: Vec<String> = header.split('\t').map(model_name).collect();
    let mut by_model: Vec<Vec<f64>> = vec![Vec::with_capacity(datasets.len()); models.len()];
    let mut n_rows = 0;
    for (i, line) in lines {
        let cells: Vec<&str> = line.split('\t').collect();
        if cells.len() != models.len() {
            return Err(SelectError::Shape {
                what: format!("{what}:{} (cells in row)", i + 1),
                expected: models.len(),
                got: cells.len(),
            });
        }
        for (m, c) in cells.iter().enumerate() {
            let v: f64 = c.trim().parse().map_err(|_| SelectError::Parse {
                what: what.into(),
                line: i + 1,
                message: format!("column {}: {c:?} is not a number", m + 1),
            })?;
            by_model[m].push(v);
        }
        n_rows += 1;
    }
    if n_rows != datasets.len() {
        return Err(SelectError::Shape {
            what: format!("{what} (rows vs benchmark datasets)"),
            expected: datasets.len(),
            got: n_rows,
        });
    }
    PerformanceMatrix::from_dense(models, datasets, by_model)
}

/// Parses a one-row score file (header of model names, one row of values).
///
/// # Errors
/// [`SelectError::Parse`] or [`SelectError::Shape`] on malformed input.
pub fn parse_score_row(what: &str, tsv: &str) -> Result<Vec<(String, f64)>> {
    let lines: Vec<(usize, &str)> = tsv
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .collect();
    if lines.len() != 2 {
        return Err(SelectError::Shape {
            what: format!("{what} (non-empty lines)"),
            expected: 2,
            got: lines.len(),
        });
    }
    let models: Vec<String> = lines[0].1.split('\t').map(model_name).collect();
    let values: Vec<&str> = lines[1].1.split('\t').collect();
    if values.len() != models.len() {
        return Err(SelectError::Shape {
            what: format!("{what} (scores vs header)"),
            expected: models.len(),
            got: values.len(),
        });
    }
    models
        .into_iter()
        .zip(values)
        .map(|(m, v)| {
            let x: f64 = v.trim().parse().map_err(|_| SelectError::Parse {
                what: what.into(),
                line: lines[1].0 + 1,
                message: format!("{v:?} is not a number (model {m})"),
            })?;
            if !x.is_finite() {
                return Err(SelectError::NonFinite {
                    what: what.into(),
                    location: m.clone(),
                });
            }
            Ok((m, x))
        })
        .collect()
}

/// One of the two shipped benchmark zoos.
#[derive(Debug, Clone)]
pub struct TwoPhaseZoo {
    /// Text or image.
    pub modality: Modality,
    /// The benchmark performance matrix.
    pub matrix: PerformanceMatrix,
    /// The target of the shipped LEEP row (`multirc` or `xray`).
    pub leep_target: String,
    /// LEEP of each model on that target, as shipped.
    pub leep: Vec<(String, f64)>,
}

/// Reads the NLP (`Modality::Text`) or CV (`Modality::Image`) files from `dir`.
///
/// # Errors
/// [`SelectError::Io`] when a file is missing, parse errors as above.
pub fn load(dir: &Path, modality: Modality) -> Result<TwoPhaseZoo> {
    let (prefix, target) = match modality {
        Modality::Text => ("nlp", "multirc"),
        Modality::Image => ("cv", "xray"),
    };
    let ds_path = dir.join(format!("{prefix}_benchmark_datasets.txt"));
    let m_path = dir.join(format!("{prefix}_performance_matrix.tsv"));
    let l_path = dir.join(format!("{prefix}_leep_{target}.tsv"));
    let datasets = parse_dataset_list(&read(&ds_path)?);
    let matrix =
        parse_performance_matrix(&m_path.display().to_string(), &read(&m_path)?, datasets)?;
    let leep = parse_score_row(&l_path.display().to_string(), &read(&l_path)?)?;
    Ok(TwoPhaseZoo {
        modality,
        matrix,
        leep_target: target.into(),
        leep,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_small_matrix_without_trailing_newline() {
        let ds = parse_dataset_list("a\nb");
        let m = parse_performance_matrix("t", "x--y\tz\n0.1\t0.2\n0.3\t-0.4", ds).unwrap();
        assert_eq!(m.models(), &["x/y".to_string(), "z".to_string()]);
        assert_eq!(m.get(1, 1), Some(-0.4));
        assert_eq!(m.get(0, 1), Some(0.3));
    }

    #[test]
    fn reports_bad_cells_with_their_line() {
        let ds = parse_dataset_list("a\nb\n");
        let e = parse_performance_matrix("t", "x\tz\n0.1\t0.2\n0.3\tfoo\n", ds).unwrap_err();
        assert!(e.to_string().contains("t:3"), "{e}");
        let ds = parse_dataset_list("a\nb\nc\n");
        let e = parse_performance_matrix("t", "x\tz\n0.1\t0.2\n0.3\t0.1\n", ds).unwrap_err();
        assert!(matches!(e, SelectError::Shape { .. }));
    }
}
