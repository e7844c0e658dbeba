//! An object read at explicit byte ranges, pinned to the version it had when opened.

use std::collections::VecDeque;
use std::future::Future;
use std::io;
use std::ops::Range;
use std::sync::Arc;

use bytes::Bytes;
use futures::TryStreamExt;
use object_store::path::Path as StorePath;
use object_store::{
    coalesce_ranges, GetOptions, ObjectStore, ObjectStoreExt, OBJECT_STORE_COALESCE_DEFAULT,
};

use super::stores::{failed, locate, Located};
use crate::engine::io_runtime::runtime;
use crate::engine::Result;

/// Bytes fetched per request: large enough that a request's latency is small beside its
/// transfer, small enough to keep memory per open file bounded.
pub const READ_AHEAD: u64 = 8 << 20;

/// The bytes of a range as they came from the store: the parts of the answer's body, in
/// order, each a view of the client's receive buffer. A reader that goes through them in
/// turn copies each byte once; joining them into one buffer would copy every byte again.
pub type Parts = VecDeque<Bytes>;

/// An object as it was when opened: every range read later must come from that version
/// (its ETag), so an object replaced during a read is an error, never a mix of two.
pub struct RemoteObject {
    store: Arc<dyn ObjectStore>,
    location: StorePath,
    size: u64,
    version: Option<String>,
}

impl RemoteObject {
    /// Opens `url`, asking the store for the object's size and version.
    pub fn open(url: &str) -> Result<RemoteObject> {
        let Located {
            store, location, ..
        } = locate(url)?;
        let meta = runtime()
            .handle()
            .block_on(store.head(&location))
            .map_err(|e| failed(url, e))?;
        Ok(RemoteObject {
            store,
            location,
            size: meta.size,
            version: meta.e_tag,
        })
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// The bytes of `range`, all of them (the range must lie within the object), in one
    /// buffer.
    pub fn read_range(&self, range: Range<u64>) -> io::Result<Bytes> {
        runtime().handle().block_on(self.fetch(range))
    }

    /// The bytes of `range`, all of them, in the parts they came in.
    pub fn read_parts(&self, range: Range<u64>) -> io::Result<Parts> {
        runtime().handle().block_on(self.fetch_parts(range))
    }

    /// The bytes of each of `ranges`, fetched at once.
    pub fn read_ranges(&self, ranges: &[Range<u64>]) -> io::Result<Vec<Bytes>> {
        // Ranges less than 1 MiB apart (a row group's neighbouring column chunks) go as one
        // request, as `object_store`'s own `get_ranges` sends them: each request costs the
        // store more than the bytes between them.
        runtime().handle().block_on(coalesce_ranges(
            ranges,
            |r| self.fetch(r),
            OBJECT_STORE_COALESCE_DEFAULT,
        ))
    }

    /// Starts fetching `range` on the I/O runtime; the handle gives its bytes.
    pub fn prefetch(self: &Arc<Self>, range: Range<u64>) -> Prefetch {
        let object = self.clone();
        Prefetch {
            start: range.start,
            task: runtime().spawn(async move { object.fetch_parts(range).await }),
        }
    }

    fn fetch(&self, range: Range<u64>) -> impl Future<Output = io::Result<Bytes>> + '_ {
        let parts = self.fetch_parts(range);
        async move { Ok(join(parts.await?)) }
    }

    fn fetch_parts(&self, range: Range<u64>) -> impl Future<Output = io::Result<Parts>> + '_ {
        let options = GetOptions {
            range: Some(range.clone().into()),
            if_match: self.version.clone(),
            ..GetOptions::default()
        };
        async move {
            let got = async {
                let got = self.store.get_opts(&self.location, options).await?;
                got.into_stream().try_collect::<Parts>().await
            };
            let got = got.await.map_err(|e| match e {
                object_store::Error::Precondition { .. } => io::Error::other(format!(
                    "{}: the object changed while it was being read",
                    bytes(&range)
                )),
                e => io::Error::other(format!("{}: {e}", bytes(&range))),
            })?;
            let came: usize = got.iter().map(Bytes::len).sum();
            if (came as u64) < range.end - range.start {
                let detail = format!("{}: {came} bytes came back", bytes(&range));
                return Err(io::Error::new(io::ErrorKind::UnexpectedEof, detail));
            }
            Ok(got)
        }
    }
}

/// A range being fetched in the background, from `start`.
pub struct Prefetch {
    pub start: u64,
    task: tokio::task::JoinHandle<io::Result<Parts>>,
}

impl Drop for Prefetch {
    /// A range no longer wanted (the reader moved elsewhere) stops being fetched.
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Prefetch {
    /// Its bytes, waiting for them if they have not come yet.
    pub fn wait(mut self) -> io::Result<Parts> {
        runtime()
            .handle()
            .block_on(&mut self.task)
            .map_err(|e| io::Error::other(format!("a background fetch failed: {e}")))?
    }
}

/// `parts` in one buffer: the one part itself where there is only one.
fn join(mut parts: Parts) -> Bytes {
    if parts.len() == 1 {
        return parts.pop_front().unwrap_or_default();
    }
    let mut joined = Vec::with_capacity(parts.iter().map(Bytes::len).sum());
    parts.iter().for_each(|part| joined.extend_from_slice(part));
    joined.into()
}

fn bytes(range: &Range<u64>) -> String {
    format!("bytes {}..{}", range.start, range.end)
}
