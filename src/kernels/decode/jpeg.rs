//! JPEG decoding with libjpeg-turbo's algorithms (its integer IDCT, fancy upsampling and
//! colour conversion, in pure Rust), as TensorFlow's kernels run libjpeg-turbo: gray output
//! for one channel is the luma plane, CMYK files convert as TensorFlow converts them, and a
//! region decodes as `jpeg_crop_scanline` and `jpeg_skip_scanlines` decode one.

use libjpeg_turbo_rs::{DctMethod, Decoder, PixelFormat, ScalingFactor};

use super::{convert_channels, image_tensor, probe_decode, Depth, Format, Samples, Widening};
use crate::engine::contained::catch_quietly;
use crate::engine::{Error, Result, Tensor};

/// libjpeg's largest width or height (JPEG_MAX_DIMENSION), which TensorFlow decodes.
const JPEG_MAX_DIMENSION: usize = 65500;

/// How decode_jpeg decodes: its `dct_method`, `fancy_upscaling` and `ratio`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JpegOptions {
    /// libjpeg's fast integer IDCT ("INTEGER_FAST", TensorFlow's choice for ""); otherwise
    /// its accurate one ("INTEGER_ACCURATE", ours for "": it is the faster one here).
    pub fast_idct: bool,
    /// Chroma upsampled by interpolation rather than by repeating samples.
    pub fancy_upsampling: bool,
    /// The image decodes at 1/`ratio` of its size: 1, 2, 4 or 8.
    pub ratio: u32,
}

impl Default for JpegOptions {
    fn default() -> Self {
        JpegOptions {
            fast_idct: false,
            fancy_upsampling: true,
            ratio: 1,
        }
    }
}

impl JpegOptions {
    /// The options of decode_jpeg's arguments, checked as TensorFlow checks them.
    pub fn parse(dct_method: &str, fancy_upscaling: bool, ratio: i64) -> Result<JpegOptions> {
        let fast_idct = match dct_method {
            "" | "INTEGER_ACCURATE" => false,
            "INTEGER_FAST" => true,
            other => {
                return Err(Error::invalid(format!(
                    "dct_method must be one of \"\", \"INTEGER_FAST\" or \"INTEGER_ACCURATE\", \
                     got {other:?}"
                )))
            }
        };
        if ![1, 2, 4, 8].contains(&ratio) {
            return Err(Error::invalid(format!(
                "ratio must be 1, 2, 4, or 8, got {ratio}"
            )));
        }
        Ok(JpegOptions {
            fast_idct,
            fancy_upsampling: fancy_upscaling,
            ratio: ratio as u32,
        })
    }
}

/// A rectangle of an image's pixels: rows `y..y + height`, columns `x..x + width`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Region {
    pub y: usize,
    pub x: usize,
    pub height: usize,
    pub width: usize,
}

impl Region {
    /// The region `[y, x, height, width]` of a crop window, checked to be one.
    pub fn from_window(window: &[i64]) -> Result<Region> {
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
        Ok(Region {
            y: at_least(*y, 0).ok_or_else(bad)?,
            x: at_least(*x, 0).ok_or_else(bad)?,
            height: at_least(*height, 1).ok_or_else(bad)?,
            width: at_least(*width, 1).ok_or_else(bad)?,
        })
    }

    /// Fails unless the region lies within an image of this size.
    pub fn check(&self, height: usize, width: usize) -> Result<()> {
        if self.y + self.height <= height && self.x + self.width <= width {
            return Ok(());
        }
        Err(Error::InvalidArgument(format!(
            "Invalid JPEG data or crop window: window {:?} is outside the {height}x{width} image",
            [self.y, self.x, self.height, self.width]
        )))
    }

    /// The region's samples out of rows of `width` pixels of `channels` samples.
    pub fn crop(&self, pixels: &[u8], width: usize, channels: usize) -> Vec<u8> {
        let row = width * channels;
        let (start, len) = (self.x * channels, self.width * channels);
        let mut out = Vec::with_capacity(self.height * len);
        for r in self.y..self.y + self.height {
            out.extend_from_slice(&pixels[r * row + start..r * row + start + len]);
        }
        out
    }
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
pub fn decode_jpeg(
    data: &[u8],
    channels: usize,
    depth: Depth,
    options: &JpegOptions,
) -> Result<Tensor> {
    let samples = decode_jpeg_samples(data, channels, None, options)?;
    samples.into_tensor(channels, depth)
}

/// A JPEG's decoded samples, [height, width, channels] of u8, in the decoder's channels.
pub(super) struct JpegSamples {
    pub pixels: Vec<u8>,
    pub height: usize,
    pub width: usize,
    pub channels: usize,
}

impl JpegSamples {
    /// The samples as an image tensor of `channels` (0: as decoded) and `depth`.
    pub fn into_tensor(self, channels: usize, depth: Depth) -> Result<Tensor> {
        let (pixels, channels) = convert_channels(self.pixels, self.channels, channels)?;
        image_tensor(
            vec![self.height, self.width, channels],
            Samples::Eight(pixels),
            depth,
            Widening::ConvertImageDtype,
        )
    }
}

/// Decodes a JPEG's `region` (in pixels of the image at 1/`options.ratio` of its size; the
/// whole of it when `None`) for `channels` output channels (0: the file's own).
pub(super) fn decode_jpeg_samples(
    data: &[u8],
    channels: usize,
    region: Option<Region>,
    options: &JpegOptions,
) -> Result<JpegSamples> {
    if !has_end_of_image(data) {
        return Err(bad(format!(
            "premature end of JPEG data, data size {}",
            data.len()
        )));
    }
    let mut decoder = configured_decoder(data, options)?;
    let frame = Frame::of(&decoder, options)?;
    probe_decode(frame.stored_pixels, channels, &|| {
        format!("decode_jpeg: a {}x{} image", frame.width, frame.height)
    })?;
    let region = region.unwrap_or(Region {
        y: 0,
        x: 0,
        height: frame.height,
        width: frame.width,
    });
    region.check(frame.height, frame.width)?;

    // TensorFlow asks libjpeg for gray when one channel is wanted (for a colour file that is
    // its luma plane) and converts CMYK itself.
    let cmyk = frame.components == 4;
    if cmyk && channels == 1 {
        return Err(bad(
            "Unsupported color conversion request: CMYK to one channel",
        ));
    }
    let format = if cmyk {
        PixelFormat::Cmyk
    } else if frame.components == 1 || channels == 1 {
        PixelFormat::Grayscale
    } else {
        PixelFormat::Rgb
    };
    let depth = format.bytes_per_pixel();
    decoder.set_output_format(format);

    // libjpeg's cropped decode (jpeg_crop_scanline) starts a row at an iMCU boundary and
    // upsamples chroma at the cropped row's ends as at the image's edges. TensorFlow's
    // decode_and_crop_jpeg gives those pixels, so the window's are taken as they come.
    // The decoder's cropped rows of a CMYK file come out shifted: those decode whole rows.
    let (left, right) = if cmyk {
        (0, frame.width)
    } else {
        (region.x / frame.imcu * frame.imcu, region.x + region.width)
    };
    let rows = (region.y, region.height);
    let mut decoded = decode_columns(decoder, &frame, rows, left, right)?;
    if frame.chroma_halved && matches!(right - left, 3 | 4) {
        let cropped = Cropped {
            data,
            options,
            format,
            frame: &frame,
            rows,
        };
        cropped.mend_two_chroma_columns(&mut decoded, region.x, left, right)?;
    }
    let columns = Region {
        y: 0,
        x: region.x - left,
        height: region.height,
        width: region.width,
    };
    let pixels = if columns.x == 0 && region.width == right - left {
        decoded
    } else {
        columns.crop(&decoded, right - left, depth)
    };
    let (pixels, channels) = if cmyk {
        (cmyk_to_rgb(&pixels, adobe_marker(data)), 3)
    } else {
        (pixels, depth)
    };
    Ok(JpegSamples {
        pixels,
        height: region.height,
        width: region.width,
        channels,
    })
}

/// An error for data the decoder cannot take.
fn bad(why: impl std::fmt::Display) -> Error {
    Error::InvalidArgument(format!("Invalid JPEG data or crop window: {why}"))
}

/// A decoder of `data`, its headers read; a malformed header is an error, whatever the
/// decoder does with it.
fn read_headers(data: &[u8]) -> std::result::Result<Decoder<'_>, String> {
    catch_quietly(|| Decoder::new(data))
        .map_err(|_| "the decoder found malformed headers".to_string())?
        .map_err(|e| e.to_string())
}

/// A decoder of `data` set up as `options` say.
fn configured_decoder<'a>(data: &'a [u8], options: &JpegOptions) -> Result<Decoder<'a>> {
    let mut decoder = read_headers(data).map_err(bad)?;
    decoder.set_dct_method(if options.fast_idct {
        DctMethod::IsFast
    } else {
        DctMethod::IsLow
    });
    // Without fancy upsampling libjpeg merges box upsampling with colour conversion.
    decoder.set_merged_upsample(!options.fancy_upsampling);
    decoder.set_fast_upsample(!options.fancy_upsampling);
    if options.ratio != 1 {
        decoder.set_scale(ScalingFactor::try_new(1, options.ratio).map_err(bad)?);
    }
    Ok(decoder)
}

/// What a decode needs to know of a JPEG's frame, at the size it decodes to.
struct Frame {
    height: usize,
    width: usize,
    /// Pixels at the file's own size, which the decoder holds.
    stored_pixels: usize,
    components: usize,
    /// Columns of an iMCU, where a cropped row starts.
    imcu: usize,
    /// Whether some component's chroma has half the columns and is upsampled across.
    chroma_halved: bool,
}

impl Frame {
    fn of(decoder: &Decoder, options: &JpegOptions) -> Result<Frame> {
        let header = decoder.header();
        let (height, width) = (usize::from(header.height), usize::from(header.width));
        if height == 0 || width == 0 || height > JPEG_MAX_DIMENSION || width > JPEG_MAX_DIMENSION {
            return Err(bad(format!("a {width}x{height} image cannot be decoded")));
        }
        let sampling: Vec<usize> = header
            .components
            .iter()
            .map(|c| usize::from(c.horizontal_sampling))
            .collect();
        let widest = sampling.iter().copied().max().unwrap_or(1);
        let block = 8 / options.ratio as usize;
        let components = sampling.len();
        Ok(Frame {
            height: decoder.output_height(),
            width: decoder.output_width(),
            stored_pixels: width * height,
            components,
            imcu: if components == 1 {
                block
            } else {
                block * widest
            },
            chroma_halved: components > 1 && sampling.iter().any(|&s| s * 2 == widest),
        })
    }
}

/// Rows `rows` (first, count) and columns `left..right` of the frame, decoded; `left` is
/// an iMCU boundary.
fn decode_columns(
    mut decoder: Decoder,
    frame: &Frame,
    (y, height): (usize, usize),
    left: usize,
    right: usize,
) -> Result<Vec<u8>> {
    let whole = y == 0 && height == frame.height && left == 0 && right == frame.width;
    if !whole {
        decoder.set_crop_region(left, y, right - left, height);
    }
    // A malformed stream must come back as an error, whatever the decoder does with it.
    let decoded = catch_quietly(|| decoder.decode_image())
        .map_err(|_| bad("the decoder found malformed scan data"))?
        .map_err(bad)?;
    let width = right - left;
    let size = height * width * decoded.pixel_format.bytes_per_pixel();
    if decoded.height != height || decoded.width != width || decoded.data.len() != size {
        return Err(bad("the decoded size does not match the header"));
    }
    Ok(decoded.data)
}

/// A cropped decode's rows and settings, for decoding other columns of them.
struct Cropped<'a> {
    data: &'a [u8],
    options: &'a JpegOptions,
    format: PixelFormat,
    frame: &'a Frame,
    rows: (usize, usize),
}

impl Cropped<'_> {
    /// Columns `left..right` of the rows, decoded.
    fn columns(&self, left: usize, right: usize) -> Result<Vec<u8>> {
        let mut decoder = configured_decoder(self.data, self.options)?;
        decoder.set_output_format(self.format);
        decode_columns(decoder, self.frame, self.rows, left, right)
    }

    /// Mends a cropped row of three or four columns, two chroma samples, which the decoder
    /// upsamples by repeating them (as libjpeg does for an image that narrow) where libjpeg
    /// interpolates. Wider decodes give libjpeg's pixels: all but the first column of a row
    /// an iMCU wider on the left, and the first columns of a row five wide (the first is
    /// needed only when the window `x` starts there). Without room for them, the decoder's
    /// pixels stand.
    fn mend_two_chroma_columns(
        &self,
        decoded: &mut [u8],
        x: usize,
        left: usize,
        right: usize,
    ) -> Result<()> {
        let depth = self.format.bytes_per_pixel();
        let row = (right - left) * depth;
        let imcu = self.frame.imcu;
        let first = if left >= imcu {
            let wider = self.columns(left - imcu, right)?;
            let skip = (imcu + 1) * depth;
            for (out, wide) in decoded
                .chunks_exact_mut(row)
                .zip(wider.chunks_exact(row + imcu * depth))
            {
                out[depth..].copy_from_slice(&wide[skip..]);
            }
            usize::from(x == left)
        } else {
            3.min(right - left)
        };
        if first > 0 && left + 5 <= self.frame.width {
            let wider = self.columns(left, left + 5)?;
            for (out, wide) in decoded
                .chunks_exact_mut(row)
                .zip(wider.chunks_exact(5 * depth))
            {
                out[..first * depth].copy_from_slice(&wide[..first * depth]);
            }
        }
        Ok(())
    }
}

/// RGB from libjpeg's CMYK samples, as TensorFlow's decoder converts them: an Adobe file
/// stores inverted inks.
fn cmyk_to_rgb(cmyk: &[u8], adobe: bool) -> Vec<u8> {
    let mut rgb = Vec::with_capacity(cmyk.len() / 4 * 3);
    for p in cmyk.chunks_exact(4) {
        let k = u32::from(p[3]);
        for &ink in &p[..3] {
            let ink = u32::from(ink);
            let value = if adobe {
                k * ink / 255
            } else {
                (255 - k) * (255 - ink) / 255
            };
            rgb.push(value as u8);
        }
    }
    rgb
}

/// The segments before a JPEG's first scan, as (marker, offset of the marker's 0xFF); stops
/// at a segment that does not parse.
pub(super) fn header_segments(data: &[u8]) -> impl Iterator<Item = (u8, usize)> + '_ {
    let byte = |i: usize| data.get(i).copied();
    let mut at = 2; // past the start-of-image marker
    std::iter::from_fn(move || loop {
        if byte(at)? != 0xFF {
            return None;
        }
        let marker = byte(at + 1)?;
        match marker {
            0xFF => at += 1,               // fill byte
            0x01 | 0xD0..=0xD8 => at += 2, // markers without a segment
            0xD9 | 0xDA => return None,    // the end, or the first scan
            _ => {
                let found = at;
                let len = usize::from(u16::from_be_bytes([byte(at + 2)?, byte(at + 3)?]));
                at += 2 + len;
                return Some((marker, found));
            }
        }
    })
}

/// Whether a JPEG has an Adobe APP14 segment, which says how its CMYK inks are stored.
fn adobe_marker(data: &[u8]) -> bool {
    header_segments(data)
        .any(|(marker, at)| marker == 0xEE && data.get(at + 4..at + 9) == Some(b"Adobe"))
}

/// `[height, width, channels]` of a JPEG from its headers alone (tf.image.extract_jpeg_shape).
pub fn jpeg_shape(data: &[u8]) -> Result<[usize; 3]> {
    let bad = |e: String| Error::InvalidArgument(format!("Invalid JPEG data: {e}"));
    if Format::of(data) != Some(Format::Jpeg) {
        return Err(bad("not a JPEG (no start-of-image marker)".into()));
    }
    let decoder = read_headers(data).map_err(bad)?;
    let header = decoder.header();
    Ok([
        usize::from(header.height),
        usize::from(header.width),
        header.components.len(),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_must_be_inside_the_image() {
        assert!(Region::from_window(&[0, 0, 0, 5]).is_err());
        assert!(Region::from_window(&[-1, 0, 5, 5]).is_err());
        assert!(Region::from_window(&[0, 0, 5]).is_err());
        let region = Region::from_window(&[10, 20, 30, 40]).unwrap();
        assert!(region.check(40, 60).is_ok());
        assert!(region.check(39, 60).is_err());
        assert!(region.check(40, 59).is_err());
    }

    #[test]
    fn cmyk_converts_as_tensorflow_converts_it() {
        let cmyk = [200, 100, 0, 255, 10, 20, 30, 40];
        assert_eq!(cmyk_to_rgb(&cmyk, true), [200, 100, 0, 1, 3, 4]);
        assert_eq!(cmyk_to_rgb(&cmyk, false), [0, 0, 0, 206, 198, 189]);
    }

    #[test]
    fn segments_are_listed_up_to_the_first_scan() {
        let jpeg = [
            0xFF, 0xD8, 0xFF, 0xEE, 0x00, 0x07, b'A', b'd', b'o', b'b', b'e', 0xFF, 0xDA, 0x00,
        ];
        let found: Vec<_> = header_segments(&jpeg).collect();
        assert_eq!(found, [(0xEE, 2)]);
        assert!(adobe_marker(&jpeg));
        assert!(!adobe_marker(&jpeg[..8]), "cut short");
    }
}
