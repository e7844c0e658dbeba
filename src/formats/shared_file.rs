//! A file opened once for a whole read and read at explicit offsets, by any number of
//! threads at once. Readers of row groups or record batches share it instead of opening the
//! path again for each one, so a file replaced or deleted during a read is read whole as it
//! was when the read began, never as a mix of two versions.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use parquet::errors::ParquetError;
use parquet::file::reader::{ChunkReader, Length};

use super::open_file;
use super::remote::{self, Parts, RemoteObject, Stream};
use crate::engine::{Error, Result};

#[derive(Clone)]
pub struct SharedFile {
    file: Backing,
    /// The file's length when opened.
    len: u64,
}

/// A local file, or an object in a store (pinned to the version it had when opened, so that
/// it too is read whole as it was).
#[derive(Clone)]
enum Backing {
    Local(Arc<File>),
    Remote(Arc<RemoteObject>),
}

impl SharedFile {
    /// Opens `path` (or an object's URL); the error names it.
    pub fn open(path: &Path) -> Result<Self> {
        if let Some(url) = path.to_str().filter(|p| remote::is_remote(p)) {
            let object = RemoteObject::open(url)?;
            return Ok(SharedFile {
                len: object.size(),
                file: Backing::Remote(Arc::new(object)),
            });
        }
        let file = open_file(path)?;
        let len = file
            .metadata()
            .map_err(|e| Error::io(path.display(), e))?
            .len();
        Ok(SharedFile {
            file: Backing::Local(Arc::new(file)),
            len,
        })
    }

    /// The file's length when it was opened.
    pub fn size(&self) -> u64 {
        self.len
    }

    /// The bytes of `ranges` fetched now, all at once, to be read from memory, when this is
    /// an object in a store (where every read is a request); `None` for a local file. A
    /// Parquet row group's column chunks are fetched so before the decoder asks for pages.
    pub fn fetch_if_remote(&self, ranges: &[Range<u64>]) -> Option<io::Result<FetchedRanges>> {
        let Backing::Remote(object) = &self.file else {
            return None;
        };
        Some(object.read_ranges(ranges).map(|fetched| FetchedRanges {
            parts: ranges.iter().map(|r| r.start).zip(fetched).collect(),
            len: self.len,
        }))
    }

    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        match &self.file {
            Backing::Local(file) => {
                #[cfg(unix)]
                return std::os::unix::fs::FileExt::read_at(&**file, buf, offset);
                #[cfg(windows)]
                return std::os::windows::fs::FileExt::seek_read(&**file, buf, offset);
            }
            // One request for the whole buffer: callers ask for what they need at once.
            Backing::Remote(object) => {
                let end = (offset + buf.len() as u64).min(self.len);
                if offset >= end {
                    return Ok(0);
                }
                let mut filled = 0;
                for part in object.read_parts(offset..end)? {
                    buf[filled..filled + part.len()].copy_from_slice(&part);
                    filled += part.len();
                }
                Ok(filled)
            }
        }
    }

    /// Fills `buf` from `offset`; an error if the file ends first.
    pub fn read_exact_at(&self, mut buf: &mut [u8], mut offset: u64) -> io::Result<()> {
        while !buf.is_empty() {
            match self.read_at(buf, offset) {
                Ok(0) => {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        format!("the file ends before offset {offset}"),
                    ))
                }
                Ok(n) => {
                    buf = &mut buf[n..];
                    offset += n as u64;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// A reader of the file from `offset` on, with its own position.
    pub fn reader_at(&self, offset: u64) -> OffsetReader {
        OffsetReader {
            file: self.clone(),
            position: offset,
            ahead: Parts::new(),
            ahead_at: 0,
            stream: None,
            following: None,
            sequential: false,
        }
    }
}

/// What a reader of an object fetches at once where it starts (or moves to): a short read
/// (a header, a schema) costs little more than what it needs. The rest of the object then
/// comes as streamed answers of `SEGMENT` bytes, not a request per small range.
const FIRST_FETCH: u64 = 1024 * 1024;
/// The bytes one streamed answer covers. Stores that keep objects in chunks read a whole
/// chunk for any range touching it, so ranges much larger than chunks waste little; two
/// answers on their way at once keep a store's bandwidth busy where one connection would
/// not fill it.
const SEGMENT: u64 = 64 << 20;

/// Reads a `SharedFile` from a position of its own. From an object in a store it streams
/// the object from where it reads, two segments at a time; a reader that may read little
/// fetches a first range before the stream.
pub struct OffsetReader {
    file: SharedFile,
    position: u64,
    /// Fetched bytes from `ahead_at` on, in the parts they came in; a part is dropped once
    /// read past.
    ahead: Parts,
    ahead_at: u64,
    /// The object's bytes after `ahead`, coming.
    stream: Option<Stream>,
    /// The segment after `stream`'s, coming too.
    following: Option<Stream>,
    /// Reads on to the end from where it starts (records, lines): it streams at once,
    /// without a first range.
    sequential: bool,
}

impl OffsetReader {
    /// This reader, buffered, for reading on from where it is (records, lines): a local
    /// file's through a buffer of `capacity` bytes, an object's through the parts of the
    /// answers it streams.
    pub fn buffered(mut self, capacity: usize) -> Box<dyn BufRead + Send> {
        match &self.file.file {
            Backing::Local(_) => Box::new(BufReader::with_capacity(capacity, self)),
            Backing::Remote(object) => {
                self.sequential = true;
                Box::new(PartsReader {
                    object: object.clone(),
                    reader: self,
                })
            }
        }
    }

    /// The fetched bytes from the position to the end of the part holding it; empty at the
    /// end of the object. Where the position is somewhere new, a reader that may read little
    /// fetches at least `want` bytes first.
    fn available(&mut self, object: &Arc<RemoteObject>, want: usize) -> io::Result<&[u8]> {
        let len = self.file.len;
        if self.position >= len {
            return Ok(&[]);
        }
        if self.position < self.ahead_at {
            self.ahead.clear();
        }
        self.drop_read_parts();
        while self.ahead.is_empty() {
            if self.stream.as_ref().is_some_and(|s| s.next == s.end) {
                self.stream = self.following.take();
            }
            let position = self.position;
            match &mut self.stream {
                // The stream goes on where the reader is, or a little before it (a short
                // skip forward reads through).
                Some(stream) if stream.next <= position && position - stream.next < FIRST_FETCH => {
                    let at = stream.next;
                    let part = stream.next_part()?.ok_or_else(|| {
                        io::Error::new(
                            io::ErrorKind::UnexpectedEof,
                            format!("the object's answer ended before offset {position}"),
                        )
                    })?;
                    self.ahead_at = at;
                    self.ahead.push_back(part);
                    // Reading on through a stream: the next segment is wanted too.
                    self.follow(object);
                }
                // Somewhere new: a first range fetched now, unless the reader reads on
                // from here anyway, and the rest streamed.
                _ => {
                    let mut start = position;
                    if !self.sequential {
                        start = (position + FIRST_FETCH.max(want as u64)).min(len);
                        self.ahead = object.read_parts(position..start)?;
                        self.ahead_at = position;
                    }
                    self.stream =
                        (start < len).then(|| object.stream(start..(start + SEGMENT).min(len)));
                    self.following = None;
                }
            }
            self.drop_read_parts();
        }
        // `drop_read_parts` left the part holding the position in front.
        let part = &self.ahead[0];
        Ok(&part[(self.position - self.ahead_at) as usize..])
    }

    /// Starts streaming the segment after the current stream's, where there is one.
    fn follow(&mut self, object: &Arc<RemoteObject>) {
        let Some(stream) = &self.stream else { return };
        if self.following.is_none() && stream.end < self.file.len {
            let end = (stream.end + SEGMENT).min(self.file.len);
            self.following = Some(object.stream(stream.end..end));
        }
    }

    /// Drops the parts that end at or before the position.
    fn drop_read_parts(&mut self) {
        while let Some(part) = self.ahead.front() {
            if self.position < self.ahead_at + part.len() as u64 {
                break;
            }
            self.ahead_at += part.len() as u64;
            self.ahead.pop_front();
        }
    }
}

impl Read for OffsetReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = match &self.file.file {
            Backing::Local(_) => self.file.read_at(buf, self.position)?,
            Backing::Remote(object) => {
                if buf.is_empty() {
                    return Ok(0);
                }
                let object = object.clone();
                let got = self.available(&object, buf.len())?;
                let n = buf.len().min(got.len());
                buf[..n].copy_from_slice(&got[..n]);
                n
            }
        };
        self.position += n as u64;
        Ok(n)
    }
}

/// An object's reader whose buffer is the fetched parts themselves: a record or line reader
/// reads them in place, where a `BufReader` would copy every byte into its own buffer first.
struct PartsReader {
    reader: OffsetReader,
    object: Arc<RemoteObject>,
}

impl Read for PartsReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.reader.read(buf)
    }
}

impl BufRead for PartsReader {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.reader.available(&self.object, 0)
    }

    fn consume(&mut self, amount: usize) {
        self.reader.position += amount as u64;
    }
}

impl Seek for OffsetReader {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let target = match to {
            SeekFrom::Start(at) => Some(at),
            SeekFrom::End(delta) => self.file.len.checked_add_signed(delta),
            SeekFrom::Current(delta) => self.position.checked_add_signed(delta),
        };
        self.position = target.ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "seek before the start of the file",
            )
        })?;
        Ok(self.position)
    }
}

impl Length for SharedFile {
    fn len(&self) -> u64 {
        self.len
    }
}

impl ChunkReader for SharedFile {
    type T = OffsetReader;

    fn get_read(&self, start: u64) -> parquet::errors::Result<OffsetReader> {
        Ok(self.reader_at(start))
    }

    fn get_bytes(&self, start: u64, length: usize) -> parquet::errors::Result<Bytes> {
        // Lengths come from the file's metadata: one past its end is damage, refused before
        // anything is allocated for it.
        if start.saturating_add(length as u64) > self.len {
            return Err(ParquetError::EOF(format!(
                "{length} bytes at offset {start} run past the end of the file ({} bytes)",
                self.len
            )));
        }
        let mut buffer = vec![0; length];
        self.read_exact_at(&mut buffer, start)
            .map_err(|e| ParquetError::External(Box::new(e)))?;
        Ok(buffer.into())
    }
}

/// Byte ranges of a file fetched ahead, read as the file: what lies outside them is an error.
pub struct FetchedRanges {
    parts: Vec<(u64, Bytes)>,
    len: u64,
}

impl FetchedRanges {
    fn part(&self, start: u64, length: usize) -> parquet::errors::Result<Bytes> {
        let end = start.saturating_add(length as u64);
        self.parts
            .iter()
            .find(|(at, bytes)| *at <= start && end <= at + bytes.len() as u64)
            .map(|(at, bytes)| bytes.slice((start - at) as usize..(end - at) as usize))
            .ok_or_else(|| ParquetError::General(format!("bytes {start}..{end} were not fetched")))
    }
}

impl Length for FetchedRanges {
    fn len(&self) -> u64 {
        self.len
    }
}

impl ChunkReader for FetchedRanges {
    type T = io::Cursor<Bytes>;

    fn get_read(&self, start: u64) -> parquet::errors::Result<Self::T> {
        let (at, bytes) = self
            .parts
            .iter()
            .find(|(at, bytes)| *at <= start && start < at + bytes.len() as u64)
            .ok_or_else(|| ParquetError::General(format!("byte {start} was not fetched")))?;
        Ok(io::Cursor::new(bytes.slice((start - at) as usize..)))
    }

    fn get_bytes(&self, start: u64, length: usize) -> parquet::errors::Result<Bytes> {
        self.part(start, length)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_at_offsets_from_threads_at_once_and_the_file_as_opened() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data");
        let data: Vec<u8> = (0..=255u8).cycle().take(1 << 16).collect();
        std::fs::write(&path, &data).unwrap();
        let file = SharedFile::open(&path).unwrap();
        // Replaced after opening: the open file is still the one read.
        std::fs::write(dir.path().join("other"), b"new").unwrap();
        std::fs::rename(dir.path().join("other"), &path).unwrap();
        std::thread::scope(|s| {
            for t in 0..4u64 {
                let file = &file;
                let data = &data;
                s.spawn(move || {
                    for start in (t * 100..60_000).step_by(977) {
                        let bytes = file.get_bytes(start, 300).unwrap();
                        assert_eq!(&bytes[..], &data[start as usize..start as usize + 300]);
                    }
                });
            }
        });
        let mut rest = Vec::new();
        file.reader_at(65_000).read_to_end(&mut rest).unwrap();
        assert_eq!(rest, &data[65_000..]);
        assert!(file.get_bytes(65_000, 1000).is_err());
    }
}
