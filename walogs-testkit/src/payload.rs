//! The payload oracle of every walogs test suite: bytes a test derives from a key instead of
//! inventing them ad hoc, in two shapes.
//!
//! * [`payload()`]/[`matches()`]: recomputable from `(seed, lsn)` alone, so that a checker that
//!   never saw the writes (the crash harnesses' parent, checking what a killed child wrote)
//!   can verify any entry it reads back byte for byte. The crash harnesses key it further
//!   (by a truncation epoch, or by a binary writer tag that the parent parses back because a
//!   concurrent appender learns its LSN only after the append): those keys are their own,
//!   the bytes are these.
//! * [`named()`]: a readable name first (who wrote it: `op3.1;`, `t2.17.0;`), for oracles that
//!   remember what they wrote (the simulator's model) and need every payload of a run to be
//!   distinct and recognisable in a dump of the disk.
//!
//! Not here, on purpose: the `walogs append` pattern of the CLI (a user-facing format with
//! its own documented bytes) and the lengths each harness draws (their shapes differ with
//! what each harness stresses).

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

/// `len` pseudo-random bytes from `key`, the first of which are `name` (cut to `len`). Two
/// payloads of distinct names differ; the rest differs at every byte position between keys,
/// so that a misplaced or stale byte never matches by accident. Costs one pass over the
/// bytes.
pub fn named(name: &str, key: u64, len: usize) -> Vec<u8> {
    let mut v = Rng::new(key).bytes(len);
    let n = name.len().min(len);
    v[..n].copy_from_slice(&name.as_bytes()[..n]);
    v
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
        let n = named("op3.1;", 9, 40);
        assert_eq!(&n[..6], b"op3.1;");
        assert_eq!(n, named("op3.1;", 9, 40));
        assert_ne!(n[6..], named("op3.1;", 10, 40)[6..]);
        assert_eq!(named("op3.1;", 9, 4), b"op3.");
    }
}
