//! An Arrow IPC file's metadata, summarized: its schema, and per record batch the row count
//! and body compression its message header records. Only message headers are read, never a
//! batch's body, and every offset and length is checked against the file size first.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use arrow_ipc::reader::read_footer_length;
use arrow_ipc::{root_as_footer, root_as_message, Block, Message, MessageHeader, Type};

use super::{fields, Field};
use crate::engine::{Error, Result};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IpcReport {
    /// The stream format (no footer) rather than the file format.
    pub stream: bool,
    pub rows: u64,
    /// Rows per record batch.
    pub batches: Vec<u64>,
    pub dictionary_batches: u64,
    /// The distinct body codecs of its batches (`LZ4_FRAME`, `ZSTD`); empty when none is
    /// compressed.
    pub codecs: Vec<String>,
    pub fields: Vec<Field>,
}

/// What every message of a current IPC stream starts with; older writers omit it.
const CONTINUATION: [u8; 4] = [0xff; 4];
/// The magic at the start and end of the file format, and the footer-length field.
const TRAILER_LEN: u64 = 10;

struct Summary {
    report: IpcReport,
}

impl Summary {
    fn new(stream: bool) -> Self {
        Summary {
            report: IpcReport {
                stream,
                rows: 0,
                batches: Vec::new(),
                dictionary_batches: 0,
                codecs: Vec::new(),
                fields: Vec::new(),
            },
        }
    }

    fn add_codec(&mut self, compression: Option<arrow_ipc::BodyCompression>) {
        let Some(c) = compression else { return };
        let name = c.codec().variant_name().unwrap_or("unknown");
        if !self.report.codecs.iter().any(|n| n == name) {
            self.report.codecs.push(name.to_owned());
        }
    }

    fn add(&mut self, message: &Message, at: u64) -> std::result::Result<(), String> {
        match message.header_type() {
            MessageHeader::Schema => {
                let schema = message
                    .header_as_schema()
                    .ok_or_else(|| format!("the schema message at offset {at} has no schema"))?;
                self.report.fields = schema_fields(schema)?;
            }
            MessageHeader::RecordBatch => {
                let batch = message.header_as_record_batch().ok_or_else(|| {
                    format!("the record batch message at offset {at} has no header")
                })?;
                let rows = u64::try_from(batch.length()).map_err(|_| {
                    format!("the record batch at offset {at} has a negative length")
                })?;
                self.report.rows += rows;
                self.report.batches.push(rows);
                self.add_codec(batch.compression());
            }
            MessageHeader::DictionaryBatch => {
                self.report.dictionary_batches += 1;
                let data = message.header_as_dictionary_batch().and_then(|d| d.data());
                self.add_codec(data.and_then(|d| d.compression()));
            }
            _ => {}
        }
        Ok(())
    }
}

/// Checks what the schema conversion would otherwise unwrap or panic on: a field list, known
/// types with their parameters, dictionary index types, and the children nested types need.
/// Damaged metadata then reads as a plain error rather than a caught panic (whose message
/// the panic hook would still print).
fn check_schema(schema: &arrow_ipc::Schema) -> std::result::Result<(), String> {
    fn check<'a>(
        fields: impl IntoIterator<Item = arrow_ipc::Field<'a>>,
    ) -> std::result::Result<(), String> {
        for field in fields {
            let name = field.name().unwrap_or_default();
            let t = field.type_type();
            if t == Type::NONE || t.variant_name().is_none() || field.type_().is_none() {
                return Err(format!("the field {name:?} has no readable type"));
            }
            if field.dictionary().is_some_and(|d| d.indexType().is_none()) {
                return Err(format!("the field {name:?} has no dictionary index type"));
            }
            let nested = matches!(
                t,
                Type::List
                    | Type::LargeList
                    | Type::ListView
                    | Type::LargeListView
                    | Type::FixedSizeList
                    | Type::Struct_
                    | Type::Map
                    | Type::Union
                    | Type::RunEndEncoded
            );
            match field.children() {
                Some(children) => check(children)?,
                None if nested => return Err(format!("the field {name:?} has no children")),
                None => {}
            }
        }
        Ok(())
    }
    check(schema.fields().ok_or("the schema lists no fields")?)
}

fn schema_fields(schema: arrow_ipc::Schema) -> std::result::Result<Vec<Field>, String> {
    check_schema(&schema)?;
    Ok(fields(&arrow_ipc::convert::fb_to_schema(schema)))
}

/// Runs `read`, turning what goes wrong (a panic of the flatbuffer schema conversion on
/// malformed input included) into a data-loss error naming the file.
fn guarded<T>(path: &Path, read: impl FnOnce() -> std::result::Result<T, String>) -> Result<T> {
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(read))
        .unwrap_or_else(|_| Err("malformed metadata".into()));
    outcome.map_err(|detail| {
        Error::DataLoss(format!(
            "{}: not a readable Arrow IPC file: {detail}",
            path.display()
        ))
    })
}

fn io_detail(at: u64) -> impl Fn(std::io::Error) -> String {
    move |e| format!("reading at offset {at}: {e}")
}

/// Whether `length` bytes at `start` lie inside a file of `size` bytes.
fn fits(start: u64, length: u64, size: u64) -> bool {
    start.checked_add(length).is_some_and(|end| end <= size)
}

/// A message's flatbuffer within the bytes of its metadata (prefix included).
fn message_in(bytes: &[u8], at: u64) -> std::result::Result<Message<'_>, String> {
    let (len_at, body): (usize, usize) = if bytes.starts_with(&CONTINUATION) {
        (4, 8)
    } else {
        (0, 4)
    };
    let len = bytes
        .get(len_at..len_at + 4)
        .map(|b| i32::from_le_bytes(b.try_into().unwrap()))
        .ok_or_else(|| format!("the message at offset {at} is cut short"))?;
    let end = usize::try_from(len)
        .ok()
        .and_then(|l| body.checked_add(l))
        .filter(|&end| end <= bytes.len())
        .ok_or_else(|| format!("the message at offset {at} claims {len} bytes"))?;
    root_as_message(&bytes[body..end])
        .map_err(|e| format!("the message at offset {at} is unreadable: {e}"))
}

fn read_at(file: &mut File, start: u64, length: u64) -> std::result::Result<Vec<u8>, String> {
    let mut bytes = vec![0u8; length as usize];
    file.seek(SeekFrom::Start(start))
        .and_then(|_| file.read_exact(&mut bytes))
        .map_err(io_detail(start))?;
    Ok(bytes)
}

fn read_block(
    file: &mut File,
    block: &Block,
    size: u64,
    summary: &mut Summary,
) -> std::result::Result<(), String> {
    let (offset, meta) = (block.offset(), block.metaDataLength());
    let (Ok(start), Ok(length)) = (u64::try_from(offset), u64::try_from(meta)) else {
        return Err(format!(
            "the block at offset {offset} has a negative length"
        ));
    };
    if !fits(start, length, size) {
        return Err(format!(
            "the block at offset {offset} of {length} bytes runs past the end of the file ({size} bytes)"
        ));
    }
    let bytes = read_at(file, start, length)?;
    summary.add(&message_in(&bytes, start)?, start)
}

/// A file in the IPC file format: its footer, then each block's message header.
pub(super) fn read_file(path: &Path, mut file: File) -> Result<IpcReport> {
    let size = file
        .metadata()
        .map_err(|e| Error::io(path.display(), e))?
        .len();
    guarded(path, || {
        if size < TRAILER_LEN + 6 {
            return Err(format!("{size} bytes is too short for the file format"));
        }
        let trailer = read_at(&mut file, size - TRAILER_LEN, TRAILER_LEN)?;
        let length =
            read_footer_length(trailer.try_into().unwrap()).map_err(|e| e.to_string())? as u64;
        if length + TRAILER_LEN > size {
            return Err(format!(
                "the footer length {length} is larger than the file"
            ));
        }
        let footer_at = size - TRAILER_LEN - length;
        let bytes = read_at(&mut file, footer_at, length)?;
        let footer = root_as_footer(&bytes).map_err(|e| format!("unreadable footer: {e}"))?;
        let mut summary = Summary::new(false);
        let schema = footer.schema().ok_or("the footer has no schema")?;
        summary.report.fields = schema_fields(schema)?;
        for block in footer.dictionaries().iter().flatten() {
            read_block(&mut file, block, size, &mut summary)?;
        }
        for block in footer.recordBatches().iter().flatten() {
            read_block(&mut file, block, size, &mut summary)?;
        }
        Ok(summary.report)
    })
}

/// A file in the IPC stream format: each message's header in turn, bodies skipped.
pub(super) fn read_stream(path: &Path, mut file: File) -> Result<IpcReport> {
    let size = file
        .metadata()
        .map_err(|e| Error::io(path.display(), e))?
        .len();
    // The caller may have read the file's first bytes already.
    file.rewind().map_err(|e| Error::io(path.display(), e))?;
    let mut input = BufReader::new(file);
    guarded(path, || {
        let mut summary = Summary::new(true);
        let mut at = 0u64;
        let mut schema_seen = false;
        while at < size {
            let start = at;
            if size - at < 4 {
                return Err(format!(
                    "the stream ends inside a message at offset {start}"
                ));
            }
            let mut word = [0u8; 4];
            input.read_exact(&mut word).map_err(io_detail(at))?;
            at += 4;
            if word == CONTINUATION {
                if size - at < 4 {
                    return Err(format!(
                        "the stream ends inside a message at offset {start}"
                    ));
                }
                input.read_exact(&mut word).map_err(io_detail(at))?;
                at += 4;
            }
            let length = i32::from_le_bytes(word);
            if length == 0 {
                break; // the end-of-stream marker
            }
            let length = u64::try_from(length)
                .ok()
                .filter(|&l| fits(at, l, size))
                .ok_or_else(|| {
                    format!("the message at offset {start} claims {length} bytes, past the end")
                })?;
            let mut bytes = vec![0u8; length as usize];
            input.read_exact(&mut bytes).map_err(io_detail(at))?;
            at += length;
            let message = root_as_message(&bytes)
                .map_err(|e| format!("the message at offset {start} is unreadable: {e}"))?;
            schema_seen |= message.header_type() == MessageHeader::Schema;
            summary.add(&message, start)?;
            let body = u64::try_from(message.bodyLength())
                .ok()
                .filter(|&b| fits(at, b, size))
                .ok_or_else(|| {
                    format!("the body of the message at offset {start} runs past the end")
                })?;
            input.seek_relative(body as i64).map_err(io_detail(at))?;
            at += body;
        }
        if !schema_seen {
            return Err("the stream has no schema".into());
        }
        Ok(summary.report)
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow_array::{Int64Array, RecordBatch, StringArray};
    use arrow_ipc::writer::{FileWriter, IpcWriteOptions, StreamWriter};
    use arrow_ipc::CompressionType;
    use arrow_schema::{DataType, Field as ArrowField, Schema};

    use super::*;
    use crate::formats::open_file;
    use crate::formats::testdata::fixture;

    fn batches() -> (Arc<Schema>, Vec<RecordBatch>) {
        let schema = Arc::new(Schema::new(vec![
            ArrowField::new("n", DataType::Int64, false),
            ArrowField::new("s", DataType::Utf8, true),
        ]));
        let batch = |rows: i64| {
            RecordBatch::try_new(
                schema.clone(),
                vec![
                    Arc::new(Int64Array::from_iter_values(0..rows)),
                    Arc::new(StringArray::from_iter_values(
                        (0..rows).map(|i| format!("v{i}")),
                    )),
                ],
            )
            .unwrap()
        };
        (schema.clone(), vec![batch(10), batch(7)])
    }

    fn options(codec: Option<CompressionType>) -> IpcWriteOptions {
        IpcWriteOptions::default()
            .try_with_compression(codec)
            .unwrap()
    }

    #[test]
    fn the_reference_file_shows_its_batches_and_schema() {
        let path = fixture("../parquet/table.arrow");
        let r = read_file(&path, open_file(&path).unwrap()).unwrap();
        assert!(!r.stream);
        assert_eq!(r.rows, 300);
        // pyarrow wrote the table as one record batch, with the dictionary in its own.
        assert_eq!(r.batches, [300]);
        assert_eq!(r.dictionary_batches, 1);
        assert!(r.codecs.is_empty());
        assert_eq!(r.fields.len(), 8);
        assert_eq!(r.fields[0].name, "id");
    }

    #[test]
    fn compressed_files_and_streams_report_their_codec() {
        let dir = tempfile::tempdir().unwrap();
        let (schema, batches) = batches();
        let file_path = dir.path().join("z.arrow");
        let mut w = FileWriter::try_new_with_options(
            File::create(&file_path).unwrap(),
            &schema,
            options(Some(CompressionType::ZSTD)),
        )
        .unwrap();
        batches.iter().for_each(|b| w.write(b).unwrap());
        w.finish().unwrap();
        let r = read_file(&file_path, open_file(&file_path).unwrap()).unwrap();
        assert_eq!((r.rows, r.batches.clone()), (17, vec![10, 7]));
        assert_eq!(r.codecs, ["ZSTD"]);

        let stream_path = dir.path().join("l.arrows");
        let mut w = StreamWriter::try_new_with_options(
            File::create(&stream_path).unwrap(),
            &schema,
            options(Some(CompressionType::LZ4_FRAME)),
        )
        .unwrap();
        batches.iter().for_each(|b| w.write(b).unwrap());
        w.finish().unwrap();
        let r = read_stream(&stream_path, open_file(&stream_path).unwrap()).unwrap();
        assert!(r.stream);
        assert_eq!((r.rows, r.batches.clone()), (17, vec![10, 7]));
        assert_eq!(r.codecs, ["LZ4_FRAME"]);
        assert_eq!(r.fields[1].name, "s");
    }

    #[test]
    fn cut_or_corrupt_files_are_data_loss_errors_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let (schema, batches) = batches();
        let stream_path = dir.path().join("cut.arrows");
        let mut w = StreamWriter::try_new_with_options(Vec::new(), &schema, options(None)).unwrap();
        batches.iter().for_each(|b| w.write(b).unwrap());
        w.finish().unwrap();
        let bytes = w.into_inner().unwrap();
        for cut in [5, bytes.len() / 2, bytes.len() - 20] {
            std::fs::write(&stream_path, &bytes[..cut]).unwrap();
            match read_stream(&stream_path, open_file(&stream_path).unwrap()) {
                Err(Error::DataLoss(m)) => assert!(m.contains("cut.arrows"), "{m}"),
                other => panic!("cut at {cut}: expected DataLoss, got {other:?}"),
            }
        }
        let file_path = dir.path().join("bad.arrow");
        let mut bytes = std::fs::read(fixture("../parquet/table.arrow")).unwrap();
        let n = bytes.len();
        // A footer length far past the file's start.
        bytes[n - 10..n - 6].copy_from_slice(&i32::MAX.to_le_bytes());
        std::fs::write(&file_path, &bytes).unwrap();
        match read_file(&file_path, open_file(&file_path).unwrap()) {
            Err(Error::DataLoss(m)) => assert!(m.contains("bad.arrow"), "{m}"),
            other => panic!("expected DataLoss, got {other:?}"),
        }
    }
}
