//! Records real linear-probe learning curves as JSON lines (the fixture
//! `tests/reference/probe_curves.jsonl`).
//!
//! `cargo run --release -p zoorank-select --example record_probe_curves -- FEATURES_DIR OUT.jsonl EPOCHS`
//!
//! FEATURES_DIR holds `<dataset>/labels.npy` and `<dataset>/<model>.npy` (see
//! `tests/reference/make_probe_features.py`). Every (model, dataset) pair is trained for
//! EPOCHS epochs with the default linear-probe hyper-parameters (seed 0); wall-clock seconds
//! per epoch are rounded to microseconds.

use std::io::Write;
use std::path::PathBuf;
use zoorank_select::trainer::{LinearProbeParams, LinearProbeTrainer, Trainer};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() != 3 {
        return Err("usage: record_probe_curves FEATURES_DIR OUT.jsonl EPOCHS".into());
    }
    let dir = PathBuf::from(&args[0]);
    let epochs: usize = args[2].parse()?;
    let mut out = std::io::BufWriter::new(std::fs::File::create(&args[1])?);
    let mut datasets: Vec<String> = std::fs::read_dir(&dir)?
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    datasets.sort();
    let mut trainer = LinearProbeTrainer::new(&dir, LinearProbeParams::default())?;
    for d in &datasets {
        let mut models: Vec<String> = std::fs::read_dir(dir.join(d))?
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".npy") && n != "labels.npy")
            .map(|n| n.trim_end_matches(".npy").replace("--", "/"))
            .collect();
        models.sort();
        for m in &models {
            let recs = trainer.train_to(m, d, epochs)?;
            trainer.forget(m, d);
            for mut r in recs {
                r.seconds = r.seconds.map(|s| (s * 1e6).round() / 1e6);
                writeln!(out, "{}", r.to_line())?;
            }
            eprintln!("{d} {m} done");
        }
    }
    Ok(())
}
