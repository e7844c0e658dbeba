//! Image kernels with tf.image's semantics: flips, crops, padding, standardization and the
//! seeded random flips and crops. Images are [height, width, channels] or a batch of them;
//! `decode` and `resize` hold the decoders and resampling, `color` the colour adjustments.

use crate::engine::random::RandomStream;
use crate::engine::{Buffer, DType, Error, Result, Tensor};

/// The image's dimensions: (batch, height, width, channels); a single image has batch 1.
pub(crate) fn dims(t: &Tensor, op: &str) -> Result<(usize, usize, usize, usize)> {
    match *t.shape() {
        [h, w, c] => Ok((1, h, w, c)),
        [n, h, w, c] => Ok((n, h, w, c)),
        _ => Err(Error::InvalidArgument(format!(
            "{op}: images must have shape [height, width, channels] or [batch, height, width, channels], got {:?}",
            t.shape()
        ))),
    }
}

/// The image's values as float32 (uint8 and float32, the usual cases, without the general
/// cast).
pub(crate) fn as_f32(t: &Tensor) -> Result<Vec<f32>> {
    Ok(match t.buffer() {
        Buffer::UInt8(v) => v.iter().map(|&x| x as f32).collect(),
        Buffer::Float32(v) => v.to_vec(),
        _ => match super::cast::cast(t, DType::Float32)?.buffer() {
            Buffer::Float32(v) => v.to_vec(),
            _ => unreachable!("cast to float32"),
        },
    })
}

pub(crate) fn out_shape(t: &Tensor, h: usize, w: usize, c: usize) -> Vec<usize> {
    if t.rank() == 4 {
        vec![t.shape()[0], h, w, c]
    } else {
        vec![h, w, c]
    }
}

/// Appends image `b` of `t` (of dimensions `h`, `w`, `c`) mirrored left to right, or top
/// to bottom when `up_down`.
fn push_flipped(
    out: &mut Buffer,
    t: &Tensor,
    b: usize,
    (h, w, c): (usize, usize, usize),
    up_down: bool,
) -> Result<()> {
    for y in 0..h {
        if up_down {
            let at = (b * h + h - 1 - y) * w * c;
            out.extend_from_range(t.buffer(), at, at + w * c)?;
        } else {
            for x in (0..w).rev() {
                let at = ((b * h + y) * w + x) * c;
                out.extend_from_range(t.buffer(), at, at + c)?;
            }
        }
    }
    Ok(())
}

fn flip(t: &Tensor, up_down: bool, op: &str) -> Result<Tensor> {
    let (n, h, w, c) = dims(t, op)?;
    let mut out = Buffer::with_capacity(t.dtype(), t.num_elements());
    for b in 0..n {
        push_flipped(&mut out, t, b, (h, w, c), up_down)?;
    }
    Tensor::new(t.shape().to_vec(), out)
}

/// Mirrors images left to right.
pub fn flip_left_right(t: &Tensor) -> Result<Tensor> {
    flip(t, false, "flip_left_right")
}

/// Mirrors images top to bottom.
pub fn flip_up_down(t: &Tensor) -> Result<Tensor> {
    flip(t, true, "flip_up_down")
}

/// Whether `size` values from `offset` fit within `limit`.
fn fits(offset: usize, size: usize, limit: usize) -> bool {
    offset.checked_add(size).is_some_and(|end| end <= limit)
}

/// Every image placed at (`top`, `left`) of a zero `height` x `width` image
/// (tf.image.pad_to_bounding_box).
pub fn pad(t: &Tensor, top: usize, left: usize, height: usize, width: usize) -> Result<Tensor> {
    let (n, h, w, c) = dims(t, "pad_to_bounding_box")?;
    if !fits(top, h, height) || !fits(left, w, width) {
        return Err(Error::InvalidArgument(format!(
            "pad_to_bounding_box: a {h}x{w} image at ({top}, {left}) does not fit in {height}x{width}"
        )));
    }
    let zero = super::cast::cast(&Tensor::scalar(0u8), t.dtype())?;
    let mut out = Buffer::with_capacity(t.dtype(), n * height * width * c);
    let fill = |out: &mut Buffer, count: usize| out.extend_repeated(zero.buffer(), 0, count);
    for b in 0..n {
        fill(&mut out, top * width * c)?;
        for y in 0..h {
            fill(&mut out, left * c)?;
            let at = (b * h + y) * w * c;
            out.extend_from_range(t.buffer(), at, at + w * c)?;
            fill(&mut out, (width - left - w) * c)?;
        }
        fill(&mut out, (height - top - h) * width * c)?;
    }
    Tensor::new(out_shape(t, height, width, c), out)
}

/// The `height` x `width` window at (`top`, `left`) of every image.
pub fn crop(t: &Tensor, top: usize, left: usize, height: usize, width: usize) -> Result<Tensor> {
    let (n, h, w, c) = dims(t, "crop_to_bounding_box")?;
    if !fits(top, height, h) || !fits(left, width, w) || height == 0 || width == 0 {
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

/// Flips each image left to right, or top to bottom (`up_down`), with probability one half.
pub fn random_flip(t: &Tensor, up_down: bool, rng: &mut RandomStream) -> Result<Tensor> {
    let (n, h, w, c) = dims(t, "random_flip")?;
    let per_image = h * w * c;
    let mut out = Buffer::with_capacity(t.dtype(), t.num_elements());
    for b in 0..n {
        if rng.unit_f64() < 0.5 {
            push_flipped(&mut out, t, b, (h, w, c), up_down)?;
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

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(
            flip_up_down(&img).unwrap().as_slice::<u8>().unwrap(),
            &[4, 5, 6, 1, 2, 3]
        );
        let padded = pad(&img, 1, 0, 3, 4).unwrap();
        assert_eq!(padded.shape(), &[3, 4, 1]);
        assert_eq!(
            padded.as_slice::<u8>().unwrap(),
            &[0, 0, 0, 0, 1, 2, 3, 0, 4, 5, 6, 0]
        );
        assert!(pad(&img, 2, 0, 3, 4).is_err());
    }
}
