//! Allocations whose size comes from data or from an argument. Rust aborts the process when
//! an ordinary allocation fails, as it does under the address-space limits clusters and
//! containers impose; these fail with `ResourceExhausted` instead, naming what wanted the
//! memory.

use std::alloc::{GlobalAlloc, Layout, System};

use crate::engine::{Error, Result};

fn exhausted(bytes: usize, what: &dyn Fn() -> String) -> Error {
    Error::ResourceExhausted(format!("{}: cannot allocate {bytes} bytes", what()))
}

/// `count` elements of `size` bytes, in bytes, or ResourceExhausted if that overflows.
pub fn bytes_of(count: usize, size: usize, what: &dyn Fn() -> String) -> Result<usize> {
    count
        .checked_mul(size)
        .ok_or_else(|| exhausted(usize::MAX, what))
}

/// A vector of `len` copies of `value`.
pub fn filled<T: Clone>(len: usize, value: T, what: &dyn Fn() -> String) -> Result<Vec<T>> {
    let mut v = Vec::new();
    reserve(&mut v, len, what)?;
    v.resize(len, value);
    Ok(v)
}

/// Room for `additional` more elements in `v`.
pub fn reserve<T>(v: &mut Vec<T>, additional: usize, what: &dyn Fn() -> String) -> Result<()> {
    v.try_reserve(additional)
        .map_err(|_| exhausted(additional.saturating_mul(std::mem::size_of::<T>()), what))
}

/// Checks that `bytes` of address space can be had from the system now, for work (a
/// third-party decoder, a new thread) that will allocate about that much in ways that cannot
/// fail softly. The room is given back at once: this refuses what cannot fit, it does not
/// promise what can. It asks the system allocator, which maps so large a block from the
/// kernel, rather than the global one, which may hand out room it reserved long ago.
pub fn probe(bytes: usize, what: &dyn Fn() -> String) -> Result<()> {
    // Decoders and kernels probe on every call: sizes this small are not worth a trip to the
    // system allocator.
    const WORTH_PROBING: usize = 64 << 20;
    if bytes < WORTH_PROBING {
        return Ok(());
    }
    let Ok(layout) = Layout::from_size_align(bytes.max(1), 1) else {
        return Err(exhausted(bytes, what));
    };
    // SAFETY: a block of a valid, non-zero layout, freed at once with the same layout.
    unsafe {
        // Opaque to the optimizer, which would otherwise drop an allocation nothing reads.
        let block = std::hint::black_box(System.alloc(layout));
        if block.is_null() {
            return Err(exhausted(bytes, what));
        }
        System.dealloc(block, layout);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_past_the_address_space_are_refused_not_aborted() {
        let what = || "a test buffer".to_string();
        let err = filled(usize::MAX / 2, 0u8, &what).unwrap_err();
        assert!(matches!(err, Error::ResourceExhausted(m) if m.starts_with("a test buffer")));
        assert!(probe(usize::MAX / 2, &what).is_err());
        assert!(bytes_of(usize::MAX, 2, &what).is_err());
        assert_eq!(filled(3, 7u16, &what).unwrap(), vec![7, 7, 7]);
        probe(1 << 20, &what).unwrap();
    }
}
