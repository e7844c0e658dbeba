//! Decoding images as tf.io.decode_* do: JPEG and PNG here, BMP, GIF and WebP in their own
//! modules, and which op takes which format with which shape.

mod bmp;
mod gif;
mod jpeg;
mod jpeg_window;
mod webp;

pub use jpeg::{decode_jpeg, jpeg_shape, JpegOptions};
pub use jpeg_window::decode_and_crop_jpeg;

use std::io::Cursor;

use crate::engine::memory::{bytes_of, filled, probe};
use crate::engine::{Error, Result, Tensor};

/// An image format, told by the file's first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Jpeg,
    Png,
    Gif,
    Bmp,
    WebP,
}

impl Format {
    fn of(data: &[u8]) -> Option<Format> {
        if data.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(Format::Jpeg)
        } else if data.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(Format::Png)
        } else if data.starts_with(b"GIF8") {
            Some(Format::Gif)
        } else if data.starts_with(b"BM") {
            Some(Format::Bmp)
        } else if data.len() > 12 && data.starts_with(b"RIFF") && &data[8..12] == b"WEBP" {
            Some(Format::WebP)
        } else {
            None
        }
    }

    fn name(self) -> &'static str {
        match self {
            Format::Jpeg => "JPEG",
            Format::Png => "PNG",
            Format::Gif => "GIF",
            Format::Bmp => "BMP",
            Format::WebP => "WebP",
        }
    }
}

/// Which TensorFlow op decodes. Each takes the formats its kernel takes (decode_jpeg reads a
/// PNG, decode_gif a JPEG) and gives that op's rank.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecodeOp {
    /// decode_jpeg, with how its JPEGs decode (other formats ignore the options).
    Jpeg(JpegOptions),
    Png,
    Gif,
    Bmp,
    WebP,
    /// decode_image: frames of an animation as [frames, height, width, channels] when
    /// `expand_animations`, else the first frame alone.
    Image {
        expand_animations: bool,
    },
}

impl DecodeOp {
    /// The op named `name`; `jpeg` is how decode_jpeg decodes (every other op decodes a
    /// JPEG as TensorFlow's defaults say).
    pub fn parse(name: &str, expand_animations: bool, jpeg: JpegOptions) -> Result<DecodeOp> {
        Ok(match name {
            "jpeg" => DecodeOp::Jpeg(jpeg),
            "png" => DecodeOp::Png,
            "gif" => DecodeOp::Gif,
            "bmp" => DecodeOp::Bmp,
            "webp" => DecodeOp::WebP,
            "image" => DecodeOp::Image { expand_animations },
            other => return Err(Error::invalid(format!("no image decoder named {other:?}"))),
        })
    }

    fn name(self) -> &'static str {
        match self {
            DecodeOp::Jpeg(_) => "DecodeJpeg",
            DecodeOp::Png => "DecodePng",
            DecodeOp::Gif => "DecodeGif",
            DecodeOp::Bmp => "DecodeBmp",
            DecodeOp::WebP => "DecodeWebP",
            DecodeOp::Image { .. } => "DecodeImage",
        }
    }

    /// Whether this op returns every frame with a frame axis, stills included.
    fn framed(self) -> bool {
        matches!(
            self,
            DecodeOp::Gif
                | DecodeOp::WebP
                | DecodeOp::Image {
                    expand_animations: true
                }
        )
    }
}

/// Decoded 8-bit samples, `frames` images of `height` x `width` x `channels`.
struct Pixels {
    frames: usize,
    height: usize,
    width: usize,
    channels: usize,
    samples: Vec<u8>,
}

/// The dtype a decoder returns: tf.io.decode_png's and decode_image's `dtype`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Depth {
    UInt8,
    UInt16,
    Float32,
}

impl Depth {
    pub fn parse(name: &str) -> Result<Depth> {
        match name {
            "uint8" => Ok(Depth::UInt8),
            "uint16" => Ok(Depth::UInt16),
            "float32" => Ok(Depth::Float32),
            other => Err(Error::invalid(format!(
                "images decode to uint8, uint16 or float32, not {other}"
            ))),
        }
    }
}

/// A decoded sample: what converting channels needs of 8- and 16-bit values.
trait Sample: Copy {
    const OPAQUE: Self;
    /// libpng's fixed-point BT.601 luma (what TensorFlow's PNG decoder computes): truncated
    /// for 8-bit samples, rounded for 16-bit ones.
    fn gray(rgb: [Self; 3]) -> Self;
}

impl Sample for u8 {
    const OPAQUE: u8 = u8::MAX;
    fn gray([r, g, b]: [u8; 3]) -> u8 {
        ((9797 * r as u32 + 19234 * g as u32 + 3737 * b as u32) >> 15) as u8
    }
}

impl Sample for u16 {
    const OPAQUE: u16 = u16::MAX;
    fn gray([r, g, b]: [u16; 3]) -> u16 {
        ((9797 * r as u32 + 19234 * g as u32 + 3737 * b as u32 + 16384) >> 15) as u16
    }
}

/// Converts interleaved pixels with `from` channels to `to` channels (0 keeps them), as
/// TensorFlow's decoders do: gray to RGB repeats the value, RGB to gray takes the luma, alpha
/// is dropped or made opaque.
fn convert_channels<S: Sample>(pixels: Vec<S>, from: usize, to: usize) -> Result<(Vec<S>, usize)> {
    if to == 0 || to == from {
        return Ok((pixels, from));
    }
    if ![1, 3, 4].contains(&to) {
        return Err(Error::InvalidArgument(format!(
            "channels must be 0, 1, 3 or 4, got {to}"
        )));
    }
    let mut out = Vec::with_capacity(pixels.len() / from * to);
    for p in pixels.chunks_exact(from) {
        let (rgb, alpha) = match from {
            1 => ([p[0]; 3], S::OPAQUE),
            2 => ([p[0]; 3], p[1]),
            3 => ([p[0], p[1], p[2]], S::OPAQUE),
            _ => ([p[0], p[1], p[2]], p[3]),
        };
        match to {
            1 if from <= 2 => out.push(p[0]),
            1 => out.push(S::gray(rgb)),
            3 => out.extend_from_slice(&rgb),
            _ => {
                out.extend_from_slice(&rgb);
                out.push(alpha);
            }
        }
    }
    Ok((out, to))
}

/// Decoded samples at the file's own depth.
enum Samples {
    Eight(Vec<u8>),
    Sixteen(Vec<u16>),
}

/// How 8-bit samples become wider values, which TensorFlow does two ways.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Widening {
    /// libpng expands a sample to 16 bits (times 257); floats are then taken from that.
    Libpng,
    /// convert_image_dtype on a uint8 image: times 256, or over 255 for floats.
    ConvertImageDtype,
}

/// A decoded image as a tensor of `depth`: 16-bit samples narrow to their high byte, 8-bit
/// ones widen as `widening` says, and floats are samples over their maximum (multiplied by
/// the float32 reciprocal, as TensorFlow computes them).
fn image_tensor(
    shape: Vec<usize>,
    samples: Samples,
    depth: Depth,
    widening: Widening,
) -> Result<Tensor> {
    let reciprocal = |max: u16| (1.0 / f64::from(max)) as f32;
    let samples = match (samples, depth, widening) {
        (Samples::Eight(v), Depth::UInt16 | Depth::Float32, Widening::Libpng) => {
            Samples::Sixteen(v.iter().map(|&x| u16::from(x) * 257).collect())
        }
        (samples, ..) => samples,
    };
    match (samples, depth) {
        (Samples::Eight(v), Depth::UInt8) => Tensor::new(shape, v),
        (Samples::Eight(v), Depth::UInt16) => Tensor::new(
            shape,
            v.iter().map(|&x| u16::from(x) * 256).collect::<Vec<_>>(),
        ),
        (Samples::Eight(v), Depth::Float32) => {
            let s = reciprocal(u8::MAX.into());
            Tensor::new(
                shape,
                v.iter().map(|&x| f32::from(x) * s).collect::<Vec<_>>(),
            )
        }
        (Samples::Sixteen(v), Depth::UInt8) => {
            Tensor::new(shape, v.iter().map(|&x| (x >> 8) as u8).collect::<Vec<_>>())
        }
        (Samples::Sixteen(v), Depth::UInt16) => Tensor::new(shape, v),
        (Samples::Sixteen(v), Depth::Float32) => {
            let s = reciprocal(u16::MAX);
            Tensor::new(
                shape,
                v.iter().map(|&x| f32::from(x) * s).collect::<Vec<_>>(),
            )
        }
    }
}

/// Bytes a decode may hold at its peak per pixel and output channel: the decoder's samples
/// and its progressive coefficients (i16), the converted samples, and float32 output.
const DECODE_BYTES_PER_SAMPLE: usize = 1 + 2 + 1 + 4;

/// Checks that an image of `pixels` pixels and `channels` channels can be decoded within the
/// address space the process may still use (the decoders' own allocations cannot fail
/// softly).
fn probe_decode(pixels: usize, channels: usize, what: &dyn Fn() -> String) -> Result<()> {
    let samples = bytes_of(pixels, channels.max(3), what)?;
    probe(bytes_of(samples, DECODE_BYTES_PER_SAMPLE, what)?, what)
}

/// Decodes a PNG into [height, width, channels] of `depth`; channels are converted at the
/// file's own bit depth, as libpng does for TensorFlow.
pub fn decode_png(data: &[u8], channels: usize, depth: Depth) -> Result<Tensor> {
    let bad = |e: String| Error::InvalidArgument(format!("Invalid PNG data: {e}"));
    let mut decoder = png::Decoder::new(Cursor::new(data));
    decoder.set_transformations(png::Transformations::EXPAND);
    let mut reader = decoder.read_info().map_err(|e| bad(e.to_string()))?;
    let (w, h) = (reader.info().width, reader.info().height);
    // TensorFlow's bounds, from before it allocates.
    if w == 0 || h == 0 || w >= 1 << 27 || h >= 1 << 27 || u64::from(w) * u64::from(h) >= 1 << 29 {
        return Err(Error::InvalidArgument(format!(
            "PNG size too large for int: {w} by {h}"
        )));
    }
    let what = || format!("decode_png: a {w}x{h} image");
    probe_decode(w as usize * h as usize, channels.max(4), &what)?;
    let mut bytes = filled(reader.output_buffer_size(), 0u8, &what)?;
    let frame = reader
        .next_frame(&mut bytes)
        .map_err(|e| bad(e.to_string()))?;
    bytes.truncate(frame.buffer_size());
    let from = frame.color_type.samples();
    let size = (frame.height as usize, frame.width as usize);
    let (samples, channels) = if frame.bit_depth == png::BitDepth::Sixteen {
        let wide: Vec<u16> = bytes
            .chunks_exact(2)
            .map(|b| u16::from_be_bytes([b[0], b[1]]))
            .collect();
        let (wide, channels) = convert_channels(wide, from, channels)?;
        (Samples::Sixteen(wide), channels)
    } else {
        let (narrow, channels) = convert_channels(bytes, from, channels)?;
        (Samples::Eight(narrow), channels)
    };
    image_tensor(
        vec![size.0, size.1, channels],
        samples,
        depth,
        Widening::Libpng,
    )
}

/// Decodes an image as TensorFlow's op `op` does: the format is read from the data, and
/// `channels` (0: the file's own) and `depth` apply as that op applies them.
pub fn decode(data: &[u8], op: DecodeOp, channels: usize, depth: Depth) -> Result<Tensor> {
    let format = Format::of(data).ok_or_else(|| {
        Error::invalid("Unknown image file format. One of JPEG, PNG, GIF, BMP, WebP required.")
    })?;
    let wrong_op = || {
        Error::invalid(format!(
            "Trying to decode {} format using {}. Use `decode_{}` or `decode_image` instead.",
            format.name(),
            op.name(),
            format.name().to_lowercase()
        ))
    };
    // decode_gif has no `channels`: it always gives RGB.
    let channels = if op == DecodeOp::Gif { 3 } else { channels };
    let still = match format {
        Format::Jpeg | Format::Png if op == DecodeOp::Bmp => return Err(wrong_op()),
        Format::Jpeg => {
            let options = match op {
                DecodeOp::Jpeg(options) => options,
                _ => JpegOptions::default(),
            };
            decode_jpeg(data, channels, depth, &options)?
        }
        Format::Png => decode_png(data, channels, depth)?,
        Format::Bmp if !matches!(op, DecodeOp::Bmp | DecodeOp::Image { .. }) => {
            return Err(wrong_op())
        }
        Format::Bmp => frames_tensor(bmp::decode(data, channels)?, false, depth)?,
        Format::Gif => {
            if ![0, 3].contains(&channels) {
                return Err(Error::invalid(format!(
                    "channels must be 0 or 3 for GIF, got {channels}"
                )));
            }
            if matches!(op, DecodeOp::Bmp | DecodeOp::WebP) {
                return Err(wrong_op());
            }
            let pixels = gif::decode(
                data,
                op != DecodeOp::Image {
                    expand_animations: false,
                },
            )?;
            if matches!(op, DecodeOp::Png | DecodeOp::Jpeg(_)) && pixels.frames > 1 {
                return Err(Error::invalid(format!(
                    "Got {} frames, but animated gifs can only be decoded by tf.io.decode_gif \
                     or tf.io.decode_image",
                    pixels.frames
                )));
            }
            return frames_tensor(pixels, op.framed(), depth);
        }
        Format::WebP => {
            if depth != Depth::UInt8 {
                return Err(Error::invalid("WebP only supports uint8 for dtype"));
            }
            if op == DecodeOp::Bmp {
                return Err(wrong_op());
            }
            let pixels = webp::decode(data, channels, op.framed())?;
            return frames_tensor(pixels, op.framed(), depth);
        }
    };
    if op == DecodeOp::Gif {
        // decode_gif gives a still JPEG or PNG one frame.
        let mut shape = still.shape().to_vec();
        shape.insert(0, 1);
        return still.with_shape(shape);
    }
    Ok(still)
}

/// Decoded frames as a tensor of `depth`, with a frame axis when `framed` (else the first
/// frame alone).
fn frames_tensor(pixels: Pixels, framed: bool, depth: Depth) -> Result<Tensor> {
    let Pixels {
        frames,
        height,
        width,
        channels,
        mut samples,
    } = pixels;
    let shape = if framed {
        vec![frames, height, width, channels]
    } else {
        samples.truncate(height * width * channels);
        vec![height, width, channels]
    };
    image_tensor(
        shape,
        Samples::Eight(samples),
        depth,
        Widening::ConvertImageDtype,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_formats_are_rejected() {
        let image = DecodeOp::Image {
            expand_animations: false,
        };
        assert!(decode(b"not an image", image, 3, Depth::UInt8).is_err());
        assert!(decode_jpeg(
            &[0xFF, 0xD8, 0xFF, 0x00],
            3,
            Depth::UInt8,
            &JpegOptions::default()
        )
        .is_err());
    }
}
