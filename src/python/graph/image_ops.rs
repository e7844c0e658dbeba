//! Traced ops on images: decoding and encoding, resizing, flips, crops and pads, colour
//! adjustments.

use pyo3::prelude::*;

use crate::engine::{DType, Error, Result};
use crate::kernels::color::Adjustment;
use crate::kernels::decode::{DecodeOp, Depth, JpegOptions};
use crate::kernels::graph::GraphOp;
use crate::kernels::resize::{Grid, ResizeMethod};

op_family!(|py, inputs, attr, wrong| {
    "resize_v1" => {
        let (height, width, nearest, grid): (usize, usize, bool, String) =
            attr.extract().map_err(wrong)?;
        let grid = match grid.as_str() {
            "half_pixel" => Grid::HalfPixel,
            "align_corners" => Grid::AlignCorners,
            "asymmetric" => Grid::Asymmetric,
            other => return Err(Error::InvalidArgument(format!("unknown sampling grid {other:?}"))),
        };
        GraphOp::ResizeV1 { height, width, nearest, grid }
    },
    "decode_and_crop_jpeg" => {
        let (channels, dct_method, fancy_upscaling, ratio): (usize, String, bool, i64) =
            attr.extract().map_err(wrong)?;
        GraphOp::DecodeAndCropJpeg {
            channels,
            options: JpegOptions::parse(&dct_method, fancy_upscaling, ratio)?,
        }
    },
    "extract_jpeg_shape" => GraphOp::ExtractJpegShape(DType::from_name(&attr.extract::<String>().map_err(wrong)?)?),
    "crop_and_resize" => {
        let (height, width, nearest, extrapolation): (usize, usize, bool, f32) =
            attr.extract().map_err(wrong)?;
        GraphOp::CropAndResize { height, width, nearest, extrapolation }
    },
    "decode_image" => {
        let (op, channels, dtype, expand_animations, dct_method, fancy_upscaling, ratio): (
            String,
            usize,
            String,
            bool,
            String,
            bool,
            i64,
        ) = attr.extract().map_err(wrong)?;
        let jpeg = JpegOptions::parse(&dct_method, fancy_upscaling, ratio)?;
        GraphOp::DecodeImage {
            op: DecodeOp::parse(&op, expand_animations, jpeg)?,
            channels,
            depth: Depth::parse(&dtype)?,
        }
    },
    "encode_png" => GraphOp::EncodePng(attr.extract().map_err(wrong)?),
    "encode_jpeg" => GraphOp::EncodeJpeg(attr.extract().map_err(wrong)?),
    "resize" => {
        let (height, width, method, antialias): (usize, usize, String, bool) =
            attr.extract().map_err(wrong)?;
        GraphOp::Resize {
            height,
            width,
            method: ResizeMethod::parse(&method, antialias)?,
        }
    },
    "flip_left_right" => GraphOp::FlipLeftRight,
    "flip_up_down" => GraphOp::FlipUpDown,
    "per_image_standardization" => GraphOp::PerImageStandardization,
    "rgb_to_grayscale" => GraphOp::RgbToGrayscale,
    "adjust" => {
        let (kind, amount): (String, f32) = attr.extract().map_err(wrong)?;
        GraphOp::Adjust {
            adjustment: Adjustment::parse(&kind)?,
            amount,
        }
    },
    "pad" => {
        let (top, left, height, width) = attr.extract().map_err(wrong)?;
        GraphOp::Pad {
            top,
            left,
            height,
            width,
        }
    },
    "crop" => {
        let (top, left, height, width) = attr.extract().map_err(wrong)?;
        GraphOp::Crop {
            top,
            left,
            height,
            width,
        }
    },
    "central_crop" => GraphOp::CentralCrop(attr.extract().map_err(wrong)?),
});
