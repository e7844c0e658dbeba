//! A file opened once for a whole read and read at explicit offsets, by any number of
//! threads at once. Readers of row groups or record batches share it instead of opening the
//! path again for each one, so a file replaced or deleted during a read is read whole as it
//! was when the read began, never as a mix of two versions.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use parquet::errors::ParquetError;
use parquet::file::reader::{ChunkReader, Length};

use super::open_file;
use crate::engine::{Error, Result};

#[derive(Clone)]
pub struct SharedFile {
    file: Arc<File>,
    /// The file's length when opened.
    len: u64,
}

impl SharedFile {
    /// Opens `path`; the error names it.
    pub fn open(path: &Path) -> Result<Self> {
        let file = open_file(path)?;
        let len = file
            .metadata()
            .map_err(|e| Error::io(path.display(), e))?
            .len();
        Ok(SharedFile {
            file: Arc::new(file),
            len,
        })
    }

    /// The file's length when it was opened.
    pub fn size(&self) -> u64 {
        self.len
    }

    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        #[cfg(unix)]
        return std::os::unix::fs::FileExt::read_at(&*self.file, buf, offset);
        #[cfg(windows)]
        return std::os::windows::fs::FileExt::seek_read(&*self.file, buf, offset);
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
        }
    }
}

/// Reads a `SharedFile` from a position of its own.
pub struct OffsetReader {
    file: SharedFile,
    position: u64,
}

impl Read for OffsetReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.file.read_at(buf, self.position)?;
        self.position += n as u64;
        Ok(n)
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
