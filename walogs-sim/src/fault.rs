//! Fault injection: which call of the simulated file system fails, and how.

use std::fmt;
use std::io;

/// A class of file-system calls, counted separately so a sweep can fail "the N-th write".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CallClass {
    /// `write_all_at`.
    Write,
    /// `sync_data` (fdatasync) and `sync_dir` (directory fsync).
    Sync,
    /// Calls that change metadata: create, mkdir, rename, unlink, `set_len`, `allocate`.
    Meta,
    /// Calls that change nothing: reads, lengths, listings, plain opens, locks.
    Read,
}

impl CallClass {
    /// Every class, in sweep order.
    pub const ALL: [CallClass; 4] = [
        CallClass::Write,
        CallClass::Sync,
        CallClass::Meta,
        CallClass::Read,
    ];

    /// The classes of calls that change the disk, swept by every fault run (read faults are
    /// an extra).
    pub const MUTATING: [CallClass; 3] = [CallClass::Write, CallClass::Sync, CallClass::Meta];

    /// Short name used in reproduction lines.
    pub fn name(self) -> &'static str {
        match self {
            CallClass::Write => "write",
            CallClass::Sync => "sync",
            CallClass::Meta => "meta",
            CallClass::Read => "read",
        }
    }

    /// Parse [`CallClass::name`].
    pub fn parse(s: &str) -> Option<CallClass> {
        CallClass::ALL.into_iter().find(|c| c.name() == s)
    }
}

/// The error an injected fault returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FaultKind {
    /// `EIO`: a device error.
    Eio,
    /// `ENOSPC`: the device is full.
    Enospc,
}

impl FaultKind {
    /// Both kinds, in sweep order.
    pub const ALL: [FaultKind; 2] = [FaultKind::Eio, FaultKind::Enospc];

    /// The `io::Error` the failing call returns (the real Linux error numbers).
    pub fn error(self) -> io::Error {
        match self {
            FaultKind::Eio => io::Error::from_raw_os_error(5),
            FaultKind::Enospc => io::Error::from_raw_os_error(28),
        }
    }

    /// Short name used in reproduction lines.
    pub fn name(self) -> &'static str {
        match self {
            FaultKind::Eio => "eio",
            FaultKind::Enospc => "enospc",
        }
    }

    /// Parse [`FaultKind::name`].
    pub fn parse(s: &str) -> Option<FaultKind> {
        FaultKind::ALL.into_iter().find(|k| k.name() == s)
    }
}

/// Fail the `nth` (1-based) call of `class` with `kind`.
///
/// What the failing call leaves behind models Linux: a failed write may have written a
/// prefix of its buffer; a failed `fdatasync` resolves the pending writes of that file at
/// random (some data reached the disk, some was lost) and forgets them, so that a *retried*
/// sync succeeds although data is gone while the page cache still shows it (the
/// "fsyncgate" behaviour of Linux), while size changes (journaled metadata) stay pending;
/// a failed directory fsync makes nothing durable and
/// leaves the entry operations pending; any other failing call changes nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FaultPlan {
    /// Which calls are counted.
    pub class: CallClass,
    /// Which of them fails (1 = the first).
    pub nth: u64,
    /// What it returns.
    pub kind: FaultKind,
    /// Seed for the partial effects of the failing call.
    pub seed: u64,
}

impl fmt::Display for FaultPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "fault={}:{}:{} fault-seed={}",
            self.class.name(),
            self.nth,
            self.kind.name(),
            self.seed
        )
    }
}

/// A fault that fired: which call it hit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FiredFault {
    /// The plan that fired.
    pub plan: FaultPlan,
    /// The call, e.g. `sync_data /wal/wal-000001.log`.
    pub call: String,
    /// The path the call was about.
    pub path: String,
    /// The operation tag set by the driver when it fired.
    pub tag: u64,
}
