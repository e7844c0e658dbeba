//! Files in object stores (`s3://bucket/key`, `http(s)://host/path`) read as if local: a
//! reader fetches large byte ranges ahead (one request per range, not per record) through
//! the `object_store` crate on the shared I/O runtime. Credentials and endpoints come from
//! the usual `AWS_*` environment variables; requests that time out or get a 5xx answer are
//! retried with backoff (`AWS_MAX_ATTEMPTS` tries in all, when set), and a read that fails
//! for good names the object, the byte range and the last cause.

use std::future::Future;
use std::io;
use std::ops::Range;
use std::sync::Arc;

use bytes::Bytes;
use futures::TryStreamExt;
use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::http::HttpBuilder;
use object_store::path::Path as StorePath;
use object_store::{GetOptions, ObjectStore, ObjectStoreExt, ObjectStoreScheme, RetryConfig};
use url::Url;

use crate::engine::io_runtime::runtime;
use crate::engine::{Error, Result};

/// Bytes fetched per request: large enough that a request's latency is small beside its
/// transfer, small enough to keep memory per open file bounded.
pub const READ_AHEAD: u64 = 8 << 20;

/// Whether `path` names an object in a store rather than a local file.
pub fn is_remote(path: &str) -> bool {
    match path.split_once("://") {
        Some((scheme, _)) => matches!(scheme, "s3" | "s3a" | "http" | "https"),
        None => false,
    }
}

/// The names (as URLs) of every object under `prefix`, a URL ending where the listing
/// starts (`s3://bucket/dir/`), in the store's order.
pub fn list(prefix: &str) -> Result<Vec<String>> {
    let (store, location, parsed) = store_of(prefix)?;
    let root = &parsed[..url::Position::BeforePath];
    let listed: Vec<object_store::ObjectMeta> = runtime()
        .handle()
        .block_on(store.list(Some(&location)).try_collect())
        .map_err(|e| Error::Io(format!("listing {prefix}: {e}")))?;
    Ok(listed
        .into_iter()
        .map(|meta| format!("{root}/{}", meta.location))
        .collect())
}

/// The store holding `url`, the object's place in it, and the URL parsed.
fn store_of(url: &str) -> Result<(Arc<dyn ObjectStore>, StorePath, Url)> {
    let parsed = Url::parse(url).map_err(|e| Error::invalid(format!("{url}: not a URL ({e})")))?;
    let refused = |e: object_store::Error| Error::invalid(format!("{url}: {e}"));
    let (scheme, location) =
        ObjectStoreScheme::parse(&parsed).map_err(|e| Error::invalid(format!("{url}: {e}")))?;
    let retry = retry_policy();
    let store: Arc<dyn ObjectStore> = match scheme {
        ObjectStoreScheme::AmazonS3 => {
            let mut builder = AmazonS3Builder::new().with_url(url).with_retry(retry);
            for (key, value) in std::env::vars() {
                // Settings this client does not know are left to the tools that do.
                if let Ok(key) = key.to_ascii_lowercase().parse::<AmazonS3ConfigKey>() {
                    builder = builder.with_config(key, value);
                }
            }
            Arc::new(builder.build().map_err(refused)?)
        }
        ObjectStoreScheme::Http => {
            let root = &parsed[..url::Position::BeforePath];
            Arc::new(
                HttpBuilder::new()
                    .with_url(root)
                    .with_retry(retry)
                    .build()
                    .map_err(refused)?,
            )
        }
        other => {
            return Err(Error::invalid(format!(
                "{url}: {other:?} stores are not supported; s3:// and http(s):// are"
            )))
        }
    };
    Ok((store, location, parsed))
}

/// Retries of requests that time out or get a 5xx answer: `AWS_MAX_ATTEMPTS` tries in all
/// (as for AWS's own tools), else the client's default of 10 retries within 3 minutes.
fn retry_policy() -> RetryConfig {
    let mut retry = RetryConfig::default();
    if let Some(attempts) = std::env::var("AWS_MAX_ATTEMPTS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
    {
        retry.max_retries = attempts.saturating_sub(1);
    }
    retry
}

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
        let (store, location, _) = store_of(url)?;
        let meta = runtime()
            .handle()
            .block_on(store.head(&location))
            .map_err(|e| match e {
                object_store::Error::NotFound { .. } => {
                    Error::NotFound(format!("{url}: no such object"))
                }
                e => Error::Io(format!("{url}: {e}")),
            })?;
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

    /// The bytes of `range`, all of them (the range must lie within the object).
    pub fn read_range(&self, range: Range<u64>) -> io::Result<Bytes> {
        runtime().handle().block_on(self.fetch(range))
    }

    /// The bytes of each of `ranges`, fetched at once.
    pub fn read_ranges(&self, ranges: &[Range<u64>]) -> io::Result<Vec<Bytes>> {
        let fetches = ranges.iter().map(|r| self.fetch(r.clone()));
        runtime()
            .handle()
            .block_on(futures::future::try_join_all(fetches))
    }

    /// Starts fetching `range` on the I/O runtime; the handle gives its bytes.
    pub fn prefetch(self: &Arc<Self>, range: Range<u64>) -> Prefetch {
        let object = self.clone();
        Prefetch {
            start: range.start,
            task: runtime().spawn(async move { object.fetch(range).await }),
        }
    }

    fn fetch(&self, range: Range<u64>) -> impl Future<Output = io::Result<Bytes>> + '_ {
        let options = GetOptions {
            range: Some(range.clone().into()),
            if_match: self.version.clone(),
            ..GetOptions::default()
        };
        async move {
            let got = async {
                let got = self.store.get_opts(&self.location, options).await?;
                got.bytes().await
            };
            let got = got.await.map_err(|e| match e {
                object_store::Error::Precondition { .. } => io::Error::other(format!(
                    "{}: the object changed while it was being read",
                    bytes(&range)
                )),
                e => io::Error::other(format!("{}: {e}", bytes(&range))),
            })?;
            if (got.len() as u64) < range.end - range.start {
                let detail = format!("{}: {} bytes came back", bytes(&range), got.len());
                return Err(io::Error::new(io::ErrorKind::UnexpectedEof, detail));
            }
            Ok(got)
        }
    }
}

/// A range being fetched in the background, from `start`.
pub struct Prefetch {
    pub start: u64,
    task: tokio::task::JoinHandle<io::Result<Bytes>>,
}

impl Prefetch {
    /// Its bytes, waiting for them if they have not come yet.
    pub fn wait(self) -> io::Result<Bytes> {
        runtime()
            .handle()
            .block_on(self.task)
            .map_err(|e| io::Error::other(format!("a background fetch failed: {e}")))?
    }
}

fn bytes(range: &Range<u64>) -> String {
    format!("bytes {}..{}", range.start, range.end)
}
