//! Columnar sources (Parquet, Arrow IPC, Arrow data in memory) as datasets of rows. A source
//! is split into units (row groups, record batches) that are the unit of parallel reading,
//! sharding and shuffling; rows are cut from the units' Arrow columns, and `batch(n)` slices
//! `n` consecutive rows of each column at once instead of stacking rows.
//!
//! A pass's state is its unit order's seed and iteration, and the place in that order and
//! the row in that unit of the next row to give; restoring reads from that unit on.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use arrow_array::ArrayRef;
use crossbeam_channel::{bounded, Receiver};

use crate::engine::pool::on_pool_thread;
use crate::engine::random::RandomStream;
use crate::engine::random::SeedGenerator;
use crate::engine::{
    Batch, Cardinality, Context, DatasetIterator, DatasetNode, Element, Error, Result, State,
    Tensor,
};
use crate::formats::arrow_read::{
    leaf_arrays, row_to_tensor, rows_to_ragged, rows_to_tensor, LeafSpec, NullPolicy,
};
use crate::formats::batch_source::BatchSource;

/// Shard `index` of `count`: the units it reads are every `count`-th from `index`.
pub fn shard(count: i64, index: i64) -> Result<(usize, usize)> {
    if count <= 0 || index < 0 || index >= count {
        return Err(Error::invalid(format!(
            "shard index {index} must be in [0, {count})"
        )));
    }
    Ok((count as usize, index as usize))
}

/// How a pass walks the units.
pub struct UnitOrder {
    /// Units read ahead at once on the worker pool; 0 reads each when it is needed.
    pub parallel_reads: usize,
    /// Shuffles the units, anew each pass.
    pub shuffle: Option<SeedGenerator>,
    /// Keeps units `index, index + count, ...` only.
    pub shard: (usize, usize),
    /// Makes the shards even: each pass, every unit is shuffled alike in every shard before
    /// the shard takes its places in that order, and every shard gives as many rows.
    pub even: Option<Evening>,
}

/// How shards are evened: to the fewest rows any shard has, or (going round its own units
/// again) to the most.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Evening {
    Drop,
    Pad,
}

/// A pass's units in order, and the rows it gives (all of them when `None`).
struct PassPlan {
    units: Vec<usize>,
    rows: Option<u64>,
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
        shard(count as i64, index as i64)?;
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

    /// The units of a pass in the order `stream` shuffles them into (`None`: file order).
    fn plan(&self, stream: Option<RandomStream>) -> Result<PassPlan> {
        let shuffle = |units: &mut Vec<usize>, mut stream: RandomStream| {
            for i in (1..units.len()).rev() {
                units.swap(i, stream.below(i as u64 + 1) as usize);
            }
        };
        let Some(evening) = self.order.even else {
            let mut units: Vec<usize> = self.selected_units().collect();
            if let Some(stream) = stream {
                shuffle(&mut units, stream);
            }
            return Ok(PassPlan { units, rows: None });
        };
        let mut all: Vec<usize> = (0..self.source.units()).collect();
        if let Some(stream) = stream {
            shuffle(&mut all, stream);
        }
        let (count, index) = self.order.shard;
        let rows_of = |unit: usize| {
            self.source.unit_rows(unit).ok_or_else(|| {
                Error::invalid("evening shards needs every unit's row count".to_string())
            })
        };
        let mut per_shard = vec![0u64; count];
        for (place, &unit) in all.iter().enumerate() {
            per_shard[place % count] += rows_of(unit)?;
        }
        let mine: Vec<usize> = all.into_iter().skip(index).step_by(count).collect();
        let own = per_shard[index];
        let target = match evening {
            Evening::Drop => per_shard.iter().copied().min().unwrap_or(0),
            Evening::Pad => per_shard.iter().copied().max().unwrap_or(0),
        };
        if target > own && own == 0 {
            return Err(Error::invalid(format!(
                "shard {index} has no rows to pad with up to {target}: its units are empty"
            )));
        }
        // Padding goes round the shard's own units again, as many times as it takes.
        let rounds = if target > own {
            target.div_ceil(own)
        } else {
            1
        };
        let units = (0..rounds).flat_map(|_| mine.iter().copied()).collect();
        Ok(PassPlan {
            units,
            rows: Some(target),
        })
    }

    /// A pass over the units of `plan`, from the `from`-th on.
    fn iterator(&self, plan: PassPlan, seed: (u64, u64), from: usize) -> ColumnarIterator {
        let PassPlan { units, rows } = plan;
        let total = units.len();
        ColumnarIterator {
            source: self.source.clone(),
            leaves: self.leaves.clone(),
            fills: self.fills.clone(),
            parallel_reads: self.order.parallel_reads,
            unread: units.into_iter().enumerate().skip(from).collect(),
            reading: VecDeque::new(),
            loaded: VecDeque::new(),
            pos: 0,
            seed,
            total,
            next_row: (from, 0),
            rows_left: rows,
        }
    }
}

impl DatasetNode for ColumnarNode {
    fn make_iterator(&self, ctx: &Arc<Context>) -> Result<Box<dyn DatasetIterator>> {
        let (seed, iteration, stream) = match &self.order.shuffle {
            Some(seeds) => {
                let (iteration, stream) = seeds.next_iteration(ctx.probing());
                (seeds.seed(), iteration, Some(stream))
            }
            None => (0, 0, None),
        };
        Ok(Box::new(self.iterator(
            self.plan(stream)?,
            (seed, iteration),
            0,
        )))
    }

    fn restore(
        &self,
        ctx: &Arc<Context>,
        state: &State,
        _replay: bool,
    ) -> Result<Box<dyn DatasetIterator>> {
        let fields = state.fields("Columnar", 5)?;
        let (seed, iteration) = (fields.bits(0)?, fields.count(1)?);
        let (units, at, row) = (fields.count(2)?, fields.count(3)?, fields.count(4)?);
        let stream = match &self.order.shuffle {
            Some(seeds) => Some(
                seeds
                    .restore(seed, iteration, 0)
                    .map_err(Error::InvalidArgument)?,
            ),
            None => None,
        };
        let plan = self.plan(stream)?;
        let count = plan.units.len() as u64;
        if units != count || at > units {
            return Err(fields.malformed(&format!(
                "is at unit {at} of {units}, where this dataset reads {count} units"
            )));
        }
        // Rows already given before the place restored to count against an evened pass.
        let before: u64 = match plan.rows {
            Some(_) => plan.units[..at as usize]
                .iter()
                .map(|&u| self.source.unit_rows(u).unwrap_or(0))
                .sum(),
            None => 0,
        };
        let mut it = self.iterator(plan, (seed, iteration), at as usize);
        if let Some(rows) = it.rows_left.as_mut() {
            *rows = rows.saturating_sub(before);
        }
        if it.skip(ctx, row)? < row {
            return Err(fields.malformed("is at a row its unit does not have"));
        }
        Ok(Box::new(it))
    }

    fn cardinality(&self) -> Cardinality {
        if self.order.even.is_some() {
            // The shard's rows are evened to the other shards' of each pass's order.
            return Cardinality::Unknown;
        }
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
    /// The unit's place in the pass's order.
    place: usize,
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
    /// The units not read yet, with their places in the pass's order.
    unread: VecDeque<(usize, usize)>,
    reading: VecDeque<Reading>,
    loaded: VecDeque<Loaded>,
    /// The next row of `loaded.front()`.
    pos: usize,
    /// The unit order's seed and iteration, for the saved state.
    seed: (u64, u64),
    /// Units in the pass.
    total: usize,
    /// The place in the order and the row in that unit of the next row to give.
    next_row: (usize, u64),
    /// Rows still to give in an evened pass (`None`: all the units' rows).
    rows_left: Option<u64>,
}

fn load(
    source: &dyn BatchSource,
    leaves: &[LeafSpec],
    (place, unit): (usize, usize),
) -> Result<Vec<Loaded>> {
    let mut first_row = 0;
    let mut out = Vec::new();
    for batch in source.read(unit)? {
        let columns = leaf_arrays(&batch, leaves)
            .map_err(|e| Error::invalid(format!("{}: {e}", source.locate(unit, first_row))))?;
        out.push(Loaded {
            unit,
            place,
            first_row,
            rows: batch.num_rows(),
            columns,
        });
        first_row += batch.num_rows() as u64;
    }
    Ok(out)
}

impl ColumnarIterator {
    /// Starts reads until `parallel_reads` are in flight. Decoding is CPU work, so it runs on
    /// the pipeline's worker pool: a few long-lived threads, whose allocator caches serve
    /// one unit after another.
    fn start_reads(&mut self, ctx: &Context) {
        ctx.pool()
            .ensure_threads(ctx.cpu_budget().min(self.parallel_reads));
        while self.reading.len() < self.parallel_reads {
            let Some(unit) = self.unread.pop_front() else {
                return;
            };
            let (tx, rx) = bounded(1);
            let (source, leaves) = (self.source.clone(), self.leaves.clone());
            ctx.pool().execute(move || {
                let _ = tx.send(load(&*source, &leaves, unit));
            });
            self.reading.push_back(rx);
        }
    }

    /// Makes `loaded.front()` a batch with rows left; false at the end.
    fn ready(&mut self, ctx: &Context) -> Result<bool> {
        if self.rows_left == Some(0) {
            return Ok(false);
        }
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
            // On a pool thread a read is decoded in place: waiting for the pool there could
            // wait for itself. Reads already in flight are still collected first.
            let inline = self.parallel_reads == 0 || on_pool_thread();
            let batches = if inline && self.reading.is_empty() {
                match self.unread.pop_front() {
                    Some(unit) => load(&*self.source, &self.leaves, unit)?,
                    None => return Ok(false),
                }
            } else {
                if !inline {
                    self.start_reads(ctx);
                }
                let Some(rx) = self.reading.pop_front() else {
                    return Ok(false);
                };
                // Keeps `parallel_reads` units in flight while this one is consumed.
                if !inline {
                    self.start_reads(ctx);
                }
                ctx.recv(&rx)?.ok_or_else(|| {
                    Error::Internal("a reading job ended without its result".into())
                })??
            };
            self.loaded.extend(batches);
        }
    }

    /// Records where the next row is, after `given` rows of `loaded.front()` were given.
    fn note_position(&mut self, given: usize) {
        if let Some(rows) = self.rows_left.as_mut() {
            *rows -= given as u64;
        }
        if let Some(front) = self.loaded.front() {
            self.next_row = (front.place, front.first_row + self.pos as u64);
        }
    }

    /// How many of `wanted` rows may still be given.
    fn allowed(&self, wanted: usize) -> usize {
        match self.rows_left {
            Some(rows) => wanted.min(usize::try_from(rows).unwrap_or(usize::MAX)),
            None => wanted,
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
        self.note_position(1);
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
        let share = self.source.reads_fresh_buffers();
        let mut parts: Vec<Vec<Tensor>> = vec![Vec::new(); self.leaves.len()];
        let mut splits: Vec<Vec<i64>> = vec![vec![0]; self.leaves.len()];
        let mut rows = 0;
        let max = self.allowed(max);
        while rows < max && self.ready(ctx)? {
            let front = self.loaded.front().expect("ready");
            let (start, end) = (self.pos, front.rows.min(self.pos + max - rows));
            let locate = |i: usize| self.source.locate(front.unit, front.first_row + i as u64);
            let policy = self.policy(&locate);
            for (c, (array, leaf)) in front.columns.iter().zip(self.leaves.iter()).enumerate() {
                if is_ragged(c) {
                    let (values, part_splits) =
                        rows_to_ragged(array, leaf, (start, end), &policy, share)?;
                    let base = splits[c][splits[c].len() - 1];
                    splits[c].extend(part_splits[1..].iter().map(|s| s + base));
                    parts[c].push(values);
                } else {
                    parts[c].push(rows_to_tensor(array, leaf, (start, end), &policy, share)?);
                }
            }
            rows += end - start;
            self.pos = end;
            self.note_position(end - start);
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
        let n = self.rows_left.map_or(n, |rows| n.min(rows));
        while done < n && self.ready(ctx)? {
            let front = self.loaded.front().expect("ready");
            let step = ((front.rows - self.pos) as u64).min(n - done);
            self.pos += step as usize;
            done += step;
            self.note_position(step as usize);
        }
        Ok(done)
    }

    fn save(&self) -> Result<State> {
        Ok(State::op(
            "Columnar",
            vec![
                State::bits(self.seed.0),
                State::count(self.seed.1),
                State::count(self.total as u64),
                State::count(self.next_row.0 as u64),
                State::count(self.next_row.1),
            ],
        ))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use arrow_array::types::Int32Type;
    use arrow_array::{Int64Array, ListArray, RecordBatch};
    use arrow_schema::SchemaRef;

    use super::*;
    use crate::engine::DType;
    use crate::formats::arrow_read::describe;
    use crate::formats::batch_source::MemorySource;

    fn ids(start: i64, n: i64) -> RecordBatch {
        let lists = ListArray::from_iter_primitive::<Int32Type, _, _>(
            (start..start + n).map(|i| Some((0..(i % 3) as i32).map(Some).collect::<Vec<_>>())),
        );
        RecordBatch::try_from_iter([
            (
                "id",
                Arc::new(Int64Array::from_iter_values(start..start + n)) as ArrayRef,
            ),
            ("seq", Arc::new(lists) as ArrayRef),
        ])
        .unwrap()
    }

    fn memory(batches: Vec<RecordBatch>) -> MemorySource {
        MemorySource::new(batches, ids(0, 1).schema())
    }

    /// Counts reads, to check how far ahead a pass reads.
    struct Counting {
        inner: MemorySource,
        reads: AtomicUsize,
    }

    impl BatchSource for Counting {
        fn schema(&self) -> SchemaRef {
            self.inner.schema()
        }
        fn units(&self) -> usize {
            self.inner.units()
        }
        fn unit_rows(&self, unit: usize) -> Option<u64> {
            self.inner.unit_rows(unit)
        }
        fn read(&self, unit: usize) -> Result<Vec<RecordBatch>> {
            self.reads.fetch_add(1, Ordering::SeqCst);
            self.inner.read(unit)
        }
        fn locate(&self, unit: usize, row: u64) -> String {
            self.inner.locate(unit, row)
        }
    }

    fn node(
        source: Arc<dyn BatchSource>,
        parallel_reads: usize,
        shard: (usize, usize),
    ) -> ColumnarNode {
        let leaves = describe(&ids(0, 1).schema()).unwrap();
        let order = UnitOrder {
            parallel_reads,
            shuffle: None,
            shard,
            even: None,
        };
        ColumnarNode::new(source, leaves, HashMap::new(), order).unwrap()
    }

    fn id_values(t: &Tensor) -> Vec<i64> {
        t.as_slice::<i64>().unwrap().to_vec()
    }

    #[test]
    fn evened_shards_deal_one_shuffled_order_and_give_as_many_rows() {
        // Units of 5, 3, 4, 2 and 6 rows, ids 0..20.
        let units = vec![ids(0, 5), ids(5, 3), ids(8, 4), ids(12, 2), ids(14, 6)];
        let source = Arc::new(memory(units));
        let leaves = describe(&ids(0, 1).schema()).unwrap();
        let ctx = Arc::new(Context::default());
        let pass = |index: usize, evening: Evening| -> Vec<Vec<i64>> {
            let order = UnitOrder {
                parallel_reads: 0,
                shuffle: Some(SeedGenerator::new(Some(7), true)),
                shard: (2, index),
                even: Some(evening),
            };
            let node =
                ColumnarNode::new(source.clone(), leaves.clone(), HashMap::new(), order).unwrap();
            (0..3)
                .map(|_| {
                    let mut it = node.make_iterator(&ctx).unwrap();
                    std::iter::from_fn(|| it.next(&ctx).unwrap())
                        .map(|e| id_values(&e[0])[0])
                        .collect()
                })
                .collect()
        };
        let (first, second) = (pass(0, Evening::Drop), pass(1, Evening::Drop));
        for (a, b) in first.iter().zip(&second) {
            assert_eq!(a.len(), b.len());
            assert!(
                a.iter().all(|id| !b.contains(id)),
                "the shards overlap: {a:?} {b:?}"
            );
        }
        assert_ne!(first[0], first[1], "each pass deals a new order");
        let (first, second) = (pass(0, Evening::Pad), pass(1, Evening::Pad));
        for (a, b) in first.iter().zip(&second) {
            assert_eq!(a.len(), b.len());
            let mut all: Vec<i64> = a.iter().chain(b).copied().collect();
            all.sort_unstable();
            all.dedup();
            assert_eq!(all, (0..20).collect::<Vec<_>>(), "padding loses no row");
        }
        // A state restores the evened pass where it was.
        let order = UnitOrder {
            parallel_reads: 0,
            shuffle: Some(SeedGenerator::new(Some(7), true)),
            shard: (2, 1),
            even: Some(Evening::Pad),
        };
        let node =
            ColumnarNode::new(source.clone(), leaves.clone(), HashMap::new(), order).unwrap();
        let mut it = node.make_iterator(&ctx).unwrap();
        let whole: Vec<i64> = std::iter::from_fn(|| it.next(&ctx).unwrap())
            .map(|e| id_values(&e[0])[0])
            .collect();
        let order = UnitOrder {
            parallel_reads: 0,
            shuffle: Some(SeedGenerator::new(Some(7), true)),
            shard: (2, 1),
            even: Some(Evening::Pad),
        };
        let node = ColumnarNode::new(source, leaves, HashMap::new(), order).unwrap();
        let mut it = node.make_iterator(&ctx).unwrap();
        for _ in 0..7 {
            it.next(&ctx).unwrap();
        }
        let state = it.save().unwrap();
        let mut again = node.restore(&ctx, &state, false).unwrap();
        let rest: Vec<i64> = std::iter::from_fn(|| again.next(&ctx).unwrap())
            .map(|e| id_values(&e[0])[0])
            .collect();
        assert_eq!(rest, whole[7..]);
    }

    #[test]
    fn rows_and_batches_cross_unit_boundaries() {
        let source = Arc::new(memory(vec![ids(0, 5), ids(5, 3), ids(8, 4)]));
        let n = node(source, 0, (1, 0));
        assert_eq!(n.cardinality(), Cardinality::Finite(12));
        let ctx = Arc::new(Context::default());
        let mut it = n.make_iterator(&ctx).unwrap();
        let first = it.next(&ctx).unwrap().unwrap();
        assert_eq!(first[0].shape(), &[] as &[usize]);
        assert_eq!(first[1].dtype(), DType::Int32);
        let batch = it
            .next_ragged_batch(&ctx, 7, &[false, true])
            .unwrap()
            .unwrap();
        assert_eq!(batch.rows, 7);
        assert_eq!(id_values(&batch.tensors[0]), (1..8).collect::<Vec<_>>());
        // Lengths i % 3 for rows 1..8: 1, 2, 0, 1, 2, 0, 1.
        let splits = batch.tensors[2].as_slice::<i64>().unwrap();
        assert_eq!(splits, &[0, 1, 3, 3, 4, 6, 6, 7]);
        assert_eq!(batch.tensors[1].shape(), &[7]);
        assert_eq!(it.skip(&ctx, 2).unwrap(), 2);
        let rest = it.next_batch(&ctx, 100);
        assert!(rest.is_err(), "seq rows of different lengths do not stack");
    }

    #[test]
    fn shards_take_every_nth_unit() {
        let batches = (0..5).map(|u| ids(u * 10, 10)).collect();
        let n = node(Arc::new(memory(batches)), 0, (2, 1));
        assert_eq!(n.cardinality(), Cardinality::Finite(20));
        let ctx = Arc::new(Context::default());
        let mut it = n.make_iterator(&ctx).unwrap();
        let batch = it
            .next_ragged_batch(&ctx, 100, &[false, true])
            .unwrap()
            .unwrap();
        let want: Vec<i64> = (10..20).chain(30..40).collect();
        assert_eq!(id_values(&batch.tensors[0]), want);
        assert!(ColumnarNode::new(
            Arc::new(memory(vec![])),
            vec![],
            HashMap::new(),
            UnitOrder {
                parallel_reads: 0,
                shuffle: None,
                shard: (2, 2),
                even: None,
            }
        )
        .is_err());
    }

    #[test]
    fn reading_ahead_stays_within_the_parallel_reads() {
        for parallel_reads in [0, 1, 3] {
            let source = Arc::new(Counting {
                inner: memory((0..20).map(|u| ids(u * 4, 4)).collect()),
                reads: AtomicUsize::new(0),
            });
            let n = node(source.clone(), parallel_reads, (1, 0));
            let ctx = Arc::new(Context::default());
            let mut it = n.make_iterator(&ctx).unwrap();
            for row in 0..80 {
                let e = it.next(&ctx).unwrap().unwrap();
                assert_eq!(id_values(&e[0]), vec![row]);
                let unit = row as usize / 4;
                let reads = source.reads.load(Ordering::SeqCst);
                assert!(
                    reads <= unit + 1 + parallel_reads,
                    "{reads} reads at unit {unit}"
                );
            }
            assert!(it.next(&ctx).unwrap().is_none());
        }
    }
}

/// Parquet files read as rows, the way ParquetDataset reads them.
#[cfg(test)]
mod parquet_tests {
    use std::collections::HashMap;
    use std::path::PathBuf;
    use std::sync::Arc;

    use super::*;
    use crate::formats::arrow_read::describe;
    use crate::formats::arrow_write::rows_to_record_batch;
    use crate::formats::parquet::{compression, ParquetSink, ParquetSource};

    fn fixture(name: &str) -> PathBuf {
        PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/fixtures/parquet/"
        ))
        .join(name)
    }

    fn read_all(paths: &[PathBuf], fills: HashMap<String, Tensor>) -> Vec<Vec<Tensor>> {
        let source = ParquetSource::open(paths, None).unwrap();
        let leaves = describe(&source.schema()).unwrap();
        let order = UnitOrder {
            parallel_reads: 2,
            shuffle: None,
            shard: (1, 0),
            even: None,
        };
        let node = ColumnarNode::new(Arc::new(source), leaves, fills, order).unwrap();
        let ctx = Arc::new(Context::default());
        let mut it = node.make_iterator(&ctx).unwrap();
        std::iter::from_fn(|| it.next(&ctx).unwrap()).collect()
    }

    #[test]
    fn every_codec_reads_the_same_rows() {
        let fills = HashMap::from([("maybe".to_string(), Tensor::scalar(-1.0f64))]);
        let snappy = read_all(&[fixture("table_snappy.parquet")], fills.clone());
        assert_eq!(snappy.len(), 300);
        let ids: i64 = snappy
            .iter()
            .map(|r| r[0].as_slice::<i64>().unwrap()[0])
            .sum();
        assert_eq!(ids, 44850);
        assert_eq!(snappy[11][3].as_strings().unwrap().get(0), b"gamma");
        assert_eq!(snappy[5][2].as_slice::<f64>().unwrap(), &[-1.0]);
        for codec in ["zstd", "gzip", "none"] {
            let rows = read_all(&[fixture(&format!("table_{codec}.parquet"))], fills.clone());
            assert_eq!(rows, snappy, "{codec}");
        }
    }

    #[test]
    fn written_rows_read_back_equal() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.parquet");
        let rows: Vec<Vec<Tensor>> = (0..10i64)
            .map(|i| {
                vec![
                    Tensor::scalar(i),
                    Tensor::from_vec(vec![i as usize % 3], vec![i as i32; i as usize % 3]).unwrap(),
                ]
            })
            .collect();
        let paths = vec![vec!["id".to_string()], vec!["seq".to_string()]];
        let mut sink =
            ParquetSink::new(path.clone(), compression(Some("zstd")).unwrap(), 4).unwrap();
        for chunk in rows.chunks(4) {
            sink.write(&rows_to_record_batch(chunk, &paths, &[false, true]).unwrap())
                .unwrap();
        }
        sink.finish().unwrap();
        let source = ParquetSource::open(std::slice::from_ref(&path), None).unwrap();
        assert_eq!(source.units(), 3);
        assert_eq!(read_all(&[path], HashMap::new()), rows);
    }
}
