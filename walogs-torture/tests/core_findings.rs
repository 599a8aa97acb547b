//! Core bugs these harnesses found, fixed since, kept as regression tests: each is the
//! deterministic reproduction the registry of known bugs (`src/known.rs`) carried while the
//! bug was open (`src/repro.rs`; crash states made with the test kit's hooked file system,
//! which copies the WAL directory just before a chosen call: what a `SIGKILL` there leaves).

use walogs_torture::repro;

/// After a purge past the end, a crash inside a later `purge_up_to` (its floor durable, the
/// purged segment not yet deleted) leaves a directory that opens.
#[test]
fn a_crash_in_a_purge_after_a_purge_past_the_end_leaves_an_openable_directory() {
    repro::crash_in_a_purge_after_a_purge_past_the_end().unwrap();
}

/// Segments left below the floor by an interrupted purge, then `truncate_after(floor)`: the
/// directory still opens (the seal below the kept segment is its real last LSN).
#[test]
fn a_cut_to_the_floor_after_an_interrupted_purge_leaves_an_openable_directory() {
    repro::cut_to_the_floor_after_an_interrupted_purge().unwrap();
}

/// A second `truncate_after` inside a unit crashing right after it recorded its cut: the old
/// or the new log, never less.
#[test]
fn a_crash_in_a_second_cut_inside_a_unit_leaves_the_old_or_the_new_log() {
    repro::crash_in_a_second_cut_inside_a_unit().unwrap();
}
