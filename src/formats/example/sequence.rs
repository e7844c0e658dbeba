//! tf.io.parse_single_sequence_example / parse_sequence_example: context features parse as in
//! an Example; each feature list parses into one row per step.

use super::parse::{
    append_feature, feature_error, in_record, pad_rows, sparse, Columns, NameIndex,
};
use super::spec::{zero_of, FeatureKind, FeatureSpec, Parsed};
use super::wire;
use crate::engine::error::{Error, Result};
use crate::engine::tensor::{Buffer, Tensor};

/// A batch of parsed SequenceExamples.
#[derive(Debug, Clone, PartialEq)]
pub struct SequenceBatch {
    /// One output per context spec entry, with a batch dimension.
    pub context: Vec<Parsed>,
    /// One output per sequence spec entry: dense [batch, steps, *shape], sparse with
    /// [record, step, position] indices, or ragged over records then steps.
    pub feature_lists: Vec<Parsed>,
    /// For each sequence spec entry, the number of steps in each record (int64 [batch]), as
    /// parse_sequence_example reports for its dense feature lists.
    pub lengths: Vec<Tensor>,
}

/// Parses one SequenceExample. Feature lists come out as dense [steps, *shape]
/// (FixedLenSequence), sparse with [step, position] indices and dense shape
/// [steps, longest step] (VarLen), or ragged values with one row split per step (Ragged).
pub fn parse_single_sequence_example(
    context_spec: &[FeatureSpec],
    sequence_spec: &[FeatureSpec],
    record: &[u8],
) -> Result<(Vec<Parsed>, Vec<Parsed>)> {
    let batch = parse_rows(context_spec, sequence_spec, &[record], false)?;
    Ok((batch.context, batch.feature_lists))
}

/// Parses a batch of SequenceExamples; shorter feature lists are padded with the spec's
/// default (or zero / empty) up to the longest in the batch.
pub fn parse_sequence_example(
    context_spec: &[FeatureSpec],
    sequence_spec: &[FeatureSpec],
    records: &[&[u8]],
) -> Result<SequenceBatch> {
    parse_rows(context_spec, sequence_spec, records, true)
}

fn parse_rows(
    context_spec: &[FeatureSpec],
    sequence_spec: &[FeatureSpec],
    records: &[&[u8]],
    batched: bool,
) -> Result<SequenceBatch> {
    let context_index = NameIndex::new(context_spec)?;
    let sequence_index = NameIndex::new(sequence_spec)?;
    let mut context = Columns::new(context_spec, records.len(), batched, true)?;
    let mut lists = sequence_spec
        .iter()
        .map(ListColumn::new)
        .collect::<Result<Vec<_>>>()?;
    let mut context_slots: Vec<Option<&[u8]>> = vec![None; context_spec.len()];
    let mut list_slots: Vec<Option<&[u8]>> = vec![None; sequence_spec.len()];
    for (row, record) in records.iter().enumerate() {
        context_slots.fill(None);
        list_slots.fill(None);
        wire::for_each_sequence_part(
            record,
            |name, feature| {
                if let Some(i) = context_index.get(name) {
                    context_slots[i] = Some(feature);
                }
                Ok(())
            },
            |name, list| {
                if let Some(i) = sequence_index.get(name) {
                    list_slots[i] = Some(list);
                }
                Ok(())
            },
        )
        .map_err(|e| in_record(e, "SequenceExample", row, batched))?;
        context.add_row(row, &context_slots)?;
        for ((spec, column), slot) in sequence_spec.iter().zip(&mut lists).zip(&list_slots) {
            column.add_row(spec, row, *slot, batched)?;
        }
    }
    let mut feature_lists = Vec::with_capacity(lists.len());
    let mut lengths = Vec::with_capacity(lists.len());
    for (spec, column) in sequence_spec.iter().zip(lists) {
        let steps = column.steps.clone();
        feature_lists.push(column.finish(spec, batched)?);
        lengths.push(Tensor::from_vec(
            vec![steps.len()],
            steps.into_iter().map(|s| s as i64).collect(),
        )?);
    }
    Ok(SequenceBatch {
        context: context.finish()?,
        feature_lists,
        lengths,
    })
}

/// The output being built for one feature list.
struct ListColumn {
    values: Buffer,
    /// Steps in each record.
    steps: Vec<usize>,
    /// VarLen: flat [record,] step, position indices and the longest step.
    indices: Vec<i64>,
    max_len: usize,
    /// Ragged: value offset after each step.
    step_splits: Vec<i64>,
}

impl ListColumn {
    fn new(spec: &FeatureSpec) -> Result<ListColumn> {
        spec.validate()?;
        if let FeatureKind::FixedLen { .. } = spec.kind {
            return Err(Error::InvalidArgument(format!(
                "feature list {:?}: a sequence feature must be FixedLenSequence, VarLen or Ragged",
                spec.name
            )));
        }
        Ok(ListColumn {
            values: Buffer::with_capacity(spec.dtype, 0),
            steps: Vec::new(),
            indices: Vec::new(),
            max_len: 0,
            step_splits: vec![0],
        })
    }

    fn add_row(
        &mut self,
        spec: &FeatureSpec,
        row: usize,
        list: Option<&[u8]>,
        batched: bool,
    ) -> Result<()> {
        let Some(list) = list else {
            if let FeatureKind::FixedLenSequence {
                allow_missing: false,
                ..
            } = spec.kind
            {
                return Err(feature_error(
                    spec,
                    row,
                    "is a required feature list but is missing",
                ));
            }
            self.steps.push(0);
            return Ok(());
        };
        let mut step = 0usize;
        // Errors raised for a step already name the feature; the list's own framing errors
        // are named here.
        let mut step_failed = false;
        wire::for_each_step(list, |feature| {
            self.add_step(spec, row, step, feature, batched)
                .inspect_err(|_| step_failed = true)?;
            step += 1;
            Ok(())
        })
        .map_err(|e| match e {
            Error::InvalidArgument(m) if !step_failed => feature_error(spec, row, m),
            other => other,
        })?;
        self.steps.push(step);
        Ok(())
    }

    fn add_step(
        &mut self,
        spec: &FeatureSpec,
        row: usize,
        step: usize,
        feature: &[u8],
        batched: bool,
    ) -> Result<()> {
        let n = append_feature(spec, feature, &mut self.values, row)?.unwrap_or(0);
        match &spec.kind {
            FeatureKind::FixedLenSequence { shape, .. } if n != spec.values_per_row() => {
                return Err(feature_error(
                    spec,
                    row,
                    format!(
                        "step {step} holds {n} values but its shape {shape:?} needs {}",
                        spec.values_per_row()
                    ),
                ));
            }
            FeatureKind::VarLen => {
                for k in 0..n as i64 {
                    if batched {
                        self.indices.push(row as i64);
                    }
                    self.indices.extend([step as i64, k]);
                }
                self.max_len = self.max_len.max(n);
            }
            FeatureKind::Ragged => self.step_splits.push(self.values.len() as i64),
            _ => {}
        }
        Ok(())
    }

    fn finish(self, spec: &FeatureSpec, batched: bool) -> Result<Parsed> {
        let rows = self.steps.len();
        let max_steps = self.steps.iter().copied().max().unwrap_or(0);
        let lead = |inner: &[usize]| -> Vec<usize> {
            let mut dims = if batched { vec![rows] } else { vec![] };
            dims.extend_from_slice(inner);
            dims
        };
        Ok(match &spec.kind {
            FeatureKind::FixedLenSequence { shape, default, .. } => {
                let fill = default
                    .as_ref()
                    .map_or_else(|| zero_of(spec.dtype), |d| d.buffer().clone());
                let padded = pad_rows(
                    &self.values,
                    &self.steps,
                    spec.values_per_row(),
                    max_steps,
                    &fill,
                )?;
                let mut dims = vec![max_steps];
                dims.extend_from_slice(shape);
                Parsed::Dense(Tensor::new(lead(&dims), padded)?)
            }
            FeatureKind::VarLen => {
                sparse(self.values, self.indices, lead(&[max_steps, self.max_len]))?
            }
            FeatureKind::Ragged => {
                let values = Tensor::new(vec![self.values.len()], self.values)?;
                let inner = Tensor::from_vec(vec![self.step_splits.len()], self.step_splits)?;
                let nested_row_splits = if batched {
                    let mut outer = Vec::with_capacity(rows + 1);
                    outer.push(0i64);
                    let mut total = 0;
                    for s in &self.steps {
                        total += *s as i64;
                        outer.push(total);
                    }
                    vec![Tensor::from_vec(vec![rows + 1], outer)?, inner]
                } else {
                    vec![inner]
                };
                Parsed::Ragged {
                    values,
                    nested_row_splits,
                }
            }
            FeatureKind::FixedLen { .. } => unreachable!("rejected in ListColumn::new"),
        })
    }
}
