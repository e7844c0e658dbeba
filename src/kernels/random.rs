//! Random tensors: `ff.random.uniform` and `normal` and their stateless forms.

use super::cast::cast;
use crate::engine::random::RandomStream;
use crate::engine::{DType, Error, Result, Tensor};

/// What a random tensor's values are drawn from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Distribution {
    /// [low, high): floats uniformly, integers each with equal probability.
    Uniform { low: f64, high: f64 },
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
    let count: usize = shape.iter().product();
    let values: Vec<f64> = match distribution {
        Distribution::Uniform { low, high } if dtype.is_integer() => {
            let span = high - low;
            if !(span >= 1.0 && span < u64::MAX as f64) {
                return Err(Error::InvalidArgument(format!(
                    "random.uniform: an integer range needs minval < maxval, got [{low}, {high})"
                )));
            }
            (0..count)
                .map(|_| low + rng.below(span as u64) as f64)
                .collect()
        }
        Distribution::Uniform { low, high } => (0..count)
            .map(|_| low + rng.unit_f64() * (high - low))
            .collect(),
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
    if !(dtype.is_integer() || dtype.is_floating()) {
        return Err(Error::InvalidArgument(format!(
            "random tensors are numeric, not {dtype}"
        )));
    }
    if matches!(distribution, Distribution::Normal { .. }) && !dtype.is_floating() {
        return Err(Error::InvalidArgument(format!(
            "random.normal makes floats, not {dtype}"
        )));
    }
    cast(&Tensor::new(shape.to_vec(), values)?, dtype)
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
        let ints = random_tensor(&[1000], DType::Int32, uniform, &mut rng).unwrap();
        let ints = ints.as_slice::<i32>().unwrap();
        assert!(ints.contains(&2) && ints.contains(&3) && ints.iter().all(|&x| x == 2 || x == 3));
        let normal = Distribution::Normal {
            mean: 1.0,
            stddev: 2.0,
        };
        let n = random_tensor(&[10_001], DType::Float64, normal, &mut rng).unwrap();
        let n = n.as_slice::<f64>().unwrap();
        let mean = n.iter().sum::<f64>() / n.len() as f64;
        let var = n.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n.len() as f64;
        assert!(
            (mean - 1.0).abs() < 0.08 && (var.sqrt() - 2.0).abs() < 0.08,
            "{mean} {var}"
        );
        assert!(random_tensor(&[1], DType::Int32, normal, &mut rng).is_err());
        let empty = Distribution::Uniform {
            low: 3.0,
            high: 3.0,
        };
        assert!(random_tensor(&[1], DType::Int64, empty, &mut rng).is_err());
    }
}
