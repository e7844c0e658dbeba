//! The engine's one error type. The binding layer maps each variant to a Python exception once,
//! at the edge (`src/python/errors.rs`), mirroring `tf.errors`.

use std::any::Any;
use std::fmt;
use std::sync::Arc;

/// An error raised by code outside the engine (a user's Python function, say), carried through
/// the pipeline untouched so the binding layer can re-raise the original object.
#[derive(Clone)]
pub struct ExternalError(pub Arc<dyn Any + Send + Sync>);

impl fmt::Debug for ExternalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ExternalError(..)")
    }
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum Error {
    /// A caller passed a value the operation cannot accept (tf.errors.InvalidArgumentError).
    #[error("{0}")]
    InvalidArgument(String),
    /// Asked for something past the end of a sequence (tf.errors.OutOfRangeError).
    #[error("{0}")]
    OutOfRange(String),
    /// Corrupt or truncated data; the message names the file and byte offset (tf.errors.DataLossError).
    #[error("{0}")]
    DataLoss(String),
    /// A file or resource that does not exist (tf.errors.NotFoundError).
    #[error("{0}")]
    NotFound(String),
    /// The system is not in a state where the operation can run (tf.errors.FailedPreconditionError).
    #[error("{0}")]
    FailedPrecondition(String),
    /// A buffer or budget would be exceeded (tf.errors.ResourceExhaustedError).
    #[error("{0}")]
    ResourceExhausted(String),
    /// The operation is not supported for these inputs (tf.errors.UnimplementedError).
    #[error("{0}")]
    Unimplemented(String),
    /// An invariant of the engine broke (tf.errors.InternalError).
    #[error("{0}")]
    Internal(String),
    /// An I/O failure; the message names the path (tf.errors.UnknownError / OSError).
    #[error("{0}")]
    Io(String),
    /// The pipeline was cancelled because its consumer went away.
    #[error("the pipeline was cancelled")]
    Cancelled,
    /// The user interrupted a wait (Ctrl-C); re-raised as it was at the edge.
    #[error("interrupted")]
    Interrupted(ExternalError),
    /// An error raised outside the engine, re-raised as it was at the edge.
    #[error("an error raised by a user function")]
    External(ExternalError),
}

impl Error {
    /// An I/O error with the path (or other context) it happened on.
    pub fn io(context: impl fmt::Display, err: std::io::Error) -> Self {
        match err.kind() {
            std::io::ErrorKind::NotFound => Error::NotFound(format!("{context}: {err}")),
            std::io::ErrorKind::InvalidData => Error::DataLoss(format!("{context}: {err}")),
            _ => Error::Io(format!("{context}: {err}")),
        }
    }

    pub fn invalid(msg: impl Into<String>) -> Self {
        Error::InvalidArgument(msg.into())
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Returns `Error::InvalidArgument` with a formatted message from the enclosing function.
#[macro_export]
macro_rules! invalid_arg {
    ($($arg:tt)*) => {
        return Err($crate::engine::error::Error::InvalidArgument(format!($($arg)*)))
    };
}
