//! `tf.image.sample_distorted_bounding_box`: a random crop for augmentation, drawn by
//! TensorFlow's algorithm (its GenerateRandomCrop): up to `max_attempts` draws of an aspect
//! ratio and an area until a crop covers enough of one of the boxes, else the whole image.

use super::cast::cast;
use crate::engine::random::RandomStream;
use crate::engine::{DType, Error, Result, Tensor};

/// The ranges and rules of one sampler.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CropBoxOptions {
    pub min_object_covered: f32,
    pub aspect_ratio_range: (f32, f32),
    pub area_range: (f32, f32),
    pub max_attempts: usize,
    pub use_image_if_no_bounding_boxes: bool,
}

/// A crop or box in whole pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Rect {
    y: i64,
    x: i64,
    height: i64,
    width: i64,
}

/// lrintf in the default rounding mode: to nearest, ties to even.
fn lrint(v: f32) -> i64 {
    v.round_ties_even() as i64
}

/// One attempt: a crop of `aspect` with an area in `area` at a random place, if it covers at
/// least `min_covered` of one of `boxes`.
fn random_crop(
    rng: &mut RandomStream,
    (height, width): (i64, i64),
    boxes: &[Rect],
    min_covered: f32,
    area: (f32, f32),
    aspect: f32,
) -> Option<Rect> {
    let mut max_height = lrint((area.1 / aspect).sqrt());
    let mut min_height = lrint((area.0 / aspect).sqrt());
    if lrint(max_height as f32 * aspect) > width {
        // The widest crop of this aspect that fits, allowing for rounding.
        let epsilon = 0.000_000_1f32;
        max_height = ((width as f32 + 0.5 - epsilon) / aspect) as i64;
        if lrint(max_height as f32 * aspect) > width {
            max_height -= 1;
        }
    }
    max_height = max_height.min(height);
    min_height = min_height.min(max_height);
    let mut crop_height = min_height;
    if max_height > min_height {
        crop_height += rng.below((max_height - min_height + 1) as u64) as i64;
    }
    let mut crop_width = lrint(crop_height as f32 * aspect);
    if ((crop_width * crop_height) as f32) < area.0 {
        crop_height += 1;
        crop_width = lrint(crop_height as f32 * aspect);
    }
    let covered = (crop_width * crop_height) as f32;
    if covered < area.0 || covered > area.1 || crop_width > width || crop_height > height {
        return None;
    }
    if crop_width <= 0 || crop_height <= 0 {
        return None;
    }
    let y = if crop_height < height {
        rng.below((height - crop_height) as u64) as i64
    } else {
        0
    };
    let x = if crop_width < width {
        rng.below((width - crop_width) as u64) as i64
    } else {
        0
    };
    let crop = Rect {
        y,
        x,
        height: crop_height,
        width: crop_width,
    };
    boxes
        .iter()
        .any(|b| covers(&crop, b, min_covered))
        .then_some(crop)
}

/// Whether `crop` covers at least `min_covered` of `object`'s area.
fn covers(crop: &Rect, object: &Rect, min_covered: f32) -> bool {
    let area = object.height * object.width;
    if area < 1 {
        return false;
    }
    let overlap_h =
        ((crop.y + crop.height).min(object.y + object.height) - crop.y.max(object.y)).max(0);
    let overlap_w =
        ((crop.x + crop.width).min(object.x + object.width) - crop.x.max(object.x)).max(0);
    (overlap_h * overlap_w) as f32 / area as f32 >= min_covered
}

/// `[height, width]` from an image size `[height, width, channels]` of integers.
fn image_size(size: &Tensor) -> Result<(i64, i64)> {
    let wrong = || {
        Error::InvalidArgument(format!(
            "image_size must be [height, width, channels] integers, got {} of shape {:?}",
            size.dtype(),
            size.shape()
        ))
    };
    if size.shape() != [3] || !size.dtype().is_integer() {
        return Err(wrong());
    }
    let dims = cast(size, DType::Int64)?;
    let dims = dims.as_slice::<i64>().expect("cast to int64");
    if dims[0] <= 0 || dims[1] <= 0 {
        return Err(Error::InvalidArgument(format!(
            "image_size must be positive, got {dims:?}"
        )));
    }
    Ok((dims[0], dims[1]))
}

/// The boxes `[..., 4]` (normalized `[y_min, x_min, y_max, x_max]`) in whole pixels of an
/// image of `height` x `width`, truncated as TensorFlow keeps them.
fn pixel_boxes(boxes: &Tensor, (height, width): (i64, i64)) -> Result<Vec<Rect>> {
    if boxes.shape().last() != Some(&4) || boxes.dtype() != DType::Float32 {
        return Err(Error::InvalidArgument(format!(
            "bounding_boxes must be float32 of shape [batch, N, 4], got {} of shape {:?}",
            boxes.dtype(),
            boxes.shape()
        )));
    }
    let values = boxes.as_slice::<f32>().expect("float32");
    values
        .chunks_exact(4)
        .map(|b| {
            let ordered = 0.0 <= b[0] && b[0] <= b[2] && b[2] <= 1.0;
            if !(ordered && 0.0 <= b[1] && b[1] <= b[3] && b[3] <= 1.0) {
                return Err(Error::InvalidArgument(format!(
                    "bounding boxes must be in [0, 1] with min <= max, got {b:?}"
                )));
            }
            let (y1, x1) = ((b[0] * height as f32) as i64, (b[1] * width as f32) as i64);
            let (y2, x2) = ((b[2] * height as f32) as i64, (b[3] * width as f32) as i64);
            Ok(Rect {
                y: y1,
                x: x1,
                height: y2 - y1,
                width: x2 - x1,
            })
        })
        .collect()
}

/// `(begin, size, bboxes)`: where the crop starts (`[y, x, 0]`, int32), its extent
/// (`[height, width, -1]`, int32) and its box normalized (`[1, 1, 4]`, float32).
pub fn sample_distorted_bounding_box(
    size: &Tensor,
    boxes: &Tensor,
    options: &CropBoxOptions,
    rng: &mut RandomStream,
) -> Result<Vec<Tensor>> {
    let (height, width) = image_size(size)?;
    let mut objects = pixel_boxes(boxes, (height, width))?;
    if objects.is_empty() {
        if !options.use_image_if_no_bounding_boxes {
            return Err(Error::InvalidArgument(
                "No bounding boxes provided as input. One must enable \
                 use_image_if_no_bounding_boxes=True to use the entire image"
                    .into(),
            ));
        }
        objects.push(Rect {
            y: 0,
            x: 0,
            height,
            width,
        });
    }
    let (low_ratio, high_ratio) = options.aspect_ratio_range;
    let pixels = (height * width) as f32;
    let area = (options.area_range.0 * pixels, options.area_range.1 * pixels);
    let mut crop = None;
    for _ in 0..options.max_attempts {
        let aspect = low_ratio + (high_ratio - low_ratio) * rng.unit_f64() as f32;
        crop = random_crop(
            rng,
            (height, width),
            &objects,
            options.min_object_covered,
            area,
            aspect,
        );
        if crop.is_some() {
            break;
        }
    }
    let crop = crop.unwrap_or(Rect {
        y: 0,
        x: 0,
        height,
        width,
    });
    let (h, w) = (height as f32, width as f32);
    let normalized = vec![
        crop.y as f32 / h,
        crop.x as f32 / w,
        (crop.y + crop.height) as f32 / h,
        (crop.x + crop.width) as f32 / w,
    ];
    Ok(vec![
        Tensor::new(vec![3], vec![crop.y as i32, crop.x as i32, 0])?,
        Tensor::new(vec![3], vec![crop.height as i32, crop.width as i32, -1])?,
        Tensor::new(vec![1, 1, 4], normalized)?,
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(min_object_covered: f32) -> CropBoxOptions {
        CropBoxOptions {
            min_object_covered,
            aspect_ratio_range: (0.75, 1.33),
            area_range: (0.05, 1.0),
            max_attempts: 100,
            use_image_if_no_bounding_boxes: false,
        }
    }

    #[test]
    fn crops_keep_their_ranges_and_cover_the_box() {
        let size = Tensor::new(vec![3], vec![120i32, 160, 3]).unwrap();
        let boxes = Tensor::new(vec![1, 1, 4], vec![0.1f32, 0.2, 0.5, 0.7]).unwrap();
        let object = Rect {
            y: 12,
            x: 32,
            height: 48,
            width: 80,
        };
        for seed in 0..200 {
            let mut rng = RandomStream::new(seed);
            let out =
                sample_distorted_bounding_box(&size, &boxes, &options(0.5), &mut rng).unwrap();
            let begin = out[0].as_slice::<i32>().unwrap();
            let extent = out[1].as_slice::<i32>().unwrap();
            let crop = Rect {
                y: begin[0].into(),
                x: begin[1].into(),
                height: extent[0].into(),
                width: extent[1].into(),
            };
            assert!(crop.y + crop.height <= 120 && crop.x + crop.width <= 160);
            let whole = crop.height == 120 && crop.width == 160;
            assert!(whole || covers(&crop, &object, 0.5), "{crop:?}");
            let area = (crop.height * crop.width) as f32 / (120.0 * 160.0);
            assert!((0.05..=1.0).contains(&area));
        }
    }

    #[test]
    fn missing_boxes_are_refused_unless_the_image_may_stand_in() {
        let size = Tensor::new(vec![3], vec![10i64, 10, 3]).unwrap();
        let none = Tensor::new(vec![1, 0, 4], Vec::<f32>::new()).unwrap();
        let mut rng = RandomStream::new(1);
        assert!(sample_distorted_bounding_box(&size, &none, &options(0.1), &mut rng).is_err());
        let mut whole = options(0.1);
        whole.use_image_if_no_bounding_boxes = true;
        assert!(sample_distorted_bounding_box(&size, &none, &whole, &mut rng).is_ok());
    }
}
