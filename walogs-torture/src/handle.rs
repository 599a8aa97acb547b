//! One object-safe interface over the two walogs handles, so that every workload runs
//! against both the single-owner [`walogs_core::Wal`] and the group-commit [`walogs_core::SharedWal`] (the handle the
//! C, Python and Go bindings wrap). It forwards to [`WalHandle`], the core's own list of
//! what both handles do; it exists only because `WalHandle` has generic methods and a
//! workload needs a `Box<dyn ...>`.

use std::path::Path;
use std::time::Duration;

use walogs_core::{Lsn, LsnRange, TailState, WalError, WalHandle, WalOptions};

/// A callback for [`Handle::on_durable`].
pub type Callback = Box<dyn FnOnce(Result<(), WalError>) + Send + 'static>;

/// The operations the workloads use (see the core's documentation of each).
pub trait Handle {
    /// `append`.
    fn append(&mut self, data: &[u8]) -> Result<Lsn, WalError>;
    /// `append_batch` (atomic).
    fn append_batch(&mut self, entries: &[Vec<u8>]) -> Result<LsnRange, WalError>;
    /// `append_many` (not atomic across chunks).
    fn append_many(&mut self, entries: &[Vec<u8>]) -> Result<LsnRange, WalError>;
    /// `sync`.
    fn sync(&mut self) -> Result<Lsn, WalError>;
    /// `rotate`.
    fn rotate(&mut self) -> Result<(), WalError>;
    /// `checkpoint`.
    fn checkpoint(&mut self, upto: Lsn) -> Result<usize, WalError>;
    /// `truncate_after`.
    fn truncate_after(&mut self, keep: Lsn) -> Result<u64, WalError>;
    /// `purge_up_to`.
    fn purge_up_to(&mut self, upto: Lsn) -> Result<usize, WalError>;
    /// `set_user_data`.
    fn set_user_data(&mut self, data: &[u8]) -> Result<(), WalError>;
    /// `user_data`.
    fn user_data(&self) -> Result<Vec<u8>, WalError>;
    /// `wait_durable`.
    fn wait_durable(&self, lsn: Lsn, timeout: Option<Duration>) -> Result<(), WalError>;
    /// `on_durable`.
    fn on_durable(&self, lsn: Lsn, callback: Callback) -> Result<(), WalError>;
    /// `read`.
    fn read(&self, lsn: Lsn) -> Result<Vec<u8>, WalError>;
    /// `read_range`.
    fn read_range(
        &self,
        from: Lsn,
        max_entries: usize,
        max_bytes: usize,
    ) -> Result<Vec<(Lsn, Vec<u8>)>, WalError>;
    /// `next_lsn`.
    fn next_lsn(&self) -> Lsn;
    /// `first_lsn`.
    fn first_lsn(&self) -> Lsn;
    /// `purged_up_to`.
    fn purged_up_to(&self) -> Lsn;
    /// `segment_count`.
    fn segment_count(&self) -> usize;
    /// `tail_state`.
    fn tail_state(&self) -> TailState;
    /// `is_poisoned`.
    fn is_poisoned(&self) -> bool;
    /// `close`.
    fn close(self: Box<Self>) -> Result<(), WalError>;
}

impl<H: WalHandle> Handle for H {
    fn append(&mut self, data: &[u8]) -> Result<Lsn, WalError> {
        WalHandle::append(self, data)
    }
    fn append_batch(&mut self, entries: &[Vec<u8>]) -> Result<LsnRange, WalError> {
        WalHandle::append_batch(self, entries)
    }
    fn append_many(&mut self, entries: &[Vec<u8>]) -> Result<LsnRange, WalError> {
        WalHandle::append_many(self, entries)
    }
    fn sync(&mut self) -> Result<Lsn, WalError> {
        WalHandle::sync(self)
    }
    fn rotate(&mut self) -> Result<(), WalError> {
        WalHandle::rotate(self)
    }
    fn checkpoint(&mut self, upto: Lsn) -> Result<usize, WalError> {
        WalHandle::checkpoint(self, upto)
    }
    fn truncate_after(&mut self, keep: Lsn) -> Result<u64, WalError> {
        WalHandle::truncate_after(self, keep)
    }
    fn purge_up_to(&mut self, upto: Lsn) -> Result<usize, WalError> {
        WalHandle::purge_up_to(self, upto)
    }
    fn set_user_data(&mut self, data: &[u8]) -> Result<(), WalError> {
        WalHandle::set_user_data(self, data)
    }
    fn user_data(&self) -> Result<Vec<u8>, WalError> {
        WalHandle::user_data(self)
    }
    fn wait_durable(&self, lsn: Lsn, timeout: Option<Duration>) -> Result<(), WalError> {
        WalHandle::wait_durable(self, lsn, timeout)
    }
    fn on_durable(&self, lsn: Lsn, callback: Callback) -> Result<(), WalError> {
        WalHandle::on_durable(self, lsn, callback)
    }
    fn read(&self, lsn: Lsn) -> Result<Vec<u8>, WalError> {
        WalHandle::read(self, lsn)
    }
    fn read_range(
        &self,
        from: Lsn,
        max_entries: usize,
        max_bytes: usize,
    ) -> Result<Vec<(Lsn, Vec<u8>)>, WalError> {
        WalHandle::read_range(self, from, max_entries, max_bytes)
    }
    fn next_lsn(&self) -> Lsn {
        WalHandle::next_lsn(self)
    }
    fn first_lsn(&self) -> Lsn {
        WalHandle::first_lsn(self)
    }
    fn purged_up_to(&self) -> Lsn {
        WalHandle::purged_up_to(self)
    }
    fn segment_count(&self) -> usize {
        WalHandle::segment_count(self)
    }
    fn tail_state(&self) -> TailState {
        WalHandle::tail_state(self)
    }
    fn is_poisoned(&self) -> bool {
        WalHandle::is_poisoned(self)
    }
    fn close(mut self: Box<Self>) -> Result<(), WalError> {
        self.close_handle()
    }
}

/// Open `dir` with `opts` as a `SharedWal` (`shared`) or a `Wal`.
pub fn open(opts: &WalOptions, dir: &Path, shared: bool) -> Result<Box<dyn Handle>, WalError> {
    Ok(if shared {
        Box::new(opts.open_shared(dir)?)
    } else {
        Box::new(opts.open(dir)?)
    })
}
