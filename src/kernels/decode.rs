//! Decoding JPEG and PNG into uint8 [height, width, channels], as tf.io.decode_* do.

use std::io::Cursor;

use zune_jpeg::zune_core::colorspace::ColorSpace;
use zune_jpeg::zune_core::options::DecoderOptions;
use zune_jpeg::JpegDecoder;

use crate::engine::{Error, Result, Tensor};

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
    // RGB output; the decoder itself switches to one channel for a grayscale file, so one
    // header pass serves both.
    let options = DecoderOptions::default()
        .set_strict_mode(true)
        .jpeg_set_out_colorspace(ColorSpace::RGB);
    let mut decoder = JpegDecoder::new_with_options(data, options);
    let pixels = decoder.decode().map_err(|e| bad(format!("{e:?}")))?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_formats_are_rejected() {
        assert!(decode_image(b"not an image", 3).is_err());
        assert!(decode_jpeg(&[0xFF, 0xD8, 0xFF, 0x00], 3).is_err());
    }
}
