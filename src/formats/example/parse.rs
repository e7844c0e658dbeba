//! tf.io.parse_example / parse_single_example: a batch of serialized Examples in, one columnar
//! output per spec'd feature out. Records are scanned in place: each feature name is looked up
//! in the spec, and only spec'd features have their values decoded, straight into the output
//! buffers, without building per-record Example values.

use std::collections::HashMap;

use super::spec::{zero_of, FeatureKind, FeatureSpec, Parsed};
use super::wire::{self, ListKind};
use crate::engine::error::{Error, Result};
use crate::engine::tensor::{Buffer, Tensor};

/// Parses a batch: dense outputs get a leading batch dimension, sparse indices are
/// [record, position] pairs, ragged outputs get row splits over the records.
pub fn parse_example(spec: &[FeatureSpec], records: &[&[u8]]) -> Result<Vec<Parsed>> {
    parse_rows(spec, records.iter().copied(), records.len(), true)
}

/// Parses one record with parse_single_example's shapes: no batch dimension, sparse indices
/// of rank 1, and a Ragged feature as its plain 1-D values.
pub fn parse_single_example(spec: &[FeatureSpec], record: &[u8]) -> Result<Vec<Parsed>> {
    parse_rows(spec, std::iter::once(record), 1, false)
}

/// Parses a string tensor of serialized Examples: a vector as a batch, a scalar as one record.
pub fn parse_example_tensor(spec: &[FeatureSpec], serialized: &Tensor) -> Result<Vec<Parsed>> {
    let strings = serialized.as_strings().ok_or_else(|| {
        Error::InvalidArgument(format!(
            "serialized Examples must be strings, got {}",
            serialized.dtype()
        ))
    })?;
    match serialized.rank() {
        0 => parse_single_example(spec, strings.get(0)),
        1 => parse_rows(spec, strings.iter(), strings.len(), true),
        r => Err(Error::InvalidArgument(format!(
            "serialized Examples must be a scalar or a vector, got rank {r}"
        ))),
    }
}

fn parse_rows<'r>(
    spec: &[FeatureSpec],
    records: impl Iterator<Item = &'r [u8]>,
    rows: usize,
    batched: bool,
) -> Result<Vec<Parsed>> {
    let index = NameIndex::new(spec)?;
    let mut columns = Columns::new(spec, rows, batched, false)?;
    let mut slots: Vec<Option<&'r [u8]>> = vec![None; spec.len()];
    for (row, record) in records.enumerate() {
        slots.fill(None);
        // Later entries overwrite earlier ones: protobuf map semantics, the last value wins.
        wire::for_each_example_feature(record, |name, feature| {
            if let Some(i) = index.get(name) {
                slots[i] = Some(feature);
            }
            Ok(())
        })
        .map_err(|e| in_record(e, "Example", row, batched))?;
        columns.add_row(row, &slots)?;
    }
    columns.finish()
}

/// Finds a spec entry by feature name: linear for the usual handful of features, hashed for
/// wide specs.
pub(crate) struct NameIndex<'s> {
    names: Vec<&'s [u8]>,
    hashed: Option<HashMap<&'s [u8], usize>>,
}

impl<'s> NameIndex<'s> {
    const LINEAR_MAX: usize = 8;

    pub(crate) fn new(spec: &'s [FeatureSpec]) -> Result<NameIndex<'s>> {
        let names: Vec<&[u8]> = spec.iter().map(|s| s.name.as_bytes()).collect();
        let mut hashed = HashMap::with_capacity(names.len());
        for (i, name) in names.iter().enumerate() {
            if hashed.insert(*name, i).is_some() {
                return Err(Error::InvalidArgument(format!(
                    "feature {:?} appears twice in the parse spec",
                    spec[i].name
                )));
            }
        }
        let hashed = (names.len() > Self::LINEAR_MAX).then_some(hashed);
        Ok(NameIndex { names, hashed })
    }

    pub(crate) fn get(&self, name: &[u8]) -> Option<usize> {
        match &self.hashed {
            Some(map) => map.get(name).copied(),
            None => self.names.iter().position(|n| *n == name),
        }
    }
}

/// Where an error happened, in the caller's terms.
pub(crate) fn in_record(e: Error, what: &str, row: usize, batched: bool) -> Error {
    match e {
        Error::InvalidArgument(m) if batched => {
            Error::InvalidArgument(format!("could not parse the {what} in record {row}: {m}"))
        }
        Error::InvalidArgument(m) => {
            Error::InvalidArgument(format!("could not parse the {what}: {m}"))
        }
        other => other,
    }
}

pub(crate) fn feature_error(spec: &FeatureSpec, row: usize, what: impl std::fmt::Display) -> Error {
    Error::InvalidArgument(format!("feature {:?} in record {row}: {what}", spec.name))
}

/// Appends a serialized Feature's values to `out`, whose dtype is the spec's. Returns how many
/// values it held, or `None` when its kind is unset.
pub(crate) fn append_feature(
    spec: &FeatureSpec,
    feature: &[u8],
    out: &mut Buffer,
    row: usize,
) -> Result<Option<usize>> {
    let wire_error = |e: Error| feature_error(spec, row, e);
    let Some(lists) = wire::feature_lists(feature).map_err(wire_error)? else {
        return Ok(None);
    };
    let before = out.len();
    match (lists.kind, &mut *out) {
        (ListKind::Int64, Buffer::Int64(v)) => {
            let v = v.make_vec();
            lists.for_each(|list| wire::for_each_int64(list, |x| v.push(x)))
        }
        (ListKind::Float, Buffer::Float32(v)) => {
            let v = v.make_vec();
            lists.for_each(|list| wire::for_each_float(list, |x| v.push(x)))
        }
        (ListKind::Bytes, Buffer::String(s)) => lists.for_each(|list| {
            wire::for_each_bytes(list, |b| {
                s.push(b);
                Ok(())
            })
        }),
        (kind, _) => {
            return Err(feature_error(
                spec,
                row,
                format!(
                    "the spec asks for {} values but the record holds a {}",
                    spec.dtype,
                    kind.name()
                ),
            ))
        }
    }
    .map_err(wire_error)?;
    Ok(Some(out.len() - before))
}

/// Copies rows of `steps[i] * per_step` values each, padding each row to `max_steps` steps
/// with item 0 of `fill`.
pub(crate) fn pad_rows(
    values: &Buffer,
    steps: &[usize],
    per_step: usize,
    max_steps: usize,
    fill: &Buffer,
) -> Result<Buffer> {
    let mut out = Buffer::with_capacity(values.dtype(), steps.len() * max_steps * per_step);
    let mut at = 0;
    for &s in steps {
        out.extend_from_range(values, at, at + s * per_step)?;
        out.extend_repeated(fill, 0, (max_steps - s) * per_step)?;
        at += s * per_step;
    }
    Ok(out)
}

/// The output being built for one spec entry.
enum Column {
    Dense(Buffer),
    Sparse {
        values: Buffer,
        indices: Vec<i64>,
        max_len: usize,
    },
    Ragged {
        values: Buffer,
        splits: Vec<i64>,
    },
    /// FixedLenSequence in an Example: whole steps per record, padded at the end.
    Steps {
        values: Buffer,
        steps: Vec<usize>,
    },
}

/// The outputs for a spec, one record at a time. Shared with SequenceExample's context.
pub(crate) struct Columns<'s> {
    spec: &'s [FeatureSpec],
    columns: Vec<Column>,
    rows: usize,
    batched: bool,
}

impl<'s> Columns<'s> {
    /// `context` says the spec is a SequenceExample's context, where only FixedLen, VarLen and
    /// Ragged are allowed.
    pub(crate) fn new(
        spec: &'s [FeatureSpec],
        rows: usize,
        batched: bool,
        context: bool,
    ) -> Result<Columns<'s>> {
        let mut columns = Vec::with_capacity(spec.len());
        for s in spec {
            s.validate()?;
            // Reserve for the expected values, but not unboundedly on the spec's word.
            let expected = rows.saturating_mul(s.values_per_row()).min(1 << 20);
            let values = Buffer::with_capacity(s.dtype, expected);
            columns.push(match &s.kind {
                FeatureKind::FixedLen { .. } => Column::Dense(values),
                FeatureKind::VarLen => Column::Sparse {
                    values,
                    indices: Vec::new(),
                    max_len: 0,
                },
                FeatureKind::Ragged => {
                    let mut splits = Vec::with_capacity(rows + 1);
                    splits.push(0);
                    Column::Ragged { values, splits }
                }
                FeatureKind::FixedLenSequence { .. } if context => {
                    return Err(Error::InvalidArgument(format!(
                        "feature {:?}: a context feature cannot be a FixedLenSequence",
                        s.name
                    )))
                }
                FeatureKind::FixedLenSequence { .. } => Column::Steps {
                    values,
                    steps: Vec::with_capacity(rows),
                },
            });
        }
        Ok(Columns {
            spec,
            columns,
            rows: 0,
            batched,
        })
    }

    /// Adds one record, given each spec entry's serialized Feature when present.
    pub(crate) fn add_row(&mut self, row: usize, slots: &[Option<&[u8]>]) -> Result<()> {
        for ((spec, column), slot) in self.spec.iter().zip(&mut self.columns).zip(slots) {
            add_feature(spec, column, row, *slot, self.batched)?;
        }
        self.rows += 1;
        Ok(())
    }

    pub(crate) fn finish(self) -> Result<Vec<Parsed>> {
        let (rows, batched) = (self.rows, self.batched);
        self.spec
            .iter()
            .zip(self.columns)
            .map(|(spec, column)| finish_column(spec, column, rows, batched))
            .collect()
    }
}

fn add_feature(
    spec: &FeatureSpec,
    column: &mut Column,
    row: usize,
    slot: Option<&[u8]>,
    batched: bool,
) -> Result<()> {
    let per_row = spec.values_per_row();
    match column {
        Column::Dense(values) => {
            let found = match slot {
                Some(feature) => append_feature(spec, feature, values, row)?,
                None => None,
            };
            match (found, &spec.kind) {
                (Some(n), _) if n == per_row => {}
                (Some(n), FeatureKind::FixedLen { shape, .. }) => {
                    return Err(feature_error(
                        spec,
                        row,
                        format!("holds {n} values but its shape {shape:?} needs {per_row}"),
                    ))
                }
                (
                    None,
                    FeatureKind::FixedLen {
                        default: Some(d), ..
                    },
                ) => {
                    if d.num_elements() == per_row {
                        values.extend_from_range(d.buffer(), 0, per_row)?;
                    } else {
                        values.extend_repeated(d.buffer(), 0, per_row)?;
                    }
                }
                _ => {
                    return Err(feature_error(
                        spec,
                        row,
                        "is required (it has no default) but is missing",
                    ))
                }
            }
        }
        Column::Sparse {
            values,
            indices,
            max_len,
        } => {
            let n = match slot {
                Some(feature) => append_feature(spec, feature, values, row)?.unwrap_or(0),
                None => 0,
            };
            for k in 0..n as i64 {
                if batched {
                    indices.push(row as i64);
                }
                indices.push(k);
            }
            *max_len = (*max_len).max(n);
        }
        Column::Ragged { values, splits } => {
            if let Some(feature) = slot {
                append_feature(spec, feature, values, row)?;
            }
            splits.push(values.len() as i64);
        }
        Column::Steps { values, steps } => {
            let found = match slot {
                Some(feature) => append_feature(spec, feature, values, row)?,
                None => None,
            };
            let allow_missing = matches!(
                spec.kind,
                FeatureKind::FixedLenSequence {
                    allow_missing: true,
                    ..
                }
            );
            match found {
                None if !allow_missing => {
                    return Err(feature_error(
                        spec,
                        row,
                        "is missing and the spec does not allow_missing",
                    ))
                }
                None | Some(0) => steps.push(0),
                Some(n) if per_row > 0 && n % per_row == 0 => steps.push(n / per_row),
                Some(n) => {
                    return Err(feature_error(
                        spec,
                        row,
                        format!("holds {n} values, not a whole number of steps of {per_row}"),
                    ))
                }
            }
        }
    }
    Ok(())
}

fn finish_column(spec: &FeatureSpec, column: Column, rows: usize, batched: bool) -> Result<Parsed> {
    let batch_dim = |shape: &[usize]| -> Vec<usize> {
        let mut out = Vec::with_capacity(shape.len() + 1);
        if batched {
            out.push(rows);
        }
        out.extend_from_slice(shape);
        out
    };
    Ok(match column {
        Column::Dense(values) => {
            let FeatureKind::FixedLen { shape, .. } = &spec.kind else {
                unreachable!("dense columns come from FixedLen")
            };
            Parsed::Dense(Tensor::new(batch_dim(shape), values)?)
        }
        Column::Sparse {
            values,
            indices,
            max_len,
        } => sparse(values, indices, batch_dim(&[max_len]))?,
        Column::Ragged { values, splits } if batched => Parsed::Ragged {
            values: Tensor::new(vec![values.len()], values)?,
            nested_row_splits: vec![Tensor::from_vec(vec![splits.len()], splits)?],
        },
        Column::Ragged { values, .. } => Parsed::Dense(Tensor::new(vec![values.len()], values)?),
        Column::Steps { values, steps } => {
            let FeatureKind::FixedLenSequence { shape, default, .. } = &spec.kind else {
                unreachable!("step columns come from FixedLenSequence")
            };
            let max_steps = steps.iter().copied().max().unwrap_or(0);
            let fill = default
                .as_ref()
                .map_or_else(|| zero_of(spec.dtype), |d| d.buffer().clone());
            let per_step = spec.values_per_row();
            let padded = pad_rows(&values, &steps, per_step, max_steps, &fill)?;
            let mut dims = vec![max_steps];
            dims.extend_from_slice(shape);
            Parsed::Dense(Tensor::new(batch_dim(&dims), padded)?)
        }
    })
}

/// A SparseTensor from flat row-major `indices` of rank `dense_shape.len()`.
pub(crate) fn sparse(values: Buffer, indices: Vec<i64>, dense_shape: Vec<usize>) -> Result<Parsed> {
    let rank = dense_shape.len();
    let nnz = values.len();
    Ok(Parsed::Sparse {
        indices: Tensor::from_vec(vec![nnz, rank], indices)?,
        values: Tensor::new(vec![nnz], values)?,
        dense_shape: Tensor::from_vec(vec![rank], dense_shape.iter().map(|&d| d as i64).collect())?,
    })
}
