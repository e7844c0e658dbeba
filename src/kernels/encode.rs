//! Encoding uint8 [height, width, channels] images as PNG or JPEG (tf.io.encode_png /
//! encode_jpeg), into a scalar string.

use crate::engine::{Buffer, Error, Result, StringBuf, Tensor};

/// The image's height, width, channels and pixels; it must be uint8 [h, w, c].
fn pixels<'a>(t: &'a Tensor, op: &str) -> Result<(usize, usize, usize, &'a [u8])> {
    match (t.shape(), t.buffer()) {
        (&[h, w, c], Buffer::UInt8(v)) if matches!(c, 1..=4) => Ok((h, w, c, v)),
        _ => Err(Error::InvalidArgument(format!(
            "{op} takes a uint8 image of shape [height, width, 1 to 4 channels], got {} {:?}",
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
    let (h, w, c, data) = pixels(t, "encode_png")?;
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, w as u32, h as u32);
        encoder.set_color(match c {
            1 => png::ColorType::Grayscale,
            2 => png::ColorType::GrayscaleAlpha,
            3 => png::ColorType::Rgb,
            _ => png::ColorType::Rgba,
        });
        encoder.set_depth(png::BitDepth::Eight);
        encoder.set_compression(match compression {
            0..=3 => png::Compression::Fast,
            7..=9 => png::Compression::Best,
            _ => png::Compression::Default,
        });
        let bad = |e: png::EncodingError| Error::InvalidArgument(format!("encode_png: {e}"));
        let mut writer = encoder.write_header().map_err(bad)?;
        writer.write_image_data(data).map_err(bad)?;
    }
    encoded(out)
}

/// A baseline JPEG of a gray or RGB image at `quality` (1-100).
pub fn encode_jpeg(t: &Tensor, quality: u8) -> Result<Tensor> {
    let (h, w, c, data) = pixels(t, "encode_jpeg")?;
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
    use super::super::decode::{decode_jpeg, decode_png};
    use super::*;

    #[test]
    fn png_round_trips_and_jpeg_decodes_close() {
        let values: Vec<u8> = (0..8 * 6 * 3).map(|i| (i * 5 % 256) as u8).collect();
        let img = Tensor::from_vec(vec![8, 6, 3], values).unwrap();
        let png = encode_png(&img, -1).unwrap();
        assert_eq!(
            decode_png(png.as_strings().unwrap().get(0), 3).unwrap(),
            img
        );
        let flat = Tensor::from_vec(vec![16, 16, 1], vec![128u8; 256]).unwrap();
        let jpeg = encode_jpeg(&flat, 95).unwrap();
        let back = decode_jpeg(jpeg.as_strings().unwrap().get(0), 1).unwrap();
        assert!(back
            .as_slice::<u8>()
            .unwrap()
            .iter()
            .all(|&v| v.abs_diff(128) <= 2));
    }
}
