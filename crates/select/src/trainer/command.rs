//! The user's own fine-tuning command as a trainer.

use super::base::{undelivered, EpochRecord, Trainer};
use crate::error::{Result, SelectError};
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

/// Runs a user command per `(model, dataset, epochs)` and reads per-epoch JSON lines from its
/// standard output.
///
/// The template is run by `sh -c` after substituting, shell-quoted:
/// `{model}`, `{dataset}`, `{epochs}` (epochs to have completed when the command exits) and
/// `{from_epoch}` (epochs already completed: the command should resume from its own
/// checkpoint of that run, or retrain from scratch and print every epoch — zoorank keeps the
/// first record of each epoch and ignores repeats). Lines of standard output that start with
/// `{` must be epoch records (see [`crate::trainer`]; `model` and `dataset` may be omitted);
/// other lines are ignored, so progress logs may go to stdout too.
///
/// **Resumable:** every epoch record is appended to the state file (JSON lines) as soon as
/// the command exits successfully; a new `CommandTrainer` on the same state file starts from
/// what is there, so an interrupted selection re-runs nothing already recorded.
/// The state file is also what the CLI imports into the store as learning curves.
#[derive(Debug)]
pub struct CommandTrainer {
    template: String,
    state: Option<PathBuf>,
    runs: HashMap<(String, String), Vec<EpochRecord>>,
    delivered: HashMap<(String, String), usize>,
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

impl CommandTrainer {
    /// A trainer running `template`, keeping its records in `state` (created if missing;
    /// `None` keeps them in memory only).
    ///
    /// # Errors
    /// [`SelectError::InvalidParameter`] when the template has no `{model}` placeholder;
    /// [`SelectError::Io`] / [`SelectError::Parse`] when an existing state file cannot be read.
    pub fn new(template: impl Into<String>, state: Option<PathBuf>) -> Result<CommandTrainer> {
        let template = template.into();
        if !template.contains("{model}") {
            return Err(SelectError::InvalidParameter {
                name: "command",
                value: template,
                reason: "the command template must contain {model}",
            });
        }
        let mut runs: HashMap<(String, String), Vec<EpochRecord>> = HashMap::new();
        if let Some(p) = &state {
            if p.exists() {
                let text = std::fs::read_to_string(p).map_err(|e| SelectError::io(p, e))?;
                for r in super::base::parse_records(&p.display().to_string(), &text)? {
                    let run = runs
                        .entry((r.model.clone(), r.dataset.clone()))
                        .or_default();
                    if run.len() + 1 == r.epoch {
                        run.push(r);
                    }
                }
            }
        }
        Ok(CommandTrainer {
            template,
            state,
            runs,
            delivered: HashMap::new(),
        })
    }

    /// Every record known (from the state file and from commands run), per run.
    pub fn records(&self) -> impl Iterator<Item = &EpochRecord> {
        self.runs.values().flatten()
    }

    fn append_state(&self, records: &[EpochRecord]) -> Result<()> {
        let Some(p) = &self.state else { return Ok(()) };
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(p)
            .map_err(|e| SelectError::io(p, e))?;
        for r in records {
            writeln!(f, "{}", r.to_line()).map_err(|e| SelectError::io(p, e))?;
        }
        Ok(())
    }

    fn run(
        &self,
        model: &str,
        dataset: &str,
        from: usize,
        epochs: usize,
    ) -> Result<Vec<EpochRecord>> {
        let cmd = self
            .template
            .replace("{model}", &shell_quote(model))
            .replace("{dataset}", &shell_quote(dataset))
            .replace("{epochs}", &epochs.to_string())
            .replace("{from_epoch}", &from.to_string());
        let started = Instant::now();
        let out = Command::new("sh")
            .arg("-c")
            .arg(&cmd)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| SelectError::Command {
                model: model.into(),
                message: format!("cannot start `sh -c {cmd}`: {e}"),
            })?;
        let elapsed = started.elapsed().as_secs_f64();
        if !out.status.success() {
            let err = String::from_utf8_lossy(&out.stderr);
            let tail: String = err.lines().rev().take(5).collect::<Vec<_>>().join(" | ");
            return Err(SelectError::Command {
                model: model.into(),
                message: format!("`{cmd}` exited with {}: {tail}", out.status),
            });
        }
        let stdout = String::from_utf8_lossy(&out.stdout);
        let what = format!("stdout of `{cmd}`");
        let mut got = Vec::new();
        for (i, line) in stdout.lines().enumerate() {
            if !line.trim_start().starts_with('{') {
                continue;
            }
            let mut r = EpochRecord::parse_line(&what, i + 1, line)?;
            if r.epoch <= from || r.epoch > epochs {
                continue;
            }
            r.model = model.into();
            r.dataset = dataset.into();
            if got.iter().all(|g: &EpochRecord| g.epoch != r.epoch) {
                got.push(r);
            }
        }
        got.sort_by_key(|r| r.epoch);
        if got.len() != epochs - from {
            return Err(SelectError::Command {
                model: model.into(),
                message: format!(
                    "`{cmd}` printed {} epoch record(s) for epochs {}..={epochs}; expected {}",
                    got.len(),
                    from + 1,
                    epochs - from
                ),
            });
        }
        let share = elapsed / got.len().max(1) as f64;
        for r in &mut got {
            r.seconds.get_or_insert(share);
        }
        Ok(got)
    }

    /// The state file, if any.
    pub fn state_path(&self) -> Option<&Path> {
        self.state.as_deref()
    }
}

impl Trainer for CommandTrainer {
    fn name(&self) -> &'static str {
        "command"
    }

    fn train_to(&mut self, model: &str, dataset: &str, epochs: usize) -> Result<Vec<EpochRecord>> {
        let key = (model.to_string(), dataset.to_string());
        let have = self.runs.get(&key).map_or(0, Vec::len);
        if epochs > have {
            let new = self.run(model, dataset, have, epochs)?;
            self.append_state(&new)?;
            self.runs.entry(key.clone()).or_default().extend(new);
        }
        let run = &self.runs[&key];
        Ok(undelivered(
            run,
            self.delivered.entry(key).or_insert(0),
            epochs,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_the_command_and_resumes_from_the_state_file() {
        let dir = std::env::temp_dir().join(format!("zoorank-select-cmd-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let state = dir.join("state.jsonl");
        let _ = std::fs::remove_file(&state);
        let calls = dir.join("calls");
        let _ = std::fs::remove_file(&calls);
        // A fake training script: logs a line, prints epochs from_epoch+1..=epochs with
        // val = epoch / 10, counts its invocations.
        let template = format!(
            "echo training {{model}} >&2; echo run >> {calls}; echo 'progress...'; \
             for e in $(seq $(({{from_epoch}}+1)) {{epochs}}); do \
             echo \"{{\\\"epoch\\\": $e, \\\"val_accuracy\\\": 0.$e}}\"; done",
            calls = calls.display()
        );
        let mut t = CommandTrainer::new(template.clone(), Some(state.clone())).unwrap();
        let r = t.train_to("org/m'x", "d", 2).unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(r[1].val_accuracy, 0.2);
        assert_eq!(r[0].model, "org/m'x");
        assert!(r[0].seconds.is_some());
        let r = t.train_to("org/m'x", "d", 3).unwrap();
        assert_eq!((r.len(), r[0].epoch), (1, 3));
        // A new trainer on the same state file re-runs nothing.
        let mut t2 = CommandTrainer::new(template, Some(state.clone())).unwrap();
        assert_eq!(t2.train_to("org/m'x", "d", 3).unwrap().len(), 3);
        let n_calls = std::fs::read_to_string(&calls).unwrap().lines().count();
        assert_eq!(n_calls, 2);
        // Failures are reported with the model.
        let mut bad = CommandTrainer::new("false {model}", None).unwrap();
        assert!(matches!(
            bad.train_to("m", "d", 1),
            Err(SelectError::Command { .. })
        ));
        let mut short = CommandTrainer::new(
            "true {model}; echo '{\"epoch\":1,\"val_accuracy\":0.5}'",
            None,
        )
        .unwrap();
        assert!(matches!(
            short.train_to("m", "d", 2),
            Err(SelectError::Command { .. })
        ));
        assert!(CommandTrainer::new("train.sh", None).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
