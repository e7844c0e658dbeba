//! `Dataset.cache(filename="")`: the first complete pass over the input is kept, in memory or
//! in a file, and every later pass reads it back instead of recomputing. A pass that stops
//! early keeps nothing, as in tf.data. Every pass that fills the cache starts its input
//! where the first one began, so the cache's order does not depend on which of two passes
//! running at once finishes first (where tf.data's next pass after an abandoned one would
//! reshuffle, this one repeats the first pass's order).
//!
//! A saved pass that was reading the cache holds its place in it; one that was filling it
//! holds its input's position and the input's state when that first pass began. A restored
//! filling pass goes on from its input without keeping anything (the elements before the
//! cut are gone with the process); the next pass then fills the cache from that first-pass
//! state, so it holds the order the first pass had. A restored reading pass whose cache is
//! gone (a memory cache in a new process) fills it that way before going on, which costs
//! one pass over the input.

use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::engine::serialize::{write_element, ElementReader};
use crate::engine::state::Fields;
use crate::engine::{
    Cardinality, Context, DatasetIterator, DatasetNode, Element, Error, Result, State,
};
use crate::formats::output::{self, Commit, Local};
use crate::formats::shared_file::{OffsetReader, SharedFile};

const MAGIC: &[u8] = b"FFCACHE2";

/// A finished memory cache.
type Elements = Arc<Vec<Element>>;

pub struct CacheNode {
    input: Arc<dyn DatasetNode>,
    store: Store,
    /// The input's state when the first pass that filled the cache began: every pass that
    /// fills it starts there, so the cache holds that pass's order whichever pass keeps it,
    /// and a restored pipeline fills it in that order again.
    first_pass: Arc<Mutex<Option<State>>>,
}

enum Store {
    Memory(Arc<Mutex<Option<Elements>>>),
    /// The finished cache file and the description of the pipeline it caches (its element
    /// structure), which a file must carry to be replayed.
    File {
        path: PathBuf,
        description: String,
    },
}

/// A saved pass's phase.
const FILLING: i64 = 0;
const READING: i64 = 1;

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
        CacheNode {
            input,
            store,
            first_pass: Arc::default(),
        }
    }

    fn first_pass(&self) -> Option<State> {
        self.first_pass.lock().expect("cache lock").clone()
    }

    /// A reader of the finished cache at element `index` (and, in a file, byte `offset`),
    /// or `None` when the cache is not finished.
    fn reader_at(
        &self,
        index: u64,
        offset: Option<u64>,
    ) -> Result<Option<Box<dyn DatasetIterator>>> {
        let first_pass = self.first_pass();
        match &self.store {
            Store::Memory(slot) => {
                let Some(elements) = slot.lock().expect("cache lock").clone() else {
                    return Ok(None);
                };
                if index > elements.len() as u64 {
                    return Err(Error::InvalidArgument(format!(
                        "the state does not fit this dataset: it reads element {index} of a \
                         cache of {}",
                        elements.len()
                    )));
                }
                Ok(Some(Box::new(MemoryReader {
                    elements,
                    next: index as usize,
                    first_pass,
                })))
            }
            Store::File { path, description } => {
                // No cache file yet is the one error that means "fill it"; opening is the
                // one request that says so (no separate existence check before it).
                let mut reader = match FileCacheReader::open(path, description, first_pass) {
                    Err(Error::NotFound(_)) => return Ok(None),
                    opened => opened?,
                };
                if let Some(offset) = offset {
                    reader.seek(index, offset)?;
                }
                Ok(Some(Box::new(reader)))
            }
        }
    }

    /// A pass that fills the cache (or, without `keep`, only passes its input on), from
    /// `input` when given, else from the first pass's state when one is known.
    fn filler(
        &self,
        ctx: &Arc<Context>,
        input: Option<Box<dyn DatasetIterator>>,
        keep: bool,
    ) -> Result<Box<dyn DatasetIterator>> {
        // Every filling pass starts where the first one began, so whichever finishes first
        // (two may run at once) keeps the same elements in the same order.
        let mut first = self.first_pass.lock().expect("cache lock");
        let (input, start) = match (input, first.clone()) {
            (None, Some(state)) => (ctx.restore(&self.input, &state, false)?, Ok(state)),
            (Some(input), Some(state)) => (input, Ok(state)),
            (input, None) => {
                let input = match input {
                    Some(input) => input,
                    None => ctx.open(&self.input)?,
                };
                let start = input.save();
                *first = start.clone().ok();
                (input, start)
            }
        };
        drop(first);
        let sink: Option<Box<dyn Sink>> = match (&self.store, keep) {
            (_, false) => None,
            (Store::Memory(slot), true) => Some(Box::new(MemorySink {
                elements: Vec::new(),
                slot: slot.clone(),
            })),
            (Store::File { path, description }, true) => {
                Some(Box::new(FileSink::create(path, description)?))
            }
        };
        Ok(Box::new(Filling { input, sink, start }))
    }
}

impl DatasetNode for CacheNode {
    fn make_iterator(&self, ctx: &Arc<Context>) -> Result<Box<dyn DatasetIterator>> {
        match self.reader_at(0, None)? {
            Some(reader) => Ok(reader),
            None => self.filler(ctx, None, true),
        }
    }

    fn cardinality(&self) -> Cardinality {
        self.input.cardinality()
    }

    fn restore(
        &self,
        ctx: &Arc<Context>,
        state: &State,
        replay: bool,
    ) -> Result<Box<dyn DatasetIterator>> {
        let fields = state.fields("Cache", 5)?;
        let (index, offset) = (fields.count(1)?, fields.count(2)?);
        if let Some(first) = fields.maybe(3)? {
            self.first_pass
                .lock()
                .expect("cache lock")
                .get_or_insert_with(|| first.clone());
        }
        match fields.int(0)? {
            FILLING => {
                let saved = fields
                    .maybe(4)?
                    .ok_or_else(|| fields.malformed("fills the cache with no input"))?;
                let input = ctx.restore(&self.input, saved, replay)?;
                self.filler(ctx, Some(input), false)
            }
            READING => self.restore_reader(ctx, &fields, index, offset),
            _ => Err(fields.malformed("has no phase 0 or 1")),
        }
    }
}

impl CacheNode {
    /// A reader at a saved place, filling the cache first when it is gone.
    fn restore_reader(
        &self,
        ctx: &Arc<Context>,
        fields: &Fields<'_>,
        index: u64,
        offset: u64,
    ) -> Result<Box<dyn DatasetIterator>> {
        if let Some(reader) = self.reader_at(index, Some(offset))? {
            return Ok(reader);
        }
        if self.first_pass().is_none() {
            return Err(fields
                .malformed("reads a cache that is gone and holds no state to fill it again from"));
        }
        let mut filler = self.filler(ctx, None, true)?;
        while filler.next(ctx)?.is_some() {}
        self.reader_at(index, Some(offset))?
            .ok_or_else(|| Error::Internal("a cache just filled is not there".into()))
    }
}

/// The state of a pass over a cache.
fn cache_state(
    phase: i64,
    index: u64,
    offset: u64,
    first_pass: Option<State>,
    input: Option<State>,
) -> State {
    State::op(
        "Cache",
        vec![
            State::int(phase),
            State::count(index),
            State::count(offset),
            State::maybe(first_pass),
            State::maybe(input),
        ],
    )
}

struct MemoryReader {
    elements: Elements,
    next: usize,
    first_pass: Option<State>,
}

impl DatasetIterator for MemoryReader {
    fn next(&mut self, _ctx: &Context) -> Result<Option<Element>> {
        let element = self.elements.get(self.next).cloned();
        self.next = (self.next + 1).min(self.elements.len());
        Ok(element)
    }

    fn save(&self) -> Result<State> {
        Ok(cache_state(
            READING,
            self.next as u64,
            0,
            self.first_pass.clone(),
            None,
        ))
    }
}

/// Where a filling pass keeps the elements; `finish` makes the cache whole.
trait Sink: Send {
    fn add(&mut self, element: &Element) -> Result<()>;
    fn finish(self: Box<Self>) -> Result<()>;
}

/// A pass over the input that keeps what it gives in a sink, if it has one.
struct Filling {
    input: Box<dyn DatasetIterator>,
    sink: Option<Box<dyn Sink>>,
    /// The input's state when the first filling began (why it cannot be saved, if so).
    start: Result<State>,
}

impl DatasetIterator for Filling {
    fn next(&mut self, ctx: &Context) -> Result<Option<Element>> {
        match self.input.next(ctx)? {
            Some(element) => {
                if let Some(sink) = self.sink.as_mut() {
                    sink.add(&element)?;
                }
                Ok(Some(element))
            }
            None => {
                if let Some(sink) = self.sink.take() {
                    sink.finish()?;
                }
                Ok(None)
            }
        }
    }

    fn save(&self) -> Result<State> {
        Ok(cache_state(
            FILLING,
            0,
            0,
            Some(self.start.clone()?),
            Some(self.input.save()?),
        ))
    }
}

struct MemorySink {
    elements: Vec<Element>,
    slot: Arc<Mutex<Option<Elements>>>,
}

impl Sink for MemorySink {
    fn add(&mut self, element: &Element) -> Result<()> {
        self.elements.push(element.clone());
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<()> {
        let MemorySink { elements, slot } = *self;
        slot.lock()
            .expect("cache lock")
            .get_or_insert(Arc::new(elements));
        Ok(())
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
    file: BufReader<OffsetReader>,
    name: String,
    /// Where the next block starts, and where the blocks end (the trailer's offset).
    offset: u64,
    end: u64,
    /// Where the blocks start.
    start: u64,
    /// Elements read, and the count the trailer promises.
    read: u64,
    count: u64,
    first_pass: Option<State>,
}

impl FileCacheReader {
    fn open(path: &Path, description: &str, first_pass: Option<State>) -> Result<Self> {
        let name = path.display().to_string();
        let damaged = |what: String| {
            Error::DataLoss(format!("{name}: {what}; delete it to rebuild the cache"))
        };
        let io = |e| Error::io(&name, e);
        let shared = SharedFile::open(path)?;
        let len = shared.size();
        let mut file = shared.reader_at(0);
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
            start: blocks_start,
            read: 0,
            count,
            first_pass,
        })
    }

    /// Goes to element `index`, whose block starts at byte `offset` (as a saved pass found
    /// them); the blocks' checksums catch a place that is not one.
    fn seek(&mut self, index: u64, offset: u64) -> Result<()> {
        if offset < self.start || offset > self.end || index > self.count {
            return Err(Error::InvalidArgument(format!(
                "the state does not fit this dataset: it reads element {index} at byte \
                 {offset} of {}, which holds {} elements in bytes {}..{}",
                self.name, self.count, self.start, self.end
            )));
        }
        self.file
            .seek(SeekFrom::Start(offset))
            .map_err(|e| Error::io(&self.name, e))?;
        self.offset = offset;
        self.read = index;
        Ok(())
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

    fn save(&self) -> Result<State> {
        Ok(cache_state(
            READING,
            self.read,
            self.offset,
            self.first_pass.clone(),
            None,
        ))
    }
}

/// A cache file being written: locally under a temporary name of its own in the cache's
/// folder, renamed to `path` once complete; in a store, an object that appears once complete.
struct FileSink {
    out: BufWriter<Box<dyn Write + Send>>,
    commit: Commit,
    path: PathBuf,
    block: Vec<u8>,
    count: u64,
}

impl FileSink {
    fn create(path: &Path, description: &str) -> Result<Self> {
        let (out, commit) = output::create(&path.to_string_lossy(), Local::Atomic)?;
        let mut out = BufWriter::new(out);
        let description = description.as_bytes();
        let mut head = MAGIC.to_vec();
        head.extend_from_slice(&(description.len() as u64).to_le_bytes());
        head.extend_from_slice(description);
        head.extend_from_slice(&crc32c::crc32c(description).to_le_bytes());
        out.write_all(&head)
            .map_err(|e| Error::io(path.display(), e))?;
        Ok(FileSink {
            out,
            commit,
            path: path.to_path_buf(),
            block: Vec::new(),
            count: 0,
        })
    }
}

impl Sink for FileSink {
    fn add(&mut self, element: &Element) -> Result<()> {
        let out = &mut self.out;
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

    fn finish(self: Box<Self>) -> Result<()> {
        let FileSink {
            mut out,
            commit,
            path,
            count,
            ..
        } = *self;
        let io = |e| Error::io(path.display(), e);
        out.write_all(&trailer(count)).map_err(io)?;
        drop(out.into_inner().map_err(|e| io(e.into_error()))?);
        commit.commit()
    }
}
