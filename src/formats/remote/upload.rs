//! An object written as a stream. It appears in the store whole, when `finish` succeeds;
//! an upload dropped or failed before then leaves no object (and no parts) behind.

use std::io::{self, Write};
use std::sync::Arc;

use bytes::Bytes;
use object_store::path::Path as StorePath;
use object_store::{ObjectStore, ObjectStoreExt, WriteMultipart};

use super::stores::{locate, Located};
use crate::engine::io_runtime::runtime;
use crate::engine::{Error, Result};

/// Bytes per part of a multipart upload (S3's smallest is 5 MiB): an object smaller than
/// this is sent in one request.
const PART: usize = 8 << 20;
/// Parts sent at once; a writer waits for one to finish before it buffers more, so a
/// writer holds at most this many parts and one more being filled.
const PARTS_IN_FLIGHT: usize = 4;

pub struct Upload {
    url: String,
    store: Arc<dyn ObjectStore>,
    location: StorePath,
    state: State,
}

enum State {
    /// Less than a part written so far.
    Small(Vec<u8>),
    Parts(WriteMultipart),
    Ended,
}

impl Upload {
    /// Starts writing the object `url` (nothing is sent until a part is full).
    pub fn create(url: &str) -> Result<Upload> {
        let Located {
            store, location, ..
        } = locate(url)?;
        if location.as_ref().is_empty() || url.ends_with('/') {
            return Err(Error::invalid(format!(
                "{url}: names a bucket or folder, not an object to write"
            )));
        }
        Ok(Upload {
            url: url.to_string(),
            store,
            location,
            state: State::Small(Vec::new()),
        })
    }

    /// Sends what is buffered and makes the object visible; finishing twice is harmless.
    pub fn finish(&mut self) -> Result<()> {
        let sent = match std::mem::replace(&mut self.state, State::Ended) {
            State::Small(bytes) => runtime()
                .handle()
                .block_on(self.store.put(&self.location, Bytes::from(bytes).into()))
                .map(drop),
            State::Parts(parts) => runtime().handle().block_on(parts.finish()).map(drop),
            State::Ended => Ok(()),
        };
        sent.map_err(|e| Error::Io(format!("{}: the write failed: {e}", self.url)))
    }

    /// Drops what was written: the object is not created (or keeps what it held).
    pub fn abort(&mut self) {
        if let State::Parts(parts) = std::mem::replace(&mut self.state, State::Ended) {
            // Parts left behind cost storage until the bucket's lifecycle rules remove
            // them; a failed abort can do no better than that.
            let _ = runtime().handle().block_on(parts.abort());
        }
    }

    fn start_parts(&mut self, first: Vec<u8>) -> io::Result<()> {
        let upload = runtime()
            .handle()
            .block_on(self.store.put_multipart(&self.location))
            .map_err(io::Error::other)?;
        let mut parts = WriteMultipart::new_with_chunk_size(upload, PART);
        // Parts are sent by tasks spawned on the runtime.
        let _entered = runtime().enter();
        parts.put(Bytes::from(first));
        self.state = State::Parts(parts);
        Ok(())
    }
}

impl Write for Upload {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.state {
            State::Small(pending) => {
                pending.extend_from_slice(buf);
                if pending.len() >= PART {
                    let first = std::mem::take(pending);
                    self.start_parts(first)?;
                }
            }
            State::Parts(parts) => {
                runtime()
                    .handle()
                    .block_on(parts.wait_for_capacity(PARTS_IN_FLIGHT))
                    .map_err(io::Error::other)?;
                let _entered = runtime().enter();
                parts.write(buf);
            }
            State::Ended => {
                return Err(io::Error::other("the object was already finished"));
            }
        }
        Ok(buf.len())
    }

    /// Objects cannot be read while written: what is written is sent as parts fill, and
    /// becomes readable at `finish`.
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for Upload {
    fn drop(&mut self) {
        self.abort();
    }
}
