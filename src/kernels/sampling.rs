//! The sampling kernels of tf.image.resize's antialiased and kernel-based methods, and the
//! taps TensorFlow's ScaleAndTranslate computes from them: when shrinking with antialias the
//! kernel is stretched by the shrink factor, so every input pixel contributes.

/// One resampling kernel, as TensorFlow's `sampling_kernels.h` defines it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SamplingKernel {
    Triangle,
    KeysCubic,
    MitchellCubic,
    Lanczos3,
    Lanczos5,
    Gaussian,
}

impl SamplingKernel {
    /// Half the kernel's support.
    pub fn radius(self) -> f32 {
        match self {
            SamplingKernel::Triangle => 1.0,
            SamplingKernel::KeysCubic | SamplingKernel::MitchellCubic => 2.0,
            SamplingKernel::Lanczos3 => 3.0,
            SamplingKernel::Lanczos5 => 5.0,
            // Three standard deviations of 0.5.
            SamplingKernel::Gaussian => 1.5,
        }
    }

    /// The kernel's value at distance `x` (>= 0).
    pub fn value(self, x: f32) -> f32 {
        match self {
            SamplingKernel::Triangle => (1.0 - x).max(0.0),
            SamplingKernel::KeysCubic => {
                if x >= 2.0 {
                    0.0
                } else if x >= 1.0 {
                    ((-0.5 * x + 2.5) * x - 4.0) * x + 2.0
                } else {
                    (1.5 * x - 2.5) * x * x + 1.0
                }
            }
            SamplingKernel::MitchellCubic => {
                if x >= 2.0 {
                    0.0
                } else if x >= 1.0 {
                    (((-7.0 / 18.0) * x + 2.0) * x - 10.0 / 3.0) * x + 16.0 / 9.0
                } else {
                    (((7.0 / 6.0) * x - 2.0) * x) * x + 8.0 / 9.0
                }
            }
            SamplingKernel::Lanczos3 => lanczos(3.0, x),
            SamplingKernel::Lanczos5 => lanczos(5.0, x),
            SamplingKernel::Gaussian => {
                const SIGMA: f32 = 0.5;
                if x >= self.radius() {
                    0.0
                } else {
                    (-x * x / (2.0 * SIGMA * SIGMA)).exp()
                }
            }
        }
    }
}

fn lanczos(radius: f32, x: f32) -> f32 {
    use std::f32::consts::PI;
    if x > radius {
        return 0.0;
    }
    // Below this the sinc product is 1 to float precision (and its formula divides by ~0).
    if x <= 1e-3 {
        return 1.0;
    }
    radius * (PI * x).sin() * (PI * x / radius).sin() / (PI * PI * x * x)
}

/// The input positions and weights of output position `o` along an axis of `size` inputs,
/// `inv_scale` inputs per output, as ScaleAndTranslate computes them (no translation).
pub fn scale_taps(
    o: usize,
    inv_scale: f32,
    size: usize,
    kernel: SamplingKernel,
    antialias: bool,
) -> Vec<(usize, f32)> {
    let kernel_scale = if antialias { inv_scale.max(1.0) } else { 1.0 };
    let sample = (o as f32 + 0.5) * inv_scale;
    if sample < 0.0 || sample > size as f32 {
        return Vec::new();
    }
    let reach = kernel.radius() * kernel_scale;
    let last = size as i64 - 1;
    let start = ((sample - reach - 0.5).ceil() as i64).clamp(0, last);
    let end = ((sample + reach - 0.5).floor() as i64).clamp(0, last) + 1;
    let mut taps: Vec<(usize, f32)> = (start..end)
        .map(|s| {
            let distance = (s as f32 + 0.5 - sample) / kernel_scale;
            (s as usize, kernel.value(distance.abs()))
        })
        .collect();
    let total: f32 = taps.iter().map(|t| t.1).sum();
    if total.abs() >= 1000.0 * f32::MIN_POSITIVE {
        let inv = 1.0 / total;
        taps.iter_mut().for_each(|t| t.1 *= inv);
    }
    taps
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernels_are_one_at_zero_and_vanish_at_their_radius() {
        for k in [
            SamplingKernel::Triangle,
            SamplingKernel::KeysCubic,
            SamplingKernel::Lanczos3,
            SamplingKernel::Lanczos5,
            SamplingKernel::Gaussian,
        ] {
            assert!((k.value(0.0) - 1.0).abs() < 1e-6, "{k:?}");
            assert!(k.value(k.radius()).abs() < 1e-6, "{k:?}");
        }
        assert!((SamplingKernel::MitchellCubic.value(0.0) - 8.0 / 9.0).abs() < 1e-6);
    }

    #[test]
    fn antialiased_halving_averages_pairs() {
        // Shrinking 8 -> 4 with a stretched triangle: weights 1/8, 3/8, 3/8, 1/8 around the
        // pair an output pixel covers.
        let taps = scale_taps(1, 2.0, 8, SamplingKernel::Triangle, true);
        let weights: Vec<f32> = taps.iter().map(|t| t.1).collect();
        assert_eq!(
            taps.iter().map(|t| t.0).collect::<Vec<_>>(),
            vec![1, 2, 3, 4]
        );
        for (w, want) in weights.iter().zip([0.125, 0.375, 0.375, 0.125]) {
            assert!((w - want).abs() < 1e-6);
        }
        // Without antialias only the two nearest inputs count.
        assert_eq!(
            scale_taps(1, 2.0, 8, SamplingKernel::Triangle, false).len(),
            2
        );
    }
}
