//! A tiny deterministic generator (SplitMix64), so that every payload and every workload can
//! be regenerated from a seed by the parent that checks it.

/// SplitMix64. Not cryptographic; fast, and identical on every machine for a given seed.
#[derive(Debug, Clone)]
pub struct Rng(u64);

/// Mix two words into one well-scrambled word (one SplitMix64 step over `a ^ rot(b)`).
pub fn mix(a: u64, b: u64) -> u64 {
    Rng::new(a ^ b.rotate_left(29) ^ 0xA076_1D64_78BD_642F).next_u64()
}

impl Rng {
    /// A generator whose whole output is fixed by `seed`.
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// The next 64 pseudo-random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A value in `0..n` (`0` when `n == 0`). Slightly biased for huge `n`; irrelevant here.
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next_u64() % n }
    }

    /// A value in `lo..=hi` (`lo` when `hi < lo`).
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo {
            lo
        } else {
            lo + self.below(hi - lo + 1)
        }
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_spread() {
        let a: Vec<u64> = (0..4).map(|_| Rng::new(7).next_u64()).collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]));
        let mut r = Rng::new(7);
        let v: Vec<u64> = (0..1000).map(|_| r.range(3, 5)).collect();
        for x in 3..=5 {
            assert!(v.iter().filter(|&&y| y == x).count() > 200, "{x}");
        }
        assert_ne!(mix(1, 2), mix(2, 1));
    }
}
