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
use tokio::sync::{mpsc, Semaphore};

use super::stores::{failed, locate, Located};
use crate::engine::io_runtime::runtime;
use crate::engine::Result;

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

    /// Starts reading `range` with one request, in the background: the parts of the
    /// answer's body wait in the stream, at most `STREAM_AHEAD` bytes of them, until the
    /// reader takes them.
    pub fn stream(self: &Arc<Self>, range: Range<u64>) -> Stream {
        let (sender, parts) = mpsc::unbounded_channel();
        let room = Arc::new(Semaphore::new(STREAM_AHEAD));
        let object = self.clone();
        let task = runtime().spawn(object.send_parts(range.clone(), sender, room.clone()));
        Stream {
            next: range.start,
            end: range.end,
            parts,
            room,
            _task: AbortOnDrop(task),
        }
    }

    async fn send_parts(
        self: Arc<Self>,
        range: Range<u64>,
        sender: mpsc::UnboundedSender<io::Result<Bytes>>,
        room: Arc<Semaphore>,
    ) {
        let options = GetOptions {
            range: Some(range.clone().into()),
            if_match: self.version.clone(),
            ..GetOptions::default()
        };
        let mut came = 0u64;
        let ended = async {
            let got = self.store.get_opts(&self.location, options).await?;
            let mut body = got.into_stream();
            while let Some(part) = body.try_next().await? {
                came += part.len() as u64;
                // The room is taken back as the reader takes parts; a reader gone (the
                // channel closed) ends the request.
                let Ok(permits) = room.acquire_many(charge(&part)).await else {
                    return Ok(());
                };
                permits.forget();
                if sender.send(Ok(part)).is_err() {
                    return Ok(());
                }
            }
            Ok(())
        };
        let failure = match ended.await {
            Ok(()) if came >= range.end - range.start => return,
            Ok(()) => io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("{}: {came} bytes came back", bytes(&range)),
            ),
            Err(e) => range_failed(&range, e),
        };
        let _ = sender.send(Err(failure));
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
            let got = got.await.map_err(|e| range_failed(&range, e))?;
            let came: usize = got.iter().map(Bytes::len).sum();
            if (came as u64) < range.end - range.start {
                let detail = format!("{}: {came} bytes came back", bytes(&range));
                return Err(io::Error::new(io::ErrorKind::UnexpectedEof, detail));
            }
            Ok(got)
        }
    }
}

/// Bytes a stream holds for its reader at most: enough that the store's answer keeps
/// coming while the reader works through what came.
const STREAM_AHEAD: usize = 8 << 20;

/// A range of an object, coming in parts from one request made in the background.
pub struct Stream {
    /// Where the next part starts.
    pub next: u64,
    /// Where the range ends.
    pub end: u64,
    parts: mpsc::UnboundedReceiver<io::Result<Bytes>>,
    room: Arc<Semaphore>,
    _task: AbortOnDrop,
}

impl Stream {
    /// The next part, waiting for it if it has not come yet; `None` after the last.
    pub fn next_part(&mut self) -> io::Result<Option<Bytes>> {
        match runtime().handle().block_on(self.parts.recv()) {
            Some(Ok(part)) => {
                self.room.add_permits(charge(&part) as usize);
                self.next += part.len() as u64;
                Ok(Some(part))
            }
            Some(Err(e)) => Err(e),
            None => Ok(None),
        }
    }
}

/// A stream no longer read (the reader moved elsewhere, or is gone) stops its request.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The room a part takes in a stream (a part larger than all of it takes all of it).
fn charge(part: &Bytes) -> u32 {
    part.len().min(STREAM_AHEAD) as u32
}

fn range_failed(range: &Range<u64>, e: object_store::Error) -> io::Error {
    match e {
        object_store::Error::Precondition { .. } => io::Error::other(format!(
            "{}: the object changed while it was being read",
            bytes(range)
        )),
        e => io::Error::other(format!("{}: {e}", bytes(range))),
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
