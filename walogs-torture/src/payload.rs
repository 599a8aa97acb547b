//! Deterministic payloads: the bytes of the entry at an LSN follow from `(seed, epoch, lsn)`
//! alone, so a parent can check every recovered byte without having seen the child's writes.
//!
//! The bytes come from the test kit's one payload oracle ([`walogs_testkit::payload`]),
//! keyed by the seed and the *epoch*: a child starts a new epoch whenever it truncates the
//! log (the LSNs after the cut are handed out again, to other entries), so an entry that
//! survived a truncation it should not have, or a re-appended entry at the wrong LSN, does
//! not match. What this module adds is the shape: lengths log-uniform between 1 byte and a
//! maximum (1 MiB for the kill harness), both extremes forced now and then, or one fixed
//! length; and the values of the durable user data.

use walogs_testkit::{Rng, payload};

use crate::draw;

/// The largest payload the kill harness writes: 1 MiB.
pub const MAX_KILL_PAYLOAD: usize = 1 << 20;

/// The epoch of entries written before any truncation (the sweep's template).
pub const FIRST_EPOCH: u64 = 0;

/// The epoch of child `run` after it made `cuts` truncations: unique per child and cut,
/// and increasing over a run of children (so "later" is comparable).
pub fn epoch_of(run: u64, cuts: u64) -> u64 {
    ((run + 1) << 24) | cuts
}

/// Which payloads a run writes: the seed and the lengths.
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

    /// What the test kit's oracle is keyed with for the entry at `lsn` in `epoch` (its
    /// "LSN", whose bytes it puts first): LSN and epoch mixed, so that even payloads of a
    /// few bytes differ between epochs.
    fn key(&self, epoch: u64, lsn: u64) -> u64 {
        Rng::mix(Rng::mix(self.seed, epoch), lsn)
    }

    /// Length of the payload at `lsn` in `epoch`: for a varied spec 1 ..= `max_len`,
    /// log-uniform, with 2% exactly 1 byte and 2% exactly `max_len`; for a fixed spec always
    /// `max_len`.
    pub fn len(&self, epoch: u64, lsn: u64) -> usize {
        if self.min_len >= self.max_len {
            return self.max_len;
        }
        let mut r = draw::stream(self.seed ^ 0x4C45_4E47, self.key(epoch, lsn));
        draw::log_uniform(&mut r, 1, self.max_len.max(1) as u64) as usize
    }

    /// The payload at `lsn` in `epoch` (costs one pass over its bytes).
    pub fn payload(&self, epoch: u64, lsn: u64) -> Vec<u8> {
        payload::payload(self.seed, self.key(epoch, lsn), self.len(epoch, lsn))
    }

    /// Whether `data` is exactly the payload of `lsn` in `epoch` (costs one payload).
    pub fn matches(&self, epoch: u64, lsn: u64, data: &[u8]) -> bool {
        data.len() == self.len(epoch, lsn)
            && payload::matches(self.seed, self.key(epoch, lsn), data)
    }
}

/// The user-data value number `key` of a run seeded with `seed`: `len` bytes from the test
/// kit's oracle (keyed so that no two values of a run are alike).
pub fn user_value(seed: u64, key: u64, len: usize) -> Vec<u8> {
    payload::payload(Rng::mix(seed, 0x5553_4552), key, len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_cover_the_range_and_content_is_keyed_by_epoch_and_lsn() {
        let spec = PayloadSpec::varied(5, MAX_KILL_PAYLOAD);
        assert_eq!(PayloadSpec::fixed(5, 77).len(0, 3), 77);
        let lens: Vec<usize> = (1..3000).map(|l| spec.len(0, l)).collect();
        assert!(lens.iter().all(|&l| (1..=MAX_KILL_PAYLOAD).contains(&l)));
        assert!(lens.contains(&1) && lens.contains(&MAX_KILL_PAYLOAD));
        assert!(lens.iter().any(|&l| (100..1000).contains(&l)));
        assert!(lens.iter().any(|&l| (10_000..100_000).contains(&l)));
        let small = PayloadSpec::varied(5, 3000);
        let e = epoch_of(3, 1);
        let p = small.payload(e, 17);
        assert!(small.matches(e, 17, &p));
        assert!(!small.matches(e, 18, &p));
        assert!(!small.matches(epoch_of(3, 2), 17, &p));
        // Even one-byte payloads of two epochs differ (but for a chance of 1 in 256).
        let one = PayloadSpec::fixed(5, 1);
        let differ = (1..200)
            .filter(|&l| one.payload(epoch_of(0, 0), l) != one.payload(epoch_of(0, 1), l))
            .count();
        assert!(differ > 190, "{differ}");
        let mut q = p.clone();
        let last = q.len() - 1;
        q[last] ^= 1;
        assert!(!small.matches(e, 17, &q));
        assert!(epoch_of(2, 9) < epoch_of(3, 0));
        assert_ne!(user_value(1, 1, 40), user_value(1, 2, 40));
        assert_eq!(user_value(1, 1, 40), user_value(1, 1, 40));
    }
}
