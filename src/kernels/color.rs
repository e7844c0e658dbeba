//! Colour adjustments with tf.image's semantics: brightness, contrast, saturation and
//! grayscale. Integer images are adjusted as float32 in [0, 1] and converted back as
//! convert_image_dtype converts them; float images are adjusted as they are.

use super::cast::cast;
use super::image::{as_f32, dims};
use crate::engine::random::RandomStream;
use crate::engine::{DType, Error, Result, Tensor};

/// The largest value of an integer image dtype: what 1.0 stands for.
fn integer_max(dtype: DType) -> Option<f64> {
    Some(match dtype {
        DType::UInt8 => u8::MAX.into(),
        DType::UInt16 => u16::MAX.into(),
        DType::UInt32 => u32::MAX.into(),
        DType::UInt64 => u64::MAX as f64,
        DType::Int8 => i8::MAX.into(),
        DType::Int16 => i16::MAX.into(),
        DType::Int32 => i32::MAX.into(),
        DType::Int64 => i64::MAX as f64,
        _ => return None,
    })
}

/// The image's values as float32: integers times the float32 reciprocal of their maximum
/// (convert_image_dtype), floats as they are.
fn unit_values(t: &Tensor, op: &str) -> Result<Vec<f32>> {
    if !(t.dtype().is_integer() || t.dtype().is_floating()) {
        return Err(Error::InvalidArgument(format!(
            "{op} takes integer or float images, got {}",
            t.dtype()
        )));
    }
    let mut values = as_f32(t)?;
    if let Some(max) = integer_max(t.dtype()) {
        let scale = (1.0 / max) as f32;
        values.iter_mut().for_each(|v| *v *= scale);
    }
    Ok(values)
}

/// Adjusted float32 values back as an image of `dtype`: integers are scaled by max + 0.5,
/// clamped and truncated (convert_image_dtype with saturation).
fn from_unit(shape: Vec<usize>, mut values: Vec<f32>, dtype: DType) -> Result<Tensor> {
    if let Some(max) = integer_max(dtype) {
        let scale = (max + 0.5) as f32;
        values.iter_mut().for_each(|v| *v *= scale);
    }
    // Float-to-integer casts saturate, as tf.saturate_cast does.
    cast(&Tensor::new(shape, values)?, dtype)
}

/// One of tf.image's colour adjustments; each takes an amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Adjustment {
    /// Adds the amount (a delta) to every value.
    Brightness,
    /// Moves each channel away from its mean over the image by the amount (a factor).
    Contrast,
    /// Scales the saturation of RGB pixels (in HSV) by the amount (a factor).
    Saturation,
    /// Turns the hue of RGB pixels by the amount (a fraction of the colour circle).
    Hue,
}

impl Adjustment {
    /// Every adjustment, by the name traced graphs give it.
    pub const NAMES: &[(&str, Adjustment)] = &[
        ("brightness", Adjustment::Brightness),
        ("contrast", Adjustment::Contrast),
        ("saturation", Adjustment::Saturation),
        ("hue", Adjustment::Hue),
    ];

    pub fn parse(kind: &str) -> Result<Adjustment> {
        super::by_name(Self::NAMES, kind)
            .ok_or_else(|| Error::InvalidArgument(format!("no adjustment {kind:?}")))
    }

    fn name(self) -> &'static str {
        match self {
            Adjustment::Brightness => "adjust_brightness",
            Adjustment::Contrast => "adjust_contrast",
            Adjustment::Saturation => "adjust_saturation",
            Adjustment::Hue => "adjust_hue",
        }
    }

    pub fn apply(self, t: &Tensor, amount: f32) -> Result<Tensor> {
        let mut values = unit_values(t, self.name())?;
        match self {
            Adjustment::Brightness => values.iter_mut().for_each(|v| *v += amount),
            Adjustment::Contrast => {
                let (_, h, w, c) = dims(t, self.name())?;
                if h * w * c > 0 {
                    for image in values.chunks_exact_mut(h * w * c) {
                        contrast(image, c, amount);
                    }
                }
            }
            Adjustment::Saturation | Adjustment::Hue => {
                dims(t, self.name())?;
                rgb_pixels(t, self.name())?;
                let adjust = if self == Adjustment::Hue {
                    turn_hue
                } else {
                    saturate
                };
                for pixel in values.chunks_exact_mut(3) {
                    adjust(pixel, amount);
                }
            }
        }
        from_unit(t.shape().to_vec(), values, t.dtype())
    }

    /// The adjustment by an amount drawn uniformly from [lower, upper).
    pub fn apply_random(
        self,
        t: &Tensor,
        (lower, upper): (f32, f32),
        rng: &mut RandomStream,
    ) -> Result<Tensor> {
        let amount = lower as f64 + rng.unit_f64() * (upper as f64 - lower as f64);
        self.apply(t, amount as f32)
    }
}

/// Checks that the last dimension holds RGB.
fn rgb_pixels(t: &Tensor, op: &str) -> Result<()> {
    match t.shape().last() {
        Some(3) => Ok(()),
        _ => Err(Error::InvalidArgument(format!(
            "{op}: the last dimension must hold 3 channels (RGB), got shape {:?}",
            t.shape()
        ))),
    }
}

/// (x - mean) * factor + mean for each channel of one image, the mean over its pixels.
fn contrast(image: &mut [f32], channels: usize, factor: f32) {
    let pixels = (image.len() / channels.max(1)) as f64;
    for ch in 0..channels {
        let sum: f64 = image
            .iter()
            .skip(ch)
            .step_by(channels)
            .map(|&v| v as f64)
            .sum();
        let mean = (sum / pixels) as f32;
        image
            .iter_mut()
            .skip(ch)
            .step_by(channels)
            .for_each(|v| *v = (*v - mean) * factor + mean);
    }
}

/// One RGB pixel with its HSV saturation scaled by `factor` and clamped to [0, 1], in
/// TensorFlow's float arithmetic.
fn saturate(pixel: &mut [f32], factor: f32) {
    let (r, g, b) = (pixel[0], pixel[1], pixel[2]);
    let v = r.max(g.max(b));
    let range = v - r.min(g.min(b));
    let s = if v > 0.0 { range / v } else { 0.0 };
    let norm = 1.0 / (6.0 * range);
    let mut h = if r == v {
        norm * (g - b)
    } else if g == v {
        ((norm * (b - r)) as f64 + 2.0 / 6.0) as f32
    } else {
        ((norm * (r - g)) as f64 + 4.0 / 6.0) as f32
    };
    if range <= 0.0 {
        h = 0.0;
    }
    if h < 0.0 {
        h += 1.0;
    }
    let s = (s * factor).clamp(0.0, 1.0);
    let c = s * v;
    let m = v - c;
    let dh = h * 6.0;
    let mut fmodu = dh;
    while fmodu <= 0.0 {
        fmodu += 2.0;
    }
    while fmodu >= 2.0 {
        fmodu -= 2.0;
    }
    let x = c * (1.0 - (fmodu - 1.0).abs());
    let (rr, gg, bb) = match dh as i32 {
        0 => (c, x, 0.0),
        1 => (x, c, 0.0),
        2 => (0.0, c, x),
        3 => (0.0, x, c),
        4 => (x, 0.0, c),
        5 => (c, 0.0, x),
        _ => (0.0, 0.0, 0.0),
    };
    pixel.copy_from_slice(&[rr + m, gg + m, bb + m]);
}

/// One RGB pixel with its hue turned by `delta` (a fraction of the circle), as
/// TensorFlow's AdjustHue kernel computes it: the hue as a position in [0, 6) between the
/// pixel's smallest and largest values, which stay as they are.
fn turn_hue(pixel: &mut [f32], delta: f32) {
    let (r, g, b) = (pixel[0], pixel[1], pixel[2]);
    // Which sixth of the circle the pixel is in, and its largest, middle, smallest values.
    let (category, max, mid, min) = if r < g {
        if b < r {
            (1, g, r, b)
        } else if b > g {
            (3, b, g, r)
        } else {
            (2, g, b, r)
        }
    } else if b < g {
        (0, r, g, b)
    } else if b > r {
        (4, b, r, g)
    } else {
        (5, r, b, g)
    };
    let mut h = if max == min {
        0.0
    } else {
        let ratio = (mid - min) / (max - min);
        category as f32
            + if category % 2 == 0 {
                ratio
            } else {
                1.0 - ratio
            }
    };
    h += delta * 6.0;
    while h < 0.0 {
        h += 6.0;
    }
    while h >= 6.0 {
        h -= 6.0;
    }
    let category = h as i32;
    let mut ratio = h - category as f32;
    if category % 2 != 0 {
        ratio = 1.0 - ratio;
    }
    let mid = min + ratio * (max - min);
    let rgb = match category {
        0 => [max, mid, min],
        1 => [mid, max, min],
        2 => [min, max, mid],
        3 => [min, mid, max],
        4 => [mid, min, max],
        _ => [max, min, mid],
    };
    pixel.copy_from_slice(&rgb);
}

/// RGB images as one channel of luma (tf.image.rgb_to_grayscale's weights), of the image's
/// dtype.
pub fn rgb_to_grayscale(t: &Tensor) -> Result<Tensor> {
    rgb_pixels(t, "rgb_to_grayscale")?;
    let values = unit_values(t, "rgb_to_grayscale")?;
    let gray: Vec<f32> = values
        .chunks_exact(3)
        .map(|p| p[0] * 0.2989 + p[1] * 0.587 + p[2] * 0.114)
        .collect();
    let mut shape = t.shape().to_vec();
    *shape.last_mut().expect("rgb_pixels checked the rank") = 1;
    from_unit(shape, gray, t.dtype())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_images_adjust_in_unit_range_and_saturate() {
        let img = Tensor::from_vec(vec![1, 2, 3], vec![0u8, 100, 255, 10, 20, 30]).unwrap();
        let brighter = Adjustment::Brightness.apply(&img, 0.5).unwrap();
        let expected: Vec<u8> = [0u8, 100, 255, 10, 20, 30]
            .iter()
            .map(|&x| ((x as f32 * (1.0 / 255.0) + 0.5) * 255.5).min(255.0) as u8)
            .collect();
        assert_eq!(brighter.as_slice::<u8>().unwrap(), expected.as_slice());
        let gray = rgb_to_grayscale(&img).unwrap();
        assert_eq!(gray.shape(), &[1, 2, 1]);
        assert!(rgb_to_grayscale(&Tensor::from_vec(vec![1, 1, 2], vec![1u8, 2]).unwrap()).is_err());
    }

    #[test]
    fn contrast_keeps_the_mean_and_saturation_zero_is_gray() {
        let img = Tensor::from_vec(vec![2, 1, 1], vec![0.2f32, 0.6]).unwrap();
        let out = Adjustment::Contrast.apply(&img, 2.0).unwrap();
        let v = out.as_slice::<f32>().unwrap();
        assert!(
            (v[0] - 0.0).abs() < 1e-6 && (v[1] - 0.8).abs() < 1e-6,
            "{v:?}"
        );
        let rgb = Tensor::from_vec(vec![1, 1, 3], vec![0.9f32, 0.3, 0.6]).unwrap();
        let empty = Tensor::from_vec(vec![0, 0, 3], Vec::<f32>::new()).unwrap();
        assert_eq!(
            Adjustment::Contrast.apply(&empty, 2.0).unwrap().shape(),
            &[0, 0, 3]
        );
        let gray = Adjustment::Saturation.apply(&rgb, 0.0).unwrap();
        assert_eq!(gray.as_slice::<f32>().unwrap(), &[0.9, 0.9, 0.9]);
        let same = Adjustment::Saturation.apply(&rgb, 1.0).unwrap();
        for (a, b) in same.as_slice::<f32>().unwrap().iter().zip([0.9, 0.3, 0.6]) {
            assert!((a - b).abs() < 1e-6);
        }
    }
}
