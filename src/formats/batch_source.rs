//! Where columnar datasets read their record batches from: the units (row groups, record
//! batches) a Parquet file, an Arrow IPC file or Arrow data in memory splits into.

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;

use crate::engine::Result;

/// Where record batches come from.
pub trait BatchSource: Send + Sync {
    /// The columns every unit's batches have.
    fn schema(&self) -> SchemaRef;
    /// How many units the source splits into.
    fn units(&self) -> usize;
    /// The rows of `unit`, when known without reading it.
    fn unit_rows(&self, unit: usize) -> Option<u64>;
    /// Reads `unit` (blocking I/O and decoding).
    fn read(&self, unit: usize) -> Result<Vec<RecordBatch>>;
    /// Names row `row` of `unit` for error messages.
    fn locate(&self, unit: usize, row: u64) -> String;

    /// Whether every read decodes new buffers that only this pass sees, so batches may keep
    /// their values in them (data held in memory is shared with its owner and every pass).
    fn reads_fresh_buffers(&self) -> bool {
        true
    }
}

/// Record batches already in memory (`Dataset.from_arrow`), one unit each.
pub struct MemorySource {
    batches: Vec<RecordBatch>,
    schema: SchemaRef,
}

impl MemorySource {
    pub fn new(batches: Vec<RecordBatch>, schema: SchemaRef) -> Self {
        MemorySource { batches, schema }
    }
}

impl BatchSource for MemorySource {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

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

    fn reads_fresh_buffers(&self) -> bool {
        false
    }
}
