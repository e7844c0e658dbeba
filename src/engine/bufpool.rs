//! A small pool of large byte buffers. Pipelines build and drop batch-sized string buffers
//! (megabytes) many times a second; taken fresh from the system allocator, each one is mapped
//! and faulted in page by page, then unmapped again. Reusing a few keeps those pages warm.

use std::sync::Mutex;

/// Buffers smaller than this come from the allocator as usual.
pub const MIN_POOLED: usize = 256 * 1024;
const MAX_BUFFERS: usize = 16;
const MAX_POOLED_BYTES: usize = 256 << 20;

static POOL: Mutex<Vec<Vec<u8>>> = Mutex::new(Vec::new());

/// An empty buffer with room for at least `capacity` bytes: the smallest pooled one that
/// fits (a larger one stays for a request that needs it), or a new one.
pub fn take(capacity: usize) -> Vec<u8> {
    if capacity >= MIN_POOLED {
        let mut pool = POOL.lock().unwrap_or_else(|p| p.into_inner());
        let fitting = pool
            .iter()
            .enumerate()
            .filter(|(_, b)| b.capacity() >= capacity)
            .min_by_key(|(_, b)| b.capacity())
            .map(|(i, _)| i);
        if let Some(i) = fitting {
            return pool.swap_remove(i);
        }
    }
    Vec::with_capacity(capacity)
}

/// Offers a buffer back for reuse; small ones, and any beyond the pool's limits, are freed.
pub fn give(mut buffer: Vec<u8>) {
    if buffer.capacity() < MIN_POOLED || buffer.capacity() > MAX_POOLED_BYTES {
        return;
    }
    buffer.clear();
    let mut pool = POOL.lock().unwrap_or_else(|p| p.into_inner());
    let pooled: usize = pool.iter().map(Vec::capacity).sum();
    if pool.len() < MAX_BUFFERS && pooled + buffer.capacity() <= MAX_POOLED_BYTES {
        pool.push(buffer);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reused_buffers_come_back_empty_and_large_enough() {
        let mut b = take(MIN_POOLED * 2);
        b.extend_from_slice(&[7u8; 10]);
        give(b);
        let again = take(MIN_POOLED * 2);
        assert!(again.is_empty() && again.capacity() >= MIN_POOLED * 2);
        assert!(take(10).capacity() < MIN_POOLED);
        give(vec![1u8; 100]); // too small to keep: dropped, not pooled
    }

    #[test]
    fn the_smallest_buffer_that_fits_is_taken() {
        // Sizes no other test asks for, as the pool is shared by the process.
        let (small, large) = (MIN_POOLED * 3 + 1, MIN_POOLED * 7 + 1);
        give(Vec::with_capacity(large));
        give(Vec::with_capacity(small));
        assert!((small..large).contains(&take(small).capacity()));
        assert!(take(small + 1).capacity() >= large);
    }
}
