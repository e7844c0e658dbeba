//! Arrow IPC files (Feather v2) as a source of record batches, one unit per record batch. A
//! file's footer (its schema, dictionaries and the place of each batch) is read once, when
//! the source opens; a unit then reads and decodes only its own batch. A file in the IPC
//! stream format has no index of its batches, so it is one unit read whole. Lengths read
//! from a file are checked against its size before anything is allocated for them.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::RecordBatch;
use arrow_buffer::Buffer;
use arrow_ipc::reader::{read_footer_length, FileDecoder, StreamDecoder};
use arrow_ipc::Block;
use arrow_schema::{ArrowError, Schema, SchemaRef};

use super::schema::CommonSchema;
use super::shared_file::SharedFile;
use crate::engine::{Error, Result};
use crate::formats::batch_source::BatchSource;

struct IpcFile {
    path: PathBuf,
    /// Open for the source's life: every batch is read from the file as it was opened.
    file: SharedFile,
    roots: Vec<usize>,
    /// The file format's index; `None` for the stream format.
    index: Option<FileIndex>,
}

/// What a file-format footer says: how to decode the file's batches (schema, dictionaries,
/// projection) and where each one is.
struct FileIndex {
    decoder: FileDecoder,
    blocks: Vec<Block>,
    /// The file's length when opened: no block may reach past it.
    size: u64,
}

/// What a file in the IPC file format starts (and ends) with; a stream has no magic.
const FILE_MAGIC: &[u8; 6] = b"ARROW1";

/// Whether `file` starts with the file format's magic.
fn is_file_format(file: &SharedFile) -> bool {
    let mut head = [0u8; 6];
    file.read_exact_at(&mut head, 0).is_ok() && &head == FILE_MAGIC
}

/// Feeds an IPC stream to a decoder a chunk at a time (the decoder holds no more than what
/// it was given, whatever lengths a damaged stream claims), handing each record batch to
/// `batch` until it returns false; then returns the decoder, with the schema it read.
fn decode_stream(
    mut file: impl Read,
    mut batch: impl FnMut(RecordBatch) -> bool,
) -> std::result::Result<StreamDecoder, ArrowError> {
    const CHUNK: usize = 1 << 20;
    let mut decoder = StreamDecoder::new();
    loop {
        let mut chunk = Vec::with_capacity(CHUNK);
        (&mut file).take(CHUNK as u64).read_to_end(&mut chunk)?;
        if chunk.is_empty() {
            decoder.finish()?;
            return Ok(decoder);
        }
        let mut buffer = Buffer::from_vec(chunk);
        while !buffer.is_empty() {
            if let Some(decoded) = decoder.decode(&mut buffer)? {
                if !batch(decoded) {
                    return Ok(decoder);
                }
            }
        }
    }
}

/// The schema of an IPC stream, from its first message.
fn stream_schema(file: impl Read) -> std::result::Result<SchemaRef, ArrowError> {
    let decoder = decode_stream(file, |_| false)?;
    decoder
        .schema()
        .ok_or_else(|| ArrowError::ParseError("the stream has no schema".into()))
}

/// Runs an arrow-ipc call that may panic on malformed input (buffer offsets outside the
/// message, lengths that overflow) and returns such a panic as a parse error.
fn guarded<T>(
    call: impl FnOnce() -> std::result::Result<T, ArrowError>,
) -> std::result::Result<T, ArrowError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(call)).unwrap_or_else(|payload| {
        let detail = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or("malformed message");
        Err(ArrowError::ParseError(format!("malformed data: {detail}")))
    })
}

/// The bytes of one block (message metadata and body) of an IPC file.
fn read_block(
    file: &SharedFile,
    block: &Block,
    size: u64,
) -> std::result::Result<Buffer, ArrowError> {
    let (offset, meta, body) = (block.offset(), block.metaDataLength(), block.bodyLength());
    let fits = |start: u64, length: u64| start.checked_add(length).is_some_and(|end| end <= size);
    // A corrupt index must not make us allocate what the file cannot hold.
    let length = i64::from(meta).checked_add(body).map(u64::try_from);
    let (Ok(start), Some(Ok(length))) = (u64::try_from(offset), length) else {
        return Err(ArrowError::ParseError(format!(
            "the block at offset {offset} has a negative length"
        )));
    };
    if !fits(start, length) {
        return Err(ArrowError::ParseError(format!(
            "the block at offset {offset} of {length} bytes runs past the end of the file ({size} bytes)"
        )));
    }
    let mut bytes = vec![0u8; length as usize];
    file.read_exact_at(&mut bytes, start)?;
    Ok(Buffer::from_vec(bytes))
}

/// The schema, decoder (with the file's dictionaries read) and record batch blocks of an
/// IPC file, from its footer.
fn read_footer(file: &SharedFile) -> std::result::Result<(Schema, FileIndex), ArrowError> {
    let size = file.size();
    let mut trailer = [0u8; 10];
    let Some(trailer_at) = size.checked_sub(10) else {
        return Err(ArrowError::ParseError(
            "the file is too short for a footer".into(),
        ));
    };
    file.read_exact_at(&mut trailer, trailer_at)?;
    let length = read_footer_length(trailer)?;
    if length as u64 + 10 > size {
        return Err(ArrowError::ParseError(format!(
            "the footer length {length} is larger than the file"
        )));
    }
    let mut bytes = vec![0u8; length];
    file.read_exact_at(&mut bytes, trailer_at - length as u64)?;
    let footer = arrow_ipc::root_as_footer(&bytes)
        .map_err(|e| ArrowError::ParseError(format!("unreadable footer: {e}")))?;
    let ipc_schema = footer
        .schema()
        .ok_or_else(|| ArrowError::ParseError("the footer has no schema".into()))?;
    if !ipc_schema.endianness().equals_to_target_endianness() {
        return Err(ArrowError::IpcError(
            "the file was written with the other byte order".into(),
        ));
    }
    let schema = arrow_ipc::convert::fb_to_schema(ipc_schema);
    let mut decoder = FileDecoder::new(Arc::new(schema.clone()), footer.version());
    for block in footer.dictionaries().iter().flatten() {
        decoder.read_dictionary(block, &read_block(file, block, size)?)?;
    }
    let blocks = footer
        .recordBatches()
        .ok_or_else(|| ArrowError::ParseError("the footer lists no record batches".into()))?
        .iter()
        .copied()
        .collect();
    Ok((
        schema,
        FileIndex {
            decoder,
            blocks,
            size,
        },
    ))
}

/// The record batches of one or more Arrow IPC files with the same (projected) schema.
pub struct ArrowIpcSource {
    files: Vec<IpcFile>,
    /// (file, batch) per unit; the batch is 0 for a stream-format file.
    units: Vec<(usize, usize)>,
    schema: SchemaRef,
}

fn ipc_error(path: &Path, e: ArrowError) -> Error {
    match e {
        ArrowError::IoError(_, io) => Error::io(path.display(), io),
        other => Error::DataLoss(format!(
            "{}: not a readable Arrow IPC file: {other}",
            path.display()
        )),
    }
}

impl ArrowIpcSource {
    /// Reads the schema (and, for the file format, the index) of every file.
    pub fn open(paths: &[PathBuf], columns: Option<&[String]>) -> Result<Self> {
        let mut files = Vec::with_capacity(paths.len());
        let mut units = Vec::new();
        let mut schema = CommonSchema::default();
        for path in paths {
            let handle = SharedFile::open(path)?;
            let (full, index) = if is_file_format(&handle) {
                let (full, index) =
                    guarded(|| read_footer(&handle)).map_err(|e| ipc_error(path, e))?;
                (Arc::new(full), Some(index))
            } else {
                (
                    guarded(|| stream_schema(handle.reader_at(0)))
                        .map_err(|e| ipc_error(path, e))?,
                    None,
                )
            };
            let roots = schema.add(&full, columns, path)?;
            let batches = index.as_ref().map_or(1, |i| i.blocks.len());
            units.extend((0..batches).map(|b| (files.len(), b)));
            let index = index.map(|i| FileIndex {
                decoder: i.decoder.with_projection(roots.clone()),
                ..i
            });
            files.push(IpcFile {
                path: path.clone(),
                file: handle,
                roots,
                index,
            });
        }
        let schema = schema.finish("Arrow IPC")?;
        Ok(ArrowIpcSource {
            files,
            units,
            schema,
        })
    }
}

impl BatchSource for ArrowIpcSource {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn units(&self) -> usize {
        self.units.len()
    }

    fn unit_rows(&self, _unit: usize) -> Option<u64> {
        None
    }

    fn read(&self, unit: usize) -> Result<Vec<RecordBatch>> {
        let (f, batch) = self.units[unit];
        let file = &self.files[f];
        let fail = |e| ipc_error(&file.path, e);
        match &file.index {
            Some(index) => {
                let block = &index.blocks[batch];
                let in_batch = |e: ArrowError| match e {
                    ArrowError::IoError(..) => ipc_error(&file.path, e),
                    other => Error::DataLoss(format!(
                        "{}: record batch {batch} is unreadable: {other}",
                        file.path.display()
                    )),
                };
                let bytes = read_block(&file.file, block, index.size).map_err(in_batch)?;
                let decoded =
                    guarded(|| index.decoder.read_record_batch(block, &bytes)).and_then(|batch| {
                        batch.ok_or_else(|| ArrowError::ParseError("it holds no data".into()))
                    });
                Ok(vec![decoded.map_err(in_batch)?])
            }
            None => {
                let mut batches = Vec::new();
                guarded(|| {
                    decode_stream(file.file.reader_at(0), |b| {
                        batches.push(b);
                        true
                    })
                })
                .map_err(fail)?;
                batches
                    .iter()
                    .map(|b| b.project(&file.roots).map_err(fail))
                    .collect()
            }
        }
    }

    fn locate(&self, unit: usize, row: u64) -> String {
        let (f, index) = self.units[unit];
        let file = &self.files[f];
        match file.index {
            Some(_) => format!(
                "row {row} of record batch {index} of {}",
                file.path.display()
            ),
            None => format!("row {row} of {}", file.path.display()),
        }
    }
}
