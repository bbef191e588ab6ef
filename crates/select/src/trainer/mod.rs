//! Trainers: what fine selection calls to advance a model's training by some epochs.
//!
//! One small trait, [`Trainer`], with three implementations:
//! - [`ReplayTrainer`] replays recorded per-epoch curves (evaluation, tests, benchmarks);
//! - [`CommandTrainer`] runs the user's own fine-tuning command and reads per-epoch JSON lines
//!   from its standard output, resumable through a state file;
//! - [`LinearProbeTrainer`] trains a multinomial logistic regression on extracted features
//!   (`.npy`), for users without a training script.
//!
//! # The epoch record (JSON lines)
//! Every trainer produces, and the replay trainer and the command trainer read, one JSON
//! object per line and per epoch:
//!
//! ```text
//! {"model": "google/vit-base-patch16-224", "dataset": "cifar100", "epoch": 1,
//!  "val_accuracy": 0.81, "test_accuracy": 0.80, "seconds": 35.2}
//! ```
//!
//! - `model`, `dataset`: names (a training command may omit them; zoorank fills them in);
//! - `epoch`: 1-based count of completed epochs (a curve is epochs `1..=n`, each once);
//! - `val_accuracy`: accuracy on the validation split after that epoch (what selection sees);
//! - `test_accuracy` (optional): accuracy on held-out test data after that epoch (what the
//!   evaluation scores a selection by; never used to select);
//! - `seconds` (optional): wall-clock seconds that epoch took.
//!
//! Unknown fields are ignored, so training scripts may log more.

mod base;
mod command;
mod linear_probe;
mod replay;

pub use command::CommandTrainer;
pub use linear_probe::{LinearProbeParams, LinearProbeTrainer};
pub use replay::ReplayTrainer;

pub use base::{parse_records, EpochRecord, Trainer};
