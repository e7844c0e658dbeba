//! BMP as TensorFlow reads it. Its reader is its own, not a general BMP codec: uncompressed
//! 8-, 24- and 32-bit pixels at the offset the file header gives, rows padded to four bytes,
//! bottom-up unless the height is negative, and an 8-bit file's bytes taken as gray levels
//! (its palette is not applied). A general decoder would apply palettes and accept
//! compressed files, and so give different pixels for the same bytes.

use crate::engine::{Error, Result};

use super::Pixels;

fn field<const N: usize>(data: &[u8], at: usize) -> [u8; N] {
    data[at..at + N].try_into().expect("the length was checked")
}

/// Decodes a BMP into 8-bit pixels of `channels` (0: the file's own; 1 is refused, as
/// TensorFlow refuses it).
pub fn decode(data: &[u8], channels: usize) -> Result<Pixels> {
    let bad = |what: String| Error::InvalidArgument(what);
    if channels == 1 {
        return Err(bad("`channels` must be 0, 3 or 4 for BMP, but got 1".into()));
    }
    if data.len() < 32 {
        return Err(bad(format!(
            "Incomplete bmp content, requires at least 32 bytes to find the header size, \
             width, height, and bpp, got {} bytes",
            data.len()
        )));
    }
    let header_size = i32::from_le_bytes(field(data, 10));
    let width = i32::from_le_bytes(field(data, 18));
    let height = i32::from_le_bytes(field(data, 22));
    let bits = i16::from_le_bytes(field(data, 28));
    let from = (bits / 8) as usize;
    if ![1, 3, 4].contains(&from) || bits % 8 != 0 {
        return Err(bad(format!(
            "Number of channels inherent in the image must be 1, 3 or 4, was {}",
            bits / 8
        )));
    }
    if width <= 0 {
        return Err(bad("Width must be positive".into()));
    }
    if height == 0 {
        return Err(bad("Height must be nonzero".into()));
    }
    if header_size < 0 {
        return Err(bad("header size must be nonnegative".into()));
    }
    let (width, rows) = (width as usize, height.unsigned_abs() as usize);
    if width.saturating_mul(rows) >= (i32::MAX / 8) as usize {
        return Err(bad(
            "Total possible pixel bytes must be less than 2^30".into()
        ));
    }
    let row_size = (from * width).div_ceil(4) * 4;
    let expected = header_size as usize + row_size * rows;
    if data.len() != expected {
        return Err(bad(format!(
            "Input size should match (header_size + row_size * abs_height) but they differ \
             by {}",
            data.len() as i64 - expected as i64
        )));
    }
    let to = if channels == 0 { from } else { channels };
    let pixels = &data[header_size as usize..];
    let mut out = Vec::with_capacity(rows * width * to);
    for i in 0..rows {
        let stored = if height < 0 { i } else { rows - 1 - i };
        let row = &pixels[stored * row_size..][..width * from];
        for p in row.chunks_exact(from) {
            // Stored blue first; a gray byte stands for all three.
            let (rgb, alpha) = match from {
                1 => ([p[0]; 3], u8::MAX),
                3 => ([p[2], p[1], p[0]], u8::MAX),
                _ => ([p[2], p[1], p[0]], p[3]),
            };
            match to {
                1 => out.push(p[0]),
                3 => out.extend_from_slice(&rgb),
                _ => {
                    out.extend_from_slice(&rgb);
                    out.push(alpha);
                }
            }
        }
    }
    Ok(Pixels {
        frames: 1,
        height: rows,
        width,
        channels: to,
        samples: out,
    })
}
