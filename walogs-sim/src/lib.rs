//! walogs-sim: a power-loss simulator and fault injector for walogs-core.
//!
//! [`SimFs`] implements walogs-core's I/O seam ([`walogs_core::vfs::FileSystem`]) over an
//! in-memory [`Disk`] that keeps what a real disk keeps: file data is volatile until that
//! file's `fdatasync`, directory entries until that directory's `fsync`. A crash
//! ([`Disk::crash`]) resolves each volatile operation as applied, dropped or torn at
//! 512-byte sector granularity. Faults ([`FaultPlan`]) fail the N-th call of a class with
//! `EIO` or `ENOSPC`.
//!
//! The harnesses drive the real walogs-core through it and check an oracle after every
//! crash: [`harness::power_loss`] (every crash point of every short workload),
//! [`harness::random`] (long seeded runs), [`harness::recovery`] (crashes inside the open
//! that follows a crash) and [`harness::faults`] (a fault at every call). Each prints one
//! summary line and, for every violation, a one-line reproduction.

pub mod disk;
pub mod fault;
pub mod fs;
pub mod rng;

pub use disk::{Disk, Resolution, SECTOR};
pub use fault::{CallClass, FaultKind, FaultPlan, FiredFault};
pub use fs::{CallCounts, Lies, SimFs, Snapshot};
pub use rng::Rng;
pub mod fuzz;
pub mod handle;
pub mod harness;
pub mod image;
pub mod model;
pub mod workload;
