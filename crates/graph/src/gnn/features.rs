//! Node input features ([`NodeFeatures`]): what a GNN knows of every node before any message
//! passing.
//!
//! Row `i` describes node `i`: kind indicators (model, dataset), `ln(1 + degree)` and
//! `ln(1 + weighted degree)`; for models log₁₀ #parameters, log₁₀ memory, input size,
//! upstream accuracy and a one-hot model type (the 8 most frequent types with ≥ 2 models), for
//! datasets log₁₀ #samples and log₁₀ #classes, each numeric value with a missing indicator.
//! Numeric columns are z-scored over the nodes that have them (missing → 0). A zoo without any
//! metadata (an `import records` zoo) still gets the kind and degree columns, so the GNNs work
//! on structure alone.

use crate::error::GraphError;
use crate::graph::{Graph, NodeKind};
use std::collections::BTreeMap;
use zoorank_core::{Dataset, Model, Zoo};

/// Input features of every node, `n_nodes × dim`, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeFeatures {
    /// Number of nodes (rows).
    pub n_nodes: usize,
    /// Number of features (columns).
    pub dim: usize,
    /// Row-major values.
    pub data: Vec<f64>,
    /// Column names.
    pub names: Vec<String>,
}

/// A numeric column: its name and the value of a model or dataset (`None`: missing).
type Column<T> = (&'static str, fn(&T) -> Option<f64>);

/// The numeric model columns, in column order.
const MODEL_COLUMNS: [Column<Model>; 4] = [
    ("log_params", |m| log10(m.num_parameters)),
    ("log_memory", |m| log10(m.memory_bytes)),
    ("input_size", |m| finite(m.input_size)),
    ("upstream_acc", |m| finite(m.upstream_accuracy)),
];

/// The numeric dataset columns, after the model ones.
const DATASET_COLUMNS: [Column<Dataset>; 2] = [
    ("log_samples", |d| log10(d.num_samples)),
    ("log_classes", |d| log10(d.num_classes)),
];

/// log₁₀ of a finite positive value; anything else is missing.
fn log10(v: Option<f64>) -> Option<f64> {
    v.filter(|x| x.is_finite() && *x > 0.0).map(f64::log10)
}

/// A finite value; anything else is missing.
fn finite(v: Option<f64>) -> Option<f64> {
    v.filter(|x| x.is_finite())
}

impl NodeFeatures {
    /// Features from explicit values.
    ///
    /// # Errors
    /// [`GraphError::FeatureShape`] when `data.len() != n_nodes · names.len()`,
    /// [`GraphError::NonFiniteFeature`] for a NaN or infinite value.
    pub fn new(
        n_nodes: usize,
        names: Vec<String>,
        data: Vec<f64>,
    ) -> Result<NodeFeatures, GraphError> {
        let dim = names.len();
        if data.len() != n_nodes * dim {
            return Err(GraphError::FeatureShape {
                expected: n_nodes * dim,
                got: data.len(),
            });
        }
        if let Some(k) = data.iter().position(|v| !v.is_finite()) {
            return Err(GraphError::NonFiniteFeature {
                node: k / dim.max(1),
                column: names[k % dim.max(1)].clone(),
            });
        }
        Ok(NodeFeatures {
            n_nodes,
            dim,
            data,
            names,
        })
    }

    /// Structure-only features of `graph`: kind indicators and log (weighted) degree.
    pub fn structural(graph: &Graph) -> NodeFeatures {
        let mut b = Builder::new(graph.n_nodes());
        add_structure(&mut b, graph);
        b.finish()
    }

    /// Metadata and structure features of a graph built on `zoo` (see the module docs).
    ///
    /// # Errors
    /// [`GraphError::UnknownNode`] when a node refers to a model or dataset outside `zoo`.
    pub fn from_zoo(zoo: &Zoo, graph: &Graph) -> Result<NodeFeatures, GraphError> {
        let n = graph.n_nodes();
        for (i, k) in graph.kinds().iter().enumerate() {
            let ok = match *k {
                NodeKind::Model(m) => m < zoo.models.len(),
                NodeKind::Dataset(d) => d < zoo.datasets.len(),
                NodeKind::Other => true,
            };
            if !ok {
                return Err(GraphError::UnknownNode { node: i });
            }
        }
        let mut b = Builder::new(n);
        add_structure(&mut b, graph);
        let model = |i: usize| match graph.kind(i) {
            NodeKind::Model(m) => Some(&zoo.models[m]),
            _ => None,
        };
        let dataset = |i: usize| match graph.kind(i) {
            NodeKind::Dataset(d) => Some(&zoo.datasets[d]),
            _ => None,
        };
        for (name, value) in MODEL_COLUMNS {
            b.numeric(name, (0..n).map(|i| model(i).map(value)));
        }
        for (name, value) in DATASET_COLUMNS {
            b.numeric(name, (0..n).map(|i| dataset(i).map(value)));
        }
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for m in &zoo.models {
            if let Some(t) = m.model_type.as_deref() {
                *counts.entry(t).or_default() += 1;
            }
        }
        let mut types: Vec<(&str, usize)> = counts.into_iter().filter(|x| x.1 >= 2).collect();
        types.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        types.truncate(8);
        for (t, _) in types {
            b.column(
                format!("type={t}"),
                (0..n)
                    .map(|i| {
                        model(i).map_or(0.0, |m| {
                            f64::from(u8::from(m.model_type.as_deref() == Some(t)))
                        })
                    })
                    .collect(),
            );
        }
        Ok(b.finish())
    }

    /// Row `i`.
    ///
    /// # Panics
    /// When `i >= n_nodes`.
    pub fn row(&self, i: usize) -> &[f64] {
        &self.data[i * self.dim..(i + 1) * self.dim]
    }
}
/// Column-wise builder of [`NodeFeatures`].
struct Builder {
    n: usize,
    names: Vec<String>,
    cols: Vec<Vec<f64>>,
}

impl Builder {
    fn new(n: usize) -> Builder {
        Builder {
            n,
            names: Vec::new(),
            cols: Vec::new(),
        }
    }

    fn column(&mut self, name: String, values: Vec<f64>) {
        debug_assert_eq!(values.len(), self.n);
        self.names.push(name);
        self.cols.push(values);
    }

    /// A numeric column for the nodes where the outer option is `Some` (the nodes it applies
    /// to), z-scored over the present values, plus its missing indicator (1 where it applies
    /// and the value is missing).
    fn numeric(&mut self, name: &str, values: impl Iterator<Item = Option<Option<f64>>>) {
        let values: Vec<Option<Option<f64>>> = values.collect();
        let present: Vec<f64> = values.iter().flatten().flatten().copied().collect();
        let (mu, sd) = moments(&present);
        self.column(
            name.to_string(),
            values
                .iter()
                .map(|v| match v {
                    Some(Some(x)) if sd > 0.0 => (x - mu) / sd,
                    _ => 0.0,
                })
                .collect(),
        );
        self.column(
            format!("{name}_missing"),
            values
                .iter()
                .map(|v| f64::from(u8::from(matches!(v, Some(None)))))
                .collect(),
        );
    }

    fn finish(self) -> NodeFeatures {
        let dim = self.cols.len();
        let mut data = vec![0.0; self.n * dim];
        for (j, c) in self.cols.iter().enumerate() {
            for (i, &v) in c.iter().enumerate() {
                data[i * dim + j] = v;
            }
        }
        NodeFeatures {
            n_nodes: self.n,
            dim,
            data,
            names: self.names,
        }
    }
}

fn moments(v: &[f64]) -> (f64, f64) {
    if v.is_empty() {
        return (0.0, 0.0);
    }
    let mu = v.iter().sum::<f64>() / v.len() as f64;
    let var = v.iter().map(|x| (x - mu).powi(2)).sum::<f64>() / v.len() as f64;
    (mu, var.sqrt())
}

fn add_structure(b: &mut Builder, graph: &Graph) {
    let n = graph.n_nodes();
    let kind = |f: fn(&NodeKind) -> bool| -> Vec<f64> {
        graph
            .kinds()
            .iter()
            .map(|k| f64::from(u8::from(f(k))))
            .collect()
    };
    b.column("is_model".into(), kind(|k| matches!(k, NodeKind::Model(_))));
    b.column(
        "is_dataset".into(),
        kind(|k| matches!(k, NodeKind::Dataset(_))),
    );
    let zscore = |v: Vec<f64>| -> Vec<f64> {
        let (mu, sd) = moments(&v);
        v.iter()
            .map(|x| if sd > 0.0 { (x - mu) / sd } else { 0.0 })
            .collect()
    };
    b.column(
        "log_degree".into(),
        zscore((0..n).map(|i| (graph.degree(i) as f64).ln_1p()).collect()),
    );
    b.column(
        "log_weighted_degree".into(),
        zscore(
            (0..n)
                .map(|i| graph.neighbor_weights(i).iter().sum::<f64>().ln_1p())
                .collect(),
        ),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn features_from_metadata_and_from_nothing() {
        let mut z = Zoo::default();
        let mut m0 = Model::named("a");
        m0.num_parameters = Some(1e6);
        m0.model_type = Some("vit".into());
        let mut m1 = Model::named("b");
        m1.num_parameters = Some(1e8);
        m1.model_type = Some("vit".into());
        z.add_model(m0);
        z.add_model(m1);
        z.add_model(Model::named("c"));
        let mut d = Dataset::named("d");
        d.num_classes = Some(10.0);
        z.add_dataset(d);
        let kinds = vec![
            NodeKind::Model(0),
            NodeKind::Model(1),
            NodeKind::Model(2),
            NodeKind::Dataset(0),
        ];
        let g = Graph::from_edges(kinds, &[(0, 3, 0.5), (1, 3, 0.9)]).unwrap();
        let f = NodeFeatures::from_zoo(&z, &g).unwrap();
        let col = |name: &str| f.names.iter().position(|n| n == name).unwrap();
        assert_eq!(f.row(0)[col("log_params")], -1.0);
        assert_eq!(f.row(1)[col("log_params")], 1.0);
        assert_eq!(f.row(2)[col("log_params_missing")], 1.0);
        assert_eq!(f.row(3)[col("log_params_missing")], 0.0, "not a model");
        assert_eq!(f.row(3)[col("log_samples_missing")], 1.0);
        assert_eq!(f.row(3)[col("log_classes_missing")], 0.0);
        assert_eq!(f.row(1)[col("type=vit")], 1.0);
        assert_eq!(f.row(2)[col("type=vit")], 0.0);
        assert_eq!(f.row(3)[col("is_dataset")], 1.0);
        assert!(f.data.iter().all(|v| v.is_finite()));
        // No metadata at all: only structure carries information, nothing breaks.
        let mut bare = Zoo::default();
        for n in ["a", "b", "c"] {
            bare.add_model(Model::named(n));
        }
        bare.add_dataset(Dataset::named("d"));
        let f = NodeFeatures::from_zoo(&bare, &g).unwrap();
        assert!(f.data.iter().all(|v| v.is_finite()));
        assert_eq!(f.n_nodes, 4);
        // A node outside the zoo is an error.
        let g2 = Graph::from_edges(vec![NodeKind::Model(7)], &[]).unwrap();
        assert!(matches!(
            NodeFeatures::from_zoo(&bare, &g2),
            Err(GraphError::UnknownNode { node: 0 })
        ));
    }

    #[test]
    fn explicit_features_are_checked() {
        assert!(matches!(
            NodeFeatures::new(2, vec!["a".into()], vec![1.0]),
            Err(GraphError::FeatureShape {
                expected: 2,
                got: 1
            })
        ));
        assert!(matches!(
            NodeFeatures::new(2, vec!["a".into()], vec![1.0, f64::NAN]),
            Err(GraphError::NonFiniteFeature { node: 1, .. })
        ));
    }
}
