//! ferroflow: tf.data's Dataset API on a Rust engine.
//!
//! `engine` holds tensors, elements and the iterator traits; `ops` one file per dataset
//! transformation; `formats` the file readers and writers; `python` (feature `python`) the
//! only place that knows about Python.

pub mod engine;
pub mod formats;
pub mod kernels;
pub mod ops;

#[cfg(feature = "python")]
mod python;

/// Decoding allocates and frees large buffers at a high rate; mimalloc keeps freed pages for
/// reuse where the system allocator returns them to the kernel and faults them in again.
/// Version 3: version 2 did not reuse the large blocks freed by a thread other than the one
/// that allocated them (every element handed from a map worker to the batch stage), and a
/// parallel map over 4 MiB elements grew to gigabytes; `benches/bench_memory.py` measures it.
#[cfg(feature = "python")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Keeps freed pages a second before returning them to the kernel (mimalloc's default is
/// 10 ms): a pipeline frees a batch's buffers on one thread and allocates the next batch's
/// on another a few milliseconds later, and zeroing fresh pages was a tenth of its time.
#[cfg(feature = "python")]
pub(crate) fn tune_allocator() {
    // `mi_option_purge_delay` in mimalloc.h's `mi_option_e` (v2 and v3); the sys crate
    // does not name it.
    const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
    // mimalloc read its environment at start; a delay set there is the user's choice.
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_some() {
        return;
    }
    // SAFETY: setting an option is thread-safe and takes effect for later purges.
    unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, 1000) };
}

/// Asks the kernel for ordinary pages, not transparent huge pages: where THP is enabled on
/// request (`madvise`, the common default), a fault on a requested huge page may compact
/// memory first, and the first epoch of a pipeline, which faults its buffers in, stalled
/// for up to a second in 0.2 s of work. Only mimalloc's own later mappings are affected, not
/// the rest of the process (the environment variable would disable THP process-wide).
#[cfg(feature = "python")]
pub(crate) fn avoid_huge_page_faults() {
    // `mi_option_allow_thp` in mimalloc.h's `mi_option_e` (v3).
    const ALLOW_THP: libmimalloc_sys::mi_option_t = 43;
    if std::env::var_os("MIMALLOC_ALLOW_THP").is_some() {
        return;
    }
    // SAFETY: setting an option is thread-safe and takes effect for later mappings.
    unsafe { libmimalloc_sys::mi_option_set(ALLOW_THP, 0) };
}

/// Reserves address space for the allocator 256 MiB at a time instead of mimalloc's 1 GiB:
/// under an address-space limit (as clusters impose) a 1 GiB reservation fails while room
/// is left, and the allocation that needed it aborts the process.
#[cfg(feature = "python")]
pub(crate) fn limit_allocator_reservations() {
    // `mi_option_arena_reserve` in mimalloc.h's `mi_option_e` (v2 and v3), in KiB.
    const ARENA_RESERVE: libmimalloc_sys::mi_option_t = 23;
    if std::env::var_os("MIMALLOC_ARENA_RESERVE").is_some() {
        return;
    }
    // SAFETY: setting an option is thread-safe and takes effect for later reservations.
    unsafe { libmimalloc_sys::mi_option_set(ARENA_RESERVE, 256 * 1024) };
}
