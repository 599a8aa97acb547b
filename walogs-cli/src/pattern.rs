//! Generated payloads that a verifier can recompute from the LSN alone.
//!
//! The payload of LSN `n` is the ASCII text `lsn=<n>;` followed by bytes of a SplitMix64
//! stream seeded with `n`, cut to the payload size. A payload therefore proves both its
//! content and its position: an entry that reappears at another LSN fails the check.

use std::fmt;
use std::str::FromStr;

/// The size of generated payloads: one size, or a range from which each LSN's size is
/// derived deterministically.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SizeSpec {
    min: usize,
    max: usize,
}

impl SizeSpec {
    /// The payload size for `lsn` (always within `min..=max`). Costs a few arithmetic operations.
    pub fn size_for(&self, lsn: u64) -> usize {
        let span = (self.max - self.min) as u64 + 1;
        self.min + (mix(lsn ^ 0x5eed) % span) as usize
    }
}

impl FromStr for SizeSpec {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let parse = |t: &str| {
            t.trim()
                .parse::<usize>()
                .map_err(|e| format!("{t:?} is not a byte count: {e}"))
        };
        let (min, max) = match s.split_once('-') {
            Some((a, b)) => (parse(a)?, parse(b)?),
            None => {
                let n = parse(s)?;
                (n, n)
            }
        };
        if min > max {
            return Err(format!("size range {min}-{max} is empty"));
        }
        if max > walogs_core::MAX_ENTRY_SIZE {
            return Err(format!(
                "size {max} exceeds the entry limit of {} bytes",
                walogs_core::MAX_ENTRY_SIZE
            ));
        }
        Ok(SizeSpec { min, max })
    }
}

impl fmt::Display for SizeSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.min == self.max {
            write!(f, "{}", self.min)
        } else {
            write!(f, "{}-{}", self.min, self.max)
        }
    }
}

/// One SplitMix64 step: a well-mixed 64-bit function of `x`.
fn mix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Write the payload of `lsn` with `len` bytes into `out` (cleared first). Costs O(len).
pub fn fill(out: &mut Vec<u8>, lsn: u64, len: usize) {
    out.clear();
    out.reserve(len);
    let prefix = format!("lsn={lsn};");
    out.extend_from_slice(&prefix.as_bytes()[..prefix.len().min(len)]);
    let mut state = lsn;
    while out.len() < len {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let word = mix(state).to_le_bytes();
        let take = (len - out.len()).min(word.len());
        out.extend_from_slice(&word[..take]);
    }
}

/// The payload of `lsn` with `len` bytes.
pub fn payload(lsn: u64, len: usize) -> Vec<u8> {
    let mut v = Vec::new();
    fill(&mut v, lsn, len);
    v
}

/// Whether `data` is exactly the generated payload of `lsn` (of `data`'s length).
/// Costs O(len) and no allocation beyond `scratch`.
pub fn matches(scratch: &mut Vec<u8>, lsn: u64, data: &[u8]) -> bool {
    fill(scratch, lsn, data.len());
    scratch.as_slice() == data
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_depend_on_lsn_and_have_the_asked_length() {
        let a = payload(7, 100);
        assert_eq!(a.len(), 100);
        assert!(a.starts_with(b"lsn=7;"));
        assert_eq!(a, payload(7, 100));
        assert_ne!(a, payload(8, 100));
        assert_eq!(payload(7, 3), b"lsn");
        assert!(payload(7, 0).is_empty());
        let mut s = Vec::new();
        assert!(matches(&mut s, 7, &a));
        let mut bad = a.clone();
        bad[50] ^= 1;
        assert!(!matches(&mut s, 7, &bad));
        // The random tail differs between LSNs too, not only the prefix.
        assert_ne!(payload(1, 64)[8..], payload(2, 64)[8..]);
    }

    #[test]
    fn size_specs_parse_and_stay_in_range() {
        let one: SizeSpec = "64".parse().unwrap();
        assert_eq!(one.size_for(1), 64);
        let r: SizeSpec = "10-20".parse().unwrap();
        let sizes: Vec<usize> = (1..200).map(|l| r.size_for(l)).collect();
        assert!(sizes.iter().all(|s| (10..=20).contains(s)));
        assert!(sizes.iter().any(|&s| s != sizes[0]));
        assert_eq!(r.to_string(), "10-20");
        for bad in ["", "x", "20-10", "1-", "99999999999"] {
            assert!(bad.parse::<SizeSpec>().is_err(), "{bad}");
        }
    }
}
