//! Files being written, on local disk or as objects in a store, through one interface: a
//! byte sink, and a `Commit` that finishes the file once everything is written to the sink.
//! An object in a store appears only at its commit; a local file either grows in place (as
//! TensorFlow's writers do) or, when asked to be atomic, appears under its name only then.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use tempfile::TempPath;

use super::remote::{self, Upload};
use crate::engine::{Error, Result};

/// Where a file's bytes go.
pub type Sink = Box<dyn Write + Send>;

/// Whether a local file appears under its name only when committed.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Local {
    InPlace,
    Atomic,
}

/// What makes a written file whole.
pub enum Commit {
    InPlace,
    Rename { temp: TempPath, path: PathBuf },
    Upload(Arc<Mutex<Upload>>),
}

/// Creates `path` (a local path or an object's URL) for writing; the error names it.
pub fn create(path: &str, local: Local) -> Result<(Sink, Commit)> {
    if remote::is_remote(path) {
        let upload = Arc::new(Mutex::new(Upload::create(path)?));
        return Ok((
            Box::new(UploadWriter(upload.clone())),
            Commit::Upload(upload),
        ));
    }
    let target = Path::new(path);
    match local {
        Local::InPlace => {
            let file = File::create(target).map_err(|e| Error::io(path, e))?;
            Ok((Box::new(file), Commit::InPlace))
        }
        Local::Atomic => {
            let folder = match target.parent() {
                Some(p) if !p.as_os_str().is_empty() => p,
                _ => Path::new("."),
            };
            // Under a name of its own in the same folder (never a file or link already
            // there), so the final rename cannot cross file systems.
            let temp = tempfile::Builder::new()
                .prefix(&format!(
                    ".{}.",
                    target.file_name().unwrap_or_default().to_string_lossy()
                ))
                .suffix(".tmp")
                .tempfile_in(folder)
                .map_err(|e| Error::io(path, e))?;
            let (file, temp) = temp.into_parts();
            Ok((
                Box::new(file),
                Commit::Rename {
                    temp,
                    path: target.to_path_buf(),
                },
            ))
        }
    }
}

/// Writes `data` as the whole file `path`, creating a local file's missing folders (a store
/// has none to create).
pub fn write_whole(path: &str, data: &[u8]) -> Result<()> {
    if !remote::is_remote(path) {
        if let Some(parent) = Path::new(path).parent() {
            std::fs::create_dir_all(parent).map_err(|e| Error::io(path, e))?;
        }
    }
    let (mut out, commit) = create(path, Local::InPlace)?;
    out.write_all(data).map_err(|e| Error::io(path, e))?;
    drop(out);
    commit.commit()
}

impl Commit {
    /// Finishes the file; the sink must have been flushed (and dropped) first.
    pub fn commit(self) -> Result<()> {
        match self {
            Commit::InPlace => Ok(()),
            Commit::Rename { temp, path } => {
                let io = |e| Error::io(path.display(), e);
                File::open(&temp).and_then(|f| f.sync_all()).map_err(io)?;
                temp.persist(&path).map_err(|e| io(e.error))
            }
            Commit::Upload(upload) => upload.lock().expect("upload lock").finish(),
        }
    }
}

/// The sink side of an upload whose commit is held elsewhere.
struct UploadWriter(Arc<Mutex<Upload>>);

impl Write for UploadWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().expect("upload lock").write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
