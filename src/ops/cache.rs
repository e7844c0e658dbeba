//! `Dataset.cache(filename="")`: the first complete pass over the input is kept, in memory or
//! in a file, and every later pass reads it back instead of recomputing. A pass that stops
//! early keeps nothing, as in tf.data.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use tempfile::NamedTempFile;

use crate::engine::serialize::{write_element, ElementReader};
use crate::engine::{Cardinality, Context, DatasetIterator, DatasetNode, Element, Error, Result};

const MAGIC: &[u8] = b"FFCACHE2";

pub struct CacheNode {
    input: Arc<dyn DatasetNode>,
    store: Store,
}

enum Store {
    Memory(Arc<Mutex<Option<Arc<Vec<Element>>>>>),
    /// The finished cache file and the description of the pipeline it caches (its element
    /// structure), which a file must carry to be replayed.
    File {
        path: PathBuf,
        description: String,
    },
}

impl CacheNode {
    /// `filename` empty caches in memory; `description` names what a cache file holds.
    pub fn new(input: Arc<dyn DatasetNode>, filename: &str, description: &str) -> Self {
        let store = if filename.is_empty() {
            Store::Memory(Arc::new(Mutex::new(None)))
        } else {
            Store::File {
                path: PathBuf::from(format!("{filename}.ffcache")),
                description: description.to_string(),
            }
        };
        CacheNode { input, store }
    }
}

impl DatasetNode for CacheNode {
    fn make_iterator(&self, ctx: &Arc<Context>) -> Result<Box<dyn DatasetIterator>> {
        match &self.store {
            Store::Memory(slot) => {
                if let Some(done) = slot.lock().expect("cache lock").clone() {
                    return Ok(Box::new(MemoryReader {
                        elements: done,
                        next: 0,
                    }));
                }
                Ok(Box::new(MemoryWriter {
                    input: ctx.open(&self.input)?,
                    elements: Vec::new(),
                    slot: slot.clone(),
                }))
            }
            Store::File { path, description } if path.exists() => {
                Ok(Box::new(FileCacheReader::open(path, description)?))
            }
            Store::File { path, description } => Ok(Box::new(FileCacheWriter::create(
                path,
                description,
                ctx.open(&self.input)?,
            )?)),
        }
    }

    fn cardinality(&self) -> Cardinality {
        self.input.cardinality()
    }
}

struct MemoryReader {
    elements: Arc<Vec<Element>>,
    next: usize,
}

impl DatasetIterator for MemoryReader {
    fn next(&mut self, _ctx: &Context) -> Result<Option<Element>> {
        let element = self.elements.get(self.next).cloned();
        self.next += 1;
        Ok(element)
    }
}

struct MemoryWriter {
    input: Box<dyn DatasetIterator>,
    elements: Vec<Element>,
    slot: Arc<Mutex<Option<Arc<Vec<Element>>>>>,
}

impl DatasetIterator for MemoryWriter {
    fn next(&mut self, ctx: &Context) -> Result<Option<Element>> {
        match self.input.next(ctx)? {
            Some(element) => {
                self.elements.push(element.clone());
                Ok(Some(element))
            }
            None => {
                let done = Arc::new(std::mem::take(&mut self.elements));
                self.slot.lock().expect("cache lock").get_or_insert(done);
                Ok(None)
            }
        }
    }
}

/// A cache file: `MAGIC`, the pipeline description (length, bytes, CRC32C), then one block
/// per element (length, CRC32C of the element's bytes, the bytes), then an end marker
/// (`END`, the element count, CRC32C of both) written last. A file that fails any check is
/// refused, never replayed: one cut short lacks the end marker, a flipped bit fails its
/// block's checksum, another pipeline's file has another description.
const END: u64 = u64::MAX;
/// The end marker's length: `END`, the count, their CRC32C.
const TRAILER: u64 = 8 + 8 + 4;

fn trailer(count: u64) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(TRAILER as usize);
    bytes.extend_from_slice(&END.to_le_bytes());
    bytes.extend_from_slice(&count.to_le_bytes());
    let crc = crc32c::crc32c(&bytes);
    bytes.extend_from_slice(&crc.to_le_bytes());
    bytes
}

struct FileCacheReader {
    file: BufReader<File>,
    name: String,
    /// Where the next block starts, and where the blocks end (the trailer's offset).
    offset: u64,
    end: u64,
    /// Elements read, and the count the trailer promises.
    read: u64,
    count: u64,
}

impl FileCacheReader {
    fn open(path: &Path, description: &str) -> Result<Self> {
        let name = path.display().to_string();
        let damaged = |what: String| {
            Error::DataLoss(format!("{name}: {what}; delete it to rebuild the cache"))
        };
        let io = |e| Error::io(&name, e);
        let mut file = File::open(path).map_err(io)?;
        let len = file.metadata().map_err(io)?.len();
        let head_len = MAGIC.len() as u64 + 8;
        if len < head_len + 4 + TRAILER {
            return Err(damaged(format!("{len} bytes are too few for a cache file")));
        }
        let mut head = vec![0u8; head_len as usize];
        file.read_exact(&mut head).map_err(io)?;
        if &head[..MAGIC.len()] != MAGIC {
            return Err(damaged(
                "not a cache file of this version of ferroflow".into(),
            ));
        }
        let found_len = u64::from_le_bytes(head[MAGIC.len()..].try_into().expect("8 bytes"));
        let blocks_start = head_len
            .checked_add(found_len)
            .and_then(|n| n.checked_add(4))
            .filter(|&n| n <= len - TRAILER)
            .ok_or_else(|| damaged("its header is longer than the file".into()))?;
        let mut found = vec![0u8; found_len as usize + 4];
        file.read_exact(&mut found).map_err(io)?;
        let (found, crc) = found.split_at(found_len as usize);
        if crc32c::crc32c(found).to_le_bytes() != crc {
            return Err(damaged("its header fails its checksum".into()));
        }
        if found != description.as_bytes() {
            return Err(damaged(format!(
                "it caches another pipeline (elements {:?}, this pipeline's {description:?})",
                String::from_utf8_lossy(found)
            )));
        }
        file.seek(SeekFrom::Start(len - TRAILER)).map_err(io)?;
        let mut tail = [0u8; TRAILER as usize];
        file.read_exact(&mut tail).map_err(io)?;
        let count = u64::from_le_bytes(tail[8..16].try_into().expect("8 bytes"));
        if tail[..] != trailer(count)[..] {
            return Err(damaged(
                "it has no end marker (its writing stopped before the end)".into(),
            ));
        }
        file.seek(SeekFrom::Start(blocks_start)).map_err(io)?;
        Ok(FileCacheReader {
            file: BufReader::new(file),
            name,
            offset: blocks_start,
            end: len - TRAILER,
            read: 0,
            count,
        })
    }

    fn damaged(&self, what: &str) -> Error {
        Error::DataLoss(format!(
            "{}: damaged cache block at byte {}: {what}; delete the file to rebuild the cache",
            self.name, self.offset
        ))
    }
}

impl DatasetIterator for FileCacheReader {
    fn next(&mut self, _ctx: &Context) -> Result<Option<Element>> {
        if self.offset == self.end {
            if self.read != self.count {
                return Err(self.damaged(&format!(
                    "{} elements where the end marker counts {}",
                    self.read, self.count
                )));
            }
            return Ok(None);
        }
        let io = |e| Error::io(&self.name, e);
        let mut head = [0u8; 12];
        if self.end - self.offset < 12 {
            return Err(self.damaged("a block header runs into the end marker"));
        }
        self.file.read_exact(&mut head).map_err(io)?;
        let len = u64::from_le_bytes(head[..8].try_into().expect("8 bytes"));
        if len > self.end - self.offset - 12 {
            return Err(self.damaged(&format!("a block of {len} bytes runs into the end marker")));
        }
        let mut bytes = vec![0u8; len as usize];
        self.file.read_exact(&mut bytes).map_err(io)?;
        if crc32c::crc32c(&bytes).to_le_bytes() != head[8..] {
            return Err(self.damaged("the block fails its checksum"));
        }
        let mut element = ElementReader::new(&bytes[..], len, self.name.clone());
        let value = element.read_element()?;
        if element.remaining() != 0 {
            return Err(self.damaged("the block holds more than its element"));
        }
        self.offset += 12 + len;
        self.read += 1;
        Ok(Some(value))
    }
}

struct FileCacheWriter {
    input: Box<dyn DatasetIterator>,
    /// Written under a temporary name of its own in the cache's folder, created anew (never
    /// a file or link already there), and renamed to `path` once complete.
    out: Option<BufWriter<NamedTempFile>>,
    path: PathBuf,
    block: Vec<u8>,
    count: u64,
}

impl FileCacheWriter {
    fn create(path: &Path, description: &str, input: Box<dyn DatasetIterator>) -> Result<Self> {
        let folder = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let temp = tempfile::Builder::new()
            .prefix(&format!(
                ".{}.",
                path.file_name().unwrap_or_default().to_string_lossy()
            ))
            .suffix(".tmp")
            .tempfile_in(folder)
            .map_err(|e| Error::io(path.display(), e))?;
        let mut out = BufWriter::new(temp);
        let description = description.as_bytes();
        let mut head = MAGIC.to_vec();
        head.extend_from_slice(&(description.len() as u64).to_le_bytes());
        head.extend_from_slice(description);
        head.extend_from_slice(&crc32c::crc32c(description).to_le_bytes());
        out.write_all(&head)
            .map_err(|e| Error::io(path.display(), e))?;
        Ok(FileCacheWriter {
            input,
            out: Some(out),
            path: path.to_path_buf(),
            block: Vec::new(),
            count: 0,
        })
    }

    fn write(&mut self, element: &Element) -> Result<()> {
        let Some(out) = self.out.as_mut() else {
            return Ok(());
        };
        let io = |e| Error::io(self.path.display(), e);
        self.block.clear();
        write_element(&mut self.block, element).map_err(io)?;
        out.write_all(&(self.block.len() as u64).to_le_bytes())
            .and_then(|()| out.write_all(&crc32c::crc32c(&self.block).to_le_bytes()))
            .and_then(|()| out.write_all(&self.block))
            .map_err(io)?;
        self.count += 1;
        Ok(())
    }

    fn finish(&mut self) -> Result<()> {
        if let Some(mut out) = self.out.take() {
            let io = |e| Error::io(self.path.display(), e);
            out.write_all(&trailer(self.count)).map_err(io)?;
            let temp = out.into_inner().map_err(|e| io(e.into_error()))?;
            temp.as_file().sync_all().map_err(io)?;
            temp.persist(&self.path).map_err(|e| io(e.error))?;
        }
        Ok(())
    }
}

impl DatasetIterator for FileCacheWriter {
    fn next(&mut self, ctx: &Context) -> Result<Option<Element>> {
        match self.input.next(ctx)? {
            Some(element) => {
                self.write(&element)?;
                Ok(Some(element))
            }
            None => {
                self.finish()?;
                Ok(None)
            }
        }
    }
}
