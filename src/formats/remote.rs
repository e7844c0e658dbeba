//! Files in object stores (`s3://bucket/key`, `http(s)://host/path`) read as if local: a
//! reader fetches large byte ranges ahead (one request per range, not per record) through
//! the `object_store` crate on the shared I/O runtime. Credentials and endpoints come from
//! the usual `AWS_*` environment variables; requests that time out or get a 5xx answer are
//! retried with backoff by the store's client, and a read that fails for good names the
//! object, the byte range and the cause.

use std::io::{self, Read, Seek, SeekFrom};
use std::ops::Range;
use std::sync::Arc;

use bytes::Bytes;
use object_store::path::Path as StorePath;
use object_store::{ObjectStore, ObjectStoreExt};
use url::Url;

use crate::engine::io_runtime::runtime;
use crate::engine::{Error, Result};

/// Bytes fetched per request: large enough that a request's latency is small beside its
/// transfer, small enough to keep memory per open file bounded.
const READ_AHEAD: u64 = 8 << 20;

/// Whether `path` names an object in a store rather than a local file.
pub fn is_remote(path: &str) -> bool {
    match path.split_once("://") {
        Some((scheme, _)) => matches!(scheme, "s3" | "s3a" | "http" | "https"),
        None => false,
    }
}

/// An object opened for reading, with its size; reads fetch `READ_AHEAD` bytes at a time.
pub struct RemoteFile {
    store: Arc<dyn ObjectStore>,
    location: StorePath,
    name: String,
    size: u64,
    pos: u64,
    /// The fetched bytes and the offset of their first.
    ahead: Bytes,
    ahead_at: u64,
}

impl RemoteFile {
    /// Opens `url`, asking the store for the object's size.
    pub fn open(url: &str) -> Result<RemoteFile> {
        let parsed =
            Url::parse(url).map_err(|e| Error::invalid(format!("{url}: not a URL ({e})")))?;
        let (store, location) = object_store::parse_url_opts(&parsed, options(&parsed))
            .map_err(|e| Error::invalid(format!("{url}: {e}")))?;
        let store: Arc<dyn ObjectStore> = Arc::from(store);
        let meta = runtime()
            .handle()
            .block_on(store.head(&location))
            .map_err(|e| match e {
                object_store::Error::NotFound { .. } => {
                    Error::NotFound(format!("{url}: no such object"))
                }
                e => Error::Io(format!("{url}: {e}")),
            })?;
        Ok(RemoteFile {
            store,
            location,
            name: url.to_string(),
            size: meta.size,
            pos: 0,
            ahead: Bytes::new(),
            ahead_at: 0,
        })
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    fn fetch(&mut self) -> io::Result<()> {
        let range = self.pos..(self.pos + READ_AHEAD).min(self.size);
        let got = runtime()
            .handle()
            .block_on(self.store.get_range(&self.location, range.clone()))
            .map_err(|e| io::Error::other(format!("{}: {e}", bytes(&range))))?;
        if (got.len() as u64) < range.end - range.start {
            let detail = format!("{}: {} bytes came back", bytes(&range), got.len());
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, detail));
        }
        self.ahead = got;
        self.ahead_at = range.start;
        Ok(())
    }
}

/// The store's options from the environment (`AWS_ENDPOINT_URL`, `AWS_ACCESS_KEY_ID`,
/// `AWS_ALLOW_HTTP`, ...): what the cloud's own tools read.
fn options(url: &Url) -> Vec<(String, String)> {
    let prefix = match url.scheme() {
        "s3" | "s3a" => "AWS_",
        _ => return Vec::new(),
    };
    std::env::vars()
        .filter(|(key, _)| key.starts_with(prefix))
        .map(|(key, value)| (key.to_ascii_lowercase(), value))
        .collect()
}

fn bytes(range: &Range<u64>) -> String {
    format!("bytes {}..{}", range.start, range.end)
}

impl Read for RemoteFile {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.pos >= self.size || out.is_empty() {
            return Ok(0);
        }
        let ahead_end = self.ahead_at + self.ahead.len() as u64;
        if self.pos < self.ahead_at || self.pos >= ahead_end {
            self.fetch()?;
        }
        let from = (self.pos - self.ahead_at) as usize;
        let n = out.len().min(self.ahead.len() - from);
        out[..n].copy_from_slice(&self.ahead[from..from + n]);
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for RemoteFile {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let pos = match to {
            SeekFrom::Start(p) => Some(p),
            SeekFrom::End(d) => self.size.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        self.pos = pos.ok_or_else(|| io::Error::other(format!("{}: seek before 0", self.name)))?;
        Ok(self.pos)
    }
}
