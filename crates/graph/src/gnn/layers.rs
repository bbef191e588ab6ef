//! The building blocks of the GNN layers on candle: the [`Encoder`] trait, the graph as
//! index tensors, weight initialisation and chunked message passing.
//!
//! **Message passing** uses only `index_select` (gather rows of the source nodes of every
//! directed edge) and `index_add` (sum messages into their destination rows): candle 0.11.1's
//! `scatter_add` backward is wrong when the index is shorter than the destination, while the
//! backward of `index_select` is an `index_add` and vice versa, both exact.

use crate::graph::Graph;
use candle_core::{DType, Device, Tensor, Var};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// A message-passing encoder over fixed node features (held inside): → embeddings `(n, dim)`.
pub(crate) trait Encoder {
    /// The embeddings of every node.
    fn forward(&self) -> candle_core::Result<Tensor>;
    /// The trainable parameters.
    fn vars(&self) -> Vec<Var>;
}

/// The directed edges of `graph` (both directions of every undirected edge), as
/// `(source, destination, weight)`, grouped by destination.
pub(crate) fn directed_edges(graph: &Graph) -> Vec<(u32, u32, f64)> {
    let mut out = Vec::with_capacity(2 * graph.n_edges());
    for i in 0..graph.n_nodes() {
        for (&j, &w) in graph.neighbors(i).iter().zip(graph.neighbor_weights(i)) {
            out.push((j as u32, i as u32, w));
        }
    }
    out
}

/// An index tensor (u32) on the CPU.
pub(crate) fn index(v: Vec<u32>) -> candle_core::Result<Tensor> {
    let n = v.len();
    Tensor::from_vec(v, n, &Device::Cpu)
}

/// A float tensor of `dtype` from f64 values.
pub(crate) fn floats(v: Vec<f64>, shape: &[usize], dtype: DType) -> candle_core::Result<Tensor> {
    Tensor::from_vec(v, shape, &Device::Cpu)?.to_dtype(dtype)
}

/// Glorot-uniform `rows × cols` weights, U(±√(6 / (fan_in + fan_out))).
pub(crate) fn glorot(
    rng: &mut ChaCha8Rng,
    rows: usize,
    cols: usize,
    fans: (usize, usize),
    dtype: DType,
) -> candle_core::Result<Var> {
    let a = (6.0 / (fans.0 + fans.1) as f64).sqrt();
    let v: Vec<f64> = (0..rows * cols).map(|_| rng.gen_range(-a..a)).collect();
    Var::from_tensor(&floats(v, &[rows, cols], dtype)?)
}

/// A zero `(len,)` bias.
pub(crate) fn zeros(len: usize, dtype: DType) -> candle_core::Result<Var> {
    Var::zeros(len, dtype, &Device::Cpu)
}

/// Most elements one element-wise candle op sees here. candle 0.11.1 sends element-wise maps
/// of ≥ 65 536 elements to a global spin-waiting thread pool whose threads are pinned to
/// cores; on a shared 2-core machine, with the evaluator running one target per core, that
/// made one image-zoo GraphSAGE embedding take 7–13 s of wall-clock time instead of ≈ 1 s.
/// Edge-sized tensors are therefore processed in row chunks below this size.
pub(crate) const MAX_ELEMWISE: usize = 32 * 1024;

/// Rows per chunk for rows of `width` elements.
pub(crate) fn chunk_rows(width: usize) -> usize {
    (MAX_ELEMWISE / width.max(1)).max(1)
}

/// Message passing: `out[i] = Σ_e: dst_e = i  scale_e ⊙ h[src_e]` for `n` destinations, with
/// `h` of shape `(n_src, …)` and `scale` broadcastable to `(E, …)` — gathered with
/// `index_select`, summed with `index_add`, edges in chunks (see [`MAX_ELEMWISE`]).
pub(crate) fn propagate(
    h: &Tensor,
    src: &Tensor,
    dst: &Tensor,
    scale: &Tensor,
    n: usize,
) -> candle_core::Result<Tensor> {
    let mut shape = h.dims().to_vec();
    shape[0] = n;
    let width: usize = shape[1..].iter().product();
    let e = src.dim(0)?;
    let rows = chunk_rows(width);
    let mut out = Tensor::zeros(shape, h.dtype(), h.device())?;
    let mut start = 0;
    while start < e {
        let len = rows.min(e - start);
        let msg = h
            .index_select(&src.narrow(0, start, len)?, 0)?
            .broadcast_mul(&scale.narrow(0, start, len)?)?;
        out = out.index_add(&dst.narrow(0, start, len)?, &msg, 0)?;
        start += len;
    }
    Ok(out)
}

/// `z_u · z_v` for every pair `(u_k, v_k)`, in chunks (see [`MAX_ELEMWISE`]).
pub(crate) fn pair_dots(z: &Tensor, u: &Tensor, v: &Tensor) -> candle_core::Result<Tensor> {
    let e = u.dim(0)?;
    let rows = chunk_rows(z.dim(1)?);
    let mut parts = Vec::with_capacity(e.div_ceil(rows));
    let mut start = 0;
    while start < e {
        let len = rows.min(e - start);
        let zu = z.index_select(&u.narrow(0, start, len)?, 0)?;
        let zv = z.index_select(&v.narrow(0, start, len)?, 0)?;
        parts.push((zu * zv)?.sum(1)?);
        start += len;
    }
    if parts.is_empty() {
        return Tensor::zeros(0, z.dtype(), z.device());
    }
    Tensor::cat(&parts, 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn chunked_propagation_and_dots_match_the_unchunked_ones() {
        // More rows than one chunk holds, so several chunks run.
        let (n, d, e) = (40usize, 1000usize, 300usize);
        let mut r = ChaCha8Rng::seed_from_u64(2);
        let h = floats(
            (0..n * d).map(|_| r.gen_range(-1.0..1.0)).collect(),
            &[n, d],
            DType::F64,
        )
        .unwrap();
        let src: Vec<u32> = (0..e).map(|_| r.gen_range(0..n as u32)).collect();
        let dst: Vec<u32> = (0..e).map(|_| r.gen_range(0..n as u32)).collect();
        let sc: Vec<f64> = (0..e).map(|_| r.gen_range(0.0..1.0)).collect();
        assert!(chunk_rows(d) < e);
        let scale = floats(sc.clone(), &[e, 1], DType::F64).unwrap();
        let out: Vec<Vec<f64>> = propagate(
            &h,
            &index(src.clone()).unwrap(),
            &index(dst.clone()).unwrap(),
            &scale,
            n,
        )
        .unwrap()
        .to_vec2()
        .unwrap();
        let hv: Vec<Vec<f64>> = h.to_vec2().unwrap();
        let mut want = vec![vec![0.0; d]; n];
        for k in 0..e {
            for c in 0..d {
                want[dst[k] as usize][c] += sc[k] * hv[src[k] as usize][c];
            }
        }
        for (a, b) in out.iter().flatten().zip(want.iter().flatten()) {
            assert!((a - b).abs() < 1e-12);
        }
        let dots: Vec<f64> = pair_dots(
            &h,
            &index(src.clone()).unwrap(),
            &index(dst.clone()).unwrap(),
        )
        .unwrap()
        .to_vec1()
        .unwrap();
        for k in 0..e {
            let w: f64 = (0..d)
                .map(|c| hv[src[k] as usize][c] * hv[dst[k] as usize][c])
                .sum();
            assert!((dots[k] - w).abs() < 1e-10);
        }
    }
}
