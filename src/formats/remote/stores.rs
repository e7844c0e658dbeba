//! The store client for a URL, and the operations on whole objects (listing, stat, delete,
//! copy). Clients are kept per bucket (URL root) and process, so reads of many files of one
//! bucket share connections; options set for a prefix replace them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use futures::{StreamExt, TryStreamExt};
use object_store::aws::AmazonS3Builder;
use object_store::azure::MicrosoftAzureBuilder;
use object_store::gcp::GoogleCloudStorageBuilder;
use object_store::http::HttpBuilder;
use object_store::path::Path as StorePath;
use object_store::{ClientOptions, ObjectStore, ObjectStoreExt, ObjectStoreScheme, RetryConfig};
use url::Url;

use super::aws_files;
use crate::engine::io_runtime::runtime;
use crate::engine::{Error, Result};

/// A store's client, where an object is in it, and the URL's root (`scheme://bucket`).
pub(super) struct Located {
    pub store: Arc<dyn ObjectStore>,
    pub location: StorePath,
    pub root: String,
}

/// Options set for URL prefixes, and the clients made so far (of this process: a forked
/// child must not share its parent's connections).
#[derive(Default)]
struct Registry {
    options: Vec<(String, Vec<(String, String)>)>,
    clients: HashMap<String, Arc<dyn ObjectStore>>,
    pid: u32,
}

fn registry() -> &'static Mutex<Registry> {
    static REGISTRY: OnceLock<Mutex<Registry>> = OnceLock::new();
    REGISTRY.get_or_init(Default::default)
}

/// Sets the options (`object_store` configuration keys such as `endpoint`,
/// `access_key_id`, `region`, `allow_http`, `google_service_account`) for every URL that
/// starts with `prefix`, over what the environment says; the longest matching prefix wins.
/// Options a store does not know are refused here, naming the key. Empty options remove
/// the prefix's entry.
pub fn set_options(prefix: &str, options: Vec<(String, String)>) -> Result<()> {
    let mut parsed = parse(prefix)?;
    if !options.is_empty() {
        // A trial build reports unknown keys and bad values now, not at the first read; a
        // prefix naming no bucket ("s3://", for all of them) is tried on a bucket of its own.
        if parsed.host_str().unwrap_or("").is_empty() {
            parsed = parse(&format!("{}://bucket/", parsed.scheme()))?;
        }
        build(&parsed, &options)?;
    }
    let mut registry = registry().lock().expect("registry lock");
    registry.options.retain(|(p, _)| p != prefix);
    if !options.is_empty() {
        registry.options.push((prefix.to_string(), options));
    }
    registry.clients.clear();
    Ok(())
}

/// The client for `url` (made on first use), and the object's place in its store.
pub(super) fn locate(url: &str) -> Result<Located> {
    let parsed = parse(url)?;
    let (_, location) =
        ObjectStoreScheme::parse(&parsed).map_err(|e| Error::invalid(format!("{url}: {e}")))?;
    let root = parsed[..url::Position::BeforePath].to_string();
    let mut registry = registry().lock().expect("registry lock");
    let pid = std::process::id();
    if registry.pid != pid {
        registry.clients.clear();
        registry.pid = pid;
    }
    let (prefix, options) = registry
        .options
        .iter()
        .filter(|(prefix, _)| url.starts_with(prefix.as_str()))
        .max_by_key(|(prefix, _)| prefix.len())
        .cloned()
        .unwrap_or_default();
    // A client is made for its bucket, the options that apply and the environment as it
    // is: one made under other settings is not reused.
    let key = format!("{root}\n{prefix}\n{}", cloud_environment());
    let store = match registry.clients.get(&key) {
        Some(store) => store.clone(),
        None => {
            let store = build(&parsed, &options)?;
            registry.clients.insert(key, store.clone());
            store
        }
    };
    Ok(Located {
        store,
        location,
        root,
    })
}

/// The environment variables the stores' clients read, in one string.
fn cloud_environment() -> String {
    let mut found: Vec<(String, String)> = std::env::vars()
        .filter(|(k, _)| {
            ["AWS_", "GOOGLE_", "AZURE_"]
                .iter()
                .any(|p| k.starts_with(p))
        })
        .collect();
    found.sort();
    found
        .into_iter()
        .map(|(k, v)| format!("{k}={v}\n"))
        .collect()
}

fn parse(url: &str) -> Result<Url> {
    Url::parse(url).map_err(|e| Error::invalid(format!("{url}: not a URL ({e})")))
}

/// A client for the store `url` is in: the environment's settings, then `options`.
fn build(url: &Url, options: &[(String, String)]) -> Result<Arc<dyn ObjectStore>> {
    let refused = |e: object_store::Error| Error::invalid(format!("{url}: {e}"));
    let (scheme, _) =
        ObjectStoreScheme::parse(url).map_err(|e| Error::invalid(format!("{url}: {e}")))?;
    let retry = retry_policy();
    let key = |k: &str| k.to_ascii_lowercase();
    // The cloud builders differ in type but not in how they are configured.
    macro_rules! cloud {
        ($builder:expr) => {{
            let mut builder = $builder.with_url(url.as_str()).with_retry(retry);
            for (k, v) in options {
                builder = builder.with_config(key(k).parse().map_err(refused)?, v);
            }
            Arc::new(builder.build().map_err(refused)?)
        }};
    }
    let store: Arc<dyn ObjectStore> = match scheme {
        ObjectStoreScheme::AmazonS3 => cloud!(aws_builder()?),
        ObjectStoreScheme::GoogleCloudStorage => cloud!(GoogleCloudStorageBuilder::from_env()),
        ObjectStoreScheme::MicrosoftAzure => cloud!(MicrosoftAzureBuilder::from_env()),
        ObjectStoreScheme::Http => {
            let mut client = ClientOptions::new();
            for (k, v) in options {
                client = client.with_config(key(k).parse().map_err(refused)?, v);
            }
            Arc::new(
                HttpBuilder::new()
                    .with_url(&url[..url::Position::BeforePath])
                    .with_client_options(client)
                    .with_retry(retry)
                    .build()
                    .map_err(refused)?,
            )
        }
        other => {
            return Err(Error::invalid(format!(
                "{url}: {other:?} stores are not supported; s3://, gs://, az:// and \
                 http(s):// are"
            )))
        }
    };
    Ok(store)
}

/// An S3 client's settings from AWS's shared files, then from `AWS_*` environment
/// variables over them (as `AmazonS3Builder::from_env` reads those).
fn aws_builder() -> Result<AmazonS3Builder> {
    let mut builder = AmazonS3Builder::new();
    for (key, value) in aws_files::profile_settings()? {
        builder = builder.with_config(key, value);
    }
    for (name, value) in std::env::vars() {
        if name.starts_with("AWS_") {
            // Variables this client does not know are for other tools.
            if let Ok(key) = name.to_ascii_lowercase().parse() {
                builder = builder.with_config(key, value);
            }
        }
    }
    Ok(builder)
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

pub(super) fn failed(url: &str, e: object_store::Error) -> Error {
    match e {
        object_store::Error::NotFound { .. } => Error::NotFound(format!("{url}: no such object")),
        e => Error::Io(format!("{url}: {e}")),
    }
}

/// What a store says of one object.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectInfo {
    pub url: String,
    pub size: u64,
    /// Last modified, in nanoseconds since the Unix epoch.
    pub modified_ns: i64,
}

fn info(root: &str, meta: object_store::ObjectMeta) -> ObjectInfo {
    ObjectInfo {
        url: format!("{root}/{}", meta.location),
        size: meta.size,
        modified_ns: meta.last_modified.timestamp_nanos_opt().unwrap_or(0),
    }
}

/// The object `url` names, or None where there is none.
pub fn stat(url: &str) -> Result<Option<ObjectInfo>> {
    let Located {
        store,
        location,
        root,
    } = locate(url)?;
    match runtime().handle().block_on(store.head(&location)) {
        Ok(meta) => Ok(Some(info(&root, meta))),
        Err(object_store::Error::NotFound { .. }) => Ok(None),
        Err(e) => Err(failed(url, e)),
    }
}

/// The names (as URLs) of every object under `prefix`, a URL ending where the listing
/// starts (`s3://bucket/dir/`), in the store's order.
pub fn list(prefix: &str) -> Result<Vec<String>> {
    let Located {
        store,
        location,
        root,
    } = locate(prefix)?;
    let listed: Vec<object_store::ObjectMeta> = runtime()
        .handle()
        .block_on(store.list(Some(&location)).try_collect())
        .map_err(|e| Error::Io(format!("listing {prefix}: {e}")))?;
    Ok(listed
        .into_iter()
        .map(|meta| info(&root, meta).url)
        .collect())
}

/// One level of the listing under the "directory" `prefix`: its objects, and the URLs of
/// the prefixes below it (ending in `/`), as a file system lists files and folders.
pub fn list_level(prefix: &str) -> Result<(Vec<ObjectInfo>, Vec<String>)> {
    let Located {
        store,
        location,
        root,
    } = locate(prefix)?;
    let listed = runtime()
        .handle()
        .block_on(store.list_with_delimiter(Some(&location)))
        .map_err(|e| Error::Io(format!("listing {prefix}: {e}")))?;
    let objects = listed.objects.into_iter().map(|m| info(&root, m)).collect();
    let folders = listed
        .common_prefixes
        .into_iter()
        .map(|p| format!("{root}/{p}/"))
        .collect();
    Ok((objects, folders))
}

/// Deletes the object `url`; one that does not exist is an error naming it.
pub fn delete(url: &str) -> Result<()> {
    if stat(url)?.is_none() {
        return Err(Error::NotFound(format!("{url}: no such object")));
    }
    let Located {
        store, location, ..
    } = locate(url)?;
    runtime()
        .handle()
        .block_on(store.delete(&location))
        .map_err(|e| failed(url, e))
}

/// Deletes the objects `urls` (known to exist: listed just before), in batches where the
/// store deletes many per request (S3 takes 1,000), one request each elsewhere. An object
/// already gone is no error; any other failure is, naming the store and the store's answer.
pub fn delete_all(urls: &[String]) -> Result<()> {
    let mut by_store: Vec<(Located, Vec<StorePath>)> = Vec::new();
    for url in urls {
        let located = locate(url)?;
        let location = located.location.clone();
        match by_store.iter_mut().find(|(s, _)| s.root == located.root) {
            Some((_, locations)) => locations.push(location),
            None => by_store.push((located, vec![location])),
        }
    }
    for (located, locations) in by_store {
        let requests = futures::stream::iter(locations.into_iter().map(Ok)).boxed();
        let answers: Vec<object_store::Result<StorePath>> = runtime()
            .handle()
            .block_on(located.store.delete_stream(requests).collect());
        for answer in answers {
            match answer {
                Ok(_) | Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => return Err(Error::Io(format!("deleting under {}: {e}", located.root))),
            }
        }
    }
    Ok(())
}

/// Copies the object `from` to `to` in the same store, replacing what `to` held.
pub fn copy(from: &str, to: &str) -> Result<()> {
    let source = locate(from)?;
    let target = locate(to)?;
    if source.root != target.root {
        return Err(Error::invalid(format!(
            "{from} and {to} are in different stores; copy through a read and a write"
        )));
    }
    runtime()
        .handle()
        .block_on(source.store.copy(&source.location, &target.location))
        .map_err(|e| failed(from, e))
}
