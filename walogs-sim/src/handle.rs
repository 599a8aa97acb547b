//! [`AnyWal`]: one driver interface over both walogs handles, so every harness exercises the
//! single-owner [`Wal`] and the group-commit [`SharedWal`] (the one the C, Python and Go
//! bindings wrap) through the same calls.

use std::path::Path;

use walogs_core::{Lsn, LsnRange, RecoveryReport, SharedWal, Wal, WalError, WalIter, WalOptions};

/// Which handle type a harness opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HandleKind {
    /// [`Wal`].
    Single,
    /// [`SharedWal`], driven from one thread (deterministic); the concurrent harness
    /// ([`crate::harness::concurrent`]) drives it from many.
    Shared,
}

impl HandleKind {
    /// Short name for reproduction lines.
    pub fn name(self) -> &'static str {
        match self {
            HandleKind::Single => "wal",
            HandleKind::Shared => "shared",
        }
    }

    /// Parse [`HandleKind::name`].
    pub fn parse(s: &str) -> Option<HandleKind> {
        match s {
            "wal" => Some(HandleKind::Single),
            "shared" => Some(HandleKind::Shared),
            _ => None,
        }
    }
}

/// An open WAL of either kind.
#[derive(Debug)]
pub enum AnyWal {
    /// A single-owner handle.
    Single(Wal),
    /// A shared handle.
    Shared(SharedWal),
}

impl AnyWal {
    /// Open `dir` with `opts` as a handle of `kind`.
    pub fn open(kind: HandleKind, opts: &WalOptions, dir: &Path) -> Result<AnyWal, WalError> {
        match kind {
            HandleKind::Single => opts.open(dir).map(AnyWal::Single),
            HandleKind::Shared => opts.open_shared(dir).map(AnyWal::Shared),
        }
    }

    /// `append`.
    pub fn append(&mut self, data: &[u8]) -> Result<Lsn, WalError> {
        match self {
            AnyWal::Single(w) => w.append(data),
            AnyWal::Shared(w) => w.append(data),
        }
    }

    /// `append_batch` (atomic).
    pub fn append_batch(&mut self, entries: &[Vec<u8>]) -> Result<LsnRange, WalError> {
        match self {
            AnyWal::Single(w) => w.append_batch(entries),
            AnyWal::Shared(w) => w.append_batch(entries),
        }
    }

    /// `rotate`.
    pub fn rotate(&mut self) -> Result<(), WalError> {
        match self {
            AnyWal::Single(w) => w.rotate(),
            AnyWal::Shared(w) => w.rotate(),
        }
    }

    /// `checkpoint`.
    pub fn checkpoint(&mut self, upto: Lsn) -> Result<usize, WalError> {
        match self {
            AnyWal::Single(w) => w.checkpoint(upto),
            AnyWal::Shared(w) => w.checkpoint(upto),
        }
    }

    /// `truncate_after`.
    pub fn truncate_after(&mut self, keep: Lsn) -> Result<u64, WalError> {
        match self {
            AnyWal::Single(w) => w.truncate_after(keep),
            AnyWal::Shared(w) => w.truncate_after(keep),
        }
    }

    /// `sync`: everything appended is durable when it returns `Ok` (the durable LSN).
    pub fn sync(&mut self) -> Result<Lsn, WalError> {
        match self {
            AnyWal::Single(w) => w.sync(),
            AnyWal::Shared(w) => w.sync(),
        }
    }

    /// `durable_lsn`: the highest LSN the handle promises is durable.
    pub fn durable_lsn(&self) -> Lsn {
        match self {
            AnyWal::Single(w) => w.durable_lsn(),
            AnyWal::Shared(w) => w.durable_lsn(),
        }
    }

    /// `recovery_report`: what the open found and cut.
    pub fn recovery_report(&self) -> RecoveryReport {
        match self {
            AnyWal::Single(w) => w.recovery_report(),
            AnyWal::Shared(w) => w.recovery_report(),
        }
    }

    /// `iter`.
    pub fn iter(&self) -> WalIter {
        match self {
            AnyWal::Single(w) => w.iter(),
            AnyWal::Shared(w) => w.iter(),
        }
    }

    /// `next_lsn`.
    pub fn next_lsn(&self) -> Lsn {
        match self {
            AnyWal::Single(w) => w.next_lsn(),
            AnyWal::Shared(w) => w.next_lsn(),
        }
    }

    /// `first_lsn`.
    pub fn first_lsn(&self) -> Lsn {
        match self {
            AnyWal::Single(w) => w.first_lsn(),
            AnyWal::Shared(w) => w.first_lsn(),
        }
    }

    /// `is_poisoned`.
    pub fn is_poisoned(&self) -> bool {
        match self {
            AnyWal::Single(w) => w.is_poisoned(),
            AnyWal::Shared(w) => w.is_poisoned(),
        }
    }

    /// `close`.
    pub fn close(self) -> Result<(), WalError> {
        match self {
            AnyWal::Single(w) => w.close(),
            AnyWal::Shared(w) => w.close(),
        }
    }
}
