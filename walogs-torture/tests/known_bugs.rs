//! The registry of tolerated core bugs (`src/known.rs`) expires by itself: every entry's
//! reproduction must still fail on today's core, or this test fails and the entry must be
//! deleted (its harness then holds the core to the fix).

use walogs_torture::known::KNOWN;

#[test]
fn known_bugs_still_reproduce() {
    let mut fixed = Vec::new();
    for bug in KNOWN {
        match (bug.check)() {
            Err(e) => println!(
                "known core bug {} ({}) still reproduces: {e}",
                bug.id, bug.title
            ),
            Ok(()) => fixed.push(bug.id),
        }
    }
    println!("known core bugs tolerated: {}", KNOWN.len());
    assert!(
        fixed.is_empty(),
        "fixed in the core: delete from walogs-torture/src/known.rs: {fixed:?}"
    );
}
