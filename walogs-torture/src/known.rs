//! The known core bugs these harnesses may tolerate: reported to the core's owner and not
//! fixed yet. The mechanism (matching a violation to an entry, strict mode, triage, the
//! self-expiry test in `tests/known_bugs.rs`) is the test kit's one registry,
//! [`walogs_testkit::known`]; this module holds only the list.
//!
//! `WALOGS_STRICT=1` (or its older name `WALOGS_TORTURE_STRICT=1`) tolerates nothing.
//!
//! To add one: write the reproduction as a function in [`crate::repro`] (it must return
//! `Err` on today's core), give the entry the narrowest signature that matches the
//! violations it explains, and describe it in the report to the core's owner.

use walogs_testkit::known::{KnownBug, Registry};

/// The known core bugs still open (reproductions in [`crate::repro`]; those of bugs fixed
/// since run beside the core, in `walogs-core/tests/kill_regressions.rs`).
pub static KNOWN: Registry = Registry {
    bugs: &[
        KnownBug {
            id: "T2",
            title: "read() racing a checkpoint that deletes the entry's segment fails with \
                    Io(ENOENT), not LsnOutOfRange, while first_lsn() still lists the entry",
            signature: &[
                "exited with 2 before the kill",
                "fail read io:2 ",
                "since the reader started",
            ],
            check: crate::repro::read_racing_a_checkpoint,
            repro: "the concurrent kill harness (a reader thread stops its child); \
                    cargo test -p walogs-torture --test known_bugs",
        },
        KnownBug {
            id: "T5",
            title: "on_durable on a poisoned handle returns Ok, but once the notifier thread \
                    has ended (it ends as soon as nothing is ready on a stopped log) nothing \
                    runs the callback until close",
            signature: &[
                "on_durable callbacks never ran",
                "after the handle was poisoned",
            ],
            check: crate::repro::callback_registered_after_poisoning,
            repro: "the shim sweep (a failed sync, then on_durable); \
                    cargo test -p walogs-torture --test known_bugs",
        },
    ],
    file: "walogs-torture/src/known.rs",
    regressions: "walogs-core/tests/kill_regressions.rs",
    strict_alias: "WALOGS_TORTURE_STRICT",
};
