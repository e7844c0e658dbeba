//! The extension's allocator: mimalloc, its settings for a pipeline's allocation pattern, and
//! memory faulted in ahead of the first pipeline.

use std::alloc::{GlobalAlloc, Layout};
use std::ffi::CStr;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU8, Ordering};
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
    set_option(15, c"MIMALLOC_PURGE_DELAY", 1000);
    // Ask for ordinary pages, not transparent huge pages: where THP is granted on request
    // (`madvise`, the common default), a fault on a requested huge page may compact memory
    // first, and the first epoch of a pipeline, which faults its buffers in, stalled for up
    // to a second in 0.2 s of work. Only mimalloc's later mappings are affected, not the
    // rest of the process (the environment variable would disable THP process-wide).
    set_option(43, c"MIMALLOC_ALLOW_THP", 0);
    // Reserve address space 256 MiB (in KiB) at a time instead of 1 GiB: under an
    // address-space limit (as clusters impose) a 1 GiB reservation fails while room is
    // left, and the allocation that needed it aborts the process.
    set_option(23, c"MIMALLOC_ARENA_RESERVE", 256 * 1024);
}

fn set_option(option: libmimalloc_sys::mi_option_t, variable: &CStr, value: i64) {
    // Looked up without allocating: the extension's first allocation makes mimalloc's first
    // arena, which must come after these options (its size, no huge pages), not before.
    // SAFETY: a NUL-terminated name; nothing sets the environment while the module loads.
    if !unsafe { libc::getenv(variable.as_ptr()) }.is_null() {
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

/// What the filler is told through its `order`.
const FILL: u8 = 0;
/// Stop, and keep what was made (a fork is coming).
const KEEP: u8 = 1;
/// Stop, and free what was made (the first pipeline is starting).
const FREE: u8 = 2;

struct Reserve {
    order: Arc<AtomicU8>,
    /// The blocks faulted in so far.
    made: Arc<Mutex<Vec<Block>>>,
    /// Joined only before a fork.
    filler: Option<JoinHandle<()>>,
}

static RESERVE: Mutex<Option<Reserve>> = Mutex::new(None);

fn locked<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

/// Starts faulting in `bytes` of memory on a short-lived, low-priority thread, held until
/// the first pipeline starts (`release_prefaulted`). A pipeline's first epoch allocates its
/// whole working set (readers' records, batch buffers, parsed columns: tens of megabytes)
/// from fresh pages, and each page costs a kernel fault; later epochs reuse the freed pages.
/// The reserve, handed back to the allocator just as the first pipeline starts, is pages the
/// kernel has already mapped, faulted in while the process was busy importing.
pub(crate) fn prefault(bytes: usize) {
    let mut reserve = locked(&RESERVE);
    if reserve.is_some() || bytes < BLOCK {
        return;
    }
    let order = Arc::new(AtomicU8::new(FILL));
    // Room for every block up front: the filler's other allocations, a growing list among
    // the blocks, left the first pipeline reusing about half as many of their pages.
    let made = Arc::new(Mutex::new(Vec::with_capacity(bytes / BLOCK)));
    let (told, into) = (order.clone(), made.clone());
    let filler = std::thread::Builder::new()
        .name("ferroflow-warm".into())
        .spawn(move || fill(bytes / BLOCK, &told, &into));
    if let Ok(filler) = filler {
        *reserve = Some(Reserve {
            order,
            made,
            filler: Some(filler),
        });
        wait_for_filler_before_fork();
    }
}

/// A process forked while the filler is inside the allocator would inherit whatever lock it
/// held there, held for good; so a fork first stops the filler and waits for it (a fraction
/// of a millisecond), and parent and child each keep the reserve made so far.
fn wait_for_filler_before_fork() {
    #[cfg(unix)]
    {
        extern "C" fn before_fork() {
            let mut reserve = locked(&RESERVE);
            if let Some(reserve) = reserve.as_mut() {
                // Unless it was told to free its blocks, it keeps them.
                let _ =
                    reserve
                        .order
                        .compare_exchange(FILL, KEEP, Ordering::AcqRel, Ordering::Acquire);
                if let Some(filler) = reserve.filler.take() {
                    drop(filler.join());
                }
            }
        }
        // SAFETY: registers a handler with no preconditions; it runs in the forking thread.
        unsafe { libc::pthread_atfork(Some(before_fork), None, None) };
    }
}

fn fill(blocks: usize, order: &AtomicU8, made: &Mutex<Vec<Block>>) {
    #[cfg(target_os = "linux")]
    // SAFETY: lowers this thread's own priority; failing leaves it as it was.
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, libc::gettid() as libc::id_t, 19);
    }
    for _ in 0..blocks {
        if order.load(Ordering::Acquire) != FILL {
            break;
        }
        // SAFETY: the layout has a non-zero size.
        let Some(block) = NonNull::new(unsafe { ALLOCATOR.alloc(Block::layout()) }) else {
            break;
        };
        let block = Block(block);
        populate(&block, order);
        locked(made).push(block);
    }
    // A release that came meanwhile freed what was there before this block.
    if order.load(Ordering::Acquire) == FREE {
        locked(made).clear();
    }
}

/// Maps the pages of `block` by writing to them, 64 KiB at a time between looks at
/// `order`, so that a stop waits for little. (`MADV_POPULATE_WRITE` maps a block in one
/// call, but holds the address-space lock meanwhile: an import running beside it, which
/// maps libraries, took three times as long.)
fn populate(block: &Block, order: &AtomicU8) {
    const STRETCH: usize = 64 << 10;
    for start in (0..BLOCK).step_by(STRETCH) {
        if order.load(Ordering::Relaxed) != FILL {
            return;
        }
        for offset in (start..start + STRETCH).step_by(PAGE) {
            // SAFETY: inside the block, which nothing else uses yet.
            unsafe { block.0.as_ptr().add(offset).write_volatile(0) };
        }
    }
}

/// Hands the reserve back to the allocator, for the pipeline starting now to allocate from:
/// what was faulted in so far (a filler still running stops and frees what it adds). Nothing
/// waits on the filler. Only the first call does anything.
pub(crate) fn release_prefaulted() {
    let reserve = locked(&RESERVE);
    if let Some(reserve) = reserve.as_ref() {
        if reserve.order.swap(FREE, Ordering::AcqRel) != FREE {
            let blocks = std::mem::take(&mut *locked(&reserve.made));
            drop(blocks);
        }
    }
}
