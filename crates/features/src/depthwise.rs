//! Depth-wise 2-D convolution (one `k × k` filter per channel, stride 1) as a direct CPU loop,
//! for VAN's and ConvNeXt's depth-wise layers.
//!
//! candle-core 0.11.1's `conv2d` with `groups > 1` splits input and kernel into one chunk per
//! group, runs an im2col + matrix product per chunk and concatenates: with `groups` equal to the
//! channel count (up to 2 048 in VAN-base) that is thousands of tiny matrix products per layer,
//! and it made VAN and ConvNeXt many times slower than PyTorch on the same CPU. Here each output
//! plane starts at the bias and adds, tap by tap, the weight times the shifted input rows
//! (`out[y, x] += w[i, j] · in[y + i·d − p, x + j·d − p]`, zero outside the input), contiguous
//! row slices the compiler vectorises; planes are spread over rayon's pool.

use candle_core::{CpuStorage, CustomOp1, Layout, Shape, Tensor};
use candle_nn::VarBuilder;
use rayon::prelude::*;

/// A loaded depth-wise convolution in PyTorch's `Conv2d(c, c, k, padding, dilation, groups=c)`
/// layout: `weight (c, 1, k, k)` and `bias (c)`.
pub(crate) struct DepthWise {
    weight: Vec<f32>,
    bias: Vec<f32>,
    channels: usize,
    k: usize,
    padding: usize,
    dilation: usize,
}

impl DepthWise {
    /// Reads `weight` and `bias` under `vb`.
    pub(crate) fn load(
        channels: usize,
        k: usize,
        padding: usize,
        dilation: usize,
        vb: VarBuilder,
    ) -> candle_core::Result<Self> {
        Ok(Self {
            weight: vb
                .get((channels, 1, k, k), "weight")?
                .flatten_all()?
                .to_vec1()?,
            bias: vb.get(channels, "bias")?.to_vec1()?,
            channels,
            k,
            padding,
            dilation,
        })
    }

    /// `(b, c, H, W)` → `(b, c, H + 2p − d(k − 1), W + 2p − d(k − 1))`.
    pub(crate) fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        x.contiguous()?.apply_op1_no_bwd(self)
    }
}

impl CustomOp1 for DepthWise {
    fn name(&self) -> &'static str {
        "depth-wise-conv2d"
    }

    fn cpu_fwd(
        &self,
        storage: &CpuStorage,
        layout: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let (b, c, h, w) = layout.shape().dims4()?;
        if c != self.channels {
            candle_core::bail!("depth-wise conv of {} channels got {c}", self.channels);
        }
        let CpuStorage::F32(all) = storage else {
            candle_core::bail!("depth-wise conv: f32 input expected");
        };
        let Some((start, end)) = layout.contiguous_offsets() else {
            candle_core::bail!("depth-wise conv: contiguous input expected");
        };
        let x = &all[start..end];
        let span = self.dilation * (self.k - 1);
        let (ho, wo) = match (
            (h + 2 * self.padding).checked_sub(span),
            (w + 2 * self.padding).checked_sub(span),
        ) {
            (Some(ho), Some(wo)) if ho > 0 && wo > 0 => (ho, wo),
            _ => candle_core::bail!("depth-wise conv: {h}×{w} input smaller than the kernel"),
        };
        let (k, d, p) = (self.k, self.dilation as isize, self.padding as isize);
        let mut out = vec![0f32; b * c * ho * wo];
        out.par_chunks_mut(ho * wo)
            .enumerate()
            .for_each(|(plane, o)| {
                let ch = plane % c;
                let input = &x[plane * h * w..(plane + 1) * h * w];
                o.fill(self.bias[ch]);
                for i in 0..k {
                    let dy = i as isize * d - p;
                    for j in 0..k {
                        let wv = self.weight[(ch * k + i) * k + j];
                        let dx = j as isize * d - p;
                        // Output columns whose input column x + dx lies inside the image.
                        let x0 = (-dx).max(0) as usize;
                        let x1 = (w as isize - dx).min(wo as isize).max(0) as usize;
                        if x0 >= x1 {
                            continue;
                        }
                        for y in 0..ho {
                            let sy = y as isize + dy;
                            if sy < 0 || sy >= h as isize {
                                continue;
                            }
                            let row = sy as usize * w;
                            let src = &input[(row as isize + x0 as isize + dx) as usize
                                ..(row as isize + x1 as isize + dx) as usize];
                            let dst = &mut o[y * wo + x0..y * wo + x1];
                            for (o, s) in dst.iter_mut().zip(src) {
                                *o += wv * s;
                            }
                        }
                    }
                }
            });
        Ok((CpuStorage::F32(out), Shape::from((b, c, ho, wo))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{DType, Device, Module};
    use candle_nn::{Conv2dConfig, VarMap};

    /// Same outputs as candle's grouped `conv2d` for the kernels VAN and ConvNeXt use (and
    /// shapes where the padding is less than the reach of the kernel).
    #[test]
    fn matches_candle_grouped_conv2d() {
        for (c, k, padding, dilation, h, w) in [
            (3, 3, 1, 1, 9, 11),
            (4, 5, 2, 1, 7, 6),
            (2, 7, 9, 3, 8, 13),
            (5, 7, 3, 1, 10, 7),
            (3, 3, 0, 1, 5, 6),
            (2, 3, 1, 2, 6, 9),
        ] {
            let map = VarMap::new();
            let vb = VarBuilder::from_varmap(&map, DType::F32, &Device::Cpu);
            let cfg = Conv2dConfig {
                padding,
                dilation,
                groups: c,
                ..Default::default()
            };
            // Random weights and bias (candle_nn's initialisers); `load` reads the same ones.
            let reference = candle_nn::conv2d(c, c, k, cfg, vb.pp("conv")).unwrap();
            let ours = DepthWise::load(c, k, padding, dilation, vb.pp("conv")).unwrap();
            let x = Tensor::randn(0f32, 1.0, (2, c, h, w), &Device::Cpu).unwrap();
            let want = reference.forward(&x).unwrap();
            let got = ours.forward(&x).unwrap();
            assert_eq!(want.dims(), got.dims(), "k {k} p {padding} d {dilation}");
            let diff = (want - got)
                .unwrap()
                .abs()
                .unwrap()
                .flatten_all()
                .unwrap()
                .max(0)
                .unwrap()
                .to_scalar::<f32>()
                .unwrap();
            assert!(
                diff < 1e-5,
                "k {k} p {padding} d {dilation}: max diff {diff}"
            );
        }
    }
}
