//! The registry of tolerated core bugs (`src/known.rs`) expires by itself: every entry's
//! reproduction must still fail on today's core, or this test fails and the entry must be
//! deleted (its harness then holds the core to the fix).

#[test]
fn known_bugs_still_reproduce() {
    walogs_torture::known::KNOWN.assert_still_reproduce();
}
