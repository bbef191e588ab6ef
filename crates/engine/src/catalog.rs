//! The zoo's catalog as the interfaces list it: fine-tuning records counted per model and per
//! dataset, and the filter that both the CLI's `zoo models` / `zoo datasets` and the HTTP
//! service's `/models` / `/datasets` apply, so that the two listings cannot drift apart.

use std::collections::HashSet;
use zoorank_core::{Modality, Zoo};

/// Fine-tuning records counted per model and per dataset of a zoo.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordCounts {
    /// Records per model (indexed like `zoo.models`).
    pub per_model: Vec<usize>,
    /// Records per dataset (indexed like `zoo.datasets`).
    pub per_dataset: Vec<usize>,
    /// Distinct models with records per dataset.
    pub models_per_dataset: Vec<usize>,
}

impl RecordCounts {
    /// The counts of `zoo`'s records. O(records).
    pub fn of(zoo: &Zoo) -> RecordCounts {
        let mut c = RecordCounts {
            per_model: vec![0; zoo.models.len()],
            per_dataset: vec![0; zoo.datasets.len()],
            models_per_dataset: vec![0; zoo.datasets.len()],
        };
        let mut pairs = HashSet::new();
        for r in &zoo.records {
            c.per_model[r.model] += 1;
            c.per_dataset[r.dataset] += 1;
            if pairs.insert((r.dataset, r.model)) {
                c.models_per_dataset[r.dataset] += 1;
            }
        }
        c
    }
}

/// Which models or datasets a catalog listing keeps (every condition must hold).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CatalogFilter {
    /// Only names containing this text (case-insensitive).
    pub name: Option<String>,
    /// Only this modality.
    pub modality: Option<Modality>,
    /// Only entries with at least one fine-tuning record.
    pub with_records: bool,
}

impl CatalogFilter {
    /// Whether an entry named `name`, of `modality`, with `records` records is kept.
    pub fn keeps(&self, name: &str, modality: Option<Modality>, records: usize) -> bool {
        (!self.with_records || records > 0)
            && self.modality.is_none_or(|m| modality == Some(m))
            && contains_text(Some(name), self.name.as_deref())
    }
}

/// Whether `hay` contains `needle`, ignoring case; no needle matches anything, no hay only
/// that.
pub fn contains_text(hay: Option<&str>, needle: Option<&str>) -> bool {
    match needle {
        None => true,
        Some(n) => hay.is_some_and(|h| h.to_lowercase().contains(&n.to_lowercase())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zoorank_core::Record;

    #[test]
    fn counts_records_and_distinct_models() {
        let mut z = Zoo::from_names(["a", "b"], ["x", "y"]);
        for (m, d) in [(0, 0), (0, 0), (1, 0), (1, 1)] {
            z.records.push(Record::new(m, d, 0.5));
        }
        let c = RecordCounts::of(&z);
        assert_eq!(c.per_model, [2, 2]);
        assert_eq!(c.per_dataset, [3, 1]);
        assert_eq!(c.models_per_dataset, [2, 1]);
    }

    #[test]
    fn the_filter_needs_every_condition() {
        let f = CatalogFilter {
            name: Some("ViT".into()),
            modality: Some(Modality::Image),
            with_records: true,
        };
        assert!(f.keeps("google/vit-base", Some(Modality::Image), 1));
        assert!(!f.keeps("google/vit-base", Some(Modality::Image), 0));
        assert!(!f.keeps("google/vit-base", None, 1));
        assert!(!f.keeps("resnet", Some(Modality::Image), 1));
        assert!(CatalogFilter::default().keeps("anything", None, 0));
        assert!(!contains_text(None, Some("x")));
    }
}
