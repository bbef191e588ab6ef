//! Node2Vec and Node2Vec+: second-order biased random walks, then skip-gram with negative
//! sampling over the walks, one thread, seeded.
//!
//! **Walks** (Grover & Leskovec 2016, §3.2). A walk that came from `t` to `v` moves to a
//! neighbour `x` of `v` with probability ∝ `α(t, x) · w(v, x)`, where for Node2Vec
//!
//! ```text
//! α = 1/p   if x = t          (return)
//! α = 1     if x ~ t          (x is also a neighbour of t: stay close, BFS-like)
//! α = 1/q   otherwise         (move out, DFS-like)
//! ```
//!
//! **Node2Vec+** (Liu, Hirn & Krishnan, Bioinformatics 2023) makes "x ~ t" graded for weighted
//! graphs. With `d̃(u)` the mean weight of u's edges and `w̃(t, x) = w(t, x) / d̃(x)`
//! (0 when there is no edge), for x ≠ t:
//!
//! ```text
//! α = 1                                if w̃(t, x) ≥ 1          (x tightly linked to t)
//! α = min(1, 1/q)                      if w(v, t) < d̃(v)        (the last step was on a loose edge)
//! α = 1/q + (1 − 1/q) · w̃(t, x)        otherwise                (interpolates between out and in)
//! ```
//!
//! so a weak edge between t and x no longer counts as fully "close". On an unweighted graph
//! (all weights equal) both walks are the same process.
//!
//! **Skip-gram with negative sampling** (Mikolov et al., NeurIPS 2013): for each node `u` of a
//! walk and each `c` within `b` steps (`b` uniform in `1..=window` per position, word2vec's
//! shrunk window), maximise `log σ(e_u · o_c) + Σ_k log σ(−e_u · o_k)`
//! over `negatives` nodes `k` drawn ∝ frequency^0.75, by SGD with a learning rate decaying
//! linearly to 0.01 % of its start. Input vectors `e` start uniform in ±0.5/dim, output vectors
//! `o` at 0 (word2vec's initialisation); the embeddings are the `e`.
//!
//! Cost: walks O(N · r · L · (deg)) and training O(N · r · L · 2·window · (1 + negatives) ·
//! dim); a graph the size of the image zoo's (250 nodes, ≈ 2 900 edges) takes ≈ 0.2 s of CPU
//! in release with the defaults (see `examples/embed_speed.rs`).

use crate::codec::{saved, Reader, Writer, TAG_NODE2VEC};
use crate::embedder::GraphEmbedder;
use crate::embeddings::Embeddings;
use crate::error::{check_counts, check_positive, invalid, GraphError};
use crate::gnn::features::NodeFeatures;
use crate::graph::{Graph, NodeKind};
use crate::inductive::{merge_rows, new_node_mask, FittedEmbedder, InductiveEmbedder};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Node2Vec / Node2Vec+ parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Node2VecParams {
    /// Embedding dimension (≥ 1).
    pub dim: usize,
    /// Nodes per walk, the start included (≥ 2).
    pub walk_length: usize,
    /// Walks started from each node (≥ 1).
    pub walks_per_node: usize,
    /// Skip-gram context window (≥ 1).
    pub window: usize,
    /// Negative samples per positive pair (≥ 1).
    pub negatives: usize,
    /// Passes over the walks (≥ 1).
    pub epochs: usize,
    /// Initial SGD learning rate (> 0).
    pub learning_rate: f64,
    /// Return parameter p (> 0).
    pub p: f64,
    /// In-out parameter q (> 0).
    pub q: f64,
    /// Node2Vec+ bias (weighted "in" test) instead of Node2Vec's.
    pub plus: bool,
}

impl Default for Node2VecParams {
    /// 128 dimensions, 10 walks of 20 nodes per node, window 5, 5 negatives, 1 epoch,
    /// learning rate 0.025, p = 1, q = 0.5 (outward walks: with q = 1 Node2Vec+ equals
    /// Node2Vec).
    fn default() -> Self {
        Node2VecParams {
            dim: 128,
            walk_length: 20,
            walks_per_node: 10,
            window: 5,
            negatives: 5,
            epochs: 1,
            learning_rate: 0.025,
            p: 1.0,
            q: 0.5,
            plus: false,
        }
    }
}

/// The Node2Vec (or, with `plus`, Node2Vec+) embedder.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Node2Vec {
    params: Node2VecParams,
}

impl Node2Vec {
    /// Validates `params`.
    ///
    /// # Errors
    /// [`GraphError::InvalidParam`] naming the first parameter out of range.
    pub fn new(params: Node2VecParams) -> Result<Node2Vec, GraphError> {
        let p = &params;
        check_counts(&[("dim", p.dim)])?;
        if p.walk_length < 2 {
            return Err(invalid("walk_length", p.walk_length as f64, "must be ≥ 2"));
        }
        check_counts(&[
            ("walks_per_node", p.walks_per_node),
            ("window", p.window),
            ("negatives", p.negatives),
            ("epochs", p.epochs),
        ])?;
        for (name, v) in [("learning_rate", p.learning_rate), ("p", p.p), ("q", p.q)] {
            check_positive(name, v)?;
        }
        Ok(Node2Vec { params })
    }

    /// The parameters.
    pub fn params(&self) -> &Node2VecParams {
        &self.params
    }

    /// The random walks on `graph` for `seed`: `walks_per_node` rounds, each starting one walk
    /// from every node with a neighbour, in a seeded shuffled order. A walk stops early only at
    /// a node without neighbours (never, on an undirected graph, after its first step).
    pub fn walks(&self, graph: &Graph, seed: u64) -> Vec<Vec<usize>> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut walker = Walker::new(graph, &self.params);
        let mut order: Vec<usize> = (0..graph.n_nodes())
            .filter(|&u| graph.degree(u) > 0)
            .collect();
        let mut walks = Vec::with_capacity(order.len() * self.params.walks_per_node);
        for _ in 0..self.params.walks_per_node {
            shuffle(&mut order, &mut rng);
            for &start in &order {
                walks.push(walker.walk(start, &mut rng));
            }
        }
        walks
    }

    /// Walks, then skip-gram over every node (module docs), keeping the trained input and
    /// output vectors for [`FittedEmbedder::extend`].
    ///
    /// # Errors
    /// [`GraphError::InvalidParam`] (`learning_rate`) when training diverges.
    pub fn fitted(&self, graph: &Graph, seed: u64) -> Result<FittedNode2Vec, GraphError> {
        let n = graph.n_nodes();
        let p = &self.params;
        let dim = p.dim;
        let walks = self.walks(graph, seed);
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(1);
        let mut input: Vec<f32> = (0..n * dim)
            .map(|_| (rng.gen::<f32>() - 0.5) / dim as f32)
            .collect();
        let mut output = vec![0.0f32; n * dim];
        let mut freq = vec![0.0f64; n];
        for w in &walks {
            for &u in w {
                freq[u] += 1.0;
            }
        }
        skip_gram(p, &walks, &freq, &mut input, &mut output, None, &mut rng);
        let embeddings = to_embeddings(&input, n, p)?;
        Ok(FittedNode2Vec {
            params: self.params,
            id: self.id(),
            kinds: graph.kinds().to_vec(),
            input,
            output,
            freq,
            total_weight: (0..n).map(|u| weighted_degree(graph, u)).sum(),
            embeddings,
        })
    }
}

/// Fisher–Yates with our own RNG (rand's shuffle is fine too, but this pins the order).
fn shuffle(order: &mut [usize], rng: &mut ChaCha8Rng) {
    for i in (1..order.len()).rev() {
        let j = rng.gen_range(0..=i);
        order.swap(i, j);
    }
}

fn weighted_degree(graph: &Graph, u: usize) -> f64 {
    graph.neighbor_weights(u).iter().sum()
}

/// The second-order walk of the module docs on one graph, with its scratch space.
struct Walker<'g> {
    graph: &'g Graph,
    params: &'g Node2VecParams,
    /// d̃(u): mean edge weight of u (Node2Vec+'s noise threshold with γ = 0).
    mean_w: Vec<f64>,
    stamp: Vec<usize>,
    w_prev: Vec<f64>,
    probs: Vec<f64>,
    step_id: usize,
}

impl<'g> Walker<'g> {
    fn new(graph: &'g Graph, params: &'g Node2VecParams) -> Walker<'g> {
        let n = graph.n_nodes();
        let mean_w = (0..n)
            .map(|u| {
                let w = graph.neighbor_weights(u);
                if w.is_empty() {
                    0.0
                } else {
                    w.iter().sum::<f64>() / w.len() as f64
                }
            })
            .collect();
        Walker {
            graph,
            params,
            mean_w,
            stamp: vec![usize::MAX; n],
            w_prev: vec![0.0; n],
            probs: Vec::new(),
            step_id: 0,
        }
    }

    /// One walk of `walk_length` nodes from `start`.
    fn walk(&mut self, start: usize, rng: &mut ChaCha8Rng) -> Vec<usize> {
        let (graph, p) = (self.graph, self.params);
        let mut walk = Vec::with_capacity(p.walk_length);
        walk.push(start);
        while walk.len() < p.walk_length {
            let v = walk[walk.len() - 1];
            let nb = graph.neighbors(v);
            if nb.is_empty() {
                break;
            }
            let wv = graph.neighbor_weights(v);
            self.probs.clear();
            if walk.len() == 1 {
                self.probs.extend_from_slice(wv);
            } else {
                let t = walk[walk.len() - 2];
                self.step_id += 1;
                let step_id = self.step_id;
                for (&y, &w) in graph.neighbors(t).iter().zip(graph.neighbor_weights(t)) {
                    self.stamp[y] = step_id;
                    self.w_prev[y] = w;
                }
                let w_vt = graph.weight(v, t).unwrap_or(0.0);
                let loose_last = w_vt < self.mean_w[v];
                for (&x, &w) in nb.iter().zip(wv) {
                    let alpha = if x == t {
                        1.0 / p.p
                    } else if !p.plus {
                        if self.stamp[x] == step_id {
                            1.0
                        } else {
                            1.0 / p.q
                        }
                    } else {
                        let wt = if self.stamp[x] == step_id && self.mean_w[x] > 0.0 {
                            self.w_prev[x] / self.mean_w[x]
                        } else {
                            0.0
                        };
                        if wt >= 1.0 {
                            1.0
                        } else if loose_last {
                            (1.0 / p.q).min(1.0)
                        } else {
                            1.0 / p.q + (1.0 - 1.0 / p.q) * wt
                        }
                    };
                    self.probs.push(alpha * w);
                }
            }
            walk.push(nb[sample(&self.probs, rng)]);
        }
        walk
    }
}

/// Index drawn ∝ `weights` (all > 0, at least one).
fn sample(weights: &[f64], rng: &mut ChaCha8Rng) -> usize {
    let total: f64 = weights.iter().sum();
    let mut u = rng.gen::<f64>() * total;
    for (i, &w) in weights.iter().enumerate() {
        if u < w {
            return i;
        }
        u -= w;
    }
    weights.len() - 1
}

/// Dot product with 8 independent partial sums, so the compiler can vectorise it (a plain
/// float `sum` must keep its sequential order and does not).
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0.0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in ca.zip(cb) {
        for k in 0..8 {
            acc[k] += x[k] * y[k];
        }
    }
    acc.iter().sum::<f32>() + tail
}

fn sigmoid(x: f32) -> f32 {
    if x > 8.0 {
        1.0
    } else if x < -8.0 {
        0.0
    } else {
        1.0 / (1.0 + (-x).exp())
    }
}

/// Skip-gram with negative sampling over `walks` (module docs), negatives ∝ `freq`^0.75.
/// With `trainable = None` every vector trains; with a mask only the masked nodes' input and
/// output vectors do, and only the pairs with a masked centre or context are visited (the
/// others have nothing to train but a rare masked negative).
fn skip_gram(
    p: &Node2VecParams,
    walks: &[Vec<usize>],
    freq: &[f64],
    emb: &mut [f32],
    out: &mut [f32],
    trainable: Option<&[bool]>,
    rng: &mut ChaCha8Rng,
) {
    let n = freq.len();
    let dim = p.dim;
    // Negative-sampling distribution: frequency^0.75, as a cumulative table.
    let mut cum = Vec::with_capacity(n);
    let mut acc = 0.0;
    for f in freq {
        acc += f.powf(0.75);
        cum.push(acc);
    }
    if acc <= 0.0 {
        return;
    }
    let trains = |u: usize| trainable.is_none_or(|m| m[u]);
    let total_steps = (p.epochs * walks.iter().map(Vec::len).sum::<usize>()).max(1) as f64;
    let mut done = 0usize;
    let mut grad = vec![0.0f32; dim];
    for _ in 0..p.epochs {
        for walk in walks {
            for (i, &u) in walk.iter().enumerate() {
                let lr = (p.learning_rate * (1.0 - done as f64 / total_steps).max(1e-4)) as f32;
                done += 1;
                // word2vec's shrunk window: uniform in 1..=window, so near neighbours
                // count more on average.
                let win = rng.gen_range(1..=p.window);
                let lo = i.saturating_sub(win);
                let hi = (i + win + 1).min(walk.len());
                let train_u = trains(u);
                for (j, &c) in walk.iter().enumerate().take(hi).skip(lo) {
                    if j == i || !(train_u || trains(c)) {
                        continue;
                    }
                    grad.iter_mut().for_each(|g| *g = 0.0);
                    let eu = &emb[u * dim..(u + 1) * dim];
                    for k in 0..=p.negatives {
                        let (target, label) = if k == 0 {
                            (c, 1.0f32)
                        } else {
                            let r = rng.gen::<f64>() * acc;
                            let s = cum.partition_point(|&x| x <= r).min(n - 1);
                            if s == c {
                                continue;
                            }
                            (s, 0.0f32)
                        };
                        let o = &mut out[target * dim..(target + 1) * dim];
                        let g = (label - sigmoid(dot(eu, o))) * lr;
                        if trains(target) {
                            for ((gr, ov), ev) in grad.iter_mut().zip(o.iter_mut()).zip(eu) {
                                *gr += g * *ov;
                                *ov += g * ev;
                            }
                        } else {
                            for (gr, ov) in grad.iter_mut().zip(o.iter()) {
                                *gr += g * *ov;
                            }
                        }
                    }
                    if train_u {
                        let eu = &mut emb[u * dim..(u + 1) * dim];
                        for (e, g) in eu.iter_mut().zip(&grad) {
                            *e += g;
                        }
                    }
                }
            }
        }
    }
}

/// The input vectors as [`Embeddings`], or an error when training diverged.
fn to_embeddings(input: &[f32], n: usize, p: &Node2VecParams) -> Result<Embeddings, GraphError> {
    let data: Vec<f64> = input.iter().map(|&x| x as f64).collect();
    if data.iter().any(|x| !x.is_finite()) {
        return Err(GraphError::InvalidParam {
            name: "learning_rate",
            value: p.learning_rate,
            reason: "training diverged (non-finite embedding); lower it",
        });
    }
    Ok(Embeddings {
        n_nodes: n,
        dim: p.dim,
        data,
    })
}

impl GraphEmbedder for Node2Vec {
    fn id(&self) -> &'static str {
        if self.params.plus {
            "node2vec+"
        } else {
            "node2vec"
        }
    }

    /// Walks, then skip-gram; see the module docs. Nodes without edges keep their random
    /// initial vector (small, seeded).
    fn embed(&self, graph: &Graph, seed: u64) -> Result<Embeddings, GraphError> {
        Ok(self.fitted(graph, seed)?.embeddings)
    }
}

impl InductiveEmbedder for Node2Vec {
    fn fit(&self, graph: &Graph, seed: u64) -> Result<Box<dyn FittedEmbedder>, GraphError> {
        Ok(Box::new(self.fitted(graph, seed)?))
    }
}

/// A trained Node2Vec / Node2Vec+: the input (embedding) and output (context) vectors of
/// skip-gram, and each node's visits in the training walks (the negative-sampling law).
#[derive(Debug, Clone, PartialEq)]
pub struct FittedNode2Vec {
    params: Node2VecParams,
    id: &'static str,
    kinds: Vec<NodeKind>,
    input: Vec<f32>,
    output: Vec<f32>,
    freq: Vec<f64>,
    /// Σ_u weighted degree of u in the training graph.
    total_weight: f64,
    embeddings: Embeddings,
}

impl FittedNode2Vec {
    /// The output (context) vector of training node `u`.
    ///
    /// # Panics
    /// When `u` is not a node of the training graph.
    pub fn context(&self, u: usize) -> &[f32] {
        &self.output[u * self.params.dim..(u + 1) * self.params.dim]
    }

    /// Most walk rounds an extension runs, per `walks_per_node` (bounds the cost for a new
    /// node that the walks from it seldom revisit).
    pub const MAX_ROUNDS_FACTOR: usize = 20;
}

impl FittedNode2Vec {
    /// Reads the fields [`FittedEmbedder::to_bytes`] wrote (after the tag).
    pub(crate) fn read(r: &mut Reader<'_>) -> Result<FittedNode2Vec, GraphError> {
        let params = Node2VecParams {
            dim: r.usize()?,
            walk_length: r.usize()?,
            walks_per_node: r.usize()?,
            window: r.usize()?,
            negatives: r.usize()?,
            epochs: r.usize()?,
            learning_rate: r.f64()?,
            p: r.f64()?,
            q: r.f64()?,
            plus: r.u8()? != 0,
        };
        // Validated as a new embedder would be: a saved file is outside input.
        let embedder = Node2Vec::new(params)?;
        let kinds = r.kinds()?;
        let input = r.f32s()?;
        let output = r.f32s()?;
        let freq = r.f64s()?;
        let total_weight = r.f64()?;
        let embeddings = r.embeddings()?;
        let n = kinds.len();
        if input.len() != n * params.dim
            || output.len() != n * params.dim
            || freq.len() != n
            || embeddings.n_nodes != n
        {
            return Err(saved(format!(
                "Node2Vec state does not match its {n} nodes of dimension {}",
                params.dim
            )));
        }
        Ok(FittedNode2Vec {
            params,
            id: embedder.id(),
            kinds,
            input,
            output,
            freq,
            total_weight,
            embeddings,
        })
    }
}

impl FittedEmbedder for FittedNode2Vec {
    fn id(&self) -> &'static str {
        self.id
    }

    fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::new(TAG_NODE2VEC);
        let p = &self.params;
        for v in [
            p.dim,
            p.walk_length,
            p.walks_per_node,
            p.window,
            p.negatives,
            p.epochs,
        ] {
            w.usize(v);
        }
        w.f64(p.learning_rate);
        w.f64(p.p);
        w.f64(p.q);
        w.u8(u8::from(p.plus));
        w.kinds(&self.kinds);
        w.f32s(&self.input);
        w.f32s(&self.output);
        w.f64s(&self.freq);
        w.f64(self.total_weight);
        w.embeddings(&self.embeddings);
        w.into_bytes()
    }

    fn embeddings(&self) -> &Embeddings {
        &self.embeddings
    }

    /// Frozen old vectors, walks from the new nodes, skip-gram on the new nodes' vectors
    /// (module docs of [`crate::inductive`]). Walks run in rounds (one walk from every new
    /// node with an edge, in a seeded shuffled order) for at least `walks_per_node` rounds
    /// and until every new node `u` was visited `ŵ(u) · F / W` times (its weighted degree
    /// `ŵ(u)` in `graph` times the training walks' visits per unit of weighted degree), at
    /// most [`Self::MAX_ROUNDS_FACTOR`] · `walks_per_node` rounds. A new node without edges
    /// keeps its seeded random initial vector, as in training.
    fn extend(
        &self,
        graph: &Graph,
        _features: Option<&NodeFeatures>,
        new_nodes: &[usize],
        seed: u64,
    ) -> Result<Embeddings, GraphError> {
        let mask = new_node_mask(&self.kinds, graph, new_nodes)?;
        let p = &self.params;
        let (n, n0, dim) = (graph.n_nodes(), self.kinds.len(), p.dim);
        // Visits per unit of weighted degree in the training walks.
        let per_weight = if self.total_weight > 0.0 {
            self.freq.iter().sum::<f64>() / self.total_weight
        } else {
            0.0
        };
        let freq: Vec<f64> = (0..n)
            .map(|u| {
                if mask[u] {
                    per_weight * weighted_degree(graph, u)
                } else {
                    self.freq[u]
                }
            })
            .collect();
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(2);
        let mut walker = Walker::new(graph, p);
        let mut order: Vec<usize> = (0..n).filter(|&u| mask[u] && graph.degree(u) > 0).collect();
        let mut visits = vec![0.0f64; n];
        let mut walks = Vec::new();
        for round in 0..Self::MAX_ROUNDS_FACTOR * p.walks_per_node {
            if round >= p.walks_per_node && order.iter().all(|&u| visits[u] >= freq[u]) {
                break;
            }
            shuffle(&mut order, &mut rng);
            for &start in &order {
                let w = walker.walk(start, &mut rng);
                for &x in &w {
                    visits[x] += 1.0;
                }
                walks.push(w);
            }
        }
        rng.set_stream(3);
        let mut input = Vec::with_capacity(n * dim);
        let mut output = Vec::with_capacity(n * dim);
        for (u, &is_new) in mask.iter().enumerate() {
            if is_new {
                input.extend((0..dim).map(|_| (rng.gen::<f32>() - 0.5) / dim as f32));
                output.extend(std::iter::repeat_n(0.0f32, dim));
            } else {
                debug_assert!(u < n0);
                input.extend_from_slice(&self.input[u * dim..(u + 1) * dim]);
                output.extend_from_slice(self.context(u));
            }
        }
        skip_gram(
            p,
            &walks,
            &freq,
            &mut input,
            &mut output,
            Some(&mask),
            &mut rng,
        );
        let all = to_embeddings(&input, n, p)?;
        Ok(merge_rows(&self.embeddings, &mask, &all))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two 12-node cliques joined by one weak edge (5–12).
    fn two_communities() -> Graph {
        let mut e = Vec::new();
        for c in 0..2 {
            for i in 0..12 {
                for j in i + 1..12 {
                    e.push((c * 12 + i, c * 12 + j, 1.0));
                }
            }
        }
        e.push((5, 12, 0.2));
        Graph::untyped(24, &e).unwrap()
    }

    fn small(plus: bool) -> Node2Vec {
        Node2Vec::new(Node2VecParams {
            dim: 32,
            plus,
            ..Node2VecParams::default()
        })
        .unwrap()
    }

    #[test]
    fn same_seed_same_embedding_other_seed_other_embedding() {
        let g = two_communities();
        for plus in [false, true] {
            let n = small(plus);
            let a = n.embed(&g, 3).unwrap();
            assert_eq!(a, n.embed(&g, 3).unwrap());
            assert_ne!(a, n.embed(&g, 4).unwrap());
            assert!(a.data.iter().all(|x| x.is_finite()));
        }
    }

    #[test]
    fn communities_are_closer_inside_than_across() {
        let g = two_communities();
        for plus in [false, true] {
            let e = small(plus).embed(&g, 11).unwrap();
            let (mut inside, mut ni, mut across, mut na) = (0.0, 0, 0.0, 0);
            for a in 0..24 {
                for b in a + 1..24 {
                    if (a < 12) == (b < 12) {
                        inside += e.cosine(a, b);
                        ni += 1;
                    } else {
                        across += e.cosine(a, b);
                        na += 1;
                    }
                }
            }
            let (inside, across) = (inside / ni as f64, across / na as f64);
            assert!(
                inside > across + 0.2,
                "plus={plus}: inside {inside:.3}, across {across:.3}"
            );
        }
    }

    #[test]
    fn walks_follow_edges_and_have_full_length() {
        // A path 0-1-2-3 plus a star 4-{5,6,7} and an isolated node 8.
        let g = Graph::untyped(
            9,
            &[
                (0, 1, 1.0),
                (1, 2, 0.5),
                (2, 3, 2.0),
                (4, 5, 1.0),
                (4, 6, 1.0),
                (4, 7, 0.1),
            ],
        )
        .unwrap();
        for plus in [false, true] {
            for (p, q) in [(1.0, 1.0), (0.25, 4.0), (4.0, 0.25)] {
                let n = Node2Vec::new(Node2VecParams {
                    p,
                    q,
                    plus,
                    ..Node2VecParams::default()
                })
                .unwrap();
                let walks = n.walks(&g, 5);
                assert_eq!(
                    walks.len(),
                    8 * 10,
                    "every node with an edge starts 10 walks"
                );
                for w in &walks {
                    assert_eq!(w.len(), 20);
                    for s in w.windows(2) {
                        assert!(g.weight(s[0], s[1]).is_some(), "step {s:?} has no edge");
                    }
                    assert!(!w.contains(&8));
                }
            }
        }
    }

    #[test]
    fn return_parameter_controls_backtracking() {
        // On a path, the only choices are back or forward: a small p makes walks turn back.
        let edges: Vec<(usize, usize, f64)> = (0..29).map(|i| (i, i + 1, 1.0)).collect();
        let g = Graph::untyped(30, &edges).unwrap();
        let back_rate = |p: f64| {
            let n = Node2Vec::new(Node2VecParams {
                p,
                q: 1.0,
                ..Node2VecParams::default()
            })
            .unwrap();
            let (mut back, mut all) = (0usize, 0usize);
            for w in n.walks(&g, 1) {
                for s in w.windows(3) {
                    if g.degree(s[1]) == 2 {
                        all += 1;
                        back += usize::from(s[0] == s[2]);
                    }
                }
            }
            back as f64 / all as f64
        };
        // Exact probabilities: (1/p) / (1/p + 1).
        assert!((back_rate(0.25) - 0.8).abs() < 0.03);
        assert!((back_rate(4.0) - 0.2).abs() < 0.03);
    }

    /// Empirical frequencies of the step after t → v, over many walks.
    fn next_after(g: &Graph, plus: bool, t: usize, v: usize) -> Vec<f64> {
        let n = Node2Vec::new(Node2VecParams {
            walks_per_node: 400,
            p: 1.0,
            q: 0.5,
            plus,
            ..Node2VecParams::default()
        })
        .unwrap();
        let mut counts = vec![0.0; g.n_nodes()];
        for w in n.walks(g, 13) {
            for s in w.windows(3) {
                if s[0] == t && s[1] == v {
                    counts[s[2]] += 1.0;
                }
            }
        }
        let total: f64 = counts.iter().sum();
        counts.iter().map(|c| c / total).collect()
    }

    #[test]
    fn node2vec_plus_grades_a_weak_common_neighbour_as_outward() {
        // t = 0, v = 1; x1 = 2 tightly and x2 = 3 weakly linked to t.
        let g = Graph::untyped(
            4,
            &[
                (0, 1, 1.0),
                (1, 2, 1.0),
                (1, 3, 1.0),
                (0, 2, 1.0),
                (0, 3, 0.1),
            ],
        )
        .unwrap();
        // Node2Vec: x1 and x2 are both neighbours of t, so α = 1/p = 1 = 1 for all three.
        let plain = next_after(&g, false, 0, 1);
        for x in [0, 2, 3] {
            assert!((plain[x] - 1.0 / 3.0).abs() < 0.03, "{plain:?}");
        }
        // Node2Vec+: d̃(x2) = 0.55, w̃(t, x2) = 0.1 / 0.55, α(x2) = 1/q + (1 − 1/q)·w̃ = 2 − 0.1818
        // (hand-computed), α(t) = α(x1) = 1: probabilities 1, 1, 1.818 over 3.818.
        let plus = next_after(&g, true, 0, 1);
        let a2 = 2.0 - 0.1 / 0.55;
        let z = 2.0 + a2;
        for (x, want) in [(0, 1.0 / z), (2, 1.0 / z), (3, a2 / z)] {
            assert!(
                (plus[x] - want).abs() < 0.03,
                "x{x}: {} vs {want} ({plus:?})",
                plus[x]
            );
        }
    }

    #[test]
    fn invalid_parameters_are_rejected() {
        let d = Node2VecParams::default();
        for p in [
            Node2VecParams { dim: 0, ..d },
            Node2VecParams {
                walk_length: 1,
                ..d
            },
            Node2VecParams {
                walks_per_node: 0,
                ..d
            },
            Node2VecParams { window: 0, ..d },
            Node2VecParams { negatives: 0, ..d },
            Node2VecParams { epochs: 0, ..d },
            Node2VecParams {
                learning_rate: 0.0,
                ..d
            },
            Node2VecParams { p: -1.0, ..d },
            Node2VecParams { q: f64::NAN, ..d },
        ] {
            assert!(
                matches!(Node2Vec::new(p), Err(GraphError::InvalidParam { .. })),
                "{p:?}"
            );
        }
    }

    #[test]
    fn isolated_nodes_get_their_seeded_initial_vector() {
        let g = Graph::untyped(3, &[(0, 1, 1.0)]).unwrap();
        let e = small(false).embed(&g, 9).unwrap();
        assert!(e.row(2).iter().all(|x| x.abs() <= 0.5 / 32.0 + 1e-9));
    }
}
