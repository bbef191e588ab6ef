//! What the zoo says a model was already fine-tuned on, from its metadata and its name: the
//! budget loop runs such models early ([`super::strategy`]).

use std::collections::BTreeSet;
use zoorank_core::{DatasetIdx, ModelIdx, Zoo};

/// Per model of `models`, whether `zoo` says it was already fine-tuned on dataset `target`:
/// its source dataset is the target (names compared case-insensitively), or its name holds
/// every word of the target's name. The target's name is taken after its last `/` (`glue/cola`
/// → `cola`), and words are runs of letters and digits, compared lower-case. So
/// `bert-base-uncased-finetuned-cola` is trained on `cola` and on `glue/cola`, and a
/// `vit-cifar10` model is not trained on `cifar100`. Model hubs name fine-tunes after their
/// data; a zoo whose names do not is simply left as it is.
pub fn trained_on_target(zoo: &Zoo, models: &[ModelIdx], target: DatasetIdx) -> Vec<bool> {
    let name = &zoo.datasets[target].name;
    let wanted = words(name.rsplit('/').next().unwrap_or(name));
    models
        .iter()
        .map(|&m| {
            let model = &zoo.models[m];
            let by_source = model
                .source_dataset
                .as_deref()
                .is_some_and(|s| s.eq_ignore_ascii_case(name));
            by_source || (!wanted.is_empty() && wanted.is_subset(&words(&model.name)))
        })
        .collect()
}

/// The lower-case runs of ASCII letters and digits of `s`.
fn words(s: &str) -> BTreeSet<String> {
    s.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trained_on_target_reads_source_datasets_and_whole_words_of_names() {
        let mut z = Zoo::from_names(
            [
                "someone/bert-base-uncased-finetuned-cola",
                "someone/vit-cifar10",
                "someone/vit-base",
                "org/Swin-Tiny-Finetuned-EuroSAT",
                "someone/smallnorb-elevation",
            ],
            [
                "glue/cola",
                "cifar100",
                "eurosat",
                "smallnorb_label_elevation",
            ],
        );
        z.models[2].source_dataset = Some("CIFAR100".into());
        let all: Vec<ModelIdx> = (0..5).collect();
        let t = |d| trained_on_target(&z, &all, d);
        assert_eq!(t(0), [true, false, false, false, false]);
        // cifar10 is not cifar100; the source dataset counts, whatever its case.
        assert_eq!(t(1), [false, false, true, false, false]);
        assert_eq!(t(2), [false, false, false, true, false]);
        // Every word of the target must be there.
        assert_eq!(t(3), [false; 5]);
    }
}
