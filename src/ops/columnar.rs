//! Columnar sources (Parquet, Arrow IPC, Arrow data in memory) as datasets of rows. A source
//! is split into units (row groups, record batches) that are the unit of parallel reading,
//! sharding and shuffling; rows are cut from the units' Arrow columns, and `batch(n)` slices
//! `n` consecutive rows of each column at once instead of stacking rows.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use arrow_array::{ArrayRef, RecordBatch};
use crossbeam_channel::{bounded, Receiver};

use super::chunked::inside_reading_job;
use crate::engine::io_runtime::runtime;
use crate::engine::random::SeedGenerator;
use crate::engine::{
    Batch, Cardinality, Context, DatasetIterator, DatasetNode, Element, Error, Result, Tensor,
};
use crate::formats::arrow_read::{
    leaf_arrays, row_to_tensor, rows_to_ragged, rows_to_tensor, LeafSpec, NullPolicy,
};

/// Where record batches come from.
pub trait BatchSource: Send + Sync {
    /// How many units the source splits into.
    fn units(&self) -> usize;
    /// The rows of `unit`, when known without reading it.
    fn unit_rows(&self, unit: usize) -> Option<u64>;
    /// Reads `unit` (blocking I/O and decoding).
    fn read(&self, unit: usize) -> Result<Vec<RecordBatch>>;
    /// Names row `row` of `unit` for error messages.
    fn locate(&self, unit: usize, row: u64) -> String;
}

/// Record batches already in memory (`Dataset.from_arrow`), one unit each.
pub struct MemorySource {
    batches: Vec<RecordBatch>,
}

impl MemorySource {
    pub fn new(batches: Vec<RecordBatch>) -> Self {
        MemorySource { batches }
    }
}

impl BatchSource for MemorySource {
    fn units(&self) -> usize {
        self.batches.len()
    }

    fn unit_rows(&self, unit: usize) -> Option<u64> {
        Some(self.batches[unit].num_rows() as u64)
    }

    fn read(&self, unit: usize) -> Result<Vec<RecordBatch>> {
        Ok(vec![self.batches[unit].clone()])
    }

    fn locate(&self, unit: usize, row: u64) -> String {
        let before: usize = self.batches[..unit].iter().map(|b| b.num_rows()).sum();
        format!("row {}", before as u64 + row)
    }
}

/// How a pass walks the units.
pub struct UnitOrder {
    /// Units read ahead at once on the I/O runtime; 0 reads each when it is needed.
    pub parallel_reads: usize,
    /// Shuffles the units, anew each pass.
    pub shuffle: Option<SeedGenerator>,
    /// Keeps units `index, index + count, ...` only.
    pub shard: (usize, usize),
}

pub struct ColumnarNode {
    source: Arc<dyn BatchSource>,
    leaves: Arc<Vec<LeafSpec>>,
    fills: Arc<HashMap<String, Tensor>>,
    order: UnitOrder,
}

impl ColumnarNode {
    /// `leaves` are the columns to produce, in the element's component order; `fills` the
    /// values that replace nulls, by dotted column name.
    pub fn new(
        source: Arc<dyn BatchSource>,
        leaves: Vec<LeafSpec>,
        fills: HashMap<String, Tensor>,
        order: UnitOrder,
    ) -> Result<Self> {
        let (count, index) = order.shard;
        if count == 0 || index >= count {
            return Err(Error::invalid(format!(
                "shard index {index} must be in [0, {count})"
            )));
        }
        Ok(ColumnarNode {
            source,
            leaves: Arc::new(leaves),
            fills: Arc::new(fills),
            order,
        })
    }

    fn selected_units(&self) -> impl Iterator<Item = usize> {
        let (count, index) = self.order.shard;
        (index..self.source.units()).step_by(count)
    }
}

impl DatasetNode for ColumnarNode {
    fn make_iterator(&self, _ctx: &Arc<Context>) -> Result<Box<dyn DatasetIterator>> {
        let mut units: Vec<usize> = self.selected_units().collect();
        if let Some(seeds) = &self.order.shuffle {
            let mut stream = seeds.next_stream();
            for i in (1..units.len()).rev() {
                units.swap(i, stream.below(i as u64 + 1) as usize);
            }
        }
        Ok(Box::new(ColumnarIterator {
            source: self.source.clone(),
            leaves: self.leaves.clone(),
            fills: self.fills.clone(),
            parallel_reads: self.order.parallel_reads,
            unread: units.into(),
            reading: VecDeque::new(),
            loaded: VecDeque::new(),
            pos: 0,
        }))
    }

    fn cardinality(&self) -> Cardinality {
        self.selected_units()
            .map(|u| self.source.unit_rows(u))
            .sum::<Option<u64>>()
            .map_or(Cardinality::Unknown, Cardinality::Finite)
    }

    fn name(&self) -> &'static str {
        "Columnar"
    }
}

/// A record batch of a unit with its leaf columns found.
struct Loaded {
    unit: usize,
    /// The batch's first row within its unit.
    first_row: u64,
    rows: usize,
    columns: Vec<ArrayRef>,
}

type Reading = Receiver<Result<Vec<Loaded>>>;

struct ColumnarIterator {
    source: Arc<dyn BatchSource>,
    leaves: Arc<Vec<LeafSpec>>,
    fills: Arc<HashMap<String, Tensor>>,
    parallel_reads: usize,
    unread: VecDeque<usize>,
    reading: VecDeque<Reading>,
    loaded: VecDeque<Loaded>,
    /// The next row of `loaded.front()`.
    pos: usize,
}

fn load(source: &dyn BatchSource, leaves: &[LeafSpec], unit: usize) -> Result<Vec<Loaded>> {
    let mut first_row = 0;
    let mut out = Vec::new();
    for batch in source.read(unit)? {
        let columns = leaf_arrays(&batch, leaves)
            .map_err(|e| Error::invalid(format!("{}: {e}", source.locate(unit, first_row))))?;
        out.push(Loaded {
            unit,
            first_row,
            rows: batch.num_rows(),
            columns,
        });
        first_row += batch.num_rows() as u64;
    }
    Ok(out)
}

impl ColumnarIterator {
    /// Starts reads until `parallel_reads` are in flight.
    fn start_reads(&mut self) {
        while self.reading.len() < self.parallel_reads {
            let Some(unit) = self.unread.pop_front() else {
                return;
            };
            let (tx, rx) = bounded(1);
            let (source, leaves) = (self.source.clone(), self.leaves.clone());
            runtime().spawn_blocking(move || {
                let _ = tx.send(load(&*source, &leaves, unit));
            });
            self.reading.push_back(rx);
        }
    }

    /// Makes `loaded.front()` a batch with rows left; false at the end.
    fn ready(&mut self, ctx: &Context) -> Result<bool> {
        loop {
            match self.loaded.front() {
                Some(front) if self.pos < front.rows => return Ok(true),
                Some(_) => {
                    self.loaded.pop_front();
                    self.pos = 0;
                    continue;
                }
                None => {}
            }
            let sequential = self.parallel_reads == 0 || inside_reading_job();
            let batches = if sequential && self.reading.is_empty() {
                match self.unread.pop_front() {
                    Some(unit) => load(&*self.source, &self.leaves, unit)?,
                    None => return Ok(false),
                }
            } else {
                if !sequential {
                    self.start_reads();
                }
                let Some(rx) = self.reading.pop_front() else {
                    return Ok(false);
                };
                let batches = ctx.recv(&rx)?.ok_or_else(|| {
                    Error::Internal("a reading job ended without its result".into())
                })??;
                if !sequential {
                    self.start_reads();
                }
                batches
            };
            self.loaded.extend(batches);
        }
    }

    fn policy<'a>(&'a self, locate: &'a dyn Fn(usize) -> String) -> NullPolicy<'a> {
        NullPolicy {
            fills: &self.fills,
            locate,
        }
    }
}

impl DatasetIterator for ColumnarIterator {
    fn next(&mut self, ctx: &Context) -> Result<Option<Element>> {
        if !self.ready(ctx)? {
            return Ok(None);
        }
        let front = self.loaded.front().expect("ready");
        let row = self.pos;
        let locate = |i: usize| self.source.locate(front.unit, front.first_row + i as u64);
        let policy = self.policy(&locate);
        let element = front
            .columns
            .iter()
            .zip(self.leaves.iter())
            .map(|(array, leaf)| row_to_tensor(array, leaf, row, &policy))
            .collect::<Result<Element>>()?;
        self.pos += 1;
        Ok(Some(element))
    }

    fn next_batch(&mut self, ctx: &Context, max: usize) -> Result<Option<Batch>> {
        self.next_ragged_batch(ctx, max, &[])
    }

    fn next_ragged_batch(
        &mut self,
        ctx: &Context,
        max: usize,
        ragged: &[bool],
    ) -> Result<Option<Batch>> {
        let is_ragged = |c: usize| ragged.get(c) == Some(&true);
        let mut parts: Vec<Vec<Tensor>> = vec![Vec::new(); self.leaves.len()];
        let mut splits: Vec<Vec<i64>> = vec![vec![0]; self.leaves.len()];
        let mut rows = 0;
        while rows < max && self.ready(ctx)? {
            let front = self.loaded.front().expect("ready");
            let (start, end) = (self.pos, front.rows.min(self.pos + max - rows));
            let locate = |i: usize| self.source.locate(front.unit, front.first_row + i as u64);
            let policy = self.policy(&locate);
            for (c, (array, leaf)) in front.columns.iter().zip(self.leaves.iter()).enumerate() {
                if is_ragged(c) {
                    let (values, part_splits) = rows_to_ragged(array, leaf, start, end, &policy)?;
                    let base = splits[c][splits[c].len() - 1];
                    splits[c].extend(part_splits[1..].iter().map(|s| s + base));
                    parts[c].push(values);
                } else {
                    parts[c].push(rows_to_tensor(array, leaf, start, end, &policy)?);
                }
            }
            rows += end - start;
            self.pos = end;
        }
        if rows == 0 {
            return Ok(None);
        }
        let mut tensors = Vec::with_capacity(self.leaves.len());
        for (c, (mut p, leaf)) in parts.into_iter().zip(self.leaves.iter()).enumerate() {
            tensors.push(match p.len() {
                1 => p.pop().expect("one part"),
                _ => Tensor::concat_rows(&p).map_err(|e| {
                    Error::invalid(format!("cannot batch column '{}': {e}", leaf.name()))
                })?,
            });
            if is_ragged(c) {
                let count = splits[c].len();
                tensors.push(Tensor::from_vec(
                    vec![count],
                    std::mem::take(&mut splits[c]),
                )?);
            }
        }
        Ok(Some(Batch { rows, tensors }))
    }

    fn skip(&mut self, ctx: &Context, n: u64) -> Result<u64> {
        let mut done = 0;
        while done < n && self.ready(ctx)? {
            let front = self.loaded.front().expect("ready");
            let step = ((front.rows - self.pos) as u64).min(n - done);
            self.pos += step as usize;
            done += step;
        }
        Ok(done)
    }
}
