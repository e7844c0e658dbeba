//! `decode_and_crop_jpeg`: a window of a JPEG's pixels, without decoding the rows below it.
//!
//! A sequential (baseline or extended) Huffman JPEG codes its image as rows of MCUs from the
//! top, so a decoder told the image ends lower down stops there: the copy of the file the
//! decoder gets has its frame header's height lowered to the window's bottom edge and
//! `MARGIN` rows more, so the chroma upsampling of the window's last rows sees the same
//! rows below them as in a whole decode, and the pixels equal the whole decode's. Rows
//! above the window are decoded (their entropy-coded data has to be read through anyway);
//! so are the columns beside it. Progressive, arithmetic-coded and other JPEGs, and images
//! in other formats, are decoded whole, then cropped.

use super::{decode, decode_jpeg_samples, DecodeOp, Depth, Format, JpegSamples};
use crate::engine::{Error, Result, Tensor};

/// Rows decoded below the window: an MCU row of 4:2:0 (16 rows). Upsampling a row reads at
/// most the chroma row below it; with no margin, the 4:2:0 test's windows differ.
const MARGIN: usize = 16;

/// The window `[y, x, height, width]` of a JPEG's pixels, as uint8 [height, width, channels]
/// (`channels` 0: the file's own).
pub fn decode_and_crop_jpeg(data: &[u8], window: &[i64], channels: usize) -> Result<Tensor> {
    let window = Window::new(window)?;
    let frame = (Format::of(data) == Some(Format::Jpeg))
        .then(|| sequential_frame(data))
        .flatten();
    let Some(frame) = frame else {
        let whole = decode(data, DecodeOp::Jpeg, channels, Depth::UInt8)?;
        let (height, width, depth) = (whole.shape()[0], whole.shape()[1], whole.shape()[2]);
        let pixels = whole.as_slice::<u8>().expect("decoded to uint8");
        window.check(height, width)?;
        let cropped = window.crop(pixels, width, depth);
        return Tensor::new(vec![window.height, window.width, depth], cropped);
    };
    window.check(frame.height, frame.width)?;
    let rows = (window.y + window.height + MARGIN).min(frame.height);
    let samples = if rows < frame.height {
        let mut shortened = data.to_vec();
        let at = frame.height_at;
        shortened[at..at + 2].copy_from_slice(&(rows as u16).to_be_bytes());
        decode_jpeg_samples(&shortened, channels)?
    } else {
        decode_jpeg_samples(data, channels)?
    };
    let cropped = window.crop(&samples.pixels, samples.width, samples.channels);
    JpegSamples {
        pixels: cropped,
        height: window.height,
        width: window.width,
        channels: samples.channels,
    }
    .into_tensor(channels, Depth::UInt8)
}

/// A crop window, checked to be one.
struct Window {
    y: usize,
    x: usize,
    height: usize,
    width: usize,
}

impl Window {
    fn new(window: &[i64]) -> Result<Window> {
        let bad = || {
            Error::InvalidArgument(format!(
                "Invalid JPEG data or crop window: the window must be [y, x, height, width] \
                 with y and x at least 0 and a positive height and width, got {window:?}"
            ))
        };
        let [y, x, height, width] = window else {
            return Err(bad());
        };
        let at_least = |v: i64, least: i64| usize::try_from(v).ok().filter(|&v| v as i64 >= least);
        Ok(Window {
            y: at_least(*y, 0).ok_or_else(bad)?,
            x: at_least(*x, 0).ok_or_else(bad)?,
            height: at_least(*height, 1).ok_or_else(bad)?,
            width: at_least(*width, 1).ok_or_else(bad)?,
        })
    }

    /// Fails unless the window lies within an image of this size.
    fn check(&self, height: usize, width: usize) -> Result<()> {
        if self.y + self.height <= height && self.x + self.width <= width {
            return Ok(());
        }
        Err(Error::InvalidArgument(format!(
            "Invalid JPEG data or crop window: window {:?} is outside the {height}x{width} image",
            [self.y, self.x, self.height, self.width]
        )))
    }

    /// The window's samples out of rows of `width` pixels of `channels` samples.
    fn crop(&self, pixels: &[u8], width: usize, channels: usize) -> Vec<u8> {
        let row = width * channels;
        let (start, len) = (self.x * channels, self.width * channels);
        let mut out = Vec::with_capacity(self.height * len);
        for r in self.y..self.y + self.height {
            out.extend_from_slice(&pixels[r * row + start..r * row + start + len]);
        }
        out
    }
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
    let byte = |i: usize| data.get(i).copied();
    let be16 = |i: usize| Some(usize::from(u16::from_be_bytes([byte(i)?, byte(i + 1)?])));
    let mut at = 2; // past the start-of-image marker
    loop {
        if byte(at)? != 0xFF {
            return None;
        }
        match byte(at + 1)? {
            0xFF => at += 1,               // fill byte
            0x01 | 0xD0..=0xD8 => at += 2, // markers without a segment
            0xC0 | 0xC1 => {
                let (height, width) = (be16(at + 5)?, be16(at + 7)?);
                return (height > 0 && width > 0).then_some(Frame {
                    height_at: at + 5,
                    height,
                    width,
                });
            }
            // Other frames, and a scan or the end before any frame.
            0xC2 | 0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF | 0xD9 | 0xDA => return None,
            _ => at += 2 + be16(at + 2)?,
        }
    }
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

    #[test]
    fn windows_must_be_inside_the_image() {
        assert!(Window::new(&[0, 0, 0, 5]).is_err());
        assert!(Window::new(&[-1, 0, 5, 5]).is_err());
        assert!(Window::new(&[0, 0, 5]).is_err());
        let window = Window::new(&[10, 20, 30, 40]).unwrap();
        assert!(window.check(40, 60).is_ok());
        assert!(window.check(39, 60).is_err());
        assert!(window.check(40, 59).is_err());
    }
}
