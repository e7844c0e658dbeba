//! Files in object stores (`s3://`, `gs://`, `az://` / `abfs://`, `http(s)://`) read and
//! written as if local, through the `object_store` crate on the shared I/O runtime.
//!
//! Credentials and endpoints come from each cloud's usual environment variables (`AWS_*`,
//! `GOOGLE_*`, `AZURE_*`) and files (AWS's shared `config` and `credentials` profiles,
//! Google's application default credentials), overridden by options set explicitly for a
//! URL prefix (`set_options`). Requests that time out or get a 5xx answer are retried with backoff
//! (`AWS_MAX_ATTEMPTS` tries in all, when set), and a request that fails for good names the
//! object, the byte range and the last cause.

mod aws_files;
mod object;
mod stores;
mod upload;

pub use object::{Parts, RemoteObject, Stream};
pub use stores::{copy, delete, delete_all, list, list_level, set_options, stat, ObjectInfo};
pub use upload::Upload;

/// Whether `path` names an object in a store rather than a local file.
pub fn is_remote(path: &str) -> bool {
    match path.split_once("://") {
        Some((scheme, _)) => matches!(
            scheme,
            "s3" | "s3a" | "gs" | "az" | "adl" | "azure" | "abfs" | "abfss" | "http" | "https"
        ),
        None => false,
    }
}
