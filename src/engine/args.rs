//! Checks of the counts users pass to dataset operations, made here once so that every
//! front end gives the same message for the same mistake.

use crate::engine::{Error, Result};

/// `tf.data.AUTOTUNE`: the engine chooses a parallelism or buffer size.
pub const AUTOTUNE: i64 = -1;

/// A count that must be at least one.
pub fn positive(name: &str, value: i64) -> Result<usize> {
    usize::try_from(value)
        .ok()
        .filter(|&n| n > 0)
        .ok_or_else(|| Error::InvalidArgument(format!("{name} must be positive, got {value}")))
}

/// A size that may be zero.
pub fn non_negative(name: &str, value: i64) -> Result<usize> {
    usize::try_from(value)
        .map_err(|_| Error::InvalidArgument(format!("{name} must be non-negative, got {value}")))
}

/// A parallelism or buffer size that is positive or AUTOTUNE (`None`).
pub fn positive_or_autotune(name: &str, value: i64) -> Result<Option<usize>> {
    if value == AUTOTUNE {
        return Ok(None);
    }
    positive(name, value).map(Some).map_err(|_| {
        Error::InvalidArgument(format!("{name} must be positive or AUTOTUNE, got {value}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_below_one_are_refused_with_their_name_and_value() {
        assert_eq!(positive("batch_size", 3).unwrap(), 3);
        let err = positive("cycle_length", -2).unwrap_err().to_string();
        assert!(
            err.contains("cycle_length must be positive, got -2"),
            "{err}"
        );
        assert!(positive("x", 0).is_err());
    }

    #[test]
    fn autotune_is_none_and_other_negatives_are_refused() {
        assert_eq!(positive_or_autotune("n", AUTOTUNE).unwrap(), None);
        assert_eq!(positive_or_autotune("n", 4).unwrap(), Some(4));
        let err = positive_or_autotune("num_parallel_calls", -3)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("num_parallel_calls must be positive or AUTOTUNE, got -3"),
            "{err}"
        );
        assert!(positive_or_autotune("n", 0).is_err());
    }
}
