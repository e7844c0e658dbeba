//! Encoding [height, width, channels] images as PNG (uint8 or uint16) or JPEG (uint8), into
//! a scalar string, as tf.io.encode_png and encode_jpeg do.

use std::borrow::Cow;

use crate::engine::{Buffer, Error, Result, StringBuf, Tensor};

/// The image's height, width and channels, if it is uint8 (or uint16, with `wide`)
/// [h, w, c] with 1 to 4 channels.
fn image_shape(t: &Tensor, op: &str, wide: bool) -> Result<(usize, usize, usize)> {
    let typed = match t.buffer() {
        Buffer::UInt8(_) => true,
        Buffer::UInt16(_) => wide,
        _ => false,
    };
    let dtypes = if wide { "uint8 or uint16" } else { "uint8" };
    match t.shape() {
        &[h, w, c] if typed && matches!(c, 1..=4) => Ok((h, w, c)),
        _ => Err(Error::InvalidArgument(format!(
            "{op} takes a {dtypes} image of shape [height, width, 1 to 4 channels], got {} {:?}",
            t.dtype(),
            t.shape()
        ))),
    }
}

fn encoded(bytes: Vec<u8>) -> Result<Tensor> {
    Tensor::new(Vec::new(), StringBuf::single(bytes))
}

/// A PNG of the image (compression level 0-9, -1 for the default).
pub fn encode_png(t: &Tensor, compression: i64) -> Result<Tensor> {
    let (h, w, c) = image_shape(t, "encode_png", true)?;
    // PNG stores 16-bit samples big-endian.
    let (data, depth) = match t.buffer() {
        Buffer::UInt16(v) => (
            Cow::Owned(v.iter().flat_map(|x| x.to_be_bytes()).collect()),
            png::BitDepth::Sixteen,
        ),
        Buffer::UInt8(v) => (Cow::Borrowed(&v[..]), png::BitDepth::Eight),
        _ => unreachable!("image_shape admits uint8 and uint16 only"),
    };
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, w as u32, h as u32);
        encoder.set_color(match c {
            1 => png::ColorType::Grayscale,
            2 => png::ColorType::GrayscaleAlpha,
            3 => png::ColorType::Rgb,
            _ => png::ColorType::Rgba,
        });
        encoder.set_depth(depth);
        encoder.set_compression(match compression {
            0..=3 => png::Compression::Fast,
            7..=9 => png::Compression::Best,
            _ => png::Compression::Default,
        });
        let bad = |e: png::EncodingError| Error::InvalidArgument(format!("encode_png: {e}"));
        let mut writer = encoder.write_header().map_err(bad)?;
        writer.write_image_data(&data).map_err(bad)?;
    }
    encoded(out)
}

/// A baseline JPEG of a gray or RGB image at `quality` (1-100).
pub fn encode_jpeg(t: &Tensor, quality: u8) -> Result<Tensor> {
    let (h, w, c) = image_shape(t, "encode_jpeg", false)?;
    let data = t.as_slice::<u8>().expect("image_shape admits uint8 only");
    let color = match c {
        1 => jpeg_encoder::ColorType::Luma,
        3 => jpeg_encoder::ColorType::Rgb,
        _ => return Err(Error::invalid("encode_jpeg takes 1 or 3 channels")),
    };
    if h > u16::MAX as usize || w > u16::MAX as usize {
        return Err(Error::invalid(
            "encode_jpeg: images are at most 65535 pixels a side",
        ));
    }
    let mut out = Vec::new();
    jpeg_encoder::Encoder::new(&mut out, quality.clamp(1, 100))
        .encode(data, w as u16, h as u16, color)
        .map_err(|e| Error::InvalidArgument(format!("encode_jpeg: {e}")))?;
    encoded(out)
}

#[cfg(test)]
mod tests {
    use super::super::decode::{decode_jpeg, decode_png, Depth, JpegOptions};
    use super::*;

    #[test]
    fn png_round_trips_and_jpeg_decodes_close() {
        let values: Vec<u8> = (0..8 * 6 * 3).map(|i| (i * 5 % 256) as u8).collect();
        let img = Tensor::from_vec(vec![8, 6, 3], values).unwrap();
        let png = encode_png(&img, -1).unwrap();
        assert_eq!(
            decode_png(png.as_strings().unwrap().get(0), 3, Depth::UInt8).unwrap(),
            img
        );
        let flat = Tensor::from_vec(vec![16, 16, 1], vec![128u8; 256]).unwrap();
        let jpeg = encode_jpeg(&flat, 95).unwrap();
        let data = jpeg.as_strings().unwrap().get(0);
        let back = decode_jpeg(data, 1, Depth::UInt8, &JpegOptions::default()).unwrap();
        assert!(back
            .as_slice::<u8>()
            .unwrap()
            .iter()
            .all(|&v| v.abs_diff(128) <= 2));
    }
}
