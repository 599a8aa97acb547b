//! Deterministic payloads: the bytes of the entry at an LSN follow from `(seed, lsn)` alone, so
//! a parent can check every recovered byte without having seen the child's writes.
//!
//! Lengths are log-uniform between 1 byte and a maximum (1 MiB for the kill harness), with
//! both extremes forced now and then; content is a pseudo-random stream keyed by the seed and
//! the LSN, so an entry stored at the wrong LSN does not match.

use crate::rng::{Rng, mix};

/// The largest payload the kill harness writes: 1 MiB.
pub const MAX_KILL_PAYLOAD: usize = 1 << 20;

/// Which payloads a run writes: the seed and the maximum length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PayloadSpec {
    /// Seed of the content and length streams.
    pub seed: u64,
    /// Largest length (at least 1).
    pub max_len: usize,
    /// When `min_len >= max_len`, every payload is exactly `max_len` bytes; otherwise
    /// lengths are log-uniform in `1..=max_len` (see [`PayloadSpec::len`]).
    pub min_len: usize,
}

impl PayloadSpec {
    /// Payloads of log-uniform length in `1..=max_len`.
    pub fn varied(seed: u64, max_len: usize) -> Self {
        PayloadSpec {
            seed,
            max_len,
            min_len: 1,
        }
    }

    /// Payloads of exactly `len` bytes.
    pub fn fixed(seed: u64, len: usize) -> Self {
        PayloadSpec {
            seed,
            max_len: len,
            min_len: len,
        }
    }

    /// Length of the payload at `lsn`: for a varied spec 1 ..= `max_len`, log-uniform, with
    /// 2% exactly 1 byte and 2% exactly `max_len`; for a fixed spec always `max_len`.
    pub fn len(&self, lsn: u64) -> usize {
        if self.min_len >= self.max_len {
            return self.max_len;
        }
        let max = self.max_len.max(1) as u64;
        let mut r = Rng::new(mix(self.seed ^ 0x4C45_4E47, lsn));
        let roll = r.below(100);
        if roll < 2 {
            return 1;
        }
        if roll < 4 {
            return max as usize;
        }
        let bits = 64 - max.leading_zeros() as u64; // max < 2^bits
        let b = r.below(bits);
        let lo = 1u64 << b;
        let hi = ((1u64 << (b + 1)) - 1).min(max);
        r.range(lo.min(hi), hi) as usize
    }

    /// The payload at `lsn` (costs one pass over its bytes).
    pub fn payload(&self, lsn: u64) -> Vec<u8> {
        let mut v = vec![0; self.len(lsn)];
        content(self.seed, lsn, &mut v);
        v
    }

    /// Whether `data` is exactly the payload of `lsn` (no allocation).
    pub fn matches(&self, lsn: u64, data: &[u8]) -> bool {
        data.len() == self.len(lsn) && content_matches(self.seed, lsn, data)
    }
}

/// Fill `out` with the content stream of `(seed, lsn)`; independent of `out.len()`, so a
/// shorter buffer gets a prefix of a longer one.
pub fn content(seed: u64, lsn: u64, out: &mut [u8]) {
    let mut r = Rng::new(mix(seed, lsn));
    for chunk in out.chunks_mut(8) {
        let w = r.next_u64().to_le_bytes();
        chunk.copy_from_slice(&w[..chunk.len()]);
    }
}

/// Whether `data` equals the content stream of `(seed, lsn)` (prefix of its length).
pub fn content_matches(seed: u64, lsn: u64, data: &[u8]) -> bool {
    let mut r = Rng::new(mix(seed, lsn));
    data.chunks(8).all(|chunk| {
        let w = r.next_u64().to_le_bytes();
        chunk == &w[..chunk.len()]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_cover_the_range_and_content_is_keyed() {
        let spec = PayloadSpec::varied(5, MAX_KILL_PAYLOAD);
        assert_eq!(PayloadSpec::fixed(5, 77).len(3), 77);
        let lens: Vec<usize> = (1..3000).map(|l| spec.len(l)).collect();
        assert!(lens.iter().all(|&l| (1..=MAX_KILL_PAYLOAD).contains(&l)));
        assert!(lens.contains(&1) && lens.contains(&MAX_KILL_PAYLOAD));
        assert!(lens.iter().any(|&l| (100..1000).contains(&l)));
        assert!(lens.iter().any(|&l| (10_000..100_000).contains(&l)));
        let p = spec.payload(17);
        assert!(spec.matches(17, &p));
        assert!(!spec.matches(18, &p));
        if !p.is_empty() {
            let mut q = p.clone();
            let last = q.len() - 1;
            q[last] ^= 1;
            assert!(!spec.matches(17, &q));
        }
    }
}
