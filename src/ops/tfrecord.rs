//! TFRecord files as datasets: one element (a scalar string) per record. A file's reader
//! ends after its first error, so `ignore_errors` can go on with the next file.

use std::path::PathBuf;
use std::sync::Arc;

use crate::engine::{
    Batch, Cardinality, Context, DatasetFn, DatasetIterator, DatasetNode, Element, Error, Result,
    StringBuf, Tensor,
};
use crate::formats::compression::Compression;
use crate::formats::tfrecord::TfRecordReader;

/// The records of one file.
pub struct TfRecordFileNode {
    path: PathBuf,
    compression: Compression,
    buffer_size: Option<usize>,
}

impl TfRecordFileNode {
    pub fn new(path: PathBuf, compression: Compression, buffer_size: Option<usize>) -> Self {
        TfRecordFileNode {
            path,
            compression,
            buffer_size,
        }
    }
}

impl DatasetNode for TfRecordFileNode {
    fn make_iterator(&self, _ctx: &Arc<Context>) -> Result<Box<dyn DatasetIterator>> {
        Ok(Box::new(TfRecordFileIterator {
            reader: None,
            node: TfRecordFileNode {
                path: self.path.clone(),
                ..*self
            },
            scratch: Vec::new(),
        }))
    }

    fn cardinality(&self) -> Cardinality {
        Cardinality::Unknown
    }
}

/// Opens the file on the first `next`, as tf.data does, so building a pipeline over many
/// files opens none of them.
struct TfRecordFileIterator {
    node: TfRecordFileNode,
    reader: Option<Option<TfRecordReader>>,
    scratch: Vec<u8>,
}

impl TfRecordFileIterator {
    fn reader(&mut self) -> Result<Option<&mut TfRecordReader>> {
        if self.reader.is_none() {
            self.reader = Some(None);
            let node = &self.node;
            self.reader = Some(Some(TfRecordReader::open(
                &node.path,
                node.compression,
                node.buffer_size,
            )?));
        }
        Ok(self.reader.as_mut().and_then(|r| r.as_mut()))
    }

    /// Runs `read`; after an error or the end the file yields nothing more.
    fn read<T>(
        &mut self,
        read: impl FnOnce(&mut TfRecordReader, &mut Vec<u8>) -> Result<Option<T>>,
    ) -> Result<Option<T>> {
        let mut scratch = std::mem::take(&mut self.scratch);
        let out = match self.reader()? {
            Some(reader) => read(reader, &mut scratch),
            None => Ok(None),
        };
        self.scratch = scratch;
        if !matches!(out, Ok(Some(_))) {
            self.reader = Some(None);
        }
        out
    }
}

impl DatasetIterator for TfRecordFileIterator {
    fn next(&mut self, _ctx: &Context) -> Result<Option<Element>> {
        self.read(|reader, scratch| {
            Ok(reader
                .read_record_into(scratch)?
                .then(|| vec![Tensor::scalar_bytes(scratch)]))
        })
    }

    fn next_batch(&mut self, _ctx: &Context, max: usize) -> Result<Option<Batch>> {
        self.read(|reader, scratch| {
            let mut records = StringBuf::with_capacity(max, 0);
            let rows = reader.read_records_into(&mut records, max, scratch)?;
            if rows == 0 {
                return Ok(None);
            }
            Ok(Some(Batch {
                rows,
                tensors: vec![Tensor::new(vec![rows], records)?],
            }))
        })
    }
}

/// Maps a file name (a scalar string element) to the dataset of its records; the body of
/// `TFRecordDataset`'s flat_map or interleave over its file names.
pub struct TfRecordFileFn {
    compression: Compression,
    buffer_size: Option<usize>,
}

impl TfRecordFileFn {
    pub fn new(compression: Compression, buffer_size: Option<usize>) -> Self {
        TfRecordFileFn {
            compression,
            buffer_size,
        }
    }
}

impl DatasetFn for TfRecordFileFn {
    fn call(&self, input: Element) -> Result<Arc<dyn DatasetNode>> {
        let name = match input.as_slice() {
            [t] if t.rank() == 0 => t.as_strings().map(|s| s.get(0)),
            _ => None,
        }
        .ok_or_else(|| Error::invalid("TFRecordDataset: file names must be scalar strings"))?;
        let path = PathBuf::from(String::from_utf8_lossy(name).into_owned());
        Ok(Arc::new(TfRecordFileNode::new(
            path,
            self.compression,
            self.buffer_size,
        )))
    }
}
