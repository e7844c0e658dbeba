//! Random tensors: `ff.random.uniform` and `normal` and their stateless forms.

use super::cast::cast;
use super::shape::check_allocation;
use crate::engine::random::RandomStream;
use crate::engine::{DType, Error, Result, Tensor};

/// What a random tensor's values are drawn from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Distribution {
    /// Floats uniformly in [low, high).
    Uniform { low: f64, high: f64 },
    /// Integers in [low, high), each with equal probability.
    UniformInt { low: i64, high: i64 },
    /// Normal with this mean and standard deviation (floats only).
    Normal { mean: f64, stddev: f64 },
}

/// A tensor of `shape` and `dtype` of values drawn from `distribution`.
pub fn random_tensor(
    shape: &[usize],
    dtype: DType,
    distribution: Distribution,
    rng: &mut RandomStream,
) -> Result<Tensor> {
    let wanted = match distribution {
        Distribution::UniformInt { .. } => dtype.is_integer(),
        _ => dtype.is_floating(),
    };
    if !wanted {
        return Err(Error::InvalidArgument(format!(
            "random: {distribution:?} cannot make {dtype} values"
        )));
    }
    check_allocation("random", shape, DType::Float64)?;
    let count: usize = shape.iter().product();
    let values = match distribution {
        Distribution::UniformInt { low, high } => {
            // The span of [low, high) fits in u64 even for the whole int64 range.
            let span = (i128::from(high) - i128::from(low))
                .try_into()
                .ok()
                .filter(|&s: &u64| s > 0);
            let Some(span) = span else {
                return Err(Error::InvalidArgument(format!(
                    "random.uniform: an integer range needs minval < maxval, got [{low}, {high})"
                )));
            };
            let ints: Vec<i64> = (0..count)
                .map(|_| low.wrapping_add(rng.below(span) as i64))
                .collect();
            return cast(&Tensor::new(shape.to_vec(), ints)?, dtype);
        }
        Distribution::Uniform { low, high } => {
            let mut values: Vec<f64> = (0..count)
                .map(|_| low + rng.unit_f64() * (high - low))
                .collect();
            if dtype == DType::Float32 {
                // Rounding to float32 must not reach `high`, which the range excludes.
                let below = float32_below(high as f32) as f64;
                values.iter_mut().for_each(|v| *v = v.min(below));
            }
            values
        }
        Distribution::Normal { mean, stddev } => {
            let mut values = Vec::with_capacity(count + 1);
            while values.len() < count {
                // Box-Muller: two independent normals from two uniforms in (0, 1].
                let radius = (-2.0 * (1.0 - rng.unit_f64()).ln()).sqrt();
                let angle = std::f64::consts::TAU * rng.unit_f64();
                values.push(mean + stddev * radius * angle.cos());
                values.push(mean + stddev * radius * angle.sin());
            }
            values.truncate(count);
            values
        }
    };
    cast(&Tensor::new(shape.to_vec(), values)?, dtype)
}

/// The largest float32 below `x` (a finite value).
fn float32_below(x: f32) -> f32 {
    match x {
        _ if x > 0.0 => f32::from_bits(x.to_bits() - 1),
        _ if x == 0.0 => -f32::from_bits(1),
        _ => f32::from_bits(x.to_bits() + 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uniform_and_normal_draws_fit_their_distributions() {
        let mut rng = RandomStream::new(1);
        let uniform = Distribution::Uniform {
            low: 2.0,
            high: 4.0,
        };
        let t = random_tensor(&[100, 100], DType::Float32, uniform, &mut rng).unwrap();
        let v = t.as_slice::<f32>().unwrap();
        assert!(v.iter().all(|&x| (2.0..4.0).contains(&x)));
        let mean = v.iter().map(|&x| x as f64).sum::<f64>() / v.len() as f64;
        assert!((mean - 3.0).abs() < 0.02, "{mean}");
        let normal = Distribution::Normal {
            mean: 1.0,
            stddev: 2.0,
        };
        let n = random_tensor(&[10_001], DType::Float64, normal, &mut rng).unwrap();
        let n = n.as_slice::<f64>().unwrap();
        let mean = n.iter().sum::<f64>() / n.len() as f64;
        let var = n.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n.len() as f64;
        assert!((mean - 1.0).abs() < 0.08 && (var.sqrt() - 2.0).abs() < 0.08);
        assert!(random_tensor(&[1], DType::Int32, normal, &mut rng).is_err());
        assert!(random_tensor(&[1 << 40, 1 << 30], DType::Float32, uniform, &mut rng).is_err());
        for x in [1.0f32, -1.0, 0.0, 3.5e-40] {
            assert!(float32_below(x) < x);
        }
        assert_eq!(float32_below(1.0), 0.999_999_94);
    }

    #[test]
    fn integer_draws_are_exact_over_any_range() {
        let mut rng = RandomStream::new(2);
        let two = Distribution::UniformInt { low: 2, high: 4 };
        let ints = random_tensor(&[1000], DType::Int32, two, &mut rng).unwrap();
        let ints = ints.as_slice::<i32>().unwrap();
        assert!(ints.contains(&2) && ints.contains(&3) && ints.iter().all(|&x| x == 2 || x == 3));
        let empty = Distribution::UniformInt { low: 3, high: 3 };
        assert!(random_tensor(&[1], DType::Int64, empty, &mut rng).is_err());
        let whole = Distribution::UniformInt {
            low: i64::MIN,
            high: i64::MAX,
        };
        assert!(random_tensor(&[4], DType::Int64, whole, &mut rng).is_ok());
        let odd = Distribution::UniformInt {
            low: 1 << 53,
            high: (1 << 53) + 4,
        };
        let odd = random_tensor(&[64], DType::Int64, odd, &mut rng).unwrap();
        assert!(odd.as_slice::<i64>().unwrap().iter().any(|v| v % 2 == 1));
        assert!(random_tensor(&[1], DType::Float32, two, &mut rng).is_err());
    }
}
