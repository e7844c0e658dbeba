//! Traced random ops: random tensors, flips, crops and colour adjustments, and seed
//! splitting. Each is seeded by its op seed and the element's position, or by a seed
//! tensor (stateless ops).

use pyo3::prelude::*;

use crate::engine::{DType, Error, Result};
use crate::kernels::color::Adjustment;
use crate::kernels::crop_box::CropBoxOptions;
use crate::kernels::graph::{GraphOp, Seeding};
use crate::kernels::random::Distribution;

/// A random op's seed: the op's own, or (None) a seed tensor given as its last input.
fn seeding(seed: Option<u64>) -> Seeding {
    seed.map_or(Seeding::Input, Seeding::Op)
}

/// The distribution `kind` with its two parameters (bounds, or mean and deviation).
fn distribution(
    kind: &str,
    a: &Bound<'_, PyAny>,
    b: &Bound<'_, PyAny>,
    wrong: impl Fn(PyErr) -> Error + Copy,
) -> Result<Distribution> {
    let float = |v: &Bound<'_, PyAny>| v.extract::<f64>().map_err(wrong);
    let int = |v: &Bound<'_, PyAny>| v.extract::<i64>().map_err(wrong);
    Ok(match kind {
        "uniform" => Distribution::Uniform {
            low: float(a)?,
            high: float(b)?,
        },
        "uniform_int" => Distribution::UniformInt {
            low: int(a)?,
            high: int(b)?,
        },
        "normal" => Distribution::Normal {
            mean: float(a)?,
            stddev: float(b)?,
        },
        other => {
            return Err(Error::InvalidArgument(format!(
                "no random distribution {other:?}"
            )))
        }
    })
}

/// random_tensor's attribute: shape, dtype, distribution and its two parameters, op seed.
type TensorAttr<'py> = (
    Vec<usize>,
    String,
    String,
    Bound<'py, PyAny>,
    Bound<'py, PyAny>,
    Option<u64>,
);

/// sample_crop_box's attribute: minimum covered share, aspect ratio and area ranges,
/// attempts, whether the image stands in for missing boxes, op seed.
type CropBoxAttr = (f32, (f32, f32), (f32, f32), usize, bool, Option<u64>);

op_family!(|py, inputs, attr, wrong| {
    "random_tensor" => {
        let (shape, dtype, kind, a, b, seed): TensorAttr = attr.extract().map_err(wrong)?;
        GraphOp::RandomTensor {
            shape,
            dtype: DType::from_name(&dtype)?,
            distribution: distribution(&kind, &a, &b, wrong)?,
            seed: seeding(seed),
        }
    },
    "random_flip" => {
        let (up_down, seed): (bool, Option<u64>) = attr.extract().map_err(wrong)?;
        GraphOp::RandomFlip {
            up_down,
            seed: seeding(seed),
        }
    },
    "random_crop" => {
        let (height, width, seed): (usize, usize, Option<u64>) = attr.extract().map_err(wrong)?;
        GraphOp::RandomCrop {
            height,
            width,
            seed: seeding(seed),
        }
    },
    "random_adjust" => {
        let (kind, lower, upper, seed): (String, f32, f32, Option<u64>) =
            attr.extract().map_err(wrong)?;
        GraphOp::RandomAdjust {
            adjustment: Adjustment::parse(&kind)?,
            range: (lower, upper),
            seed: seeding(seed),
        }
    },
    "sample_crop_box" => {
        let (min_object_covered, aspect_ratio_range, area_range, max_attempts, whole, seed): CropBoxAttr =
            attr.extract().map_err(wrong)?;
        GraphOp::SampleCropBox {
            options: CropBoxOptions {
                min_object_covered,
                aspect_ratio_range,
                area_range,
                max_attempts,
                use_image_if_no_bounding_boxes: whole,
            },
            seed: seeding(seed),
        }
    },
    "split_seed" => GraphOp::SplitSeed(attr.extract().map_err(wrong)?),
});
