//! Decoding JPEG and PNG into uint8 [height, width, channels], as tf.io.decode_* do.

use std::io::Cursor;

use zune_jpeg::zune_core::colorspace::ColorSpace;
use zune_jpeg::zune_core::options::DecoderOptions;
use zune_jpeg::JpegDecoder;

use crate::engine::memory::{bytes_of, filled, probe};
use crate::engine::{Error, Result, Tensor};

/// Which decoder `decode_image` uses, from the file's first bytes.
fn is_png(data: &[u8]) -> bool {
    data.starts_with(b"\x89PNG\r\n\x1a\n")
}

fn is_jpeg(data: &[u8]) -> bool {
    data.starts_with(&[0xFF, 0xD8, 0xFF])
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
    (height, width): (usize, usize),
    samples: Samples,
    channels: usize,
    depth: Depth,
    widening: Widening,
) -> Result<Tensor> {
    let shape = vec![height, width, channels];
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

/// libjpeg's largest width or height (JPEG_MAX_DIMENSION), which TensorFlow decodes.
const JPEG_MAX_DIMENSION: usize = 65500;

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

/// Whether a JPEG's data is whole: an end-of-image marker follows its last scan. A file cut
/// short lacks one; libjpeg then fails where TensorFlow does not ask it to recover.
fn has_end_of_image(data: &[u8]) -> bool {
    const END_OF_IMAGE: [u8; 2] = [0xFF, 0xD9];
    const START_OF_SCAN: [u8; 2] = [0xFF, 0xDA];
    // Searched from the end, where a whole file has it, so a whole file costs a few bytes.
    match memchr::memmem::rfind(data, &END_OF_IMAGE) {
        // An embedded thumbnail ends before the main image's scans begin.
        Some(at) => memchr::memmem::find(&data[at..], &START_OF_SCAN).is_none(),
        None => false,
    }
}

/// Decodes a JPEG into [height, width, channels] of `depth` (`channels` 0 keeps the file's).
pub fn decode_jpeg(data: &[u8], channels: usize, depth: Depth) -> Result<Tensor> {
    let bad = |e: String| Error::InvalidArgument(format!("Invalid JPEG data or crop window: {e}"));
    if !has_end_of_image(data) {
        return Err(bad(format!(
            "premature end of JPEG data, data size {}",
            data.len()
        )));
    }
    // RGB output; the decoder itself switches to one channel for a grayscale file, so one
    // header pass serves both.
    let options = DecoderOptions::default()
        .set_strict_mode(true)
        .set_max_width(JPEG_MAX_DIMENSION)
        .set_max_height(JPEG_MAX_DIMENSION)
        .jpeg_set_out_colorspace(ColorSpace::RGB);
    let mut decoder = JpegDecoder::new_with_options(data, options);
    decoder
        .decode_headers()
        .map_err(|e| bad(format!("{e:?}")))?;
    if let Some(info) = decoder.info() {
        let (w, h) = (usize::from(info.width), usize::from(info.height));
        probe_decode(w * h, channels, &|| format!("decode_jpeg: a {w}x{h} image"))?;
    }
    // zune-jpeg panics on some malformed progressive scans (an unwrap in its MCU code):
    // that is bad data, reported as such, not a broken kernel.
    let decoded = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| decoder.decode()))
        .map_err(|_| bad("the decoder found malformed scan data".into()))?;
    let pixels = decoded.map_err(|e| bad(format!("{e:?}")))?;
    let info = decoder
        .info()
        .ok_or_else(|| bad("no image information".into()))?;
    let from = decoder
        .get_output_colorspace()
        .map_or(3, |space| space.num_components());
    let (height, width) = (info.height as usize, info.width as usize);
    if pixels.len() != height * width * from {
        return Err(bad("the decoded size does not match the header".into()));
    }
    let (pixels, channels) = convert_channels(pixels, from, channels)?;
    image_tensor(
        (height, width),
        Samples::Eight(pixels),
        channels,
        depth,
        Widening::ConvertImageDtype,
    )
}

/// `[height, width, channels]` of a JPEG from its headers alone (tf.image.extract_jpeg_shape).
pub fn jpeg_shape(data: &[u8]) -> Result<[usize; 3]> {
    let bad = |e: String| Error::InvalidArgument(format!("Invalid JPEG data: {e}"));
    if !is_jpeg(data) {
        return Err(bad("not a JPEG (no start-of-image marker)".into()));
    }
    let mut decoder = JpegDecoder::new(data);
    decoder
        .decode_headers()
        .map_err(|e| bad(format!("{e:?}")))?;
    let info = decoder
        .info()
        .ok_or_else(|| bad("no image information".into()))?;
    Ok([
        usize::from(info.height),
        usize::from(info.width),
        usize::from(info.components),
    ])
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
    image_tensor(size, samples, channels, depth, Widening::Libpng)
}

/// Decodes a JPEG or PNG, chosen by its first bytes.
pub fn decode_image(data: &[u8], channels: usize, depth: Depth) -> Result<Tensor> {
    if is_png(data) {
        decode_png(data, channels, depth)
    } else if is_jpeg(data) {
        decode_jpeg(data, channels, depth)
    } else {
        Err(Error::InvalidArgument(
            "Unknown image file format. One of JPEG, PNG, GIF, BMP required.".into(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_formats_are_rejected() {
        assert!(decode_image(b"not an image", 3, Depth::UInt8).is_err());
        assert!(decode_jpeg(&[0xFF, 0xD8, 0xFF, 0x00], 3, Depth::UInt8).is_err());
    }
}
