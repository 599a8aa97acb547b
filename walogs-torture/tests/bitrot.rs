//! Bit rot and truncation of a 3-segment log: every bit of every segment and of the metadata
//! file flipped, every segment truncated at every offset. Every case must have an allowed
//! outcome: silent loss and wrong payloads must be 0, and nothing is excused (a core bug can
//! be tolerated only through the self-expiring registry of `src/known.rs`).

use std::path::Path;

use walogs_torture::bitrot::{self, Outcome};
use walogs_torture::known::KNOWN;

#[test]
fn every_bit_flip_and_every_truncation_is_detected_or_harmless() {
    let work = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let rep = bitrot::run(7, work).expect("bit-rot sweep runs");
    println!("{}", rep.flip_figure());
    println!("{}", rep.truncation_figure());
    KNOWN.triage(rep.messages()).assert_clean("bit-rot");
    assert_eq!(rep.flips.get(Outcome::WrongPayload), 0);
    assert_eq!(rep.completed_truncations.get(Outcome::WrongPayload), 0);
    // The sweep is real: three segments, thousands of flips, the last frame torn-tail only.
    assert_eq!(rep.unit_starts.len(), 3);
    // Atomic batches are units of member frames, and cuts inside them were made.
    assert!(rep.multi_units > 0 && rep.cuts_inside_units > 0, "{rep:?}");
    assert!(rep.flips.total > 20_000, "{}", rep.flips.total);
    assert!(rep.flips.get(Outcome::Corrupt) > rep.flips.total * 9 / 10);
    assert!(rep.flips.get(Outcome::TornTail) > 0);
    assert_eq!(rep.meta_flips.get(Outcome::Corrupt), rep.meta_flips.total);
    assert!(rep.last_truncations.get(Outcome::CleanPrefix) > 100);
    assert!(rep.cross_checked > 100);
}
