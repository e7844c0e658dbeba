//! Token budgets: how many elements a stage may have in flight or buffered. A fixed budget
//! never changes; an autotuned one starts at one token and grows each time the consumer finds
//! nothing ready (the stage is the bottleneck and more buffering or parallelism would help),
//! up to its maximum and within the pipeline's RAM budget.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

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

pub struct TokenBudget {
    tokens: Sender<()>,
    /// Set by the producer when it had to wait for a token: only then can more tokens help.
    producer_blocked: Arc<AtomicBool>,
    granted: usize,
    max: usize,
    autotune: bool,
    ram: Arc<RamBudget>,
    /// Bytes reserved from the RAM budget for the tokens granted beyond the first.
    reserved: u64,
}

impl TokenBudget {
    /// A budget of `initial` tokens (1 when autotuned) that may grow to `max`; the producer
    /// waits on the returned `TokenWait` for a token before each element.
    pub fn new(
        initial: usize,
        max: usize,
        autotune: bool,
        ram: Arc<RamBudget>,
    ) -> (Self, TokenWait) {
        let (tokens, rx) = unbounded();
        let granted = if autotune { 1 } else { initial.max(1) };
        for _ in 0..granted {
            let _ = tokens.send(());
        }
        let producer_blocked = Arc::new(AtomicBool::new(false));
        let wait = TokenWait {
            tokens: rx,
            producer_blocked: producer_blocked.clone(),
        };
        let budget = TokenBudget {
            tokens,
            producer_blocked,
            granted,
            max: max.max(granted),
            autotune,
            ram,
            reserved: 0,
        };
        (budget, wait)
    }

    /// Gives back the token of an element the consumer took.
    pub fn give_back(&self) {
        let _ = self.tokens.send(());
    }

    /// The consumer found nothing ready: allow one more element in flight if autotuning, the
    /// producer was held back by the budget (so more tokens help), the maximum allows it, and
    /// an element of `element_bytes` fits the RAM budget.
    pub fn starved(&mut self, element_bytes: u64) {
        if !self.autotune || self.granted >= self.max {
            return;
        }
        if !self.producer_blocked.swap(false, Ordering::AcqRel) {
            return;
        }
        if !self.ram.try_reserve(element_bytes) {
            return;
        }
        self.reserved += element_bytes;
        self.granted += 1;
        let _ = self.tokens.send(());
    }

    /// Tokens currently granted: the tuned buffer size or parallelism.
    pub fn granted(&self) -> usize {
        self.granted
    }
}

/// The producer's side of a budget: where it waits for tokens.
pub struct TokenWait {
    tokens: Receiver<()>,
    producer_blocked: Arc<AtomicBool>,
}

impl TokenWait {
    /// The channel to wait on for the next token; notes when none is there already.
    pub fn channel(&self) -> &Receiver<()> {
        if self.tokens.is_empty() {
            self.producer_blocked.store(true, Ordering::Release);
        }
        &self.tokens
    }
}

impl Drop for TokenBudget {
    fn drop(&mut self) {
        self.ram.release(self.reserved);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn autotuned_budget_grows_within_ram() {
        let ram = Arc::new(RamBudget::new(250));
        let (mut b, wait) = TokenBudget::new(8, 8, true, ram.clone());
        assert_eq!(b.granted(), 1);
        b.starved(100);
        assert_eq!(b.granted(), 1, "the producer was never held back");
        for _ in 0..10 {
            while wait.channel().try_recv().is_ok() {}
            b.starved(100);
        }
        assert_eq!(b.granted(), 3, "two more elements of 100 bytes fit in 250");
        drop(b);
        assert_eq!(ram.used(), 0);
    }

    #[test]
    fn fixed_budget_never_grows() {
        let ram = Arc::new(RamBudget::new(u64::MAX));
        let (mut b, _rx) = TokenBudget::new(4, 100, false, ram);
        b.starved(1);
        assert_eq!(b.granted(), 4);
    }
}
