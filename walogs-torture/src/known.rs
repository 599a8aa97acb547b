//! The known core bugs these harnesses may tolerate: reported to the core's owner and not
//! fixed yet. The mechanism (matching a violation to an entry, strict mode, triage, the
//! self-expiry test in `tests/known_bugs.rs`) is the test kit's one registry,
//! [`walogs_testkit::known`]; this module holds only the list.
//!
//! `WALOGS_STRICT=1` (or its older name `WALOGS_TORTURE_STRICT=1`) tolerates nothing.
//!
//! To add one: write the reproduction as a function in a `repro` module of this crate (it must return
//! `Err` on today's core), give the entry the narrowest signature that matches the
//! violations it explains, and describe it in the report to the core's owner.

use walogs_testkit::known::Registry;

/// The known core bugs still open (none today; the reproductions of bugs fixed
/// since run beside the core, in `walogs-core/tests/kill_regressions.rs`).
pub static KNOWN: Registry = Registry {
    bugs: &[],
    file: "walogs-torture/src/known.rs",
    regressions: "walogs-core/tests/kill_regressions.rs",
    strict_alias: "WALOGS_TORTURE_STRICT",
};
