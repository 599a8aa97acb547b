//! A coverage-free structured fuzzer, for machines without a coverage-guided one: random
//! inputs and mutations of well-formed ones, checked by the same oracles as the libFuzzer
//! targets in `fuzz/` ([`check_decode`] and [`crate::image::check_image`]).

use walogs_core::frame::{Decoded, decode};

use crate::Rng;
use crate::image::{
    batch_frame, check_image, image_from_bytes, member_frame, plain_frame, raw_frame,
};

/// The decoder oracle: never panics (the caller notices), and a decoded frame re-encodes to
/// exactly the bytes it was decoded from (a unit member frame as the one entry it holds,
/// with the index and count of its body prefix); `Incomplete` only when the input is
/// shorter than the header or than the length the header declares.
pub fn check_decode(bytes: &[u8]) -> Result<(), String> {
    match decode(bytes) {
        Decoded::Frame {
            first_lsn,
            entries,
            frame_len,
        } => {
            if frame_len < 16 || frame_len > bytes.len() {
                return Err(format!(
                    "frame_len {frame_len} of a {}-byte input",
                    bytes.len()
                ));
            }
            let batch = bytes[15] & 0x80 != 0;
            let member = !batch && bytes[15] & 0x40 != 0;
            let top = if batch { 1 << 63 } else { 1 << 62 };
            if first_lsn == 0 || first_lsn >= top {
                return Err(format!("decoded first LSN {first_lsn}"));
            }
            let again = if batch {
                batch_frame(first_lsn, &entries)
            } else if let [one] = entries.as_slice() {
                if member {
                    let at = |o: usize| u32::from_le_bytes(bytes[o..o + 4].try_into().expect("4"));
                    let (index, count) = (at(16), at(20));
                    if count < 2 || index >= count || u64::from(index) >= first_lsn {
                        return Err(format!(
                            "member {index} of a unit of {count} decoded at LSN {first_lsn}"
                        ));
                    }
                    member_frame(first_lsn, index, count, one)
                } else {
                    plain_frame(first_lsn, one)
                }
            } else {
                return Err(format!("plain frame with {} entries", entries.len()));
            };
            if again != bytes[..frame_len] {
                return Err("decoded frame does not re-encode to its bytes".to_string());
            }
            Ok(())
        }
        Decoded::Incomplete => {
            if bytes.len() >= 16 {
                let len = u32::from_le_bytes(bytes[0..4].try_into().expect("4 bytes")) as usize;
                if 16 + len <= bytes.len() {
                    return Err(format!(
                        "Incomplete although all {len} body bytes are there"
                    ));
                }
            }
            Ok(())
        }
        Decoded::Damaged => Ok(()),
    }
}

fn rand_bytes(rng: &mut Rng, max: usize) -> Vec<u8> {
    let n = rng.index(max);
    rng.bytes(n)
}

/// A random decoder input: a valid frame, batch or unit member, then maybe damaged.
pub fn decode_input(rng: &mut Rng) -> Vec<u8> {
    let mut v = match rng.below(6) {
        4 => {
            let count = 2 + rng.below(6) as u32;
            let index = rng.below(u64::from(count)) as u32;
            let lsn = u64::from(index) + 1 + rng.below(1 << 40);
            member_frame(lsn, index, count, &rand_bytes(rng, 200))
        }
        5 => {
            // A member whose prefix may lie about its place, or whose LSN field carries
            // both kind bits.
            let mut body = (rng.next_u64() as u32 % 9).to_le_bytes().to_vec();
            body.extend((rng.next_u64() as u32 % 9).to_le_bytes());
            body.extend(rand_bytes(rng, 32));
            let flags = if rng.chance(1, 4) { 3 << 62 } else { 1 << 62 };
            raw_frame(rng.below(12) | flags, &body)
        }
        0 => rand_bytes(rng, 64),
        1 => plain_frame(1 + rng.below(1 << 20), &rand_bytes(rng, 300)),
        2 => {
            let es: Vec<Vec<u8>> = (0..1 + rng.index(5)).map(|_| rand_bytes(rng, 40)).collect();
            let refs: Vec<&[u8]> = es.iter().map(Vec::as_slice).collect();
            batch_frame(1 + rng.below(1 << 40), &refs)
        }
        _ => {
            let mut body = (rng.next_u64() as u32 % 8).to_le_bytes().to_vec();
            body.extend(rand_bytes(rng, 48));
            raw_frame((1 + rng.below(99)) | (1 << 63), &body)
        }
    };
    for _ in 0..rng.index(3) {
        if v.is_empty() {
            break;
        }
        match rng.below(4) {
            0 => {
                let bit = rng.index(v.len() * 8);
                v[bit / 8] ^= 1 << (bit % 8);
            }
            1 => v.truncate(rng.index(v.len())),
            2 => {
                let at = rng.index(v.len().min(4));
                let big = (rng.next_u64() as u32).to_le_bytes();
                let end = (at + 4).min(v.len());
                v[at..end].copy_from_slice(&big[..end - at]);
            }
            _ => v.extend(rand_bytes(rng, 32)),
        }
    }
    v
}

/// Counts of one fuzzing session.
#[derive(Debug, Default, Clone, Copy)]
pub struct FuzzCount {
    /// Inputs run.
    pub inputs: u64,
    /// Inputs whose oracle failed (each is also reported through `on_failure`).
    pub failures: u64,
    /// Inputs that hit a known, reported core bug (see [`crate::harness::known`]).
    pub known: u64,
}

fn tally(
    c: &mut FuzzCount,
    input: &[u8],
    r: Result<(), String>,
    on_failure: &mut impl FnMut(&[u8], &str),
) {
    c.inputs += 1;
    if let Err(e) = r {
        if crate::harness::known::classify(&e).is_some() {
            c.known += 1;
        } else {
            c.failures += 1;
            on_failure(input, &e);
        }
    }
}

/// Run `n` decoder inputs from `seed`; `on_failure` gets each failing input and reason.
pub fn fuzz_decode(seed: u64, n: u64, mut on_failure: impl FnMut(&[u8], &str)) -> FuzzCount {
    let mut rng = Rng::new(seed);
    let mut c = FuzzCount::default();
    for _ in 0..n {
        let input = decode_input(&mut rng);
        tally(&mut c, &input, check_decode(&input), &mut on_failure);
    }
    c
}

/// Run `n` directory images from `seed` (random interpreter programs, biased towards
/// well-formed logs); `on_failure` gets each failing program and reason.
pub fn fuzz_open(seed: u64, n: u64, mut on_failure: impl FnMut(&[u8], &str)) -> FuzzCount {
    let mut rng = Rng::new(seed);
    let mut c = FuzzCount::default();
    for _ in 0..n {
        let len = rng.index(200);
        let mut prog = rng.bytes(len);
        // Bias the op bytes towards frames and units so that images reach deep into
        // recovery.
        for b in prog.iter_mut().skip(4) {
            if rng.chance(1, 3) {
                // A byte read as an op (`% 11`) becomes a frame, a batch or a unit.
                *b = [0u8, 1, 2, 9][rng.index(4)] + 11 * rng.below(23) as u8;
            }
        }
        let (disk, ro) = image_from_bytes(&prog);
        tally(&mut c, &prog, check_image(&disk, &ro), &mut on_failure);
    }
    c
}
