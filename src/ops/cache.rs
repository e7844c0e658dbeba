//! `Dataset.cache(filename="")`: the first complete pass over the input is kept, in memory or
//! in a file, and every later pass reads it back instead of recomputing. A pass that stops
//! early keeps nothing, as in tf.data.

use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::engine::serialize::{write_element, ElementReader};
use crate::engine::{Cardinality, Context, DatasetIterator, DatasetNode, Element, Error, Result};

const MAGIC: &[u8] = b"FFCACHE1";

pub struct CacheNode {
    input: Arc<dyn DatasetNode>,
    store: Store,
}

enum Store {
    Memory(Arc<Mutex<Option<Arc<Vec<Element>>>>>),
    /// The finished cache file; it is written under a temporary name and renamed when complete.
    File(PathBuf),
}

impl CacheNode {
    /// `filename` empty caches in memory.
    pub fn new(input: Arc<dyn DatasetNode>, filename: &str) -> Self {
        let store = if filename.is_empty() {
            Store::Memory(Arc::new(Mutex::new(None)))
        } else {
            Store::File(PathBuf::from(format!("{filename}.ffcache")))
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
            Store::File(path) if path.exists() => Ok(Box::new(FileCacheReader::open(path)?)),
            Store::File(path) => Ok(Box::new(FileCacheWriter::create(
                path,
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

struct FileCacheReader {
    reader: ElementReader<BufReader<File>>,
}

impl FileCacheReader {
    fn open(path: &Path) -> Result<Self> {
        let name = path.display().to_string();
        let file = File::open(path).map_err(|e| Error::io(&name, e))?;
        let len = file.metadata().map_err(|e| Error::io(&name, e))?.len();
        let mut reader = ElementReader::new(BufReader::new(file), len, name);
        reader.expect(MAGIC)?;
        Ok(FileCacheReader { reader })
    }
}

impl DatasetIterator for FileCacheReader {
    fn next(&mut self, _ctx: &Context) -> Result<Option<Element>> {
        if self.reader.remaining() == 0 {
            return Ok(None);
        }
        self.reader.read_element().map(Some)
    }
}

struct FileCacheWriter {
    input: Box<dyn DatasetIterator>,
    out: Option<BufWriter<File>>,
    temp: PathBuf,
    path: PathBuf,
}

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

impl FileCacheWriter {
    fn create(path: &Path, input: Box<dyn DatasetIterator>) -> Result<Self> {
        let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
        let temp = PathBuf::from(format!("{}.tmp-{}-{n}", path.display(), std::process::id()));
        let file = File::create(&temp).map_err(|e| Error::io(temp.display(), e))?;
        let mut out = BufWriter::new(file);
        out.write_all(MAGIC)
            .map_err(|e| Error::io(temp.display(), e))?;
        Ok(FileCacheWriter {
            input,
            out: Some(out),
            temp,
            path: path.to_path_buf(),
        })
    }

    fn finish(&mut self) -> Result<()> {
        if let Some(out) = self.out.take() {
            out.into_inner()
                .map_err(|e| Error::io(self.temp.display(), e.into_error()))?
                .sync_all()
                .map_err(|e| Error::io(self.temp.display(), e))?;
            std::fs::rename(&self.temp, &self.path)
                .map_err(|e| Error::io(self.path.display(), e))?;
        }
        Ok(())
    }
}

impl DatasetIterator for FileCacheWriter {
    fn next(&mut self, ctx: &Context) -> Result<Option<Element>> {
        match self.input.next(ctx)? {
            Some(element) => {
                if let Some(out) = self.out.as_mut() {
                    write_element(out, &element).map_err(|e| Error::io(self.temp.display(), e))?;
                }
                Ok(Some(element))
            }
            None => {
                self.finish()?;
                Ok(None)
            }
        }
    }
}

impl Drop for FileCacheWriter {
    fn drop(&mut self) {
        if self.out.take().is_some() {
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}
