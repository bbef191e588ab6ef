//! [`Layers`]: which hidden layers of a transformer the features come from.
//!
//! * `last` — the model's usual features: its pooling applied to the last layer's output.
//! * `mean` — the mean over the transformer layers `l = 1..=L` of the same pooling applied to
//!   each layer's output, `f = (1/L) Σ_l pool(H_l)`. The embedding output `H_0` is left out, as
//!   in the layer-aggregation studies of text model ranking (the mean is over what the layers
//!   compute, not over the lookup table), and each layer is pooled exactly as the last one is
//!   (masked mean, `[CLS]`, max; a final layer norm where the model applies one before pooling;
//!   the L2 normalisation of a sentence-transformers checkpoint), so `f` lives in the same
//!   space as the `last` features.
//! * `best` — every layer's pooled features are kept ([`crate::Extracted::layers`]); whoever
//!   scores them scores each layer and keeps the best ([`best_layer`]).
//!
//! Only isotropic transformers have `L` outputs of one width to average; hierarchical image
//! models (Swin, ResNet, ConvNeXt, VAN) change width between stages, and families whose
//! candle implementation hides its layer loop (RoBERTa, DeBERTa-v2) are refused
//! ([`crate::FeaturesError::LayersUnsupported`]).
//!
//! # References
//! Layer aggregation for transferability: e.g. Bassignana et al., "Evidence > Intuition:
//! Transferability Estimation for Encoder Selection", EMNLP 2022.

use std::fmt;
use std::str::FromStr;

/// Which hidden layers of a transformer the features come from (ids `last`, `mean`, `best`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Layers {
    /// The last layer (the model's usual features).
    #[default]
    Last,
    /// The mean over the transformer layers of each layer's pooled output.
    Mean,
    /// Every layer's pooled output, for scoring each and keeping the best.
    Best,
}

impl Layers {
    /// Every choice, in the order `--help` lists them.
    pub const ALL: [Layers; 3] = [Layers::Last, Layers::Mean, Layers::Best];

    /// The stable id: `last`, `mean` or `best`.
    pub fn id(self) -> &'static str {
        match self {
            Layers::Last => "last",
            Layers::Mean => "mean",
            Layers::Best => "best",
        }
    }

    /// Whether the forward pass must keep every layer's output.
    pub fn needs_every_layer(self) -> bool {
        self != Layers::Last
    }
}

impl fmt::Display for Layers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// An unknown [`Layers`] id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown layer choice '{given}' (valid: last, mean, best)")]
pub struct ParseLayersError {
    /// What was given.
    pub given: String,
}

impl FromStr for Layers {
    type Err = ParseLayersError;

    /// Parses `last`, `mean` or `best` (case-insensitive, surrounding spaces ignored).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        Layers::ALL
            .into_iter()
            .find(|l| l.id().eq_ignore_ascii_case(t))
            .ok_or_else(|| ParseLayersError {
                given: s.to_string(),
            })
    }
}

/// The index of the highest of per-layer `scores` (the first on ties); NaN never wins.
/// `None` when no score is a number.
///
/// Complexity: `O(L)`.
pub fn best_layer(scores: &[f64]) -> Option<usize> {
    let mut best: Option<usize> = None;
    for (i, &s) in scores.iter().enumerate() {
        if s.is_nan() {
            continue;
        }
        if best.is_none_or(|b| s > scores[b]) {
            best = Some(i);
        }
    }
    best
}

/// The element-wise mean of equally long row-major matrices (`layers`, each `n × dim`).
pub(crate) fn mean_of(layers: &[Vec<f32>]) -> Vec<f32> {
    let Some(first) = layers.first() else {
        return Vec::new();
    };
    // Accumulated in f64 so the mean of many layers loses no precision to the summation.
    let mut acc: Vec<f64> = first.iter().map(|&v| f64::from(v)).collect();
    for l in &layers[1..] {
        for (a, &v) in acc.iter_mut().zip(l) {
            *a += f64::from(v);
        }
    }
    let k = layers.len() as f64;
    acc.into_iter().map(|a| (a / k) as f32).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn ids_round_trip_and_bad_input_lists_the_valid_forms() {
        for l in Layers::ALL {
            assert_eq!(l.id().parse::<Layers>().unwrap(), l);
            assert_eq!(l.to_string(), l.id());
        }
        assert_eq!(" MEAN ".parse::<Layers>().unwrap(), Layers::Mean);
        let e = "foo".parse::<Layers>().unwrap_err();
        assert_eq!(
            e.to_string(),
            "unknown layer choice 'foo' (valid: last, mean, best)"
        );
        assert_eq!(Layers::default(), Layers::Last);
    }

    #[test]
    fn best_layer_skips_nan_and_takes_the_first_of_ties() {
        assert_eq!(best_layer(&[]), None);
        assert_eq!(best_layer(&[f64::NAN]), None);
        assert_eq!(best_layer(&[f64::NAN, 1.0, 3.0, 3.0]), Some(2));
        assert_eq!(best_layer(&[-1.0, f64::NEG_INFINITY]), Some(0));
    }

    #[test]
    fn mean_of_averages_element_wise() {
        let m = mean_of(&[vec![1.0, 2.0], vec![3.0, 6.0]]);
        assert_eq!(m, vec![2.0, 4.0]);
        assert!(mean_of(&[]).is_empty());
    }

    proptest! {
        /// `best_layer` returns an index whose score no other layer exceeds.
        #[test]
        fn best_layer_is_an_argmax(scores in prop::collection::vec(-1e6f64..1e6, 1..40)) {
            let b = best_layer(&scores).unwrap();
            prop_assert!(scores.iter().all(|&s| s <= scores[b]));
            prop_assert!(scores[..b].iter().all(|&s| s < scores[b]));
        }
    }
}
