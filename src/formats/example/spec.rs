//! What to parse out of Examples: tf.io's FixedLenFeature, FixedLenSequenceFeature,
//! VarLenFeature and RaggedFeature, and the columnar values parsing produces.

use crate::engine::dtype::DType;
use crate::engine::error::{Error, Result};
use crate::engine::tensor::{Buffer, StringBuf, Tensor};

#[derive(Debug, Clone, PartialEq)]
pub enum FeatureKind {
    /// Exactly `shape.product()` values per record, or the default when the feature is missing.
    FixedLen {
        shape: Vec<usize>,
        default: Option<Tensor>,
    },
    /// Any multiple of `shape.product()` values: a dense [steps, *shape] per record (per
    /// SequenceExample feature list); `default` pads shorter records in a batch.
    FixedLenSequence {
        shape: Vec<usize>,
        allow_missing: bool,
        default: Option<Tensor>,
    },
    /// Any number of values, returned as a sparse tensor.
    VarLen,
    /// Any number of values, returned as flat values and row splits.
    Ragged,
}

/// One feature to parse. The dtype sits beside the kind because every kind has one.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureSpec {
    pub name: String,
    pub dtype: DType,
    pub kind: FeatureKind,
}

/// One feature's parsed values, columnar across the batch.
#[derive(Debug, Clone, PartialEq)]
pub enum Parsed {
    Dense(Tensor),
    /// tf.sparse.SparseTensor's three parts.
    Sparse {
        indices: Tensor,
        values: Tensor,
        dense_shape: Tensor,
    },
    /// tf.RaggedTensor's flat values and row splits, outermost first.
    Ragged {
        values: Tensor,
        nested_row_splits: Vec<Tensor>,
    },
}

impl FeatureSpec {
    pub fn fixed_len(
        name: impl Into<String>,
        shape: Vec<usize>,
        dtype: DType,
        default: Option<Tensor>,
    ) -> FeatureSpec {
        FeatureSpec {
            name: name.into(),
            dtype,
            kind: FeatureKind::FixedLen { shape, default },
        }
    }

    pub fn fixed_len_sequence(
        name: impl Into<String>,
        shape: Vec<usize>,
        dtype: DType,
        allow_missing: bool,
        default: Option<Tensor>,
    ) -> FeatureSpec {
        FeatureSpec {
            name: name.into(),
            dtype,
            kind: FeatureKind::FixedLenSequence {
                shape,
                allow_missing,
                default,
            },
        }
    }

    pub fn var_len(name: impl Into<String>, dtype: DType) -> FeatureSpec {
        FeatureSpec {
            name: name.into(),
            dtype,
            kind: FeatureKind::VarLen,
        }
    }

    pub fn ragged(name: impl Into<String>, dtype: DType) -> FeatureSpec {
        FeatureSpec {
            name: name.into(),
            dtype,
            kind: FeatureKind::Ragged,
        }
    }

    /// Reads a spec list written as
    /// `id: FixedLen([],int64); emb: FixedLen([8],float32); tags: VarLen(string);
    /// tokens: Ragged(int64); missing: FixedLen([],int64,default=-1);
    /// frames: FixedLenSequence([2],float32,allow_missing)`, a compact form for tests and
    /// configuration files.
    pub fn parse_list(text: &str) -> Result<Vec<FeatureSpec>> {
        text.split(';')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(parse_one)
            .collect()
    }

    /// Values per record (FixedLen) or per step (FixedLenSequence); 1 for the others.
    pub(crate) fn values_per_row(&self) -> usize {
        match &self.kind {
            FeatureKind::FixedLen { shape, .. } | FeatureKind::FixedLenSequence { shape, .. } => {
                shape.iter().product()
            }
            FeatureKind::VarLen | FeatureKind::Ragged => 1,
        }
    }

    /// Checks what parsing relies on: a parseable dtype and a default that fits.
    pub(crate) fn validate(&self) -> Result<()> {
        if !matches!(self.dtype, DType::Int64 | DType::Float32 | DType::String) {
            return Err(Error::InvalidArgument(format!(
                "feature {:?}: Examples hold int64, float32 or string values, not {}",
                self.name, self.dtype
            )));
        }
        let default = match &self.kind {
            FeatureKind::FixedLen { default, .. } => default.as_ref(),
            FeatureKind::FixedLenSequence { default, .. } => default.as_ref(),
            _ => None,
        };
        if let Some(d) = default {
            let per_row = self.values_per_row();
            let sequence = matches!(self.kind, FeatureKind::FixedLenSequence { .. });
            let fits = d.num_elements() == per_row || d.num_elements() == 1 || sequence;
            if d.dtype() != self.dtype || !fits || (sequence && d.num_elements() != 1) {
                return Err(Error::InvalidArgument(format!(
                    "feature {:?}: default of dtype {} and shape {:?} does not fit a {} feature \
                     of shape {:?}",
                    self.name,
                    d.dtype(),
                    d.shape(),
                    self.dtype,
                    match &self.kind {
                        FeatureKind::FixedLen { shape, .. }
                        | FeatureKind::FixedLenSequence { shape, .. } => shape.as_slice(),
                        _ => &[],
                    }
                )));
            }
        }
        Ok(())
    }
}

/// A one-value buffer of `dtype`'s zero, what TensorFlow pads with when no default is given.
pub(crate) fn zero_of(dtype: DType) -> Buffer {
    match dtype {
        DType::Int64 => Buffer::from(vec![0i64]),
        DType::Float32 => Buffer::from(vec![0.0f32]),
        _ => Buffer::String(StringBuf::from_items([b""])),
    }
}

fn parse_one(item: &str) -> Result<FeatureSpec> {
    let bad = || Error::InvalidArgument(format!("cannot read feature spec {item:?}"));
    let (name, rest) = item.split_once(':').ok_or_else(bad)?;
    let name = name.trim();
    let rest = rest.trim();
    let (kind, args) = rest.split_once('(').ok_or_else(bad)?;
    let args = args.strip_suffix(')').ok_or_else(bad)?;
    // The shape's brackets hold commas, so split it off first.
    let (shape, args) = match args.trim_start().strip_prefix('[') {
        Some(after) => {
            let (dims, tail) = after.split_once(']').ok_or_else(bad)?;
            let shape = dims
                .split(',')
                .map(str::trim)
                .filter(|d| !d.is_empty())
                .map(|d| d.parse::<usize>().map_err(|_| bad()))
                .collect::<Result<Vec<_>>>()?;
            (Some(shape), tail.trim_start().trim_start_matches(','))
        }
        None => (None, args),
    };
    let mut parts = args.split(',').map(str::trim);
    let dtype = DType::from_name(parts.next().ok_or_else(bad)?)?;
    let mut default = None;
    let mut allow_missing = false;
    for opt in parts {
        if opt == "allow_missing" {
            allow_missing = true;
        } else if let Some(v) = opt.strip_prefix("default=") {
            default = Some(scalar_of(dtype, v).ok_or_else(bad)?);
        } else {
            return Err(bad());
        }
    }
    match (kind.trim(), shape) {
        ("FixedLen", Some(shape)) => Ok(FeatureSpec::fixed_len(name, shape, dtype, default)),
        ("FixedLenSequence", Some(shape)) => Ok(FeatureSpec::fixed_len_sequence(
            name,
            shape,
            dtype,
            allow_missing,
            default,
        )),
        ("VarLen", None) => Ok(FeatureSpec::var_len(name, dtype)),
        ("Ragged", None) => Ok(FeatureSpec::ragged(name, dtype)),
        _ => Err(bad()),
    }
}

fn scalar_of(dtype: DType, text: &str) -> Option<Tensor> {
    match dtype {
        DType::Int64 => text.parse::<i64>().ok().map(Tensor::scalar),
        DType::Float32 => text.parse::<f32>().ok().map(Tensor::scalar),
        DType::String => Some(Tensor::scalar_bytes(text.as_bytes())),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_text_reads_every_kind() {
        let specs = FeatureSpec::parse_list(
            "id: FixedLen([],int64); e: FixedLen([2, 3],float32,default=0.5); t: VarLen(string); \
             r: Ragged(int64); s: FixedLenSequence([2],float32,allow_missing)",
        )
        .unwrap();
        assert_eq!(
            specs,
            vec![
                FeatureSpec::fixed_len("id", vec![], DType::Int64, None),
                FeatureSpec::fixed_len(
                    "e",
                    vec![2, 3],
                    DType::Float32,
                    Some(Tensor::scalar(0.5f32))
                ),
                FeatureSpec::var_len("t", DType::String),
                FeatureSpec::ragged("r", DType::Int64),
                FeatureSpec::fixed_len_sequence("s", vec![2], DType::Float32, true, None),
            ]
        );
        assert!(FeatureSpec::parse_list("x: FixedLen(int64)").is_err());
        assert!(FeatureSpec::parse_list("x: Dense([],int64)").is_err());
    }

    #[test]
    fn validate_rejects_bad_dtypes_and_defaults() {
        assert!(FeatureSpec::var_len("x", DType::Int32).validate().is_err());
        let wrong_type =
            FeatureSpec::fixed_len("x", vec![], DType::Int64, Some(Tensor::scalar(1f32)));
        assert!(wrong_type.validate().is_err());
        let wrong_size = FeatureSpec::fixed_len(
            "x",
            vec![3],
            DType::Int64,
            Some(Tensor::from_vec(vec![2], vec![1i64, 2]).unwrap()),
        );
        assert!(wrong_size.validate().is_err());
    }
}
