//! GIF frames as TensorFlow composes them: RGB, each frame drawn over a copy of the one
//! before (the first over black), transparent pixels keeping what is under them, disposal
//! methods not applied, and the canvas as large as the largest frame.

use std::io::Cursor;

use gif::{ColorOutput, DecodeOptions, MemoryLimit};

use crate::engine::{Error, Result};

use super::{probe_decode, Pixels};

struct Frame {
    left: usize,
    top: usize,
    width: usize,
    height: usize,
    transparent: Option<u8>,
    palette: Option<Vec<u8>>,
    indices: Vec<u8>,
}

/// Decodes every frame (or the first only, with `all_frames` false) into RGB pixels.
pub fn decode(data: &[u8], all_frames: bool) -> Result<Pixels> {
    let bad =
        |e: String| Error::InvalidArgument(format!("Invalid GIF data (size {}), {e}", data.len()));
    let mut options = DecodeOptions::new();
    options.set_color_output(ColorOutput::Indexed);
    // Each frame's size is probed before its pixels are read instead.
    options.set_memory_limit(MemoryLimit::Unlimited);
    let mut decoder = options
        .read_info(Cursor::new(data))
        .map_err(|e| bad(e.to_string()))?;
    let global = decoder.global_palette().map(<[u8]>::to_vec);
    let mut frames = Vec::new();
    while let Some(info) = decoder.next_frame_info().map_err(|e| bad(e.to_string()))? {
        let mut frame = Frame {
            left: info.left.into(),
            top: info.top.into(),
            width: info.width.into(),
            height: info.height.into(),
            transparent: info.transparent,
            palette: info.palette.clone(),
            indices: Vec::new(),
        };
        let (w, h) = (frame.width, frame.height);
        probe_decode(w * h, 3, &|| format!("decode_gif: a {w}x{h} frame"))?;
        frame.indices = vec![0; w * h];
        decoder
            .read_into_buffer(&mut frame.indices)
            .map_err(|e| bad(e.to_string()))?;
        frames.push(frame);
    }
    if frames.is_empty() {
        return Err(bad("the file holds no image".into()));
    }
    let width = frames.iter().map(|f| f.width).max().unwrap_or(0);
    let height = frames.iter().map(|f| f.height).max().unwrap_or(0);
    if !all_frames {
        frames.truncate(1);
    }
    probe_decode(width * height * frames.len(), 3, &|| {
        format!("decode_gif: {} frames of {width}x{height}", frames.len())
    })?;
    let canvas = width * height * 3;
    let mut out = vec![0u8; canvas * frames.len()];
    for (k, frame) in frames.iter().enumerate() {
        if k > 0 {
            out.copy_within((k - 1) * canvas..k * canvas, k * canvas);
        }
        let palette = frame
            .palette
            .as_deref()
            .or(global.as_deref())
            .ok_or_else(|| bad("missing color map".into()))?;
        let colors = palette.len() / 3;
        let target = &mut out[k * canvas..(k + 1) * canvas];
        for y in frame.top..(frame.top + frame.height).min(height) {
            for x in frame.left..(frame.left + frame.width).min(width) {
                let index = frame.indices[(y - frame.top) * frame.width + (x - frame.left)];
                // A transparent index may lie past the palette's end.
                if Some(index) == frame.transparent {
                    continue;
                }
                if usize::from(index) >= colors {
                    return Err(bad(format!(
                        "found color index {index} outside of color map range {colors}"
                    )));
                }
                let at = (y * width + x) * 3;
                target[at..at + 3].copy_from_slice(&palette[usize::from(index) * 3..][..3]);
            }
        }
    }
    Ok(Pixels {
        frames: frames.len(),
        height,
        width,
        channels: 3,
        samples: out,
    })
}
