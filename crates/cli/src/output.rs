//! Output helpers shared by commands: human tables, JSON, progress, and the closed-pipe rule.

use comfy_table::{presets::UTF8_BORDERS_ONLY, Cell, CellAlignment, ContentArrangement, Table};
use std::io::Write;

/// Prints `value` as pretty JSON on stdout.
pub fn print_json<T: serde::Serialize>(value: &T) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value)?;
    writeln!(out)?;
    Ok(())
}

/// Prints a line on stdout (an error if stdout is closed, which `main` treats as success).
pub fn println(s: impl AsRef<str>) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", s.as_ref())?;
    Ok(())
}

/// A human table: header, then rows; cells that parse as numbers are right-aligned.
pub fn table(header: &[&str], rows: Vec<Vec<String>>) -> String {
    let mut t = Table::new();
    t.load_preset(UTF8_BORDERS_ONLY)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(header.iter().map(Cell::new));
    for r in rows {
        t.add_row(r.into_iter().map(|c| {
            let numeric = c.parse::<f64>().is_ok();
            let cell = Cell::new(c);
            if numeric {
                cell.set_alignment(CellAlignment::Right)
            } else {
                cell
            }
        }));
    }
    t.to_string()
}

/// Prints a [`table`] of `items`, one row each as `row` makes it.
pub fn print_table<T>(
    header: &[&str],
    items: impl IntoIterator<Item = T>,
    row: impl FnMut(T) -> Vec<String>,
) -> anyhow::Result<()> {
    println(table(header, items.into_iter().map(row).collect()))
}

/// The items joined by `, `, or `empty` when there are none.
pub fn join_or(items: impl Iterator<Item = String>, empty: &str) -> String {
    let joined = items.collect::<Vec<_>>().join(", ");
    if joined.is_empty() {
        empty.to_string()
    } else {
        joined
    }
}

/// `, head with N classes` for a model with a classifier head of `classes` classes, nothing
/// for one without (`classes` 0): the note the feature commands add to their summary.
pub fn head_note(classes: usize) -> String {
    if classes > 0 {
        format!(", head with {classes} classes")
    } else {
        String::new()
    }
}

/// Formats an optional number compactly (`-` when absent).
pub fn opt_num(v: Option<f64>) -> String {
    match v {
        None => "-".into(),
        Some(x) if x.fract() == 0.0 && x.abs() < 1e15 => format!("{}", x as i64),
        Some(x) => format!("{x:.4}"),
    }
}

/// A spinner on stderr for work that may take more than a second; drawn only when stderr is a
/// terminal.
pub fn spinner(msg: impl Into<String>) -> indicatif::ProgressBar {
    let pb =
        indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
    pb.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
            .expect("static template"),
    );
    pb.set_message(msg.into());
    pb.enable_steady_tick(std::time::Duration::from_millis(120));
    pb
}

/// Whether an error is (or wraps) a closed pipe (`zoorank ... | head`), which is not a failure.
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            || c.downcast_ref::<serde_json::Error>()
                .is_some_and(|j| j.io_error_kind() == Some(std::io::ErrorKind::BrokenPipe))
    })
}

/// The error and its causes joined by `: `, like `{:#}`, except that a cause whose text the
/// messages before it already contain is left out: many errors print their source inside their
/// own message and also expose it as their source, which would say it twice.
pub fn chain_message(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if text.is_empty() || out.contains(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out
}
