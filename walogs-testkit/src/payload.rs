//! Payloads a test can recompute from `(seed, lsn)` instead of remembering them, so that a
//! checker can verify any entry it reads back byte for byte.

use crate::rng::Rng;

/// The payload of entry `lsn` in a run seeded with `seed`: `len` bytes, the first eight of
/// which (when there is room) are the LSN in little-endian, the rest pseudo-random.
pub fn payload(seed: u64, lsn: u64, len: usize) -> Vec<u8> {
    let mut out = vec![0u8; len];
    fill(seed, lsn, &mut out);
    out
}

/// Fill `out` with the payload of entry `lsn` (see [`payload`]).
pub fn fill(seed: u64, lsn: u64, out: &mut [u8]) {
    let mut rng = Rng::new(Rng::mix(seed, lsn));
    let head = out.len().min(8);
    out[..head].copy_from_slice(&lsn.to_le_bytes()[..head]);
    for chunk in out[head..].chunks_mut(8) {
        let bits = rng.next_u64().to_le_bytes();
        chunk.copy_from_slice(&bits[..chunk.len()]);
    }
}

/// Whether `data` is the payload of entry `lsn` (of any length).
pub fn matches(seed: u64, lsn: u64, data: &[u8]) -> bool {
    data == payload(seed, lsn, data.len()).as_slice()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_are_recomputable_and_distinct() {
        let a = payload(7, 1, 100);
        assert_eq!(a, payload(7, 1, 100));
        assert_ne!(a, payload(7, 2, 100));
        assert_ne!(a, payload(8, 1, 100));
        assert!(matches(7, 1, &a));
        assert!(!matches(7, 2, &a));
        assert_eq!(payload(7, 3, 4), 3u64.to_le_bytes()[..4].to_vec());
        assert!(payload(1, 1, 0).is_empty());
    }
}
