//! tf.image.resize: bilinear and nearest neighbour with half-pixel centres, area (coverage
//! weights) and bicubic (TensorFlow's Keys cubic table); antialiased bilinear and bicubic and
//! the lanczos, gaussian and mitchell kernels through ScaleAndTranslate's taps. Each uses
//! TensorFlow's arithmetic so results agree to float rounding.

use super::image::{as_f32, dims, out_shape};
use super::sampling::{scale_taps, SamplingKernel};
use crate::engine::memory::{bytes_of, probe};
use crate::engine::{Buffer, Error, Result, Tensor};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResizeMethod {
    Bilinear,
    Nearest,
    Area,
    Bicubic,
    /// A sampling kernel applied as ScaleAndTranslate applies it.
    Kernel {
        kernel: SamplingKernel,
        antialias: bool,
    },
}

impl ResizeMethod {
    /// tf.image.resize's `method` names; `antialias` matters for bilinear, bicubic and the
    /// kernel methods, as in TensorFlow (nearest and area ignore it).
    pub fn parse(name: &str, antialias: bool) -> Result<ResizeMethod> {
        let kernel = |kernel| ResizeMethod::Kernel { kernel, antialias };
        Ok(match (name, antialias) {
            ("bilinear", false) => ResizeMethod::Bilinear,
            ("bilinear", true) => kernel(SamplingKernel::Triangle),
            ("bicubic", false) => ResizeMethod::Bicubic,
            ("bicubic", true) => kernel(SamplingKernel::KeysCubic),
            ("nearest", _) => ResizeMethod::Nearest,
            ("area", _) => ResizeMethod::Area,
            ("lanczos3", _) => kernel(SamplingKernel::Lanczos3),
            ("lanczos5", _) => kernel(SamplingKernel::Lanczos5),
            ("gaussian", _) => kernel(SamplingKernel::Gaussian),
            ("mitchellcubic", _) => kernel(SamplingKernel::MitchellCubic),
            (other, _) => {
                return Err(Error::invalid(format!(
                    "resize method must be bilinear, nearest, bicubic, area, lanczos3, \
                     lanczos5, gaussian or mitchellcubic, got {other:?}"
                )))
            }
        })
    }
}

/// tf.image.resize: float32 output, except nearest neighbour, which keeps the input dtype.
/// Where an output pixel samples the input: TensorFlow 2's half-pixel centres, or
/// TensorFlow 1's corners-at-zero grid (`Asymmetric`) and `align_corners=True` grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grid {
    HalfPixel,
    Asymmetric,
    AlignCorners,
}

impl Grid {
    /// The input size over the output size, as TensorFlow computes it in float32.
    fn scale(self, input: usize, output: usize) -> f32 {
        match self {
            Grid::AlignCorners if output > 1 => (input - 1) as f32 / (output - 1) as f32,
            Grid::AlignCorners => 0.0,
            _ => input as f32 / output as f32,
        }
    }

    /// The input coordinate output pixel `o` samples, for bilinear interpolation.
    fn source(self, o: usize, scale: f32) -> f32 {
        match self {
            Grid::HalfPixel => (o as f32 + 0.5) * scale - 0.5,
            _ => o as f32 * scale,
        }
    }

    /// The input pixel output pixel `o` takes, for nearest neighbour.
    fn nearest(self, o: usize, scale: f32, size: usize) -> usize {
        let at = match self {
            Grid::HalfPixel => ((o as f32 + 0.5) * scale).floor(),
            Grid::Asymmetric => (o as f32 * scale).floor(),
            Grid::AlignCorners => (o as f32 * scale).round(),
        };
        (at as usize).min(size - 1)
    }
}

/// The image's dimensions, once the output size (an argument) is known to fit in memory:
/// checked before it is allocated.
fn checked_dims(t: &Tensor, out_h: usize, out_w: usize) -> Result<(usize, usize, usize, usize)> {
    let (n, h, w, c) = dims(t, "resize")?;
    if h == 0 || w == 0 {
        return Err(Error::InvalidArgument(format!(
            "resize: the input image must be of non-zero size, got shape {:?}",
            t.shape()
        )));
    }
    let what = || format!("resize: {n} images of {out_h}x{out_w}x{c}");
    let samples = [n, out_h, out_w, c]
        .into_iter()
        .try_fold(1usize, |acc, d| bytes_of(acc, d, &what))?;
    probe(bytes_of(samples, std::mem::size_of::<f32>(), &what)?, &what)?;
    Ok((n, h, w, c))
}

/// TensorFlow 1's `resize_bilinear` (float32 out) and `resize_nearest_neighbor` (the
/// input's dtype), on `grid`.
pub fn resize_v1(
    t: &Tensor,
    out_h: usize,
    out_w: usize,
    nearest_neighbour: bool,
    grid: Grid,
) -> Result<Tensor> {
    let (n, h, w, c) = checked_dims(t, out_h, out_w)?;
    if nearest_neighbour {
        return nearest(t, (n, h, w, c), (out_h, out_w), grid);
    }
    let geometry = ((n, h, w, c), (out_h, out_w));
    let out = match t.buffer() {
        Buffer::UInt8(v) => bilinear(v, geometry, grid),
        Buffer::Float32(v) => bilinear(v, geometry, grid),
        _ => bilinear(&as_f32(t)?, geometry, grid),
    };
    Tensor::new(out_shape(t, out_h, out_w, c), out)
}

pub fn resize(t: &Tensor, out_h: usize, out_w: usize, method: ResizeMethod) -> Result<Tensor> {
    let (n, h, w, c) = checked_dims(t, out_h, out_w)?;
    if method == ResizeMethod::Nearest {
        return nearest(t, (n, h, w, c), (out_h, out_w), Grid::HalfPixel);
    }
    let geometry = ((n, h, w, c), (out_h, out_w));
    // uint8 and float32 images are read where they lie; other dtypes are converted first.
    let out = match t.buffer() {
        Buffer::UInt8(v) => interpolate(v, geometry, method),
        Buffer::Float32(v) => interpolate(v, geometry, method),
        _ => interpolate(&as_f32(t)?, geometry, method),
    };
    Tensor::new(out_shape(t, out_h, out_w, c), out)
}

fn nearest(
    t: &Tensor,
    (n, h, w, c): (usize, usize, usize, usize),
    (out_h, out_w): (usize, usize),
    grid: Grid,
) -> Result<Tensor> {
    let (sy, sx) = (grid.scale(h, out_h), grid.scale(w, out_w));
    let src = |o: usize, scale: f32, size: usize| -> usize { grid.nearest(o, scale, size) };
    let xs: Vec<usize> = (0..out_w).map(|x| src(x, sx, w) * c).collect();
    let buffer = crate::match_buffer!(
        t.buffer(),
        v => {
            let mut out = Vec::with_capacity(n * out_h * out_w * c);
            for b in 0..n {
                for y in 0..out_h {
                    let row = (b * h + src(y, sy, h)) * w * c;
                    for &x in &xs {
                        out.extend_from_slice(&v[row + x..row + x + c]);
                    }
                }
            }
            Buffer::from(out)
        },
        _strings => {
            return Err(Error::invalid("resize: images must be numeric, got string values"));
        }
    );
    Tensor::new(out_shape(t, out_h, out_w, c), buffer)
}

/// An image value read as float32.
trait Sample: Copy {
    fn get(self) -> f32;
}

impl Sample for u8 {
    fn get(self) -> f32 {
        self as f32
    }
}

impl Sample for f32 {
    fn get(self) -> f32 {
        self
    }
}

type Geometry = ((usize, usize, usize, usize), (usize, usize));

/// Every method but nearest neighbour, reading `src` in place.
fn interpolate<T: Sample>(src: &[T], geometry: Geometry, method: ResizeMethod) -> Vec<f32> {
    match method {
        ResizeMethod::Area => resample(src, geometry, area_taps),
        ResizeMethod::Kernel { kernel, antialias } => resample(src, geometry, |o, scale, size| {
            scale_taps(o, scale, size, kernel, antialias)
        }),
        ResizeMethod::Bicubic => {
            let table = keys_cubic_table();
            resample(src, geometry, |o, scale, size| {
                cubic_taps(o, scale, size, &table)
            })
        }
        // Nearest neighbour never gets here: `resize` copies its values without converting.
        ResizeMethod::Bilinear | ResizeMethod::Nearest => bilinear(src, geometry, Grid::HalfPixel),
    }
}

/// Bilinear resizing, compiled a second time for AVX2 and chosen at run time where the CPU
/// has it: eight lanes instead of SSE2's four, the same arithmetic, so the same results.
fn bilinear<T: Sample>(src: &[T], geometry: Geometry, grid: Grid) -> Vec<f32> {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2, checked just above.
        return unsafe { bilinear_avx2(src, geometry, grid) };
    }
    bilinear_portable(src, geometry, grid)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn bilinear_avx2<T: Sample>(src: &[T], geometry: Geometry, grid: Grid) -> Vec<f32> {
    bilinear_portable(src, geometry, grid)
}

#[inline(always)]
fn bilinear_portable<T: Sample>(
    src: &[T],
    ((n, h, w, c), (out_h, out_w)): Geometry,
    grid: Grid,
) -> Vec<f32> {
    let (sy, sx) = (grid.scale(h, out_h), grid.scale(w, out_w));
    let weights = |o: usize, scale: f32, size: usize| -> (usize, usize, f32) {
        let v = grid.source(o, scale);
        let lo = v.floor();
        let lower = lo.max(0.0) as usize;
        let upper = (v.ceil() as isize).clamp(0, size as isize - 1) as usize;
        (lower.min(size - 1), upper, v - lo)
    };
    // Column offsets (in values) and weights, computed once per output column.
    let xs: Vec<(usize, usize, f32)> = (0..out_w)
        .map(|x| {
            let (x0, x1, dx) = weights(x, sx, w);
            (x0 * c, x1 * c, dx)
        })
        .collect();
    // Rows are blended first (a straight pass the compiler vectorises), then columns; the
    // order differs from TensorFlow's only in float rounding.
    let mut out = Vec::with_capacity(n * out_h * out_w * c);
    let mut blended = vec![0.0f32; w * c];
    for b in 0..n {
        for y in 0..out_h {
            let (y0, y1, dy) = weights(y, sy, h);
            let row0 = &src[(b * h + y0) * w * c..(b * h + y0 + 1) * w * c];
            let row1 = &src[(b * h + y1) * w * c..(b * h + y1 + 1) * w * c];
            blend_rows(row0, row1, dy, &mut blended);
            match c {
                1 => blend_columns::<1>(&blended, &xs, &mut out),
                3 => blend_columns::<3>(&blended, &xs, &mut out),
                4 => blend_columns::<4>(&blended, &xs, &mut out),
                _ => blend_any_columns(&blended, &xs, c, &mut out),
            }
        }
    }
    out
}

#[inline(always)]
fn blend_rows<T: Sample>(top: &[T], bottom: &[T], dy: f32, into: &mut [f32]) {
    for ((m, &t), &b) in into.iter_mut().zip(top).zip(bottom) {
        let (t, b) = (t.get(), b.get());
        *m = t + (b - t) * dy;
    }
}

/// One output row from a blended input row: each output pixel mixes its two source pixels
/// of `C` channels (a constant, so the channel loop unrolls).
#[inline(always)]
fn blend_columns<const C: usize>(row: &[f32], xs: &[(usize, usize, f32)], out: &mut Vec<f32>) {
    let start = out.len();
    out.resize(start + xs.len() * C, 0.0);
    for (pixel, &(x0, x1, dx)) in out[start..].chunks_exact_mut(C).zip(xs) {
        let left: &[f32; C] = row[x0..x0 + C].try_into().expect("C values");
        let right: &[f32; C] = row[x1..x1 + C].try_into().expect("C values");
        for ch in 0..C {
            pixel[ch] = left[ch] + (right[ch] - left[ch]) * dx;
        }
    }
}

fn blend_any_columns(row: &[f32], xs: &[(usize, usize, f32)], c: usize, out: &mut Vec<f32>) {
    for &(x0, x1, dx) in xs {
        let (left, right) = (&row[x0..x0 + c], &row[x1..x1 + c]);
        out.extend(left.iter().zip(right).map(|(&l, &r)| l + (r - l) * dx));
    }
}

/// Input positions and weights that make one output position along one axis.
type Taps = Vec<(usize, f32)>;

/// Separable resampling: each output pixel is the sum over its row taps of the weight times
/// the sum over its column taps (TensorFlow interpolates along x first, then y).
fn resample<T: Sample>(
    src: &[T],
    ((n, h, w, c), (out_h, out_w)): Geometry,
    taps: impl Fn(usize, f32, usize) -> Taps,
) -> Vec<f32> {
    let (sy, sx) = (h as f32 / out_h as f32, w as f32 / out_w as f32);
    let xs: Vec<Taps> = (0..out_w).map(|x| taps(x, sx, w)).collect();
    let ys: Vec<Taps> = (0..out_h).map(|y| taps(y, sy, h)).collect();
    let mut out = Vec::with_capacity(n * out_h * out_w * c);
    for b in 0..n {
        for row_taps in &ys {
            for col_taps in &xs {
                for ch in 0..c {
                    let mut acc = 0.0f32;
                    for &(iy, wy) in row_taps {
                        let row = (b * h + iy) * w;
                        let mut along = 0.0f32;
                        for &(ix, wx) in col_taps {
                            along += wx * src[(row + ix) * c + ch].get();
                        }
                        acc += wy * along;
                    }
                    out.push(acc);
                }
            }
        }
    }
    out
}

/// ResizeArea's taps: the input pixels the output pixel's area covers, each weighted by the
/// covered fraction, normalised by the area.
fn area_taps(o: usize, scale: f32, size: usize) -> Taps {
    let (start, end) = (o as f32 * scale, (o + 1) as f32 * scale);
    let mut taps = Vec::new();
    let mut v = start.floor();
    while v < end {
        let weight = if v < start {
            if v + 1.0 > end {
                scale
            } else {
                v + 1.0 - start
            }
        } else if v + 1.0 > end {
            end - v
        } else {
            1.0
        };
        taps.push(((v as usize).min(size - 1), weight / scale));
        v += 1.0;
    }
    taps
}

const CUBIC_TABLE: usize = 1024;

/// TensorFlow's table of Keys cubic coefficients (A = -0.5), sampled at 1/1024 steps.
fn keys_cubic_table() -> Vec<f32> {
    let a = -0.5f32;
    let mut table = vec![0.0f32; (CUBIC_TABLE + 1) * 2];
    for i in 0..=CUBIC_TABLE {
        let x = i as f32 / CUBIC_TABLE as f32;
        table[i * 2] = ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0;
        let x = x + 1.0;
        table[i * 2 + 1] = ((a * x - 5.0 * a) * x + 8.0 * a) * x - 4.0 * a;
    }
    table
}

/// ResizeBicubic's four taps (half-pixel centres): taps outside the image get no weight and
/// the rest are renormalised, as TensorFlow does with Keys cubic.
fn cubic_taps(o: usize, scale: f32, size: usize, table: &[f32]) -> Taps {
    let v = (o as f32 + 0.5) * scale - 0.5;
    let loc = v.floor() as i64;
    let offset = ((v - loc as f32) * CUBIC_TABLE as f32).round_ties_even() as usize;
    let weights = [
        table[offset * 2 + 1],
        table[offset * 2],
        table[(CUBIC_TABLE - offset) * 2],
        table[(CUBIC_TABLE - offset) * 2 + 1],
    ];
    let mut taps: Taps = Vec::with_capacity(4);
    for (k, weight) in weights.into_iter().enumerate() {
        let at = loc - 1 + k as i64;
        if at >= 0 && at < size as i64 {
            taps.push((at as usize, weight));
        } else {
            taps.push((at.clamp(0, size as i64 - 1) as usize, 0.0));
        }
    }
    let sum: f32 = taps.iter().map(|t| t.1).sum();
    if sum.abs() >= 1000.0 * f32::MIN_POSITIVE {
        taps.iter_mut().for_each(|t| t.1 /= sum);
    }
    taps
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bilinear_downscale_averages_neighbours() {
        let img = Tensor::from_vec(vec![2, 2, 1], vec![0u8, 100, 200, 255]).unwrap();
        let r = resize(&img, 1, 1, ResizeMethod::Bilinear).unwrap();
        assert_eq!(r.shape(), &[1, 1, 1]);
        assert!((r.as_slice::<f32>().unwrap()[0] - 138.75).abs() < 1e-4);
        let n = resize(&img, 4, 4, ResizeMethod::Nearest).unwrap();
        assert_eq!(n.as_slice::<u8>().unwrap()[..4], [0, 0, 100, 100]);
    }
}
