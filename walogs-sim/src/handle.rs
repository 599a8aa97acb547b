//! [`AnyWal`]: one driver interface over both walogs handles, so every harness exercises the
//! single-owner [`Wal`] and the group-commit [`SharedWal`] (the one the C, Python and Go
//! bindings wrap) through the same calls.

use std::path::Path;
use std::time::Duration;

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

    /// `append_many` (not atomic across chunks; entries far below the chunk limit make one
    /// unit).
    pub fn append_many(&mut self, entries: &[Vec<u8>]) -> Result<LsnRange, WalError> {
        match self {
            AnyWal::Single(w) => w.append_many(entries),
            AnyWal::Shared(w) => w.append_many(entries),
        }
    }

    /// `purge_up_to`.
    pub fn purge_up_to(&mut self, up_to: Lsn) -> Result<usize, WalError> {
        match self {
            AnyWal::Single(w) => w.purge_up_to(up_to),
            AnyWal::Shared(w) => w.purge_up_to(up_to),
        }
    }

    /// `purged_up_to`: the purge floor.
    pub fn purged_up_to(&self) -> Lsn {
        match self {
            AnyWal::Single(w) => w.purged_up_to(),
            AnyWal::Shared(w) => w.purged_up_to(),
        }
    }

    /// `set_user_data`.
    pub fn set_user_data(&mut self, data: &[u8]) -> Result<(), WalError> {
        match self {
            AnyWal::Single(w) => w.set_user_data(data),
            AnyWal::Shared(w) => w.set_user_data(data),
        }
    }

    /// `user_data`.
    pub fn user_data(&self) -> Result<Vec<u8>, WalError> {
        match self {
            AnyWal::Single(w) => w.user_data(),
            AnyWal::Shared(w) => w.user_data(),
        }
    }

    /// `wait_durable`.
    pub fn wait_durable(&self, lsn: Lsn, timeout: Option<Duration>) -> Result<(), WalError> {
        match self {
            AnyWal::Single(w) => w.wait_durable(lsn, timeout),
            AnyWal::Shared(w) => w.wait_durable(lsn, timeout),
        }
    }

    /// `on_durable`.
    pub fn on_durable(
        &self,
        lsn: Lsn,
        callback: impl FnOnce(Result<(), WalError>) + Send + 'static,
    ) -> Result<(), WalError> {
        match self {
            AnyWal::Single(w) => w.on_durable(lsn, callback),
            AnyWal::Shared(w) => w.on_durable(lsn, callback),
        }
    }

    /// `read`.
    pub fn read(&self, lsn: Lsn) -> Result<Vec<u8>, WalError> {
        match self {
            AnyWal::Single(w) => w.read(lsn),
            AnyWal::Shared(w) => w.read(lsn),
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

    /// `iter_from`.
    pub fn iter_from(&self, from: Lsn) -> Result<WalIter, WalError> {
        match self {
            AnyWal::Single(w) => w.iter_from(from),
            AnyWal::Shared(w) => w.iter_from(from),
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
