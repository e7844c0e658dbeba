//! `tf.image.crop_and_resize`: boxes cut from a batch of images and resampled to one size,
//! bilinear or nearest, with TensorFlow's sampling positions and its extrapolation value
//! outside the image.

use super::image::as_f32;
use crate::engine::{Error, Result, Tensor};

/// Crops `image` [batch, height, width, channels] at `boxes` [n, 4] (normalized y1, x1,
/// y2, x2) of images `box_indices` [n], each resized to `size`; float32 [n, h, w, c].
pub fn crop_and_resize(
    image: &Tensor,
    boxes: &Tensor,
    box_indices: &Tensor,
    size: (usize, usize),
    nearest: bool,
    extrapolation: f32,
) -> Result<Tensor> {
    let shape = image.shape();
    if shape.len() != 4 {
        return Err(Error::InvalidArgument(format!(
            "crop_and_resize: image must be [batch, height, width, channels], got {shape:?}"
        )));
    }
    let (batch, height, width, channels) = (shape[0], shape[1], shape[2], shape[3]);
    if height == 0 || width == 0 || size.0 == 0 || size.1 == 0 {
        return Err(Error::InvalidArgument(format!(
            "crop_and_resize: image dimensions and crop_size must be positive, got image \
             {shape:?} and crop_size {size:?}"
        )));
    }
    let corners = as_f32(&super::cast::cast(boxes, crate::engine::DType::Float32)?)?;
    let wide = super::cast::cast(box_indices, crate::engine::DType::Int64)?;
    let which = wide.as_slice::<i64>().expect("cast to int64");
    if boxes.shape() != [which.len(), 4] || box_indices.rank() != 1 {
        return Err(Error::InvalidArgument(format!(
            "crop_and_resize: boxes must be [n, 4] and box_indices [n], got {:?} and {:?}",
            boxes.shape(),
            box_indices.shape()
        )));
    }
    let pixels = as_f32(image)?;
    let (crop_h, crop_w) = size;
    let mut out = Vec::with_capacity(which.len() * crop_h * crop_w * channels);
    let at = |b: usize, y: usize, x: usize, c: usize| {
        pixels[((b * height + y) * width + x) * channels + c]
    };
    // Where output step `i` of `n` samples between normalized `a` and `b` of a `span`.
    let position = |a: f32, b: f32, i: usize, n: usize, span: usize| -> f32 {
        let last = (span - 1) as f32;
        if n > 1 {
            a * last + i as f32 * ((b - a) * last / (n - 1) as f32)
        } else {
            0.5 * (a + b) * last
        }
    };
    for (k, &b) in which.iter().enumerate() {
        let b = usize::try_from(b)
            .ok()
            .filter(|&b| b < batch)
            .ok_or_else(|| {
                Error::InvalidArgument(format!(
                    "crop_and_resize: box_indices has {b}, which is not in [0, {batch})"
                ))
            })?;
        let [y1, x1, y2, x2] = [
            corners[4 * k],
            corners[4 * k + 1],
            corners[4 * k + 2],
            corners[4 * k + 3],
        ];
        for y in 0..crop_h {
            let in_y = position(y1, y2, y, crop_h, height);
            let row_outside = in_y < 0.0 || in_y > (height - 1) as f32;
            for x in 0..crop_w {
                let in_x = position(x1, x2, x, crop_w, width);
                if row_outside || in_x < 0.0 || in_x > (width - 1) as f32 {
                    out.extend(std::iter::repeat_n(extrapolation, channels));
                    continue;
                }
                if nearest {
                    let (ny, nx) = (in_y.round() as usize, in_x.round() as usize);
                    out.extend((0..channels).map(|c| at(b, ny, nx, c)));
                    continue;
                }
                let (top, left) = (in_y.floor() as usize, in_x.floor() as usize);
                let (bottom, right) = (in_y.ceil() as usize, in_x.ceil() as usize);
                let (dy, dx) = (in_y - top as f32, in_x - left as f32);
                out.extend((0..channels).map(|c| {
                    let upper =
                        at(b, top, left, c) + (at(b, top, right, c) - at(b, top, left, c)) * dx;
                    let lower = at(b, bottom, left, c)
                        + (at(b, bottom, right, c) - at(b, bottom, left, c)) * dx;
                    upper + (lower - upper) * dy
                }));
            }
        }
    }
    Tensor::new(vec![which.len(), crop_h, crop_w, channels], out)
}
