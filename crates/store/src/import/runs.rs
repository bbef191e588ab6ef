//! The runs a user made on a target (`recommend --observed`, `select --budget --runs-out`):
//! read from and appended to a results CSV with the columns of `import records`, plus an
//! optional column saying what kind of run each row is.
//!
//! A fine-tune's accuracy is the model's accuracy on the target; a linear probe's (a
//! classifier trained on the frozen model's features) sits on a lower level but orders the
//! models much as fine-tunes do, so the two are kept apart all the way to the predictions.

use super::generic::RecordsCsvSpec;
use super::table::{Problems, Table};
use crate::{ImportError, RowProblem};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::io::Write;
use std::path::Path;
use std::str::FromStr;

/// What kind of run an observed accuracy comes from; serialised as its id
/// (`finetune`, `linear-probe`).
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(into = "String", try_from = "String")]
pub enum RunKind {
    /// The model fine-tuned on the target: its accuracy is the model's accuracy there.
    #[default]
    Finetune,
    /// A linear probe on the model's frozen features: a lower level, an informative order.
    LinearProbe,
}

impl RunKind {
    /// The stable id used in files, flags and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            RunKind::Finetune => "finetune",
            RunKind::LinearProbe => "linear-probe",
        }
    }
}

impl fmt::Display for RunKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RunKind {
    type Err = String;
    /// `finetune` (also `fine-tune`, `ft`) or `linear-probe` (also `probe`, `lp`),
    /// case-insensitive.
    fn from_str(s: &str) -> Result<RunKind, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "finetune" | "fine-tune" | "fine_tune" | "ft" => Ok(RunKind::Finetune),
            "linear-probe" | "linear_probe" | "linearprobe" | "probe" | "lp" => {
                Ok(RunKind::LinearProbe)
            }
            _ => Err(format!(
                "unknown run kind '{s}': valid kinds are finetune (fine-tune, ft) and \
                 linear-probe (probe, lp)"
            )),
        }
    }
}

impl From<RunKind> for String {
    fn from(k: RunKind) -> String {
        k.as_str().to_string()
    }
}

impl TryFrom<String> for RunKind {
    type Error = String;
    fn try_from(s: String) -> Result<RunKind, String> {
        s.parse()
    }
}

/// One run read from a runs file.
#[derive(Debug, Clone, PartialEq)]
pub struct RunRow {
    /// The model's name.
    pub model: String,
    /// Its accuracy on the target, in [0, 1].
    pub accuracy: f64,
    /// What kind of run it was.
    pub kind: RunKind,
}

/// Reads the runs a user made on one target from a results CSV with the columns of
/// [`RecordsCsvSpec`] (model, accuracy, and the dataset column when the file holds several
/// datasets: then only rows of `dataset` are kept). Nothing is written. Every bad row is an
/// error naming its line and column; a file without any run of the target is one too.
///
/// # Errors
/// [`ImportError`] for an unreadable file, a missing column or a bad row.
pub fn read_runs(
    path: &Path,
    spec: &RecordsCsvSpec,
    dataset: &str,
) -> Result<Vec<(String, f64)>, ImportError> {
    let runs = read_observed_runs(path, spec, dataset, "", Default::default())?;
    Ok(runs.into_iter().map(|r| (r.model, r.accuracy)).collect())
}

/// Reads the runs on `dataset` like [`read_runs`], each with its kind: the cell of
/// `kind_col` when the file has that column (a file without it is all `default_kind`; an
/// empty cell is `default_kind` too), else `default_kind`.
///
/// # Errors
/// As [`read_runs`]; an unknown kind is a bad row naming its line and column.
pub fn read_observed_runs(
    path: &Path,
    spec: &RecordsCsvSpec,
    dataset: &str,
    kind_col: &str,
    default_kind: RunKind,
) -> Result<Vec<RunRow>, ImportError> {
    let mut problems = Problems::default();
    let t = Table::read(path, spec.delimiter.unwrap_or(b','), &mut problems)?;
    let c_model = t.col(&[spec.model_col.as_str()])?;
    let c_acc = t.col(&[spec.accuracy_col.as_str()])?;
    let c_ds = if spec.dataset_col.is_empty() || !t.has(&spec.dataset_col) {
        None
    } else {
        Some(t.col(&[spec.dataset_col.as_str()])?)
    };
    let c_kind = (!kind_col.is_empty() && t.has(kind_col))
        .then(|| t.col(&[kind_col]))
        .transpose()?;
    let mut runs = Vec::new();
    for row in &t.rows {
        let parsed = (|| -> Result<Option<RunRow>, RowProblem> {
            t.check_width(row)?;
            if let Some(c) = c_ds {
                if t.req_text(row, c)? != dataset {
                    return Ok(None);
                }
            }
            let acc = t.req_f64(row, c_acc)?;
            if !(0.0..=1.0).contains(&acc) {
                return Err(t.problem(
                    row,
                    Some(c_acc),
                    format!("accuracy {acc} is not in [0, 1]"),
                ));
            }
            let kind = match c_kind.map(|c| row.fields.get(c).map_or("", |s| s.trim())) {
                None | Some("") => default_kind,
                Some(text) => text.parse().map_err(|e| t.problem(row, c_kind, e))?,
            };
            Ok(Some(RunRow {
                model: t.req_text(row, c_model)?.to_string(),
                accuracy: acc,
                kind,
            }))
        })();
        match parsed {
            Ok(Some(r)) => runs.push(r),
            Ok(None) => {}
            Err(p) => problems.push(p),
        }
    }
    problems.finish(false)?;
    if runs.is_empty() {
        return Err(ImportError::NoRuns {
            file: t.file_name(),
            dataset: dataset.to_string(),
        });
    }
    Ok(runs)
}

/// Header of the files [`append_runs`] writes: what [`read_observed_runs`] reads with the
/// default column names (`model`, `dataset`, `accuracy`, `kind`).
pub const RUNS_HEADER: &str = "model,dataset,accuracy,kind";

/// Appends `runs` on `dataset` to the runs file at `path`, writing [`RUNS_HEADER`] first when
/// the file is new or empty, so that `--observed` reads the file back.
///
/// # Errors
/// [`ImportError::Io`] when the file cannot be opened or written.
pub fn append_runs(path: &Path, dataset: &str, runs: &[RunRow]) -> Result<(), ImportError> {
    let io = |source| ImportError::Io {
        path: path.to_path_buf(),
        source,
    };
    let fresh = std::fs::metadata(path).map_or(true, |m| m.len() == 0);
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(io)?;
    let mut text = String::new();
    if fresh {
        text.push_str(RUNS_HEADER);
        text.push('\n');
    }
    for r in runs {
        text.push_str(&format!(
            "{},{},{},{}\n",
            csv_field(&r.model),
            csv_field(dataset),
            r.accuracy,
            r.kind
        ));
    }
    f.write_all(text.as_bytes()).map_err(io)
}

/// `s` as one CSV field: quoted (quotes doubled) when it holds a delimiter, quote or newline.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> RecordsCsvSpec {
        RecordsCsvSpec {
            model_col: "model".into(),
            dataset_col: "dataset".into(),
            accuracy_col: "accuracy".into(),
            ..Default::default()
        }
    }

    #[test]
    fn kinds_parse_with_their_aliases_and_unknown_ones_list_the_valid() {
        for (s, k) in [
            ("finetune", RunKind::Finetune),
            ("Fine-Tune", RunKind::Finetune),
            ("ft", RunKind::Finetune),
            ("linear-probe", RunKind::LinearProbe),
            ("probe", RunKind::LinearProbe),
            ("LP", RunKind::LinearProbe),
        ] {
            assert_eq!(s.parse::<RunKind>(), Ok(k), "{s}");
            assert_eq!(k.to_string().parse::<RunKind>(), Ok(k));
        }
        let e = "knn".parse::<RunKind>().unwrap_err();
        assert!(e.contains("finetune") && e.contains("linear-probe"), "{e}");
        assert_eq!(
            serde_json::to_string(&RunKind::LinearProbe).unwrap(),
            "\"linear-probe\""
        );
    }

    #[test]
    fn appended_runs_read_back_and_bad_kinds_name_their_row() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("runs.csv");
        let runs = vec![
            RunRow {
                model: "org/a,b".into(),
                accuracy: 0.75,
                kind: RunKind::Finetune,
            },
            RunRow {
                model: "org/c".into(),
                accuracy: 0.5,
                kind: RunKind::LinearProbe,
            },
        ];
        append_runs(&path, "dtd", &runs[..1]).unwrap();
        append_runs(&path, "dtd", &runs[1..]).unwrap();
        let back = read_observed_runs(&path, &spec(), "dtd", "kind", RunKind::Finetune).unwrap();
        assert_eq!(back, runs);
        // Without the kind column every run is the default kind.
        std::fs::write(&path, "model,accuracy\nm,0.5\n").unwrap();
        let back = read_observed_runs(&path, &spec(), "dtd", "kind", RunKind::LinearProbe).unwrap();
        assert_eq!(back[0].kind, RunKind::LinearProbe);
        std::fs::write(&path, "model,accuracy,kind\nm,0.5,ft\nn,0.4,knn\n").unwrap();
        let e = read_observed_runs(&path, &spec(), "dtd", "kind", RunKind::Finetune)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains(":3") && e.contains("unknown run kind 'knn'"),
            "{e}"
        );
    }
}
