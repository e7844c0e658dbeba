//! Token budgets: how many elements a stage may have in flight or buffered. A fixed budget
//! never changes; an autotuned one starts small and grows each time the consumer finds
//! nothing ready (the stage is the bottleneck and more buffering or parallelism would help),
//! up to its maximum and within the pipeline's RAM budget.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use crossbeam_channel::{unbounded, Receiver, Sender};

/// Bytes of buffered elements the pipeline's autotuned stages may hold together.
pub struct RamBudget {
    limit: u64,
    used: AtomicU64,
}

impl RamBudget {
    pub fn new(limit: u64) -> Self {
        RamBudget {
            limit,
            used: AtomicU64::new(0),
        }
    }

    pub fn limit(&self) -> u64 {
        self.limit
    }

    pub fn used(&self) -> u64 {
        self.used.load(Ordering::Relaxed)
    }

    /// Reserves `bytes` if they fit.
    fn try_reserve(&self, bytes: u64) -> bool {
        self.used
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |u| {
                (u + bytes <= self.limit).then_some(u + bytes)
            })
            .is_ok()
    }

    fn release(&self, bytes: u64) {
        self.used.fetch_sub(bytes, Ordering::AcqRel);
    }
}

/// Half of physical memory (tf.data's default RAM budget), or 4 GiB where it cannot be read.
pub fn default_ram_budget() -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or(4 << 30, |kb| kb * 1024 / 2)
}

const UNKNOWN: u64 = u64::MAX;

/// State both sides of a budget reach: either may find the moment to grow it.
struct Shared {
    tokens: Sender<()>,
    /// Tokens of the initial grant not yet put in the channel: a buffer the user sized in
    /// the billions is granted as the producer uses it, not allocated up front.
    unsent: AtomicUsize,
    /// (tokens granted, bytes reserved from the RAM budget for the tokens beyond the first)
    granted: Mutex<(usize, u64)>,
    /// The most tokens the budget may grow to: `base_max`, or more for a stage that hands
    /// its units over in chunks (`widen_for_chunks`).
    max: AtomicUsize,
    base_max: usize,
    autotune: bool,
    /// Where the first growth of an autotuned budget goes at once: what an earlier pass of
    /// the same stage grew to (1: double from the start).
    learned: usize,
    ram: Arc<RamBudget>,
    /// The producer is waiting for a token.
    producer_blocked: AtomicBool,
    /// The consumer is waiting for an element.
    consumer_waiting: AtomicBool,
    /// The size of the last element, the cost of one more token (`UNKNOWN` before the first).
    element_bytes: AtomicU64,
}

impl Shared {
    /// Both sides wait on each other: the budget is what holds the stage back. Doubles the
    /// tokens (few steps to the needed depth, so each epoch's warm-up is short), up to the
    /// maximum and as far as elements fit the RAM budget.
    fn grow_if_held_back(&self) {
        if !self.autotune {
            return;
        }
        // Checked under the lock, so the producer and the consumer noticing the same moment
        // grow the budget once.
        let mut granted = self.granted.lock().unwrap_or_else(|p| p.into_inner());
        if !self.consumer_waiting.load(Ordering::SeqCst)
            || !self.producer_blocked.load(Ordering::SeqCst)
        {
            return;
        }
        let bytes = self.element_bytes.load(Ordering::Relaxed);
        if bytes == UNKNOWN {
            return; // until an element was seen, its cost in memory is unknown
        }
        let max = self.max.load(Ordering::Relaxed);
        let target = (2 * granted.0).max(self.learned).min(max);
        self.grant_up_to(&mut granted, target, bytes);
        self.producer_blocked.store(false, Ordering::SeqCst);
    }

    /// Grants tokens until `target` are, as far as elements of `bytes` fit the RAM budget.
    fn grant_up_to(&self, granted: &mut (usize, u64), target: usize, bytes: u64) {
        while granted.0 < target {
            if !self.ram.try_reserve(bytes) {
                break;
            }
            granted.0 += 1;
            granted.1 += bytes;
            let _ = self.tokens.send(());
        }
    }

    /// Raises the maximum to `chunk` times the stage's own, within `CHUNKED_BUFFER_BYTES` of
    /// elements of the last size seen; returns it (`None` before an element was seen).
    fn widen_max(&self, chunk: usize) -> Option<(usize, u64)> {
        let bytes = self.element_bytes.load(Ordering::Relaxed);
        if bytes == UNKNOWN {
            return None;
        }
        let within_bytes = (CHUNKED_BUFFER_BYTES / bytes.max(1)) as usize;
        let wanted = (self.base_max * chunk).min(within_bytes).max(self.base_max);
        self.max.fetch_max(wanted, Ordering::Relaxed);
        Some((wanted, bytes))
    }
}

/// How many of the initial grant's tokens go in the channel at a time.
const UNSENT_CHUNK: usize = 64;

/// Bytes of elements a budget widened for chunks may come to hold.
const CHUNKED_BUFFER_BYTES: u64 = 16 << 20;

/// The consumer's side of a budget.
pub struct TokenBudget {
    shared: Arc<Shared>,
}

impl TokenBudget {
    /// A budget of `initial` tokens that may grow to `max`; the producer waits on the
    /// returned `TokenWait` for a token before each element. An autotuned budget
    /// (`autotune_from` given) starts at that many tokens, and its first growth goes
    /// straight to `initial` (what an earlier pass learned), as far as the RAM budget
    /// allows; it doubles after that.
    pub fn new(
        initial: usize,
        max: usize,
        autotune_from: Option<usize>,
        ram: Arc<RamBudget>,
    ) -> (Self, TokenWait) {
        let (tokens, rx) = unbounded();
        let autotune = autotune_from.is_some();
        let granted = match autotune_from {
            Some(start) => start.clamp(1, max.max(1)),
            None => initial.max(1),
        };
        let shared = Arc::new(Shared {
            tokens,
            unsent: AtomicUsize::new(granted),
            granted: Mutex::new((granted, 0)),
            max: AtomicUsize::new(max.max(granted)),
            base_max: max.max(granted),
            autotune,
            learned: initial.max(1),
            ram,
            producer_blocked: AtomicBool::new(false),
            consumer_waiting: AtomicBool::new(false),
            element_bytes: AtomicU64::new(UNKNOWN),
        });
        let wait = TokenWait {
            tokens: rx,
            shared: shared.clone(),
        };
        (TokenBudget { shared }, wait)
    }

    /// Gives back the token of an element the consumer took, of `element_bytes` bytes.
    pub fn give_back(&self, element_bytes: u64) {
        self.shared
            .element_bytes
            .store(element_bytes, Ordering::Relaxed);
        let _ = self.shared.tokens.send(());
    }

    /// The consumer starts (`true`) or stops waiting for an element.
    pub fn consumer_waiting(&self, waiting: bool) {
        self.shared
            .consumer_waiting
            .store(waiting, Ordering::Release);
        if waiting {
            self.shared.grow_if_held_back();
        }
    }

    /// Tokens currently granted: the tuned buffer size or parallelism.
    pub fn granted(&self) -> usize {
        self.shared
            .granted
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .0
    }
}

/// The producer's side of a budget: where it waits for tokens.
pub struct TokenWait {
    tokens: Receiver<()>,
    shared: Arc<Shared>,
}

impl TokenWait {
    /// The channel to wait on for the next token; when none is there, the producer is held
    /// back, and the budget grows if the consumer is waiting too.
    pub fn channel(&self) -> &Receiver<()> {
        if self.tokens.len() < UNSENT_CHUNK {
            self.send_unsent();
        }
        if self.tokens.is_empty() {
            self.shared.producer_blocked.store(true, Ordering::SeqCst);
            self.shared.grow_if_held_back();
        }
        &self.tokens
    }

    /// Puts up to a chunk of the initial grant's unsent tokens in the channel.
    fn send_unsent(&self) {
        let unsent = &self.shared.unsent;
        let taken = unsent
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                Some(n - n.min(UNSENT_CHUNK))
            })
            .map_or(0, |before| before.min(UNSENT_CHUNK));
        for _ in 0..taken {
            let _ = self.shared.tokens.send(());
        }
    }

    /// Takes a token if one is at hand, without counting as held back if none is.
    pub fn try_take(&self) -> bool {
        if self.tokens.is_empty() {
            self.send_unsent();
        }
        self.tokens.try_recv().is_ok()
    }

    /// Lets an autotuned budget grow to `chunk` times its maximum, within
    /// `CHUNKED_BUFFER_BYTES` of elements of the last size seen: a stage that hands units to
    /// its threads `chunk` at a time needs that many more in flight to keep them as busy.
    pub fn widen_for_chunks(&self, chunk: usize) {
        if self.shared.autotune {
            self.shared.widen_max(chunk);
        }
    }

    /// For a stage whose budget counts calls of a function that takes `chunk` units a call:
    /// a fixed budget is granted `chunk` tokens per call at once, an autotuned one may grow
    /// to as many; both within `CHUNKED_BUFFER_BYTES` of elements of the last size seen.
    pub fn grant_for_chunks(&self, chunk: usize) {
        let shared = &self.shared;
        let Some((wanted, bytes)) = shared.widen_max(chunk) else {
            return;
        };
        if !shared.autotune {
            let mut granted = shared.granted.lock().unwrap_or_else(|p| p.into_inner());
            shared.grant_up_to(&mut granted, wanted, bytes);
        }
    }
}

impl Drop for TokenBudget {
    fn drop(&mut self) {
        let reserved = self
            .shared
            .granted
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .1;
        self.shared.ram.release(reserved);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn autotuned_budget_grows_within_ram() {
        let ram = Arc::new(RamBudget::new(250));
        let (b, wait) = TokenBudget::new(1, 8, Some(1), ram.clone());
        assert_eq!(b.granted(), 1);
        b.give_back(100);
        b.consumer_waiting(true);
        assert_eq!(b.granted(), 1, "the producer was never held back");
        for _ in 0..4 {
            while wait.channel().try_recv().is_ok() {}
        }
        assert_eq!(b.granted(), 3, "two more elements of 100 bytes fit in 250");
        drop(b);
        assert_eq!(ram.used(), 0);
        let ram = Arc::new(RamBudget::new(u64::MAX));
        let (b, wait) = TokenBudget::new(1, 6, Some(1), ram);
        b.give_back(1);
        b.consumer_waiting(true);
        let _ = wait.channel().try_iter().count(); // the tokens on hand
        for expected in [2, 4, 6, 6] {
            // The producer finds no token while the consumer waits: the budget doubles.
            let _ = wait.channel().try_iter().count();
            assert_eq!(b.granted(), expected);
        }
        b.consumer_waiting(false);
        while wait.channel().try_recv().is_ok() {}
        assert_eq!(b.granted(), 6);
    }

    #[test]
    fn a_learned_budget_is_reached_at_the_first_growth() {
        let ram = Arc::new(RamBudget::new(u64::MAX));
        let (b, wait) = TokenBudget::new(5, 16, Some(1), ram);
        assert_eq!(b.granted(), 1);
        b.give_back(1);
        b.consumer_waiting(true);
        let _ = wait.channel().try_iter().count();
        let _ = wait.channel().try_iter().count();
        assert_eq!(b.granted(), 5, "straight to what an earlier pass learned");
        let _ = wait.channel().try_iter().count();
        assert_eq!(b.granted(), 10, "then doubling");
    }

    #[test]
    fn a_huge_fixed_budget_is_granted_as_it_is_used() {
        let ram = Arc::new(RamBudget::new(u64::MAX));
        let (b, wait) = TokenBudget::new(1 << 40, 1 << 40, None, ram);
        assert_eq!(b.granted(), 1 << 40);
        // Tokens come a chunk at a time, as many as the producer takes.
        let taken = (0..1000)
            .filter(|_| wait.channel().try_recv().is_ok())
            .count();
        assert_eq!(taken, 1000);
    }

    #[test]
    fn a_budget_widened_for_chunks_grows_past_its_maximum_within_bytes() {
        let ram = Arc::new(RamBudget::new(u64::MAX));
        let (b, wait) = TokenBudget::new(1, 4, Some(1), ram.clone());
        wait.widen_for_chunks(10);
        b.give_back(1 << 20);
        b.consumer_waiting(true);
        for _ in 0..8 {
            let _ = wait.channel().try_iter().count();
        }
        assert_eq!(
            b.granted(),
            4,
            "no element seen when it was widened: not widened"
        );
        wait.widen_for_chunks(10);
        for _ in 0..8 {
            let _ = wait.channel().try_iter().count();
        }
        assert_eq!(b.granted(), 16, "16 MiB of 1 MiB elements, not 40");
        let (fixed, wait) = TokenBudget::new(4, 4, None, ram);
        fixed.give_back(1);
        wait.widen_for_chunks(10);
        fixed.consumer_waiting(true);
        while wait.channel().try_recv().is_ok() {}
        assert_eq!(fixed.granted(), 4, "a fixed budget stays as asked");
    }

    #[test]
    fn a_fixed_budget_of_calls_is_granted_a_chunk_per_call() {
        let ram = Arc::new(RamBudget::new(u64::MAX));
        let (b, wait) = TokenBudget::new(4, 4, None, ram.clone());
        wait.grant_for_chunks(8);
        assert_eq!(b.granted(), 4, "no element seen yet: nothing to size it by");
        b.give_back(1 << 20);
        wait.grant_for_chunks(8);
        assert_eq!(b.granted(), 16, "16 MiB of 1 MiB elements, not 32");
        b.give_back(1);
        wait.grant_for_chunks(8);
        assert_eq!(b.granted(), 32, "four calls of eight units");
        let on_hand = wait.channel().try_iter().count();
        assert_eq!(
            on_hand,
            4 + 1 + 1 + 28,
            "the initial grant, two given back, the rest"
        );
        drop(b);
        assert_eq!(ram.used(), 0);
    }

    #[test]
    fn fixed_budget_never_grows() {
        let ram = Arc::new(RamBudget::new(u64::MAX));
        let (b, wait) = TokenBudget::new(4, 100, None, ram);
        b.consumer_waiting(true);
        while wait.channel().try_recv().is_ok() {}
        assert_eq!(b.granted(), 4);
    }
}
