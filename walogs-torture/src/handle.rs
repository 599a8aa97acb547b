//! One interface over the two walogs handles, so that every workload runs against both the
//! single-owner [`Wal`] and the group-commit [`SharedWal`] (the handle the C, Python and Go
//! bindings wrap).

use std::path::Path;

use walogs_core::{Lsn, LsnRange, SharedWal, TailState, Wal, WalError, WalOptions};

/// The operations the workloads use.
pub trait Handle {
    /// `append`.
    fn append(&mut self, data: &[u8]) -> Result<Lsn, WalError>;
    /// `append_batch` (atomic).
    fn append_batch(&mut self, entries: &[Vec<u8>]) -> Result<LsnRange, WalError>;
    /// `rotate`.
    fn rotate(&mut self) -> Result<(), WalError>;
    /// `checkpoint`.
    fn checkpoint(&mut self, upto: Lsn) -> Result<usize, WalError>;
    /// `read`.
    fn read(&self, lsn: Lsn) -> Result<Vec<u8>, WalError>;
    /// `next_lsn`.
    fn next_lsn(&self) -> Lsn;
    /// `first_lsn`.
    fn first_lsn(&self) -> Lsn;
    /// `tail_state`.
    fn tail_state(&self) -> TailState;
    /// `is_poisoned`.
    fn is_poisoned(&self) -> bool;
    /// `close`.
    fn close(self: Box<Self>) -> Result<(), WalError>;
}

impl Handle for Wal {
    fn append(&mut self, data: &[u8]) -> Result<Lsn, WalError> {
        Wal::append(self, data)
    }
    fn append_batch(&mut self, entries: &[Vec<u8>]) -> Result<LsnRange, WalError> {
        Wal::append_batch(self, entries)
    }
    fn rotate(&mut self) -> Result<(), WalError> {
        Wal::rotate(self)
    }
    fn checkpoint(&mut self, upto: Lsn) -> Result<usize, WalError> {
        Wal::checkpoint(self, upto)
    }
    fn read(&self, lsn: Lsn) -> Result<Vec<u8>, WalError> {
        Wal::read(self, lsn)
    }
    fn next_lsn(&self) -> Lsn {
        Wal::next_lsn(self)
    }
    fn first_lsn(&self) -> Lsn {
        Wal::first_lsn(self)
    }
    fn tail_state(&self) -> TailState {
        Wal::tail_state(self)
    }
    fn is_poisoned(&self) -> bool {
        Wal::is_poisoned(self)
    }
    fn close(self: Box<Self>) -> Result<(), WalError> {
        Wal::close(*self)
    }
}

impl Handle for SharedWal {
    fn append(&mut self, data: &[u8]) -> Result<Lsn, WalError> {
        SharedWal::append(self, data)
    }
    fn append_batch(&mut self, entries: &[Vec<u8>]) -> Result<LsnRange, WalError> {
        SharedWal::append_batch(self, entries)
    }
    fn rotate(&mut self) -> Result<(), WalError> {
        SharedWal::rotate(self)
    }
    fn checkpoint(&mut self, upto: Lsn) -> Result<usize, WalError> {
        SharedWal::checkpoint(self, upto)
    }
    fn read(&self, lsn: Lsn) -> Result<Vec<u8>, WalError> {
        SharedWal::read(self, lsn)
    }
    fn next_lsn(&self) -> Lsn {
        SharedWal::next_lsn(self)
    }
    fn first_lsn(&self) -> Lsn {
        SharedWal::first_lsn(self)
    }
    fn tail_state(&self) -> TailState {
        SharedWal::tail_state(self)
    }
    fn is_poisoned(&self) -> bool {
        SharedWal::is_poisoned(self)
    }
    fn close(self: Box<Self>) -> Result<(), WalError> {
        SharedWal::close(&self)
    }
}

/// Open `dir` with `opts` as a [`SharedWal`] (`shared`) or a [`Wal`].
pub fn open(opts: &WalOptions, dir: &Path, shared: bool) -> Result<Box<dyn Handle>, WalError> {
    Ok(if shared {
        Box::new(opts.open_shared(dir)?)
    } else {
        Box::new(opts.open(dir)?)
    })
}
