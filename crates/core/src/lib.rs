//! # zoorank-core
//!
//! The first stage of zoorank's pipeline (`store → features → scores → graph → predict →
//! evaluate`): the value types every other stage shares. A [`Zoo`] is a read-only snapshot of
//! what the store holds — models with their metadata, datasets, fine-tuning records,
//! feature-based scores and dataset distances — as plain vectors indexed by [`ModelIdx`] and
//! [`DatasetIdx`]. Numeric crates take a `&Zoo` (or plain matrices), never a database handle.
//!
//! ```
//! use zoorank_core::{Zoo, Model, Dataset, Record};
//! let mut zoo = Zoo::default();
//! let m = zoo.add_model(Model::named("google/vit-base-patch16-224"));
//! let d = zoo.add_dataset(Dataset::named("cifar100"));
//! zoo.records.push(Record::new(m, d, 0.91));
//! assert_eq!(zoo.ground_truth(d, false), vec![(m, 0.91)]);
//! ```
#![warn(missing_docs)]

pub mod blob;
pub mod metrics;
pub mod npy;
pub mod zoo;

/// The message of `e` and of each of its causes, joined by `: ` after `context` when given,
/// leaving out a cause whose text is already said: how the server and the Python module word
/// an error.
pub fn error_chain(e: &(dyn std::error::Error + 'static), context: Option<&str>) -> String {
    let mut out = context.map(str::to_string).unwrap_or_default();
    let mut cause = Some(e);
    while let Some(c) = cause {
        let text = c.to_string();
        if !text.is_empty() && !out.contains(&text) {
            if !out.is_empty() {
                out.push_str(": ");
            }
            out.push_str(&text);
        }
        cause = c.source();
    }
    out
}

pub use blob::{BlobCache, BlobError, MemoryCache, StableHash};
pub use zoo::{
    collapse, Collapse, Dataset, DatasetIdx, Distance, Modality, Model, ModelIdx, Record,
    ScoreRecord, Zoo,
};
