//! Image kernels with tf.image's semantics: decoding JPEG and PNG, resizing (bilinear and
//! nearest neighbour with half-pixel centres, as TensorFlow 2 does), flips, crops and dtype
//! conversion. Images are [height, width, channels] (or a batch of them), uint8 or float32.

use std::io::Cursor;

use zune_jpeg::zune_core::colorspace::ColorSpace;
use zune_jpeg::zune_core::options::DecoderOptions;
use zune_jpeg::JpegDecoder;

use crate::engine::random::RandomStream;
use crate::engine::{Buffer, DType, Error, Result, Tensor};

/// Which decoder `decode_image` uses, from the file's first bytes.
fn is_png(data: &[u8]) -> bool {
    data.starts_with(b"\x89PNG\r\n\x1a\n")
}

fn is_jpeg(data: &[u8]) -> bool {
    data.starts_with(&[0xFF, 0xD8, 0xFF])
}

/// Converts interleaved pixels with `from` channels to `to` channels (0 keeps them), as
/// TensorFlow's decoders do: gray to RGB repeats the value, RGB to gray uses BT.601 weights,
/// alpha is dropped or made opaque.
fn convert_channels(pixels: Vec<u8>, from: usize, to: usize) -> Result<(Vec<u8>, usize)> {
    if to == 0 || to == from {
        return Ok((pixels, from));
    }
    let n = pixels.len() / from;
    let mut out = Vec::with_capacity(n * to);
    for p in pixels.chunks_exact(from) {
        let (rgb, alpha) = match from {
            1 => ([p[0]; 3], 255),
            2 => ([p[0]; 3], p[1]),
            3 => ([p[0], p[1], p[2]], 255),
            _ => ([p[0], p[1], p[2]], p[3]),
        };
        match to {
            1 => {
                let y = 0.299 * rgb[0] as f32 + 0.587 * rgb[1] as f32 + 0.114 * rgb[2] as f32;
                out.push(y.round().clamp(0.0, 255.0) as u8);
            }
            3 => out.extend_from_slice(&rgb),
            4 => {
                out.extend_from_slice(&rgb);
                out.push(alpha);
            }
            _ => {
                return Err(Error::InvalidArgument(format!(
                    "channels must be 0, 1, 3 or 4, got {to}"
                )))
            }
        }
    }
    Ok((out, to))
}

fn image_tensor(height: usize, width: usize, pixels: Vec<u8>, channels: usize) -> Result<Tensor> {
    Tensor::new(vec![height, width, channels], pixels)
}

/// Decodes a JPEG into uint8 [height, width, channels] (`channels` 0 keeps the file's).
pub fn decode_jpeg(data: &[u8], channels: usize) -> Result<Tensor> {
    let bad = |e: String| Error::InvalidArgument(format!("Invalid JPEG data or crop window: {e}"));
    let mut probe = JpegDecoder::new(data);
    probe.decode_headers().map_err(|e| bad(format!("{e:?}")))?;
    let gray = probe.get_input_colorspace() == Some(ColorSpace::Luma);
    let out_space = if gray {
        ColorSpace::Luma
    } else {
        ColorSpace::RGB
    };
    let options = DecoderOptions::default()
        .set_strict_mode(true)
        .jpeg_set_out_colorspace(out_space);
    let mut decoder = JpegDecoder::new_with_options(data, options);
    let pixels = decoder.decode().map_err(|e| bad(format!("{e:?}")))?;
    let info = decoder
        .info()
        .ok_or_else(|| bad("no image information".into()))?;
    let (height, width) = (info.height as usize, info.width as usize);
    let from = out_space.num_components();
    if pixels.len() != height * width * from {
        return Err(bad("the decoded size does not match the header".into()));
    }
    let (pixels, channels) = convert_channels(pixels, from, channels)?;
    image_tensor(height, width, pixels, channels)
}

/// Decodes a PNG into uint8 [height, width, channels] (16-bit samples keep their high byte).
pub fn decode_png(data: &[u8], channels: usize) -> Result<Tensor> {
    let bad = |e: String| Error::InvalidArgument(format!("Invalid PNG data: {e}"));
    let mut decoder = png::Decoder::new(Cursor::new(data));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().map_err(|e| bad(e.to_string()))?;
    let mut pixels = vec![0u8; reader.output_buffer_size()];
    let frame = reader
        .next_frame(&mut pixels)
        .map_err(|e| bad(e.to_string()))?;
    pixels.truncate(frame.buffer_size());
    let from = frame.color_type.samples();
    let (height, width) = (frame.height as usize, frame.width as usize);
    let (pixels, channels) = convert_channels(pixels, from, channels)?;
    image_tensor(height, width, pixels, channels)
}

/// Decodes a JPEG or PNG, chosen by its first bytes.
pub fn decode_image(data: &[u8], channels: usize) -> Result<Tensor> {
    if is_png(data) {
        decode_png(data, channels)
    } else if is_jpeg(data) {
        decode_jpeg(data, channels)
    } else {
        Err(Error::InvalidArgument(
            "Unknown image file format. One of JPEG, PNG, GIF, BMP required.".into(),
        ))
    }
}

/// The image's dimensions: (batch, height, width, channels); a single image has batch 1.
fn dims(t: &Tensor, op: &str) -> Result<(usize, usize, usize, usize)> {
    match *t.shape() {
        [h, w, c] => Ok((1, h, w, c)),
        [n, h, w, c] => Ok((n, h, w, c)),
        _ => Err(Error::InvalidArgument(format!(
            "{op}: images must have shape [height, width, channels] or [batch, height, width, channels], got {:?}",
            t.shape()
        ))),
    }
}

fn as_f32(t: &Tensor) -> Result<Vec<f32>> {
    Ok(match super::cast::cast(t, DType::Float32)?.buffer() {
        Buffer::Float32(v) => v.clone(),
        _ => unreachable!("cast to float32"),
    })
}

fn out_shape(t: &Tensor, h: usize, w: usize, c: usize) -> Vec<usize> {
    if t.rank() == 4 {
        vec![t.shape()[0], h, w, c]
    } else {
        vec![h, w, c]
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResizeMethod {
    Bilinear,
    Nearest,
    Area,
    Bicubic,
}

impl ResizeMethod {
    pub fn parse(name: &str) -> Result<ResizeMethod> {
        match name {
            "bilinear" => Ok(ResizeMethod::Bilinear),
            "nearest" => Ok(ResizeMethod::Nearest),
            "area" => Ok(ResizeMethod::Area),
            "bicubic" => Ok(ResizeMethod::Bicubic),
            other => Err(Error::Unimplemented(format!(
                "resize method {other:?} is not available yet"
            ))),
        }
    }
}

/// tf.image.resize (antialias off): float32 output for bilinear, the input dtype for nearest.
pub fn resize(t: &Tensor, out_h: usize, out_w: usize, method: ResizeMethod) -> Result<Tensor> {
    let (n, h, w, c) = dims(t, "resize")?;
    let (sy, sx) = (h as f32 / out_h as f32, w as f32 / out_w as f32);
    match method {
        ResizeMethod::Nearest => {
            let src = |o: usize, scale: f32, size: usize| -> usize {
                (((o as f32 + 0.5) * scale).floor() as usize).min(size - 1)
            };
            let mut out = Buffer::with_capacity(t.dtype(), n * out_h * out_w * c);
            for b in 0..n {
                for y in 0..out_h {
                    let iy = src(y, sy, h);
                    for x in 0..out_w {
                        let at = ((b * h + iy) * w + src(x, sx, w)) * c;
                        out.extend_from_range(t.buffer(), at, at + c)?;
                    }
                }
            }
            Tensor::new(out_shape(t, out_h, out_w, c), out)
        }
        ResizeMethod::Area => {
            let src = as_f32(t)?;
            let out = resample(&src, (n, h, w, c), (out_h, out_w), |o, scale, size| {
                area_taps(o, scale, size)
            });
            Tensor::new(out_shape(t, out_h, out_w, c), out)
        }
        ResizeMethod::Bicubic => {
            let src = as_f32(t)?;
            let table = keys_cubic_table();
            let out = resample(&src, (n, h, w, c), (out_h, out_w), |o, scale, size| {
                cubic_taps(o, scale, size, &table)
            });
            Tensor::new(out_shape(t, out_h, out_w, c), out)
        }
        ResizeMethod::Bilinear => {
            let src = as_f32(t)?;
            let weights = |o: usize, scale: f32, size: usize| -> (usize, usize, f32) {
                let v = (o as f32 + 0.5) * scale - 0.5;
                let lo = v.floor();
                let lower = lo.max(0.0) as usize;
                let upper = (v.ceil() as isize).clamp(0, size as isize - 1) as usize;
                (lower.min(size - 1), upper, v - lo)
            };
            let xs: Vec<_> = (0..out_w).map(|x| weights(x, sx, w)).collect();
            let mut out = Vec::with_capacity(n * out_h * out_w * c);
            for b in 0..n {
                for y in 0..out_h {
                    let (y0, y1, dy) = weights(y, sy, h);
                    let row0 = (b * h + y0) * w;
                    let row1 = (b * h + y1) * w;
                    for &(x0, x1, dx) in &xs {
                        for ch in 0..c {
                            let tl = src[(row0 + x0) * c + ch];
                            let tr = src[(row0 + x1) * c + ch];
                            let bl = src[(row1 + x0) * c + ch];
                            let br = src[(row1 + x1) * c + ch];
                            let top = tl + (tr - tl) * dx;
                            let bottom = bl + (br - bl) * dx;
                            out.push(top + (bottom - top) * dy);
                        }
                    }
                }
            }
            Tensor::new(out_shape(t, out_h, out_w, c), out)
        }
    }
}

/// Input positions and weights that make one output position along one axis.
type Taps = Vec<(usize, f32)>;

/// Separable resampling: each output pixel is the sum over its row taps of the weight times
/// the sum over its column taps (TensorFlow interpolates along x first, then y).
fn resample(
    src: &[f32],
    (n, h, w, c): (usize, usize, usize, usize),
    (out_h, out_w): (usize, usize),
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
                            along += wx * src[(row + ix) * c + ch];
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

/// Mirrors images left to right.
pub fn flip_left_right(t: &Tensor) -> Result<Tensor> {
    let (n, h, w, c) = dims(t, "flip_left_right")?;
    let mut out = Buffer::with_capacity(t.dtype(), t.num_elements());
    for row in 0..n * h {
        for x in (0..w).rev() {
            let at = (row * w + x) * c;
            out.extend_from_range(t.buffer(), at, at + c)?;
        }
    }
    Tensor::new(t.shape().to_vec(), out)
}

/// The `height` x `width` window at (`top`, `left`) of every image.
pub fn crop(t: &Tensor, top: usize, left: usize, height: usize, width: usize) -> Result<Tensor> {
    let (n, h, w, c) = dims(t, "crop_to_bounding_box")?;
    if top + height > h || left + width > w || height == 0 || width == 0 {
        return Err(Error::InvalidArgument(format!(
            "crop_to_bounding_box: the window {height}x{width} at ({top}, {left}) does not fit a {h}x{w} image"
        )));
    }
    let mut out = Buffer::with_capacity(t.dtype(), n * height * width * c);
    for b in 0..n {
        for y in top..top + height {
            let at = ((b * h + y) * w + left) * c;
            out.extend_from_range(t.buffer(), at, at + width * c)?;
        }
    }
    Tensor::new(out_shape(t, height, width, c), out)
}

/// The central `fraction` of every image, with tf.image.central_crop's integer arithmetic.
pub fn central_crop(t: &Tensor, fraction: f64) -> Result<Tensor> {
    if !(fraction > 0.0 && fraction <= 1.0) {
        return Err(Error::InvalidArgument(format!(
            "central_crop: central_fraction must be in (0, 1], got {fraction}"
        )));
    }
    if fraction == 1.0 {
        return Ok(t.clone());
    }
    let (_, h, w, _) = dims(t, "central_crop")?;
    let offset = (1.0 / ((1.0 - fraction) / 2.0)) as usize;
    let (top, left) = (h / offset, w / offset);
    crop(t, top, left, h - 2 * top, w - 2 * left)
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

    #[test]
    fn flips_and_crops() {
        let img = Tensor::from_vec(vec![2, 3, 1], vec![1u8, 2, 3, 4, 5, 6]).unwrap();
        assert_eq!(
            flip_left_right(&img).unwrap().as_slice::<u8>().unwrap(),
            &[3, 2, 1, 6, 5, 4]
        );
        assert_eq!(
            crop(&img, 1, 1, 1, 2).unwrap().as_slice::<u8>().unwrap(),
            &[5, 6]
        );
        assert!(crop(&img, 1, 1, 2, 2).is_err());
        assert!(decode_image(b"not an image", 3).is_err());
    }
}

/// Flips each image left to right with probability one half.
pub fn random_flip_left_right(t: &Tensor, rng: &mut RandomStream) -> Result<Tensor> {
    let (n, h, w, c) = dims(t, "random_flip_left_right")?;
    let per_image = h * w * c;
    let mut out = Buffer::with_capacity(t.dtype(), t.num_elements());
    for b in 0..n {
        if rng.unit_f64() < 0.5 {
            for row in b * h..(b + 1) * h {
                for x in (0..w).rev() {
                    let at = (row * w + x) * c;
                    out.extend_from_range(t.buffer(), at, at + c)?;
                }
            }
        } else {
            out.extend_from_range(t.buffer(), b * per_image, (b + 1) * per_image)?;
        }
    }
    Tensor::new(t.shape().to_vec(), out)
}

/// A `height` x `width` window at a random place of a single image.
pub fn random_crop(
    t: &Tensor,
    height: usize,
    width: usize,
    rng: &mut RandomStream,
) -> Result<Tensor> {
    let (_, h, w, _) = dims(t, "random_crop")?;
    if t.rank() != 3 || height > h || width > w {
        return Err(Error::InvalidArgument(format!(
            "random_crop: cannot take a {height}x{width} window from an image of shape {:?}",
            t.shape()
        )));
    }
    let top = rng.below((h - height + 1) as u64) as usize;
    let left = rng.below((w - width + 1) as u64) as usize;
    crop(t, top, left, height, width)
}

/// Adds one uniform delta in [-max_delta, max_delta) to a float image (uint8 images are
/// adjusted in [0, 1] and converted back with saturation, as tf.image does).
pub fn random_brightness(t: &Tensor, max_delta: f32, rng: &mut RandomStream) -> Result<Tensor> {
    let delta = ((rng.unit_f64() * 2.0 - 1.0) * max_delta as f64) as f32;
    match t.buffer() {
        Buffer::UInt8(v) => {
            let out: Vec<u8> = v
                .iter()
                .map(|&x| ((x as f32 / 255.0 + delta) * 255.0 + 0.5).clamp(0.0, 255.0) as u8)
                .collect();
            Tensor::new(t.shape().to_vec(), out)
        }
        Buffer::Float32(v) => Tensor::new(
            t.shape().to_vec(),
            v.iter().map(|&x| x + delta).collect::<Vec<_>>(),
        ),
        Buffer::Float64(v) => Tensor::new(
            t.shape().to_vec(),
            v.iter().map(|&x| x + delta as f64).collect::<Vec<_>>(),
        ),
        _ => Err(Error::InvalidArgument(format!(
            "random_brightness takes uint8 or float images, got {}",
            t.dtype()
        ))),
    }
}

/// Scales each image to zero mean and unit variance: (x - mean) / max(stddev, 1/sqrt(N)).
pub fn per_image_standardization(t: &Tensor) -> Result<Tensor> {
    let (n, h, w, c) = dims(t, "per_image_standardization")?;
    let values = as_f32(t)?;
    let per_image = h * w * c;
    let mut out = Vec::with_capacity(values.len());
    for b in 0..n {
        let image = &values[b * per_image..(b + 1) * per_image];
        let mean = image.iter().map(|&x| x as f64).sum::<f64>() / per_image as f64;
        let var = image
            .iter()
            .map(|&x| (x as f64 - mean).powi(2))
            .sum::<f64>()
            / per_image as f64;
        let adjusted = var.sqrt().max(1.0 / (per_image as f64).sqrt());
        out.extend(image.iter().map(|&x| ((x as f64 - mean) / adjusted) as f32));
    }
    Tensor::new(t.shape().to_vec(), out)
}
