//! walogs-sim: a power-loss simulator, fault injector and fuzzer for walogs-core.
//!
//! [`SimFs`] implements walogs-core's I/O seam ([`walogs_core::vfs::FileSystem`]) over an
//! in-memory [`Disk`] that keeps what a real disk keeps: file data (and size changes) are
//! volatile until that file's `fdatasync`, directory entries (create, rename, unlink) until
//! that directory's `fsync`. A crash ([`Disk::crash`]) resolves each volatile write as
//! applied, dropped or torn at 512-byte sector granularity (a subset of its sectors, maybe
//! one sector of garbage or zeros, maybe the file extended with zeros) and each volatile
//! directory operation as applied or not (any subset, or in order for [`Resolution::Journaled`]).
//! Faults ([`FaultPlan`]) fail the N-th write, sync, metadata or read call with `EIO` or
//! `ENOSPC`, with Linux's after-effects (a failed write may leave a prefix; a failed
//! `fdatasync` may lose data the page cache still shows).
//!
//! The harnesses drive the real walogs-core through it and check an oracle after every
//! crash ([`model::check`]): [`harness::power_loss`] (every crash point of every short
//! workload, then every crash point inside the recovering open), [`harness::random`] (long
//! seeded runs, crashes piling up on one log, also inside recovery), [`harness::faults`] (a
//! fault at every call of every short workload), [`harness::concurrent`] (many threads on
//! one `SharedWal`) and [`harness::bitrot`] (flipped bits in acknowledged frames). The
//! workloads cover the whole mutating surface: appends, atomic batches, `append_many`,
//! rotation, checkpoint, `truncate_after` (inside units and across segments), `purge_up_to`
//! (inside the log, at a segment boundary, past the end), `set_user_data`, `sync` and the
//! durability notifications. The oracle ([`model`]) tracks what is acknowledged, durable
//! and in flight, the purge floor and the user data. Each harness reports a
//! [`harness::Tally`] that prints as one line, and every violation comes with a one-line
//! reproduction (`walogs-sim repro ...`). [`image`] and [`fuzz`] turn arbitrary bytes into
//! directory images (segments with plain, batch and unit member frames, both metadata
//! versions, user data) for fuzzing `open()` (also used by the libFuzzer targets in
//! `fuzz/`). Known, reported core bugs are listed in [`harness::known`], each with its
//! reproduction; the fixed ones are regression tests in `walogs-core/tests/sim_regressions.rs`.
//!
//! Costs: everything is in memory; the exhaustive harness checks about 75,000 crash states
//! per second on two cores.

pub mod disk;
pub mod fault;
pub mod fs;

pub use disk::{Disk, Resolution, SECTOR};
pub use fault::{CallClass, FaultKind, FaultPlan, FiredFault};
pub use fs::{CallCounts, Lies, SimFs, Snapshot};
/// The one seeded generator of the walogs test suites (SplitMix64), shared with every
/// other harness through `walogs-testkit`.
pub use walogs_testkit::Rng;
pub mod fuzz;
pub mod harness;
pub mod image;
pub mod model;
pub mod workload;
