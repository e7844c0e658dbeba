//! `decode_and_crop_jpeg`: a window of a JPEG's pixels, decoding no more of the image than
//! the window needs.
//!
//! Above the window and beside it, the decoder reads the entropy-coded data (it has to be
//! read through) but skips the inverse DCT, upsampling and colour conversion, as libjpeg's
//! `jpeg_skip_scanlines` and `jpeg_crop_scanline` do for TensorFlow. Below the window, a
//! sequential (baseline or extended) Huffman JPEG is not read at all: the decoder gets a copy
//! of the file whose frame header's height is lowered to the window's bottom edge and
//! `MARGIN` rows more, so the chroma upsampling of the window's last rows sees the same rows
//! below them as in a whole decode. Images in other formats are decoded whole, then cropped.

use super::jpeg::{decode_jpeg_samples, header_segments, JpegOptions, Region};
use super::{decode, DecodeOp, Depth, Format};
use crate::engine::{Result, Tensor};

/// Rows decoded below the window: an MCU row of 4:2:0 (16 rows). Upsampling a row reads at
/// most the chroma row below it; with no margin, the 4:2:0 test's windows differ.
const MARGIN: usize = 16;

/// The window `[y, x, height, width]` of a JPEG's pixels, as uint8 [height, width, channels]
/// (`channels` 0: the file's own), decoded as `options` say (the window is in pixels of the
/// image at 1/`options.ratio` of its size).
pub fn decode_and_crop_jpeg(
    data: &[u8],
    window: &[i64],
    channels: usize,
    options: &JpegOptions,
) -> Result<Tensor> {
    let window = Region::from_window(window)?;
    if Format::of(data) != Some(Format::Jpeg) {
        let whole = decode(data, DecodeOp::Jpeg(*options), channels, Depth::UInt8)?;
        let (height, width, depth) = (whole.shape()[0], whole.shape()[1], whole.shape()[2]);
        let pixels = whole.as_slice::<u8>().expect("decoded to uint8");
        window.check(height, width)?;
        let cropped = window.crop(pixels, width, depth);
        return Tensor::new(vec![window.height, window.width, depth], cropped);
    }
    // In the file's own rows: a scaled decode reads `ratio` of them per output row.
    let ratio = options.ratio as usize;
    let rows = (window.y + window.height + MARGIN) * ratio;
    let inside = |frame: &Frame| (window.x + window.width) * ratio <= frame.width;
    let samples = match sequential_frame(data) {
        Some(frame) if rows < frame.height && inside(&frame) => {
            let mut shortened = data.to_vec();
            let at = frame.height_at;
            shortened[at..at + 2].copy_from_slice(&(rows as u16).to_be_bytes());
            decode_jpeg_samples(&shortened, channels, Some(window), options)?
        }
        _ => decode_jpeg_samples(data, channels, Some(window), options)?,
    };
    samples.into_tensor(channels, Depth::UInt8)
}

/// A sequential Huffman JPEG's frame: where its header keeps the height, and the size.
struct Frame {
    height_at: usize,
    height: usize,
    width: usize,
}

/// The frame of a baseline or extended sequential Huffman JPEG; `None` for any other JPEG
/// (progressive, lossless, arithmetic-coded, a height given later by a DNL marker) or a
/// header that does not parse, which the whole decode then reports.
fn sequential_frame(data: &[u8]) -> Option<Frame> {
    let be16 = |i: usize| {
        Some(usize::from(u16::from_be_bytes([
            *data.get(i)?,
            *data.get(i + 1)?,
        ])))
    };
    let (marker, at) = header_segments(data).find(
        |&(marker, _)| matches!(marker, 0xC0..=0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF),
    )?;
    if !matches!(marker, 0xC0 | 0xC1) {
        return None;
    }
    let (height, width) = (be16(at + 5)?, be16(at + 7)?);
    (height > 0 && width > 0).then_some(Frame {
        height_at: at + 5,
        height,
        width,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_found_past_other_segments_and_only_for_sequential_jpegs() {
        let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x04, 0xAA, 0xBB];
        let frame = [
            0xFF, 0xC0, 0x00, 0x0B, 0x08, 0x01, 0x2C, 0x00, 0xC8, 0x01, 0x01,
        ];
        jpeg.extend_from_slice(&frame);
        let found = sequential_frame(&jpeg).expect("a baseline frame");
        assert_eq!((found.height, found.width, found.height_at), (300, 200, 13));
        jpeg[9] = 0xC2;
        assert!(sequential_frame(&jpeg).is_none(), "progressive");
        assert!(sequential_frame(&jpeg[..12]).is_none(), "cut short");
    }
}
