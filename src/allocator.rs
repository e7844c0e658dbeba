//! The extension's allocator: mimalloc, its settings for a pipeline's allocation pattern, and
//! memory faulted in ahead of the first pipeline.

use std::alloc::{GlobalAlloc, Layout};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// Decoding allocates and frees large buffers at a high rate; mimalloc keeps freed pages for
/// reuse where the system allocator returns them to the kernel and faults them in again.
/// Version 3: version 2 did not reuse the large blocks freed by a thread other than the one
/// that allocated them (every element handed from a map worker to the batch stage), and a
/// parallel map over 4 MiB elements grew to gigabytes; `benches/bench_memory.py` measures it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Sets mimalloc's options for a pipeline's allocation pattern, each unless the user set it
/// in the environment (mimalloc read that at start; it is the user's choice). The numbers
/// are the options' places in mimalloc.h's `mi_option_e` (v3); the sys crate does not name
/// them.
pub(crate) fn tune() {
    // Keep freed pages a second before returning them to the kernel (mimalloc's default
    // is 10 ms): a pipeline frees a batch's buffers on one thread and allocates the next
    // batch's on another a few milliseconds later, and zeroing fresh pages was a tenth of
    // its time.
    set_option(15, "MIMALLOC_PURGE_DELAY", 1000);
    // Ask for ordinary pages, not transparent huge pages: where THP is granted on request
    // (`madvise`, the common default), a fault on a requested huge page may compact memory
    // first, and the first epoch of a pipeline, which faults its buffers in, stalled for up
    // to a second in 0.2 s of work. Only mimalloc's later mappings are affected, not the
    // rest of the process (the environment variable would disable THP process-wide).
    set_option(43, "MIMALLOC_ALLOW_THP", 0);
    // Reserve address space 256 MiB (in KiB) at a time instead of 1 GiB: under an
    // address-space limit (as clusters impose) a 1 GiB reservation fails while room is
    // left, and the allocation that needed it aborts the process.
    set_option(23, "MIMALLOC_ARENA_RESERVE", 256 * 1024);
}

fn set_option(option: libmimalloc_sys::mi_option_t, variable: &str, value: i64) {
    if std::env::var_os(variable).is_some() {
        return;
    }
    // SAFETY: setting an option is thread-safe and takes effect for later allocations.
    unsafe { libmimalloc_sys::mi_option_set(option, value as _) };
}

/// Blocks of a size mimalloc gives a mapping of their own, so that each one freed goes back
/// to its arena whole, for any thread's pages.
const BLOCK: usize = 1 << 20;
const PAGE: usize = 4096;

/// One block of the reserve, freed when dropped.
struct Block(NonNull<u8>);

// SAFETY: a block is plain memory owned by whoever holds it.
unsafe impl Send for Block {}

impl Block {
    fn layout() -> Layout {
        Layout::from_size_align(BLOCK, PAGE).expect("a page-aligned megabyte is a valid layout")
    }
}

impl Drop for Block {
    fn drop(&mut self) {
        // SAFETY: allocated by `ALLOCATOR` with this layout, freed once.
        unsafe { ALLOCATOR.dealloc(self.0.as_ptr(), Block::layout()) };
    }
}

enum Reserve {
    None,
    Filling {
        stop: Arc<AtomicBool>,
        filler: JoinHandle<Vec<Block>>,
    },
    Filled(Vec<Block>),
    Released,
}

static RESERVE: Mutex<Reserve> = Mutex::new(Reserve::None);

/// Starts faulting in `bytes` of memory on a short-lived thread, held until the first
/// pipeline starts (`release_prefaulted`). A pipeline's first epoch allocates its whole
/// working set (readers' records, batch buffers, parsed columns: tens of megabytes) from
/// fresh pages, and each page costs a kernel fault; later epochs reuse the freed pages. The
/// reserve, handed back to the allocator just as the first pipeline starts, is pages the
/// kernel has already mapped, faulted in while the process was busy importing.
pub(crate) fn prefault(bytes: usize) {
    let mut reserve = lock_reserve();
    if !matches!(*reserve, Reserve::None) || bytes < BLOCK {
        return;
    }
    let stop = Arc::new(AtomicBool::new(false));
    let stopping = stop.clone();
    let filler = std::thread::Builder::new()
        .name("ferroflow-warm".into())
        .spawn(move || fill(bytes / BLOCK, &stopping));
    if let Ok(filler) = filler {
        *reserve = Reserve::Filling { stop, filler };
        stop_filling_before_fork();
    }
}

fn lock_reserve() -> std::sync::MutexGuard<'static, Reserve> {
    RESERVE.lock().unwrap_or_else(|p| p.into_inner())
}

/// Stops the filler and keeps what it faulted in so far.
fn finish_filling(reserve: &mut Reserve) {
    if matches!(reserve, Reserve::Filling { .. }) {
        if let Reserve::Filling { stop, filler } = std::mem::replace(reserve, Reserve::None) {
            stop.store(true, Ordering::Relaxed);
            *reserve = Reserve::Filled(filler.join().unwrap_or_default());
        }
    }
}

/// A process forked while the filler allocates would inherit whatever allocator lock it
/// held, held for good; so a fork first waits for the filler to stop (under a millisecond),
/// and parent and child each keep the reserve made so far.
fn stop_filling_before_fork() {
    #[cfg(unix)]
    {
        extern "C" fn before_fork() {
            finish_filling(&mut lock_reserve());
        }
        // SAFETY: registers a handler with no preconditions; it runs in the forking thread.
        unsafe { libc::pthread_atfork(Some(before_fork), None, None) };
    }
}

fn fill(blocks: usize, stop: &AtomicBool) -> Vec<Block> {
    #[cfg(target_os = "linux")]
    // SAFETY: lowers this thread's own priority; failing leaves it as it was.
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, libc::gettid() as libc::id_t, 19);
    }
    let mut held = Vec::with_capacity(blocks);
    while held.len() < blocks && !stop.load(Ordering::Relaxed) {
        // SAFETY: the layout has a non-zero size.
        let Some(block) = NonNull::new(unsafe { ALLOCATOR.alloc(Block::layout()) }) else {
            break;
        };
        populate(block);
        held.push(Block(block));
    }
    held
}

/// Maps every page of `block` by writing to it. (`MADV_POPULATE_WRITE` maps a block in one
/// call, but holds the address-space lock meanwhile: an import running beside it, which maps
/// libraries, took three times as long.)
fn populate(block: NonNull<u8>) {
    for offset in (0..BLOCK).step_by(PAGE) {
        // SAFETY: inside the block, which nothing else uses yet.
        unsafe { block.as_ptr().add(offset).write_volatile(0) };
    }
}

/// Hands the reserve (what was faulted in so far) back to the allocator, for the pipeline
/// starting now to allocate from. Only the first call does anything.
pub(crate) fn release_prefaulted() {
    let mut reserve = lock_reserve();
    finish_filling(&mut reserve);
    if let Reserve::Filled(blocks) = std::mem::replace(&mut *reserve, Reserve::Released) {
        drop(blocks);
    }
}
