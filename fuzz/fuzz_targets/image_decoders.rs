//! The JPEG and PNG decoders on arbitrary bytes: an image of consistent shape or an error,
//! never a panic, and never an allocation sized by a header alone (libFuzzer's
//! -malloc_limit_mb catches one).
//!
//! The first byte picks the output channels (0, 1, 3 or 4) and depth; the rest is the
//! file, decoded as a JPEG, as a PNG and by the sniffing `decode_image`.
//!
//! The decoders catch a panic inside the JPEG decoder and return an error, as the wheel
//! does; libFuzzer's panic hook would abort before that, so the target installs a silent
//! one. A panic that escapes the decoders still
//! reaches libfuzzer-sys's `catch_unwind`, which aborts: it is still found.
#![no_main]

use ferroflow::kernels::decode::{decode, decode_jpeg, decode_png, DecodeOp, Depth, JpegOptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(init: std::panic::set_hook(Box::new(|_| {})), |data: &[u8]| {
    let Some((&choice, file)) = data.split_first() else {
        return;
    };
    let channels = [0, 1, 3, 4][usize::from(choice & 3)];
    let depth = [Depth::UInt8, Depth::UInt16, Depth::Float32][usize::from(choice >> 2) % 3];
    for decoded in [
        decode_jpeg(file, channels, depth, &JpegOptions::default()),
        decode_png(file, channels, depth),
        decode(file, DecodeOp::Image { expand_animations: false }, channels, depth),
    ] {
        if let Ok(image) = decoded {
            let shape = image.shape();
            assert_eq!(shape.len(), 3, "an image is [height, width, channels]");
            assert!(channels == 0 || shape[2] == channels);
            assert_eq!(shape.iter().product::<usize>(), image.num_elements());
        }
    }
});
