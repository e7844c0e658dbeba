//! Files of records as datasets: one element (a scalar string) per TFRecord record, text
//! line, CSV record or fixed-length record. A file's reader ends after its first error, so `ignore_errors` can go on with the
//! next file.

use std::marker::PhantomData;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use crate::engine::args::non_negative;
use crate::engine::{
    Batch, Cardinality, Context, DatasetFn, DatasetIterator, DatasetNode, Element, Error, Result,
    State, StringBuf, Tensor,
};
use crate::formats::compression::Compression;
use crate::formats::fixed_length::{FixedLayout, FixedLengthReader};
use crate::formats::text_lines::{CsvSyntax, TextLineReader};
use crate::formats::tfrecord::TfRecordReader;

/// A kind of file whose records a dataset yields.
pub trait RecordFormat: Send + Sync + 'static {
    type Reader: Send + 'static;
    /// The dataset's name, for messages.
    const DATASET: &'static str;
    fn open(path: &Path, options: &FileOptions) -> Result<Self::Reader>;
    /// Reads the next record into `record` (replacing it); false at the end.
    fn read_into(reader: &mut Self::Reader, record: &mut Vec<u8>) -> Result<bool>;
    /// Where the last record read lies, for messages (the line it starts on, for text).
    fn position(_reader: &Self::Reader) -> i64 {
        0
    }

    /// Where the reader stands, `(bytes, lines)`, for an iterator's saved state.
    fn tell(reader: &Self::Reader) -> (u64, u64);

    /// Opens the file with its reader where `tell` said an earlier one stood.
    fn open_at(path: &Path, options: &FileOptions, at: (u64, u64)) -> Result<Self::Reader>;
}

/// TFRecord files: each record's length and data CRC checked.
pub struct TfRecords;

impl RecordFormat for TfRecords {
    type Reader = TfRecordReader;
    const DATASET: &'static str = "TFRecordDataset";

    fn open(path: &Path, options: &FileOptions) -> Result<TfRecordReader> {
        TfRecordReader::open(path, options.compression, options.buffer_size)
    }

    fn read_into(reader: &mut TfRecordReader, record: &mut Vec<u8>) -> Result<bool> {
        reader.read_record_into(record)
    }

    fn tell(reader: &TfRecordReader) -> (u64, u64) {
        (reader.offset(), 0)
    }

    fn open_at(path: &Path, options: &FileOptions, at: (u64, u64)) -> Result<TfRecordReader> {
        TfRecordReader::open_at(path, options.compression, options.buffer_size, at.0)
    }
}

/// CSV files: one record per line, but a quoted field may span lines.
pub struct CsvRecords;

impl RecordFormat for CsvRecords {
    type Reader = (TextLineReader, CsvSyntax);
    const DATASET: &'static str = "CsvDataset";

    fn open(path: &Path, options: &FileOptions) -> Result<Self::Reader> {
        let lines = TextLineReader::open(path, options.compression, options.buffer_size)?;
        Ok((lines, options.csv))
    }

    fn read_into((lines, syntax): &mut Self::Reader, record: &mut Vec<u8>) -> Result<bool> {
        lines.read_csv_record_into(record, *syntax)
    }

    fn position((lines, _): &Self::Reader) -> i64 {
        lines.record_line() as i64
    }

    fn tell((lines, _): &Self::Reader) -> (u64, u64) {
        lines.tell()
    }

    fn open_at(path: &Path, options: &FileOptions, at: (u64, u64)) -> Result<Self::Reader> {
        let lines = TextLineReader::open_at(path, options.compression, options.buffer_size, at)?;
        Ok((lines, options.csv))
    }
}

/// Files of fixed-length records between a header and a footer.
pub struct FixedLengthRecords;

impl RecordFormat for FixedLengthRecords {
    type Reader = FixedLengthReader;
    const DATASET: &'static str = "FixedLengthRecordDataset";

    fn open(path: &Path, options: &FileOptions) -> Result<FixedLengthReader> {
        let layout = options
            .fixed
            .ok_or_else(|| Error::invalid("FixedLengthRecordDataset needs record_bytes"))?;
        FixedLengthReader::open(path, layout, options.compression, options.buffer_size)
    }

    fn read_into(reader: &mut FixedLengthReader, record: &mut Vec<u8>) -> Result<bool> {
        reader.read_record_into(record)
    }

    fn tell(reader: &FixedLengthReader) -> (u64, u64) {
        (reader.offset(), 0)
    }

    fn open_at(path: &Path, options: &FileOptions, at: (u64, u64)) -> Result<FixedLengthReader> {
        let layout = options
            .fixed
            .ok_or_else(|| Error::invalid("FixedLengthRecordDataset needs record_bytes"))?;
        FixedLengthReader::open_at(path, layout, options.compression, options.buffer_size, at.0)
    }
}

/// Text files: one record per line.
pub struct TextLines;

impl RecordFormat for TextLines {
    type Reader = TextLineReader;
    const DATASET: &'static str = "TextLineDataset";

    fn open(path: &Path, options: &FileOptions) -> Result<TextLineReader> {
        TextLineReader::open(path, options.compression, options.buffer_size)
    }

    fn read_into(reader: &mut TextLineReader, record: &mut Vec<u8>) -> Result<bool> {
        reader.read_line_into(record)
    }

    fn tell(reader: &TextLineReader) -> (u64, u64) {
        reader.tell()
    }

    fn open_at(path: &Path, options: &FileOptions, at: (u64, u64)) -> Result<TextLineReader> {
        TextLineReader::open_at(path, options.compression, options.buffer_size, at)
    }
}

/// The records of one file.
pub struct RecordFileNode<F> {
    path: PathBuf,
    options: FileOptions,
    /// Bytes per record the batches read so far came to, shared by the files of one dataset.
    record_bytes: Arc<RecordBytes>,
    format: PhantomData<F>,
}

/// What the records of a dataset's files are like in size, learned from the batches read:
/// a batch's buffer is sized for its records at once, rather than grown by doubling through
/// ever larger buffers, each faulted in fresh.
#[derive(Debug, Default)]
pub struct RecordBytes(AtomicUsize);

impl RecordBytes {
    /// Room for `rows` records like those seen so far, and an eighth more (0: nothing seen).
    fn room(&self, rows: usize) -> usize {
        let each = self.0.load(Ordering::Relaxed);
        rows.saturating_mul(each + each / 8)
    }

    fn learn(&self, bytes: usize, rows: usize) {
        if rows > 0 {
            self.0.store(bytes.div_ceil(rows), Ordering::Relaxed);
        }
    }
}

/// How each file is read.
#[derive(Debug, Clone, Copy, Default)]
pub struct FileOptions {
    pub compression: Compression,
    pub buffer_size: Option<usize>,
    /// The first record is a header, not data.
    pub header: bool,
    /// For fixed-length record files: where the records lie.
    pub fixed: Option<FixedLayout>,
    /// For CSV files: how to tell where a record ends.
    pub csv: CsvSyntax,
    /// Each record comes with its file's name and its position (three components), so a
    /// later parse can say where a bad one is.
    pub located: bool,
}

impl FileOptions {
    /// Plain files with a read buffer of `buffer_size` bytes (None: TensorFlow's 256 KiB;
    /// 0, "no buffering" in tf.data, the smallest the readers work with).
    pub fn buffered(compression: Compression, buffer_size: Option<i64>) -> Result<Self> {
        Ok(FileOptions {
            compression,
            buffer_size: buffer_size
                .map(|n| non_negative("buffer_size", n))
                .transpose()?,
            ..FileOptions::default()
        })
    }
}

impl<F: RecordFormat> RecordFileNode<F> {
    pub fn new(path: PathBuf, options: FileOptions) -> Self {
        Self::sized_like(path, options, Arc::default())
    }

    /// A file of a dataset whose records so far were `record_bytes` long.
    fn sized_like(path: PathBuf, options: FileOptions, record_bytes: Arc<RecordBytes>) -> Self {
        RecordFileNode {
            path,
            options,
            record_bytes,
            format: PhantomData,
        }
    }
}

impl<F: RecordFormat> DatasetNode for RecordFileNode<F> {
    fn make_iterator(&self, _ctx: &Arc<Context>) -> Result<Box<dyn DatasetIterator>> {
        Ok(Box::new(self.iterator(None)))
    }

    fn cardinality(&self) -> Cardinality {
        Cardinality::Unknown
    }

    fn restore(
        &self,
        ctx: &Arc<Context>,
        state: &State,
        _replay: bool,
    ) -> Result<Box<dyn DatasetIterator>> {
        let fields = state.fields(F::DATASET, 3)?;
        let at = (fields.count(1)?, fields.count(2)?);
        let reader = match fields.int(0)? {
            NOT_OPENED => return self.make_iterator(ctx),
            READING => Some(F::open_at(&self.path, &self.options, at)?),
            ENDED => None,
            _ => return Err(fields.malformed("field 0 is not a reading phase")),
        };
        Ok(Box::new(self.iterator(Some(reader))))
    }
}

impl<F: RecordFormat> RecordFileNode<F> {
    /// An iterator over this file with `reader` (`None`: not opened yet).
    fn iterator(&self, reader: Option<Option<F::Reader>>) -> RecordFileIterator<F> {
        RecordFileIterator::<F> {
            reader,
            node: RecordFileNode::sized_like(
                self.path.clone(),
                self.options,
                self.record_bytes.clone(),
            ),
            scratch: Vec::new(),
            file_name: self
                .options
                .located
                .then(|| self.path.display().to_string()),
        }
    }
}

/// The phases of a file's reading in its saved state.
const NOT_OPENED: i64 = 0;
const READING: i64 = 1;
const ENDED: i64 = 2;

/// Opens the file on the first `next`, as tf.data does, so building a pipeline over many
/// files opens none of them.
struct RecordFileIterator<F: RecordFormat> {
    node: RecordFileNode<F>,
    reader: Option<Option<F::Reader>>,
    scratch: Vec<u8>,
    /// The file's name, handed on with each record when records are located.
    file_name: Option<String>,
}

impl<F: RecordFormat> RecordFileIterator<F> {
    fn reader(&mut self) -> Result<Option<&mut F::Reader>> {
        if self.reader.is_none() {
            self.reader = Some(None);
            let (path, options) = (&self.node.path, self.node.options);
            let mut reader = F::open(path, &options)?;
            if options.header {
                F::read_into(&mut reader, &mut self.scratch)?;
            }
            self.reader = Some(Some(reader));
        }
        Ok(self.reader.as_mut().and_then(|r| r.as_mut()))
    }

    /// Runs `read`; after an error or the end the file yields nothing more.
    fn read<T>(
        &mut self,
        read: impl FnOnce(&mut F::Reader, &mut Vec<u8>) -> Result<Option<T>>,
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

impl<F: RecordFormat> DatasetIterator for RecordFileIterator<F> {
    fn next(&mut self, _ctx: &Context) -> Result<Option<Element>> {
        let record = self.read(|reader, scratch| {
            let record = F::read_into(reader, scratch)?.then(|| Tensor::scalar_bytes(scratch));
            Ok(record.map(|r| (r, F::position(reader))))
        })?;
        Ok(record.map(|(record, position)| match &self.file_name {
            Some(name) => vec![
                record,
                Tensor::scalar_bytes(name.as_bytes()),
                Tensor::scalar(position),
            ],
            None => vec![record],
        }))
    }

    fn next_batch(&mut self, ctx: &Context, max: usize) -> Result<Option<Batch>> {
        if self.file_name.is_some() {
            let mut elements = Vec::new();
            while elements.len() < max {
                match self.next(ctx)? {
                    Some(element) => elements.push(element),
                    None => break,
                }
            }
            return if elements.is_empty() {
                Ok(None)
            } else {
                Batch::stack(&elements).map(Some)
            };
        }
        self.read_batch(max)
    }

    fn save(&self) -> Result<State> {
        let (phase, (bytes, lines)) = match &self.reader {
            None => (NOT_OPENED, (0, 0)),
            Some(None) => (ENDED, (0, 0)),
            Some(Some(reader)) => (READING, F::tell(reader)),
        };
        Ok(State::op(
            F::DATASET,
            vec![State::int(phase), State::count(bytes), State::count(lines)],
        ))
    }
}

impl<F: RecordFormat> RecordFileIterator<F> {
    /// Up to `max` records stacked into one batch of scalar strings.
    fn read_batch(&mut self, max: usize) -> Result<Option<Batch>> {
        let record_bytes = self.node.record_bytes.clone();
        self.read(|reader, scratch| {
            let mut records = StringBuf::with_capacity(max, record_bytes.room(max));
            let mut rows = 0;
            while rows < max && F::read_into(reader, scratch)? {
                records.push(scratch);
                rows += 1;
            }
            if rows == 0 {
                return Ok(None);
            }
            record_bytes.learn(records.values().len(), rows);
            Ok(Some(Batch {
                rows,
                tensors: vec![Tensor::new(vec![rows], records)?],
            }))
        })
    }
}

/// Maps a file name (a scalar string element) to the dataset of its records; the body of
/// `TFRecordDataset`'s (or `TextLineDataset`'s) flat_map or interleave over its file names.
pub struct RecordFileFn<F> {
    options: FileOptions,
    record_bytes: Arc<RecordBytes>,
    format: PhantomData<F>,
}

impl<F> RecordFileFn<F> {
    pub fn new(options: FileOptions) -> Self {
        RecordFileFn {
            options,
            record_bytes: Arc::default(),
            format: PhantomData,
        }
    }
}

impl<F: RecordFormat> DatasetFn for RecordFileFn<F> {
    fn call(&self, input: Element) -> Result<Arc<dyn DatasetNode>> {
        let name = match input.as_slice() {
            [t] if t.rank() == 0 => t.as_strings().map(|s| s.get(0)),
            _ => None,
        }
        .ok_or_else(|| {
            Error::InvalidArgument(format!("{}: file names must be scalar strings", F::DATASET))
        })?;
        let path = PathBuf::from(String::from_utf8_lossy(name).into_owned());
        Ok(Arc::new(RecordFileNode::<F>::sized_like(
            path,
            self.options,
            self.record_bytes.clone(),
        )))
    }
}

/// The `DatasetFn` opening files of `format`: "tfrecord", "text_line", "csv_record" or
/// "fixed_length".
pub fn record_file_fn(format: &str, options: FileOptions) -> Result<Arc<dyn DatasetFn>> {
    Ok(match format {
        "tfrecord" => Arc::new(RecordFileFn::<TfRecords>::new(options)),
        "text_line" => Arc::new(RecordFileFn::<TextLines>::new(options)),
        "csv_record" => Arc::new(RecordFileFn::<CsvRecords>::new(options)),
        "fixed_length" => Arc::new(RecordFileFn::<FixedLengthRecords>::new(options)),
        other => return Err(Error::InvalidArgument(format!("no file format {other:?}"))),
    })
}
