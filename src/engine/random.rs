//! Seeded random streams for shuffling and random ops. A dataset owns a `SeedGenerator`;
//! every iterator it starts draws a fresh stream from it, which is how tf.data reshuffles
//! each epoch while staying reproducible under a fixed seed.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

use rand_xoshiro::rand_core::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// A reproducible random stream, which knows its seed and how many numbers it gave so that
/// an iterator's saved state can put it back where it was.
pub struct RandomStream {
    rng: Xoshiro256PlusPlus,
    seed: u64,
    draws: u64,
}

impl RandomStream {
    pub fn new(seed: u64) -> Self {
        RandomStream {
            rng: Xoshiro256PlusPlus::seed_from_u64(seed),
            seed,
            draws: 0,
        }
    }

    /// The stream of `seed` after `draws` numbers (generating them: about a nanosecond each).
    pub fn at(seed: u64, draws: u64) -> Self {
        let mut stream = RandomStream::new(seed);
        for _ in 0..draws {
            stream.next_u64();
        }
        stream
    }

    /// The seed and the count of numbers drawn, which `at` takes back.
    pub fn position(&self) -> (u64, u64) {
        (self.seed, self.draws)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.draws += 1;
        self.rng.next_u64()
    }

    /// A uniform integer in `0..n` (n > 0), by Lemire's multiply-shift with rejection.
    pub fn below(&mut self, n: u64) -> u64 {
        let threshold = n.wrapping_neg() % n;
        loop {
            let m = (self.next_u64() as u128) * (n as u128);
            if (m as u64) >= threshold {
                return (m >> 64) as u64;
            }
        }
    }

    /// A uniform float in [0, 1).
    pub fn unit_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }
}

/// A seed nobody chose: different in every process and every call.
pub fn entropy_seed() -> u64 {
    let mut h = RandomState::new().build_hasher();
    h.write_u64(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64),
    );
    h.finish()
}

/// Hands out seeds for successive iterations of one dataset.
pub struct SeedGenerator {
    seed: AtomicU64,
    /// Whether the user chose the seed; one picked at random is replaced by a restored one.
    chosen: bool,
    reshuffle_each_iteration: bool,
    iterations: AtomicU64,
}

impl SeedGenerator {
    /// `seed = None` picks one at random, once, for this dataset.
    pub fn new(seed: Option<u64>, reshuffle_each_iteration: bool) -> Self {
        SeedGenerator {
            seed: AtomicU64::new(seed.unwrap_or_else(entropy_seed)),
            chosen: seed.is_some(),
            reshuffle_each_iteration,
            iterations: AtomicU64::new(0),
        }
    }

    /// The next iteration's number and stream, the number for an iterator's saved state:
    /// a new one per iteration when reshuffling, else the same one every time. A probing
    /// pass (`Context::probing`) gets the next iteration's stream without taking it.
    pub fn next_iteration(&self, probing: bool) -> (u64, RandomStream) {
        let iteration = match (self.reshuffle_each_iteration, probing) {
            (false, _) => 0,
            (true, false) => self.iterations.fetch_add(1, Ordering::Relaxed),
            (true, true) => self.iterations.load(Ordering::Relaxed),
        };
        (iteration, self.stream_of(iteration))
    }

    fn stream_of(&self, iteration: u64) -> RandomStream {
        RandomStream::new(mix(self.seed(), iteration))
    }

    /// The dataset's seed, chosen or picked at random.
    pub fn seed(&self) -> u64 {
        self.seed.load(Ordering::Relaxed)
    }

    /// Puts the generator where a saved iteration left it and returns that iteration's
    /// stream after `draws` numbers. A seed picked at random is replaced by the saved one;
    /// a chosen seed that differs is refused.
    pub fn restore(&self, seed: u64, iteration: u64, draws: u64) -> Result<RandomStream, String> {
        if self.chosen && self.seed.load(Ordering::Relaxed) != seed {
            return Err(format!(
                "the state was saved with seed {seed}, this dataset has seed {}",
                self.seed.load(Ordering::Relaxed)
            ));
        }
        self.seed.store(seed, Ordering::Relaxed);
        if self.reshuffle_each_iteration {
            self.iterations.store(iteration + 1, Ordering::Relaxed);
        }
        let iteration = if self.reshuffle_each_iteration {
            iteration
        } else {
            0
        };
        Ok(RandomStream::at(mix(seed, iteration), draws))
    }
}

/// Combines a seed and a counter into a well-spread seed (SplitMix64's finaliser).
pub fn mix(seed: u64, counter: u64) -> u64 {
    let mut z = seed ^ counter.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn below_stays_in_range_and_covers_it() {
        let mut r = RandomStream::new(7);
        let mut seen = [false; 5];
        for _ in 0..1000 {
            let v = r.below(5);
            assert!(v < 5);
            seen[v as usize] = true;
        }
        assert!(seen.iter().all(|&s| s));
    }

    #[test]
    fn seeded_generators_repeat_and_reshuffle() {
        let a = SeedGenerator::new(Some(1), true);
        let b = SeedGenerator::new(Some(1), true);
        let (mut a0, mut b0) = (a.next_iteration(false).1, b.next_iteration(false).1);
        assert_eq!(a0.next_u64(), b0.next_u64());
        assert_ne!(
            a.next_iteration(false).1.next_u64(),
            RandomStream::new(mix(1, 0)).next_u64()
        );
        let fixed = SeedGenerator::new(Some(1), false);
        assert_eq!(
            fixed.next_iteration(false).1.next_u64(),
            fixed.next_iteration(false).1.next_u64()
        );
    }
}
