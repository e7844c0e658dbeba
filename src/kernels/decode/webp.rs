//! WebP as TensorFlow decodes it with libwebp: RGB, or RGBA when the file has alpha; an
//! animation as RGBA frames composed on a transparent canvas.

use std::io::Cursor;

use image_webp::{UpsamplingMethod, WebPDecoder};

use crate::engine::{Error, Result};

use super::{probe_decode, Pixels};

/// Decodes a still image, or the frames of an animation (only the first with `all_frames`
/// false), refusing a `channels` other than the file's own (0 takes it).
pub fn decode(data: &[u8], channels: usize, all_frames: bool) -> Result<Pixels> {
    let bad = |what: &str, e: String| Error::InvalidArgument(format!("{what}: {e}"));
    if ![0, 3, 4].contains(&channels) {
        return Err(Error::invalid("WebP only supports 3 or 4 channels"));
    }
    let mut decoder = WebPDecoder::new(Cursor::new(data))
        .map_err(|e| bad("Failed to decode WebP header", e.to_string()))?;
    // libwebp's default: chroma upsampled by interpolation ("fancy"), not repeated.
    decoder.set_lossy_upsampling(UpsamplingMethod::Bilinear);
    let (w, h) = decoder.dimensions();
    let (width, height) = (w as usize, h as usize);
    let animated = decoder.is_animated();
    let own = if animated || decoder.has_alpha() {
        4
    } else {
        3
    };
    if channels != 0 && channels != own {
        return Err(Error::invalid(if animated {
            "WebP Animation must be 4 channel RGBA"
        } else {
            "Number of channels requested does not match input"
        }));
    }
    let frames = if animated && all_frames {
        decoder.num_frames() as usize
    } else {
        1
    };
    probe_decode(width * height * frames, own, &|| {
        format!("decode_webp: {frames} frames of {width}x{height}")
    })?;
    let size = decoder
        .output_buffer_size()
        .ok_or_else(|| Error::invalid("Failed to decode WebP image: too large"))?;
    let mut samples = vec![0u8; size * frames];
    if animated {
        decoder
            .set_background_color([0, 0, 0, 0])
            .map_err(|e| bad("Failed to decode WebP Animation", e.to_string()))?;
        for frame in samples.chunks_exact_mut(size) {
            decoder
                .read_frame(frame)
                .map_err(|e| bad("Failed to decode WebP Animation", e.to_string()))?;
        }
        if !decoder.has_alpha() {
            samples = opaque(&samples);
        }
    } else {
        decoder
            .read_image(&mut samples)
            .map_err(|e| bad("Failed to decode WebP image", e.to_string()))?;
    }
    Ok(Pixels {
        frames,
        height,
        width,
        channels: own,
        samples,
    })
}

/// RGB samples as RGBA with every pixel opaque.
fn opaque(rgb: &[u8]) -> Vec<u8> {
    rgb.chunks_exact(3)
        .flat_map(|p| [p[0], p[1], p[2], u8::MAX])
        .collect()
}
