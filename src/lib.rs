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

/// Sets mimalloc's options for a pipeline's allocation pattern, each unless the user set it
/// in the environment (mimalloc read that at start; it is the user's choice). The numbers
/// are the options' places in mimalloc.h's `mi_option_e` (v3); the sys crate does not name
/// them.
#[cfg(feature = "python")]
pub(crate) fn tune_allocator() {
    // Keep freed pages a second before returning them to the kernel (mimalloc's default
    // is 10 ms): a pipeline frees a batch's buffers on one thread and allocates the next
    // batch's on another a few milliseconds later, and zeroing fresh pages was a tenth of
    // its time.
    set_allocator_option(15, "MIMALLOC_PURGE_DELAY", 1000);
    // Ask for ordinary pages, not transparent huge pages: where THP is granted on request
    // (`madvise`, the common default), a fault on a requested huge page may compact memory
    // first, and the first epoch of a pipeline, which faults its buffers in, stalled for up
    // to a second in 0.2 s of work. Only mimalloc's later mappings are affected, not the
    // rest of the process (the environment variable would disable THP process-wide).
    set_allocator_option(43, "MIMALLOC_ALLOW_THP", 0);
    // Reserve address space 256 MiB (in KiB) at a time instead of 1 GiB: under an
    // address-space limit (as clusters impose) a 1 GiB reservation fails while room is
    // left, and the allocation that needed it aborts the process.
    set_allocator_option(23, "MIMALLOC_ARENA_RESERVE", 256 * 1024);
}

#[cfg(feature = "python")]
fn set_allocator_option(option: libmimalloc_sys::mi_option_t, variable: &str, value: i64) {
    if std::env::var_os(variable).is_some() {
        return;
    }
    // SAFETY: setting an option is thread-safe and takes effect for later allocations.
    unsafe { libmimalloc_sys::mi_option_set(option, value as _) };
}
